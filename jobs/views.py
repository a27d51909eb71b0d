from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_project.lists import FilteredTableView
from crm_project.permissions import ManagerOrAdminRequiredMixin, manager_or_admin_required

from . import selectors, services
from .filters import JobRunFilter
from .tables import JobRunTable
from .tasks import job_label, runnable_jobs


class JobRunListView(ManagerOrAdminRequiredMixin, FilteredTableView):
    table_class = JobRunTable
    filterset_class = JobRunFilter
    template_name = "jobs/jobrun_list.html"
    page_title = gettext_lazy("Job log")

    def get_queryset(self):
        return selectors.jobrun_list_for_user(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["runnable_jobs"] = sorted((job_label(name), name) for name in runnable_jobs())
        return context


@require_POST
@manager_or_admin_required
def job_run_now(request, name):
    task = runnable_jobs().get(name)
    if task is None:
        raise Http404
    services.job_enqueue(task=task, actor=request.user)
    messages.success(request, _("%(job)s was queued.") % {"job": job_label(name)})
    return redirect("jobs:list")
