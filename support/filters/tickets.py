"""The ticket list's filters (also the CSV export's).

Status defaults to the unsolved tickets: an agent's list is what still needs
work. `?status=all` shows every status, `?status=unsolved` is the shortcut
the default applies, and single statuses combine (`?status=new&status=open`)."""

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import User
from customers.models import Tag

from ..models import Priority, Queue, Ticket
from ..selectors.lists import sla_state_q, ticket_search
from ..selectors.tickets import queues_for_user

UNSOLVED, ANY_STATUS = "unsolved", "all"
STATUS_CHOICES = [(UNSOLVED, _("Unsolved")), *Ticket.Status.choices, (ANY_STATUS, _("Any status"))]
SLA_CHOICES = [
    ("breached", _("Breached")),
    ("near", _("Breaching within an hour")),
    ("due_soon", _("Breached or breaching within an hour")),
    ("ok", _("On track")),
    ("none", _("No running clock")),
]


def _queues(request):
    return queues_for_user(request.user).order_by("name") if request else Queue.objects.none()


def assignees_for(user):
    """The active agents of the user's queues, and the user."""
    members = User.objects.filter(support_queues__in=queues_for_user(user).values("pk")).values("pk")
    mine = Q(pk__in=members, is_active=True) | Q(pk=user.pk)
    return User.objects.filter(mine).order_by("first_name", "last_name", "pk")


def _assignees(request):
    return assignees_for(request.user) if request else User.objects.none()


class StatusSelect(forms.Select):
    """One status from the bar's select; links may still combine several
    (`?status=new&status=open`), which the chip then lists."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


class AssigneeFilter(django_filters.ModelChoiceFilter):
    def chip_display(self, value) -> str:
        return str(_("Unassigned")) if value == self.null_value else str(value)


class StatusFilter(django_filters.MultipleChoiceFilter):
    def chip_display(self, value) -> str:
        labels = dict(STATUS_CHOICES)
        return ", ".join(str(labels.get(item, item)) for item in value)


class TicketFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "queue", "status", "assignee")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("#number, subject, email, message")}),
    )
    queue = django_filters.ModelChoiceFilter(label=_("Queue"), queryset=_queues)  # type: ignore[arg-type]  # stubs omit callable querysets
    status = StatusFilter(
        label=_("Status"),
        choices=STATUS_CHOICES,
        method="filter_status",
        widget=StatusSelect,
    )
    assignee = AssigneeFilter(
        label=_("Assignee"),
        queryset=_assignees,  # type: ignore[arg-type]  # stubs omit callable querysets
        null_label=_("Unassigned"),
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    tag = django_filters.ModelChoiceFilter(label=_("Tag"), field_name="tags", queryset=Tag.objects.all())
    sla = django_filters.ChoiceFilter(label=_("SLA"), choices=SLA_CHOICES, method="filter_sla")
    # Set by the customer page's "All tickets" link; not shown as a field.
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Ticket
        fields = ["q", "queue", "status", "assignee", "priority", "tag", "sla"]

    def __init__(self, data=None, *args, **kwargs):
        # Bound even without parameters, so that the default status applies to the bare list.
        super().__init__(QueryDict() if data is None else data, *args, **kwargs)

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return ticket_search(queryset, value, notes=self._sees_notes())

    def _sees_notes(self) -> bool:
        # The list is for those who work tickets; a sales rep who is also an agent
        # may read other queues' tickets without their notes, so their search skips notes.
        user = getattr(self.request, "user", None)
        return user is not None and (roles.is_admin(user) or not roles.is_sales_rep(user))

    def filter_status(self, queryset, name, value):
        chosen = set(value or [UNSOLVED])
        if ANY_STATUS in chosen:
            return queryset
        statuses = {status for status in chosen if status not in (UNSOLVED, ANY_STATUS)}
        if UNSOLVED in chosen:
            statuses |= set(Ticket.UNSOLVED_STATUSES)
        return queryset.filter(status__in=sorted(statuses))

    def filter_sla(self, queryset, name, value):
        return queryset.filter(sla_state_q(value, timezone.now())) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # No status chosen: the default still applies (method filters skip empty values).
        if not self.form.cleaned_data.get("status"):
            queryset = self.filter_status(queryset, "status", None)
        return queryset
