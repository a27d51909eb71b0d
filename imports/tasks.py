"""The kit's background job: reading a large upload once, outside any request."""

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
