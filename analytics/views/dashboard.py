"""The managers' overview (/analytics/) and the cohort report (/analytics/cohorts/)."""

from django.http import HttpResponse

from crm_project.permissions import manager_or_admin_required


@manager_or_admin_required
def overview(request):
    return HttpResponse("TODO")


@manager_or_admin_required
def cohorts(request):
    return HttpResponse("TODO")


@manager_or_admin_required
def cohorts_export(request):
    return HttpResponse("TODO")
