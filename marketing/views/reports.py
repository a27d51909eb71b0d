"""A campaign's report page (managers and marketers)."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..models import Campaign
from ..permissions import marketing_required
from ..selectors import reports


@require_GET
@marketing_required
def campaign_report(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    report = reports.campaign_report(campaign=campaign)
    chart = {
        "labels": [row.segment or "—" for row in report.rows],
        "recipients": [_number(row.revenue_per_recipient) for row in report.rows],
        "holdout": [_number(row.holdout_revenue_per_member) for row in report.rows],
        "currency": report.currency,
        "names": {"recipients": _("Recipients"), "holdout": _("Holdout")},
    }
    return render(request, "marketing/campaign_report.html", {"report": report, "chart_data": chart})


def _number(value) -> str | None:
    return None if value is None else str(value)
