import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from crm_project.lists import CellTemplateColumn

from .models import JobRun
from .tasks import job_label


class JobRunTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "status", "created_at")

    name = tables.Column(verbose_name=_("Job"))
    status = CellTemplateColumn(template_name="jobs/partials/status_badge.html", verbose_name=_("Status"))
    trigger = CellTemplateColumn(
        template_name="jobs/partials/trigger.html", verbose_name=_("Started by"), order_by=("trigger",)
    )
    progress = CellTemplateColumn(
        template_name="jobs/partials/progress.html", verbose_name=_("Progress"), orderable=False
    )
    counts = CellTemplateColumn(template_name="jobs/partials/counts.html", verbose_name=_("Result"), orderable=False)

    class Meta:
        model = JobRun
        fields = ("name", "status", "trigger", "created_at", "started_at", "finished_at", "progress", "counts")
        order_by = ("-created_at",)

    def render_name(self, value):
        return job_label(value)
