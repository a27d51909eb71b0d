"""CSV downloads, streamed a line at a time, every text cell neutralised against spreadsheet formulas."""

import csv
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell safe from formula injection; other values pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A write-only file for csv.writer that hands each line back."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence], *, header: Sequence[str] | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo())
    if header is not None:
        yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(rows: Iterable[Sequence], *, filename: str, header: Sequence[str] | None = None):
    """A streamed CSV attachment: the rows are read as the client downloads them."""
    response = StreamingHttpResponse(csv_lines(rows, header=header), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
