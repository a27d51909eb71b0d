from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.admin import ConfigHistoryAdmin, ReadOnlyAdmin

from .models import ClvRun, RfmRun, RfmSegment
from .selectors.rfm import rfm_segment_table, rfm_segments


@admin.register(RfmSegment)
class RfmSegmentAdmin(ConfigHistoryAdmin):
    """The segment rules: applied by position, a later match overriding an earlier one."""

    list_display = ["position", "name", "pattern", "color", "meaning"]
    list_display_links = ["name"]
    list_editable = ["position", "pattern"]
    ordering = ["position", "pk"]


@admin.register(RfmRun)
class RfmRunAdmin(ReadOnlyAdmin):
    """Runs are written by the scoring service only; the admin shows them. Their
    scores have a composite primary key, which Django's admin cannot list: a run's
    page shows its segment sizes and links to the report, where its scores are."""

    list_display = ["pk", "as_of", "window_days", "n_scored", "trigger", "triggered_by", "finished_at", "scores_kept"]
    list_filter = ["trigger", "scores_kept"]
    readonly_fields = ["segment_sizes", "scores"]

    @admin.display(description=_("customers per segment"))
    def segment_sizes(self, obj):
        rows = rfm_segment_table(obj, rfm_segments())
        return format_html_join(mark_safe("<br>"), "{}: {}", ((row.name, row.customers) for row in rows))

    @admin.display(description=_("scores"))
    def scores(self, obj):
        if not obj.scores_kept:
            return _("Only the latest runs keep their scores.")
        url = reverse("analytics:rfm") + f"?run={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Open this run in the RFM report"))


@admin.register(ClvRun)
class ClvRunAdmin(ReadOnlyAdmin):
    """CLV fits are written by the fit service only (the weekly job, "Run now", manage.py clv_fit);
    the admin shows each run's parameters and figures. Its scores are on the CLV report."""

    list_display = [
        "pk", "calibration_end", "holdout_end", "unit", "n_customers", "n_repeat", "log_likelihood",
        "trigger", "triggered_by", "finished_at", "scores_kept",
    ]  # fmt: skip
    list_filter = ["trigger", "unit", "scores_kept"]
    readonly_fields = ["parameters"]

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        figures = [*obj.bgnbd_params.items(), *obj.gamma_gamma_params.items()]
        return format_html_join(", ", "{} = {}", ((name, f"{value:.4g}") for name, value in figures))
