"""A plain CSV: the files PostgreSQL's COPY may read as they are, because it and the csv module read
them alike, cell for cell. Anything else goes to the csv module, which reports what is wrong."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from imports import readers, services
from imports.limits import limits

KIND = services.ImportKind(prefix="things", no_rows_message=lambda: "no rows")


def copied_rows(table) -> tuple[int, list]:
    """What copy_into put into a two-column table: the count COPY reports, and the rows."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE plain_rows (row_number integer, a text, b text)")
        copied = table.copy_into(cursor, table="plain_rows", columns=["a", "b"])
        cursor.execute("SELECT row_number, a, b FROM plain_rows ORDER BY row_number")
        rows = [(number, [a, b]) for number, a, b in cursor.fetchall()]
        cursor.execute("DROP TABLE plain_rows")
    return copied, rows


def plain(data: bytes, **overrides):
    return readers.plain_csv(io.BytesIO(data), limits=limits(), head_rows=50)


@pytest.mark.parametrize(
    ("data", "rows", "offset", "delimiter"),
    [
        (b"a,b\n1,2\n3,4\n", [(2, ["1", "2"]), (3, ["3", "4"])], 4, ","),
        (b"a,b\n1,2\n3,4", [(2, ["1", "2"]), (3, ["3", "4"])], 4, ","),  # no line end after the last row
        (b"a,b\r\n1,2\r\n3,4\r\n", [(2, ["1", "2"]), (3, ["3", "4"])], 5, ","),
        (b"\xef\xbb\xbfa,b\n1,2\n", [(2, ["1", "2"])], 7, ","),  # the byte-order mark is skipped
        ("a;b\nMüller,3;2 x\n".encode(), [(2, ["Müller,3", "2 x"])], 4, ";"),
        (b'a,"b c"\n"1, 2",3\n4,"x"\n', [(2, ["1, 2", "3"]), (3, ["4", "x"])], 8, ","),  # whole quoted cells
    ],
)
def test_a_plain_file_is_read_as_its_lines_numbered_from_two(data, rows, offset, delimiter):
    found = plain(data)

    assert (found.head, found.row_count, found.offset, found.delimiter) == (rows, len(rows), offset, delimiter)


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n1"2",3\n',  # a quote inside a cell: the two parsers differ there
        b'a,b\n"1"2,3\n',
        b'a,b\n"1""2",3\n',  # a doubled quote
        b'a,b\n"",""\n',  # empty quoted cells: a blank row
        b'a,b\n" 1",2\n',  # quoted cells the csv reader's rows strip
        b'a,b\n"1 ",2\n',
        b'a,b\n"\'=1",2\n',
        b'a,b\n"1\n2",3\n',  # a quoted line end: one row on two lines
        b'a,b\n"1,2\n',  # a quote never closed
        b"a,b\n1, 2\n",  # cells the csv reader's rows strip
        b"a,b\n1,2 \n",
        b"a,b\n 1,2\n",
        b"a,b\n1,'=2\n",  # a formula quote to undo
        b"a,b\n1,\x012\n",  # a control character
        "a,b\n1,2\u00a0\n".encode(),  # a space outside ASCII
        b"a,b\n\xff,2\n",  # not UTF-8
        b"\xff\xfea\x00,\x00b\x00\n\x00",  # UTF-16
        b"a,b\t\n1\t2\n",  # a tab
        b"a,b\r\n1,2\n3,4\r\n",  # line ends of two kinds
        b"a,b\n1\r2\n",  # a lone carriage return
        b"a,b\n1,2\n\n3,4\n",  # a blank line
        b"\na,b\n1,2\n",  # before the header
        b"a,b\n1,2\n,\n3,4\n",  # a row of empty cells
        b"a,b\n1,2\n,",
        b"a,b\n",  # no rows
    ],
)
def test_anything_the_two_parsers_might_read_differently_is_not_plain(data):
    assert plain(data) is None


def test_a_file_past_the_row_or_cell_limit_is_left_to_the_csv_reader_which_refuses_it(settings):
    settings.CRM_IMPORT_MAX_ROWS = 2
    assert plain(b"a\n1\n2\n3\n") is None
    settings.CRM_IMPORT_MAX_ROWS = 10
    settings.CRM_IMPORT_MAX_CELL_CHARS = 5
    assert plain(b"a\n123456\n") is None


def test_a_row_with_more_cells_than_the_header_is_plain_but_copy_refuses_it():
    # COPY's "extra data" error sends the import to the csv reader's rows (copy_into's promise).
    assert plain(b"a,b\n1,2,3\n").row_count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plain tables are for PostgreSQL's COPY")
def test_a_plain_table_is_copied_as_it_is_and_reads_the_same_rows_in_python(db):
    table = services.table_from_stream(io.BytesIO(b"a,b\r\n1,x y\r\n3,4\r\n"), kind=KIND, filename="t.csv", plain=True)
    copied, rows = copied_rows(table)

    assert table.plain is not None
    assert (copied, rows) == (2, [(2, ["1", "x y"]), (3, ["3", "4"])])
    assert table.rows == rows


def test_without_plain_a_stream_is_read_into_a_row_table(db):
    table = services.table_from_stream(io.BytesIO(b"a,b\n1,2\n"), kind=KIND, filename="t.csv")

    assert (table.plain, table.rows) == (None, [(2, ["1", "2"])])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plain tables are for PostgreSQL's COPY")
def test_a_plain_upload_keeps_no_row_table_and_copies_from_the_stored_file(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = services.upload_store(upload=SimpleUploadedFile("t.csv", b"a,b\n1,x y\n3,4\n"), kind=KIND)
    services.upload_prepare(name, kind=KIND, filename="t.csv")
    kept = sorted(path.name.removeprefix(name.removeprefix("imports/")) for path in (tmp_path / "imports").iterdir())
    assert kept == ["", ".json"]  # the upload and what was read of it: no row table
    table = services.table_open(name, kind=KIND)
    copied, rows = copied_rows(table)

    assert (table.plain is not None, table.row_count, copied) == (True, 2, 2)
    assert rows == table.rows == [(2, ["1", "x y"]), (3, ["3", "4"])]
    assert table.head == [(2, ["1", "x y"]), (3, ["3", "4"])]
