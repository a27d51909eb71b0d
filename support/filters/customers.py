"""Support's filters of the customer list (settings.CRM_CUSTOMER_LIST_FILTERS), which
also drive its exports and bulk actions: customers with open tickets, and the score
of their last answered satisfaction survey (1-5, or none)."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from ..models import CsatSurvey, Ticket

YES, NO, NONE = "yes", "no", "none"


def _read_later(queryset, name, value):
    return queryset  # applied in apply(), after the list's own filters


def _open_tickets(tickets: QuerySet[Ticket]) -> Exists:
    return Exists(tickets.filter(customer=OuterRef("pk"), status__in=Ticket.UNSOLVED_STATUSES))


def _last_score() -> Subquery:
    answered = CsatSurvey.objects.filter(ticket__customer=OuterRef("pk"), answered_at__isnull=False)
    return Subquery(answered.order_by("-answered_at", "-pk").values("score")[:1])


class SupportCustomerFilters:
    def declare(self) -> dict[str, django_filters.Filter]:
        return {
            "open_tickets": django_filters.ChoiceFilter(
                label=_("Open tickets"), choices=[(YES, _("Has open tickets")), (NO, _("No open tickets"))],
                method=_read_later,
            ),
            "last_csat": django_filters.ChoiceFilter(
                label=_("Last satisfaction score"),
                choices=[*((str(score), str(score)) for score in range(1, 6)), (NONE, _("No answered survey"))],
                method=_read_later,
            ),
        }  # fmt: skip

    def apply(self, queryset: QuerySet[Customer], data: dict[str, Any]) -> QuerySet[Customer]:
        return self._apply(queryset, data, tickets=Ticket.objects.all())

    def _apply(self, queryset: QuerySet[Customer], data: dict[str, Any], *, tickets) -> QuerySet[Customer]:
        wanted = data.get("open_tickets")
        if wanted == YES:
            queryset = queryset.filter(_open_tickets(tickets))
        elif wanted == NO:
            queryset = queryset.exclude(_open_tickets(tickets))
        score = data.get("last_csat")
        if score == NONE:
            answered = CsatSurvey.objects.filter(ticket__customer=OuterRef("pk"), answered_at__isnull=False)
            queryset = queryset.exclude(Exists(answered))
        elif score:
            queryset = queryset.alias(support_last_csat=_last_score()).filter(support_last_csat=int(score))
        return queryset

    def scope_note(self, data: dict[str, Any], *, user) -> str | None:
        """An agent sees every customer but only their queues' tickets: say when some
        customers are listed for open tickets the user cannot open."""
        if data.get("open_tickets") != YES:
            return None
        customers = Customer.objects.visible_to(user)
        total = self.apply(customers, data).count()
        mine = self._apply(customers, data, tickets=Ticket.objects.visible_to(user)).count()
        if mine >= total:
            return None
        return _("%(other)s of %(total)s have open tickets only in queues you do not work.") % {
            "other": total - mine,
            "total": total,
        }


SUPPORT_CUSTOMER_FILTERS = SupportCustomerFilters()
