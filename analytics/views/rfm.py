"""The managers' RFM report, its "Run now" form and its CSV export."""

from django.http import HttpResponse

from crm_project.permissions import manager_or_admin_required


@manager_or_admin_required
def report(request):
    return HttpResponse("TODO")


@manager_or_admin_required
def run_now(request):
    return HttpResponse("TODO")


@manager_or_admin_required
def export(request):
    return HttpResponse("TODO")
