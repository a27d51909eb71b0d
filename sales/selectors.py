"""Reads of the sales app. Access helpers: the only way views fetch one record."""

from crm_project.access import get_for_user

from .models import Deal, Lead, Task


def deal_get_for_user(*, user, pk, write: bool = False) -> Deal:
    queryset = Deal.objects.select_related("customer", "company", "pipeline", "stage", "owner", "team")
    return get_for_user(queryset, user=user, pk=pk, write=write)


def lead_get_for_user(*, user, pk, write: bool = False) -> Lead:
    return get_for_user(Lead.objects.select_related("owner", "team", "customer"), user=user, pk=pk, write=write)


def task_get_for_user(*, user, pk, write: bool = False) -> Task:
    queryset = Task.objects.select_related("owner", "customer", "deal", "lead")
    return get_for_user(queryset, user=user, pk=pk, write=write)
