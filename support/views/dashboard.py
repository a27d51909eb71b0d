"""The support managers' dashboard (/support/dashboard/): managers and admins only.

The charts are drawn by static/js/support_dashboard.js from a json_script blob;
the same figures are in the table under each chart."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm_project.permissions import manager_or_admin_required

from ..models import Ticket
from ..selectors.dashboard import BACKLOG_STATUSES, Dashboard, dashboard_for_user


@manager_or_admin_required
def dashboard(request):
    data = dashboard_for_user(user=request.user, now=timezone.now())
    statuses = dict(Ticket.Status.choices)
    context = {
        "data": data,
        "status_labels": [statuses[status] for status in BACKLOG_STATUSES],
        "chart_data": _chart_data(data, statuses),
        "crumbs": [(_("Support dashboard"), None)],
    }
    return render(request, "support/dashboard.html", context)


def _chart_data(data: Dashboard, statuses: dict) -> dict:
    """The blob static/js/support_dashboard.js draws from (times in business minutes)."""
    queues = [row.queue.name for row in data.backlog]
    return {
        "backlog": {
            "labels": queues,
            "series": [
                {"name": str(statuses[status]), "values": [row.by_status.get(status, 0) for row in data.backlog]}
                for status in BACKLOG_STATUSES
            ],
        },
        "times": {
            key: {
                "labels": [row.label for row in rows],
                "median": [row.median for row in rows],
                "p90": [row.p90 for row in rows],
                "target": [row.target_max for row in rows],
            }
            for key, rows in (("first_response", data.first_response), ("resolution", data.resolution))
        },
        "breaches": {
            "labels": queues,
            "first_response": [row.first_response_late for row in data.backlog],
            "resolution": [row.resolution_late for row in data.backlog],
            "now": [row.breached_now for row in data.backlog],
        },
        "csat": {
            "labels": [date_format(week.week, "SHORT_DATE_FORMAT") for week in data.csat],
            "average": [week.average for week in data.csat],
            "answered": [week.answered for week in data.csat],
        },
        "names": {
            "median": _("Median"),
            "p90": _("90th percentile"),
            "target": _("Target (longest)"),
            "first_response_late": _("First response late"),
            "resolution_late": _("Resolved late"),
            "breached_now": _("Breached now"),
            "average": _("Average score"),
            "answered": _("Answered surveys"),
            "minutes": _("business minutes"),
        },
    }
