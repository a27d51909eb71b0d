"""Background jobs of the marketing app."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from .services import sequences


@shared_task(base=JobTask, bind=True, name="marketing.sequences_run", label=_("Drip sequences"))
def sequences_run(self):
    """Beat, every few minutes: enrol, exit and advance the drip sequences; counts go to the job log."""
    return sequences.sequences_run()
