"""Filters for the task list: whose tasks, open or done, when due, priority, related record."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Task
from ..selectors.todos import task_assignees_for
from ..services.todos import local_day_bounds

ME, EVERYONE = "", "all"
WHEN_CHOICES = [("overdue", _("Overdue")), ("today", _("Due today")), ("week", _("Due in the next 7 days"))]
RELATED_CHOICES = [
    ("customer", _("A customer")),
    ("deal", _("A deal")),
    ("lead", _("A lead")),
    ("none", _("Nothing")),
]


class TaskFilter(django_filters.FilterSet):
    """The list shows the viewer's own tasks unless a manager picks a team member or everyone."""

    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "assignee", "when")

    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title")}),
    )
    assignee = django_filters.ChoiceFilter(label=_("Assignee"), method="noop", empty_label=_("Me"))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("open", _("Open")), ("done", _("Done"))],
        method="filter_status",
        empty_label=_("Any"),
    )
    when = django_filters.ChoiceFilter(
        label=_("Due"), choices=WHEN_CHOICES, method="filter_when", empty_label=_("Any time")
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Task.Priority.choices, empty_label=_("Any"))
    related = django_filters.ChoiceFilter(
        label=_("Related to"), choices=RELATED_CHOICES, method="filter_related", empty_label=_("Anything")
    )

    class Meta:
        model = Task
        fields = ["q", "assignee", "status", "when", "priority", "related"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        # Open tasks unless the user chose otherwise ("Any" sends an empty status).
        data = data.copy() if data is not None else {}
        data.setdefault("status", "open")
        super().__init__(data, *args, request=request, **kwargs)
        self.user = request.user
        others = [user for user in task_assignees_for(request.user) if user.pk != request.user.pk]
        if others:
            choices = [(EVERYONE, _("Everyone I manage"))] + [(str(user.pk), str(user)) for user in others]
            self.filters["assignee"].extra["choices"] = choices
            self._assignee_ids = {user.pk for user in others}
        else:
            del self.filters["assignee"]
            self._assignee_ids = set()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        choice = self.form.cleaned_data.get("assignee", ME) if "assignee" in self.filters else ME
        if choice == EVERYONE:
            return queryset.filter(owner_id__in=self._assignee_ids | {self.user.pk})
        if choice and int(choice) in self._assignee_ids:
            return queryset.filter(owner_id=int(choice))
        return queryset.filter(owner=self.user)

    def noop(self, queryset, name, value: str):
        return queryset  # applied in filter_queryset, where "Me" (empty) also filters

    def filter_status(self, queryset, name, value):
        return queryset.filter(done_at__isnull=value == "open")

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        start_of_today, end_of_today = local_day_bounds(timezone.localdate(now))
        if value == "overdue":
            return queryset.filter(done_at__isnull=True, due_at__lt=now)
        if value == "today":
            return queryset.filter(due_at__gte=start_of_today, due_at__lt=end_of_today)
        return queryset.filter(due_at__gte=now, due_at__lt=end_of_today + timedelta(days=7))

    def filter_related(self, queryset, name, value):
        if value == "none":
            return queryset.filter(customer__isnull=True, deal__isnull=True, lead__isnull=True)
        return queryset.filter(~Q(**{f"{value}__isnull": True}))
