"""The task list's table. Rows render through sales/partials/task_row.html, the same
partial that the complete/reopen actions return, so htmx can swap one row."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from ..models import Task


class TaskTable(tables.Table):
    done = tables.Column(verbose_name=_("Done"), accessor="done_at", orderable=False)
    title = tables.Column(verbose_name=_("Task"))
    due_at = tables.Column(verbose_name=_("Due"))
    priority = tables.Column(verbose_name=_("Priority"))
    related = tables.Column(verbose_name=_("Related to"), accessor="pk", orderable=False)
    owner = tables.Column(verbose_name=_("Assignee"), order_by=("owner__first_name", "owner__last_name"))

    class Meta:
        model = Task
        fields = ("done", "title", "due_at", "priority", "related", "owner")
        order_by = ("due_at",)
        template_name = "sales/partials/task_table.html"
        attrs = {"class": "table table-hover align-middle mb-0", "id": "task-table"}
