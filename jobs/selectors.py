from .models import JobRun


def jobrun_list():
    return JobRun.objects.select_related("triggered_by")
