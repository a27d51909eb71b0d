"""The customer import as a background job survives a worker killed mid-import (real workers, both brokers)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from customers.services import imports
from customers.tasks import customers_import_enqueue
from jobs.models import JobRun
from jobs.tests.worker import STALE_AFTER, finished, housekeeping_restarts, kill_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


# --- the customer import, killed mid-run ------------------------------------------------------------
# Kept apart so that it follows the import's own changes: what starts a large import
# as a job, and what it should have written.
def start_customer_import(*, rows: int, actor) -> JobRun:
    lines = ["First name,Last name,E-mail,ID"] + [f"Ada,Person{n},p{n}@example.com,R-{n}" for n in range(rows)]
    upload = SimpleUploadedFile("people.csv", "\n".join(lines).encode())
    stored = imports.import_file_store(upload=upload)
    mapping = imports.import_mapping_guess(stored.table.headers, [])
    return customers_import_enqueue(
        stored_name=stored.name, filename="people.csv", mapping=mapping, skip_errors=False, actor=actor
    )


def imported_customers() -> int:
    return Customer.objects.count()


def test_a_customer_import_whose_worker_was_killed_finishes_with_the_right_counts(workers, owner):
    rows = 30_000
    first = workers.start("first")
    run = start_customer_import(rows=rows, actor=owner)
    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).progress_done > 0, seconds=60, every=0.05)

    kill_worker(first)
    run.refresh_from_db()
    assert run.progress_done < rows and imported_customers() == 0, "killed too late: the import had finished"
    workers.start("second")
    assert wait_for(housekeeping_restarts(run), seconds=STALE_AFTER + 10)

    assert wait_for(finished(run), seconds=180), "the restarted import did not finish"
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert (run.counts, run.restarts) == ({"created": rows, "updated": 0, "skipped": 0}, 1)
    assert imported_customers() == rows
