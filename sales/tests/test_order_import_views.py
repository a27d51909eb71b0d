"""The order import in the browser's steps: upload, dry run, import (or the background job), who may use it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from jobs.models import JobRun
from sales.models import Order

HEADER = "customer_ref,ordered_at,total,order_ref"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def customers(owner):
    return [CustomerFactory(owner=owner, external_ref=f"C-{n}") for n in (1, 2)]


def upload(client, *rows: str, header=HEADER, create_missing=False, name="orders.csv"):
    data = "\n".join([header, *rows]).encode()
    form: dict[str, object] = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if create_missing:
        form["create_missing_customers"] = "on"
    return client.post(reverse("sales:order-import"), form)


GOOD_AND_BAD = ("C-1,2024-05-01,10.00,A-1", "C-2,2024-05-02,oops,A-2", "C-2,2024-05-03,30.00,")


def test_a_manager_uploads_sees_the_dry_run_then_skips_the_bad_row(client_for, manager, customers):
    client = client_for(manager)
    assert upload(client, *GOOD_AND_BAD).url == reverse("sales:order-import-check")
    check = client.get(reverse("sales:order-import-check"))
    page = check.content.decode()
    assert check.context["result"].created == 2 and check.context["result"].bad_rows == 1
    assert 'data-row="3" data-column="total"' in page
    assert not Order.objects.exists()  # the dry run writes nothing
    response = client.post(reverse("sales:order-import-run"), {"skip_errors": "on"}, follow=True)
    assert "2 orders created, 0 updated, 1 rows skipped" in response.content.decode()
    assert Order.objects.count() == 2


def test_importing_without_skipping_writes_nothing_and_offers_to_skip(client_for, manager, customers):
    client = client_for(manager)
    upload(client, *GOOD_AND_BAD)
    client.get(reverse("sales:order-import-check"))
    response = client.post(reverse("sales:order-import-run"))
    assert response.status_code == 200 and response.context["rejected"]
    assert "Nothing was imported: 1 row has errors." in response.content.decode()
    assert not Order.objects.exists()
    client.post(reverse("sales:order-import-run"), {"skip_errors": "on"})
    assert Order.objects.count() == 2


def test_a_clean_file_imports_and_shows_the_result(client_for, manager, customers, media_root):
    client = client_for(manager)
    upload(client, "C-1,2024-05-01,10.00,A-1", "C-2,2024-05-01,5,")
    client.get(reverse("sales:order-import-check"))
    response = client.post(reverse("sales:order-import-run"), follow=True)
    assert response.context["counts"] == {"created": 2, "updated": 0, "skipped": 0, "new_customers": 0}
    assert not list((media_root / "imports").iterdir())  # the upload is deleted once imported


def test_missing_customers_are_created_when_chosen_at_upload(client_for, manager, customers):
    client = client_for(manager)
    upload(client, "NEW-1,2024-05-01,10.00,", create_missing=True)
    check = client.get(reverse("sales:order-import-check"))
    assert check.context["result"].new_customers == 1
    client.post(reverse("sales:order-import-run"))
    assert Order.objects.get().customer.external_ref == "NEW-1"


def test_a_file_with_a_bad_header_is_refused_at_upload(client_for, manager):
    response = upload(client_for(manager), "C-1,2024-05-01,10", header="customer,date,amount")
    assert response.status_code == 200
    assert "Unknown columns: customer, date, amount" in response.content.decode()


def test_only_csv_files_are_accepted(client_for, manager):
    response = upload(client_for(manager), "C-1,2024-05-01,10", name="orders.xlsx")
    assert response.status_code == 200 and "Upload a CSV (.csv) file." in response.content.decode()


def test_the_steps_send_you_back_to_the_upload_without_a_file(client_for, manager):
    client = client_for(manager)
    assert client.get(reverse("sales:order-import-check")).url == reverse("sales:order-import")
    assert client.post(reverse("sales:order-import-run")).url == reverse("sales:order-import")


@pytest.mark.parametrize("persona", ["owner", "outsider", "agent"])
def test_only_managers_and_admins_import_orders(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    for name in ("sales:order-import", "sales:order-import-check", "sales:order-import-result"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("sales:order-import-run")).status_code == 403


def test_the_order_list_offers_the_import_to_managers_only(client_for, manager, owner):
    assert reverse("sales:order-import") in client_for(manager).get(reverse("sales:order-list")).content.decode()
    assert reverse("sales:order-import") not in client_for(owner).get(reverse("sales:order-list")).content.decode()


# --- large files: the background job -------------------------------------------------------------
def test_a_large_file_is_imported_by_the_job_with_progress(
    client_for, admin_user, customers, settings, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_SYNC_MAX_ROWS = 1
    client = client_for(admin_user)
    upload(client, "C-1,2024-05-01,10.00,A-1", "C-2,2024-05-01,5,")
    client.get(reverse("sales:order-import-check"))
    with django_capture_on_commit_callbacks(execute=True):  # tasks run inline in the tests
        response = client.post(reverse("sales:order-import-run"))
    run = JobRun.objects.get(name="sales.import_orders")
    assert response.url == reverse("sales:order-import-status", args=[run.pk])
    assert (run.status, run.progress_done, run.progress_total) == ("succeeded", 2, 2)
    assert run.counts == {"created": 2, "updated": 0, "skipped": 0, "new_customers": 0}
    assert run.triggered_by == admin_user
    assert Order.objects.count() == 2
    status = client.get(response.url)
    assert "Import finished: 2 orders created" in status.content.decode()


def test_a_large_file_with_bad_rows_is_not_queued_unless_they_are_skipped(
    client_for, manager, customers, settings, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_SYNC_MAX_ROWS = 1
    client = client_for(manager)
    upload(client, *GOOD_AND_BAD)
    client.get(reverse("sales:order-import-check"))
    assert client.post(reverse("sales:order-import-run")).url == reverse("sales:order-import-check")
    assert not JobRun.objects.filter(name="sales.import_orders").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sales:order-import-run"), {"skip_errors": "on"})
    assert JobRun.objects.get(name="sales.import_orders").counts["skipped"] == 1
    assert Order.objects.count() == 2


def test_a_job_that_already_recorded_its_counts_does_not_import_again(manager, customers, media_root):
    from sales.services.order_import import orders_import_store
    from sales.tasks import orders_import_file

    stored = orders_import_store(
        upload=SimpleUploadedFile("o.csv", b"customer_ref,ordered_at,total\nC-1,2024-05-01,1\n")
    )
    orders_import_file.apply(kwargs={"file_name": stored, "filename": "o.csv", "options": {}, "actor_id": manager.pk},
                             task_id="t-1")  # fmt: skip
    assert Order.objects.count() == 1
    stored = orders_import_store(
        upload=SimpleUploadedFile("o.csv", b"customer_ref,ordered_at,total\nC-1,2024-05-01,1\n")
    )
    orders_import_file.apply(kwargs={"file_name": stored, "filename": "o.csv", "options": {}, "actor_id": manager.pk},
                             task_id="t-1")  # fmt: skip  # a redelivery of the same run
    assert Order.objects.count() == 1


def test_the_progress_page_is_for_managers_and_admins(client_for, owner, manager, customers, settings):
    settings.CRM_IMPORT_SYNC_MAX_ROWS = 1
    client = client_for(manager)
    upload(client, "C-1,2024-05-01,10.00,A-1", "C-2,2024-05-01,5,")
    client.get(reverse("sales:order-import-check"))
    url = client.post(reverse("sales:order-import-run")).url
    assert client_for(owner).get(url).status_code == 403
