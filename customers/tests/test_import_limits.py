"""Hostile files at the customer import: each is refused with a message naming the limit, quickly,
in bounded memory, writing nothing.

The four files are the ones measured against the old imports (issue 10): a 205 KB .xlsx holding
one 200 MB cell, an .xlsx of 2 million blank rows, a CSV with 10,003 columns and an
unterminated quote. Peaks are measured with tracemalloc around the upload request (and the
worker's job where the file goes there); the old code took the web process to 1.5 GB.
"""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from customers.services import imports as customer_imports
from imports.services import ImportFileError
from imports.tests import files
from imports.tests.files import measured
from jobs.models import JobRun

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, data: bytes, filename: str):
    return client.post(reverse("customers:import"), {"file": SimpleUploadedFile(filename, data)})


def nothing_kept(media_root) -> bool:
    folder = media_root / "imports"
    return not folder.exists() or not list(folder.iterdir())


# --- the four files from the issue ---------------------------------------------------------------
def test_a_small_xlsx_holding_one_200_mb_cell_is_refused_at_upload_unopened(client_for, owner, media_root):
    data = files.xlsx_one_huge_cell(200)
    assert len(data) < 250 * 1024  # about 205 KB packed
    client = client_for(owner)
    client.get(reverse("customers:import"))  # the page's templates loaded: what is measured is the upload
    with measured() as figures:
        response = upload(client, data, "people.xlsx")
    assert response.status_code == 200
    message = response.context["form"].errors["file"][0]
    assert "unpacks to 1,028 times its size; the limit is 100 times" in message
    assert figures["seconds"] < 5, figures
    assert figures["peak_mb"] < 16, figures  # the file is 0.2 MB; its cell would be 200 MB
    assert nothing_kept(media_root) and not Customer.objects.exists()


def test_an_xlsx_of_two_million_blank_rows_goes_to_the_worker_and_stops_at_the_row_limit(
    client_for, owner, media_root, django_capture_on_commit_callbacks
):
    data = files.xlsx_blank_rows(2_000_000)
    client = client_for(owner)
    with measured() as figures:
        with pytest.raises(ImportFileError, match="more than 1,000,000 rows"):
            with django_capture_on_commit_callbacks(execute=True):  # the worker's job, run inline
                response = upload(client, data, "people.xlsx")
    run = JobRun.objects.get(name="imports.prepare_file")
    assert response["Location"] == reverse("customers:import-status", args=[run.pk])  # never read in the request
    assert figures["seconds"] < 5, figures
    assert figures["peak_mb"] < 4 * len(data) / MB + 16, figures  # the upload's copies, not the 109 MB sheet
    status = client.get(response["Location"]).content.decode()
    assert "The file has more than 1,000,000 rows (blank rows count too); that is the limit." in status
    assert run.status == JobRun.Status.FAILED
    assert nothing_kept(media_root) and not Customer.objects.exists()


def test_a_csv_with_ten_thousand_columns_is_refused_at_upload_with_a_short_page(client_for, owner, media_root):
    data = files.csv_wide(10_003)
    assert 100 * 1024 < len(data) < 300 * 1024
    client = client_for(owner)
    with measured() as figures:
        response = upload(client, data, "wide.csv")
    assert response.status_code == 200  # the upload form again, with the reason; never a bare 400
    assert response.context["form"].errors["file"] == ["Row 1 has 10,003 columns; the limit is 200 columns."]
    assert len(response.content) < 100 * 1024  # the old mapping page was 13.5 MB
    assert figures["seconds"] < 5, figures
    assert figures["peak_mb"] < 32, figures
    assert nothing_kept(media_root)


def test_an_unterminated_quote_is_an_error_not_fields_merged(client_for, owner, media_root):
    response = upload(client_for(owner), files.csv_unterminated_quote(), "people.csv")
    assert response.context["form"].errors["file"] == [
        'A quote (") opened in row 2 is never closed; the file ends inside it.'
    ]
    assert nothing_kept(media_root) and not Customer.objects.exists()


def test_a_file_over_the_upload_limit_is_refused_and_not_kept(client_for, owner, settings, media_root):
    settings.CRM_IMPORT_MAX_BYTES = 100
    response = upload(client_for(owner), b"Last name\n" + b"Lovelace\n" * 20, "people.csv")
    assert response.context["form"].errors["file"] == ["The file is too large; the limit is 100\xa0bytes."]
    assert nothing_kept(media_root)


# --- large files are read by the worker, then the steps go on ----------------------------------------
def test_a_file_past_the_small_size_is_read_by_the_worker_and_the_status_page_leads_on(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_SYNC_MAX_BYTES = 10
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, b"Last name,Email\nLovelace,ada@example.com\nHopper,\n", "people.csv")
    run = JobRun.objects.get(name="imports.prepare_file")
    assert response["Location"] == reverse("customers:import-status", args=[run.pk])
    assert (run.status, run.counts, run.triggered_by) == (JobRun.Status.SUCCEEDED, {"rows": 2}, owner)
    status = client.get(response["Location"]).content.decode()
    assert "The file is read: 2 rows." in status
    assert reverse("customers:import-mapping") in status
    mapping = client.get(reverse("customers:import-mapping")).content.decode()
    assert "ada@example.com" in mapping  # the examples come from what the worker read


def test_each_file_is_read_once_into_its_row_table(owner, media_root):
    stored = customer_imports.import_file_store(
        upload=SimpleUploadedFile("p.csv", b'Last name;Notes\nLovelace;one\n\nHopper;"two\nlines"\n')
    )
    names = sorted(path.name for path in (media_root / "imports").iterdir())
    assert [name.removeprefix(stored.name.removeprefix("imports/")) for name in names] == ["", ".json", ".rows"]
    with default_storage.open(f"{stored.name}.rows") as rows:
        assert rows.read().decode() == '2,Lovelace,one\r\n4,Hopper,"two\nlines"\r\n'
    assert stored.table.rows == [(2, ["Lovelace", "one"]), (4, ["Hopper", "two\nlines"])]


def test_a_cell_that_reads_backslash_n_is_kept_as_written(owner):
    customer_imports.customers_import(
        table=customer_imports.import_table_read(data=b"Last name,City\n\\N,\\N\n", filename="p.csv"),
        mapping={"0": "last_name", "1": "city"}, actor=owner,
    )  # fmt: skip
    assert (Customer.objects.get().last_name, Customer.objects.get().city) == ("\\N", "\\N")
