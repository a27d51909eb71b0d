"""The kit's background jobs (reading a large upload once, outside any request; deleting the
uploads nobody finished importing, on beat), and what the apps' import jobs share."""

from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from . import services


def import_kind(prefix: str) -> services.ImportKind:
    """The ImportKind an app registered in settings.CRM_IMPORT_KINDS (a lower app never names a higher one)."""
    return import_string(settings.CRM_IMPORT_KINDS[prefix])


@shared_task(base=JobTask, bind=True, name="imports.prepare_file", label=_("Reading an import file"))
def prepare_file(self, name: str, kind: str, filename: str):
    """Read a stored upload into its row table; return {rows}. A re-run finds the table read and returns it."""
    try:
        table = services.upload_prepare(name, kind=import_kind(kind), filename=filename, progress=self.progress)
    except services.ImportFileError:
        services.upload_delete(name)
        raise
    return {"rows": table.row_count}


@shared_task(base=JobTask, bind=True, name="imports.prune_uploads", label=_("Deleting abandoned import files"))
def prune_uploads(self):
    """Delete the stored uploads (and what was read from them) left for more than a day; on beat,
    hourly (settings.CELERY_BEAT_SCHEDULE), so no upload request lists the folder."""
    return {"deleted": services.uploads_prune()}


@contextmanager
def upload_used_by_job(name: str) -> Iterator[None]:
    """An import job's hold on its stored upload: deleted once the import has ended
    (done, or refused), kept when the job crashes or retries so a restarted run
    reads it again."""
    try:
        yield
    except services.ImportFileError:
        services.upload_delete(name)
        raise
    services.upload_delete(name)


def refuse_if_rejected(result) -> None:
    """Rows had errors and "skip bad rows" was off: nothing was written, and the job
    fails with the first error so the job log says why."""
    if result.rejected:
        first = result.errors[0]
        raise services.ImportFileError(
            f"Rows with errors: {result.bad_rows}, so nothing was imported (first: row {first.row}: {first.message})"
        )
