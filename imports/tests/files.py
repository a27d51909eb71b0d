"""Hostile and ordinary import files, built in the tests (XLSX written as XML straight into a zip: fast)."""

import csv
import io
import time
import tracemalloc
import zipfile
from contextlib import contextmanager

MB = 1024 * 1024


@contextmanager
def measured():
    """Wall time and the peak of Python allocations inside the block."""
    figures = {}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - started
        figures["peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def xlsx_from_xml(rows_xml) -> bytes:
    """An .xlsx whose one sheet holds `rows_xml` (an iterable of <row> strings), written in chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            for chunk in rows_xml:
                sheet.write(chunk.encode() if isinstance(chunk, str) else chunk)
            sheet.write(_SHEET_END.encode())
    return out.getvalue()


def _cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx_rows(rows: list[list[str]]) -> bytes:
    """An ordinary .xlsx of text cells (columns A…Z)."""
    return xlsx_from_xml(
        f'<row r="{number}">'
        + "".join(_cell(f"{chr(65 + index)}{number}", value) for index, value in enumerate(row))
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )


def xlsx_one_huge_cell(megabytes: int = 200) -> bytes:
    """A header and one row whose second cell holds `megabytes` MB of text: ~1,000 times its packed size."""

    def rows():
        yield '<row r="1">' + _cell("A1", "Last name") + _cell("B1", "Notes") + "</row>"
        yield '<row r="2">' + _cell("A2", "Lovelace") + '<c r="B2" t="inlineStr"><is><t>'
        block = b"A" * (1024 * 1024)
        for _ in range(megabytes):
            yield block
        yield "</t></is></c></row>"

    return xlsx_from_xml(rows())


def xlsx_blank_rows(count: int = 2_000_000) -> bytes:
    """A header, then `count` blank rows (styled, as a spreadsheet leaves them), and no dimension tag."""

    def rows():
        yield '<row r="1">' + _cell("A1", "Last name") + "</row>"
        batch = []
        for number in range(2, count + 2):
            batch.append(f'<row r="{number}" spans="1:8" ht="15" customHeight="1"/>')
            if len(batch) == 10_000:
                yield "".join(batch)
                batch = []
        yield "".join(batch)

    return xlsx_from_xml(rows())


def csv_wide(columns: int = 10_003) -> bytes:
    """A CSV with `columns` columns (the header names each) and one row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"Column name {n}" for n in range(columns)])
    writer.writerow(["x"] * columns)
    return out.getvalue().encode()


def csv_unterminated_quote() -> bytes:
    return b'Last name,Notes\nLovelace,"a note that never ends\nHopper,fine\nTuring,fine\n'
