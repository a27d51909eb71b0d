"""The global search's sales sections (settings.CRM_SEARCH_PROVIDERS): leads,
deals, orders by reference, and tasks. Each starts from `visible_to(user)`;
leads and deals also need a sales role, as their lists and board do."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm_project.access import can_write
from crm_project.search import SearchResult, SearchSection, candidates, list_url, rank, ranked, text_filter

from ..models import Deal, Lead, Task
from ..templatetags.sales_tags import money
from .deals import may_use_sales
from .leads import may_use_leads
from .orders import order_list_for_user

LEAD_FIELDS = ["first_name", "last_name", "email", "company_name"]


def leads_section(*, user, query: str, limit: int) -> SearchSection | None:
    if not may_use_leads(user):
        return None
    visible = Lead.objects.visible_to(user).order_by()
    found = list(visible.filter(text_filter(LEAD_FIELDS, query))[: candidates(limit)])
    if "@" in query:
        found += visible.filter(email__iexact=query)[:limit]
    results = [
        SearchResult(
            kind="lead",
            label=lead.full_name,
            url=lead.get_absolute_url(),
            detail=" · ".join(filter(None, [lead.email, lead.company_name, lead.get_status_display()])),
            rank=rank(query, lead.first_name, lead.last_name, lead.company_name, exact=(lead.email,)),
        )
        for lead in found
    ]
    return SearchSection(
        kind="lead",
        icon="bi-person-plus",
        title=_("Leads"),
        results=ranked(results, limit=limit),
        more_url=list_url("sales:lead-list", query),
    )


def deals_section(*, user, query: str, limit: int) -> SearchSection | None:
    if not may_use_sales(user):
        return None
    matches = Deal.objects.visible_to(user).filter(text_filter(["title"], query)).order_by()
    matches = matches.select_related("customer", "stage")
    results = [
        SearchResult(
            kind="deal",
            label=deal.title,
            url=deal.get_absolute_url(),
            detail=" · ".join([deal.customer.full_name, deal.stage.display_name, money(deal.amount, deal.currency)]),
            rank=rank(query, deal.title),
        )
        for deal in matches[: candidates(limit)]
    ]
    return SearchSection(
        kind="deal",
        icon="bi-briefcase",
        title=_("Deals"),
        results=ranked(results, limit=limit),
        more_url=list_url("sales:deal-list", query),
    )


def orders_section(*, user, query: str, limit: int) -> SearchSection:
    """Orders by their reference; an exact reference is looked up on its own, so
    "BO-12" is first even when thousands of references contain it."""
    visible = order_list_for_user(user=user).order_by()
    reference = "".join(query.split())
    found = [
        *visible.filter(order_ref__iexact=reference)[:limit],
        *visible.filter(text_filter(["order_ref"], reference))[: candidates(limit)],
    ]
    results = [
        SearchResult(
            kind="order",
            label=str(order),
            url=reverse("sales:order-detail", args=[order.pk]),
            detail=" · ".join(
                [
                    order.customer.full_name,
                    date_format(timezone.localtime(order.ordered_at), "SHORT_DATE_FORMAT"),
                    money(order.total, order.currency),
                ]
            ),
            rank=rank(reference, exact=(order.order_ref,)),
        )
        for order in found
    ]
    return SearchSection(
        kind="order",
        icon="bi-receipt",
        title=_("Orders"),
        results=ranked(results, limit=limit),
        more_url=list_url("sales:order-list", reference),
    )


def tasks_section(*, user, query: str, limit: int) -> SearchSection | None:
    if not may_use_sales(user):
        return None
    matches = Task.objects.visible_to(user).filter(text_filter(["title"], query)).order_by()
    results = [
        SearchResult(
            kind="task",
            label=task.title,
            # Tasks have no page of their own: the edit form, or the list for read-only ones.
            url=reverse("sales:task-edit", args=[task.pk])
            if can_write(user, task)
            else list_url("sales:task-list", task.title),
            detail=_("done") if task.done_at else date_format(timezone.localtime(task.due_at), "SHORT_DATETIME_FORMAT"),
            rank=rank(query, task.title),
        )
        for task in matches[: candidates(limit)]
    ]
    return SearchSection(
        kind="task",
        icon="bi-check2-square",
        title=_("Tasks"),
        results=ranked(results, limit=limit),
        more_url=list_url("sales:task-list", query),
    )
