from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import is_admin, is_manager
from accounts.selectors import team_people
from crm_project.access import ALL

from .models import JobRun


def jobrun_list_for_user(*, user) -> QuerySet[JobRun]:
    """The runs a user may read (an import's run holds its rows' errors): their own;
    a manager's also those of the people in their teams and the scheduled runs
    nobody started (all runs when managers see everything); an admin's all."""
    runs = JobRun.objects.select_related("triggered_by")
    if is_admin(user) or (is_manager(user) and settings.CRM_SCOPE_MANAGER == ALL):
        return runs
    if is_manager(user):
        return runs.filter(Q(triggered_by__isnull=True) | Q(triggered_by__in=team_people(user)))
    return runs.filter(triggered_by=user)


def jobrun_get_for_user(*, user, pk, name: str) -> JobRun:
    """One run of the named job that the user may read (404 otherwise)."""
    run = jobrun_list_for_user(user=user).filter(pk=pk, name=name).first()
    if run is None:
        raise Http404
    return run


def jobrun_error_message(run: JobRun) -> str:
    """The log keeps the traceback; users read its last line ("…Error: message")."""
    lines = run.error.strip().splitlines()
    return lines[-1].split(": ", 1)[-1] if lines else ""


def jobrun_counts(*, task_id: str) -> dict | None:
    return JobRun.objects.filter(task_id=task_id).values_list("counts", flat=True).first()
