"""Background jobs of the customers app."""

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from imports.tasks import refuse_if_rejected, upload_used_by_job
from jobs.services import job_enqueue
from jobs.tasks import JobTask

from .services import imports


@shared_task(
    base=JobTask, bind=True, name="customers.import_file",
    label=_("Customer import"),
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3,
)  # fmt: skip
def customers_import_file(self, file_name: str, mapping: dict, options: dict, actor_id: int | None):
    """Import a stored upload (as the import kit read it) with the mapping the user chose;
    report progress and return {created, updated, skipped}.

    Safe to run twice: the rows are written in one transaction, and a run that
    already succeeded returns its recorded counts. Even a second real run would
    only update the customers the first one created (rows match by
    external_ref, then email), never duplicate them.
    """
    if self.job_run is not None and self.job_run.counts:
        return self.job_run.counts
    actor = User.objects.get(pk=actor_id, is_active=True) if actor_id else None
    with upload_used_by_job(file_name):
        table = imports.import_file_open(file_name, display_name=options.get("filename", ""))
        result = imports.customers_import(
            table=table, mapping=mapping, actor=actor, skip_errors=bool(options.get("skip_errors")),
            progress=self.progress,
        )  # fmt: skip
        refuse_if_rejected(result)
    return result.counts


def customers_import_enqueue(*, stored_name: str, filename: str, mapping: dict, skip_errors: bool, actor: User):
    """Run a large import as a background job (sent after the transaction commits)."""
    return job_enqueue(
        task=customers_import_file,
        actor=actor,
        kwargs={
            "file_name": stored_name,
            "mapping": mapping,
            "options": {"skip_errors": skip_errors, "filename": filename},
            "actor_id": actor.pk,
        },
    )
