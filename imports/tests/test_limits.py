"""The import kit's limits: each is checked before the work it guards and named in its message.

The four hostile files of issue 10 are read here at the kit's level, timed and with their peak
memory pinned; customers/tests/test_import_limits.py sends them through the web import.
"""

import io
import re

import pytest

from imports import readers
from imports.limits import limits
from imports.services import ImportFileError
from imports.tests import files
from imports.tests.files import measured

MB = 1024 * 1024


def read_all(data: bytes, extension: str) -> list:
    return list(readers.records(io.BytesIO(data), extension=extension, limits=limits()))


@pytest.mark.parametrize(
    ("make", "extension", "message"),
    [
        (lambda: files.xlsx_one_huge_cell(200), "xlsx", "unpacks to 1,028 times its size; the limit is 100 times"),
        (lambda: files.xlsx_blank_rows(2_000_000), "xlsx", "more than 1,000,000 rows (blank rows count too)"),
        (lambda: files.csv_wide(10_003), "csv", "Row 1 has 10,003 columns; the limit is 200 columns."),
        (files.csv_unterminated_quote, "csv", 'A quote (") opened in row 2 is never closed'),
    ],
    ids=["200-mb-cell", "2-million-blank-rows", "10003-columns", "unterminated-quote"],
)
def test_each_hostile_file_stops_at_its_limit_within_seconds_in_bounded_memory(make, extension, message):
    data = make()
    with measured() as figures, pytest.raises(ImportFileError, match=re.escape(message)):
        read_all(data, extension)
    assert figures["seconds"] < 5, figures
    assert figures["peak_mb"] < 16, figures


# --- each limit, named in its message --------------------------------------------------------------
def test_blank_rows_count_toward_the_row_limit(settings):
    settings.CRM_IMPORT_MAX_ROWS = 3
    assert len(read_all(b"Last name\nA\n\nB\n", "csv")) == 4  # the header and three rows, one blank
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read_all(b"Last name\nA\n\n\nB\n", "csv")  # two data rows, but four rows


def test_a_sheet_numbering_a_row_past_the_limit_is_refused_before_openpyxl_reads_the_gap(settings):
    settings.CRM_IMPORT_MAX_ROWS = 1000
    data = files.xlsx_from_xml(['<row r="1"><c r="A1" t="inlineStr"><is><t>Last name</t></is></c></row>',
                                '<row r="5000"/>'])  # fmt: skip
    with pytest.raises(ImportFileError, match="more than 1,000 rows"):
        read_all(data, "xlsx")


def test_a_sheet_declaring_too_many_rows_is_refused_from_its_first_bytes(settings):
    settings.CRM_IMPORT_MAX_ROWS = 1000
    data = files.xlsx_from_xml(['<dimension ref="A1:C2000000"/>'])
    with pytest.raises(ImportFileError, match="The sheet has 2,000,000 rows"):
        readers.precheck(io.BytesIO(data), extension="xlsx", limits=limits())


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_a_cell_longer_than_the_limit_is_refused(settings, extension):
    settings.CRM_IMPORT_MAX_CELL_CHARS = 50
    rows = [["Last name", "Notes"], ["Lovelace", "x" * 51]]
    data = "\n".join(",".join(row) for row in rows).encode() if extension == "csv" else files.xlsx_rows(rows)
    with pytest.raises(ImportFileError, match="longer than 50 characters"):
        read_all(data, extension)


def test_too_many_columns_in_a_later_row_is_refused(settings):
    settings.CRM_IMPORT_MAX_COLUMNS = 3
    with pytest.raises(ImportFileError, match="Row 3 has 4 columns; the limit is 3 columns."):
        read_all(b"a,b\n1,2\n1,2,3,4\n", "csv")


def test_an_xlsx_unpacking_past_the_size_limit_is_refused(settings):
    settings.CRM_IMPORT_MAX_UNPACKED_BYTES = 1 * MB
    data = files.xlsx_rows([["Last name"]] + [[f"Person {n} " + "y" * 50] for n in range(20_000)])
    with pytest.raises(ImportFileError, match=r"Unpacked, this Excel file is 2\.5\xa0MB; the limit is 1\.0\xa0MB"):
        readers.precheck(io.BytesIO(data), extension="xlsx", limits=limits())


def test_a_limit_is_named_in_turkish_too(settings):
    from django.utils import translation

    settings.CRM_IMPORT_MAX_COLUMNS = 3
    with translation.override("tr"), pytest.raises(ImportFileError) as raised:
        read_all(b"a,b,c,d\n1,2,3,4\n", "csv")
    assert raised.value.message == "1. satırda 4 sütun var; sınır 3 sütundur."
