"""The global search's tickets section (settings.CRM_SEARCH_PROVIDERS): by number
("#123" or "123"), subject and customer email, starting from the access helper;
never a message body (a sales rep reads tickets here too)."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from crm_project.search import SearchResult, SearchSection, candidates, list_url, rank, ranked, text_filter

from ..models import Ticket
from .lists import may_use_support
from .tickets import tickets_visible_to

FIELDS = ["subject", "customer__email"]


def tickets_section(*, user, query: str, limit: int) -> SearchSection:
    visible = tickets_visible_to(user).select_related("customer").order_by()
    reference = query.strip().removeprefix("#")
    found: list[Ticket] = []
    if reference.isdigit() and len(reference) < 10:
        found += visible.filter(pk=int(reference))[:1]
    if "@" in query:
        found += visible.filter(customer__email__iexact=query.strip())[:limit]
    found += visible.filter(text_filter(FIELDS, query) & ~Q(pk__in=[t.pk for t in found]))[: candidates(limit)]
    results = [
        SearchResult(
            kind="ticket",
            label=f"#{ticket.pk} {ticket.subject}",
            url=reverse("support:ticket-detail", args=[ticket.pk]),
            detail=" · ".join(filter(None, [ticket.customer.full_name, ticket.get_status_display()])),
            rank=rank(query, ticket.subject, exact=(f"#{ticket.pk}", str(ticket.pk), ticket.customer.email)),
        )
        for ticket in found
    ]
    return SearchSection(
        kind="ticket",
        icon="bi-life-preserver",
        title=_("Tickets"),
        results=ranked(results, limit=limit),
        # The list shows unsolved tickets by default; a search looks at every status.
        more_url=list_url("support:ticket-list", query) + "&status=all" if may_use_support(user) else "",
    )
