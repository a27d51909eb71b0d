from django.http import Http404

from accounts.roles import is_manager_or_admin

from .models import JobRun


def jobrun_list():
    return JobRun.objects.select_related("triggered_by")


def jobrun_get_for_user(*, user, pk, name: str) -> JobRun:
    """One run of the named job, for the user who started it, managers and admins (404 otherwise)."""
    run = JobRun.objects.filter(pk=pk, name=name).first()
    if run is None or not (run.triggered_by_id == user.pk or is_manager_or_admin(user)):
        raise Http404
    return run


def jobrun_error_message(run: JobRun) -> str:
    """The log keeps the traceback; users read its last line ("…Error: message")."""
    lines = run.error.strip().splitlines()
    return lines[-1].split(": ", 1)[-1] if lines else ""


def jobrun_counts(*, task_id: str) -> dict | None:
    return JobRun.objects.filter(task_id=task_id).values_list("counts", flat=True).first()
