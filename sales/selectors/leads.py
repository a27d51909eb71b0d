"""Reads for leads: the list, the timeline, and what a conversion would match.

Views fetch one lead only through lead_get_for_user."""

from django.db.models import Q, QuerySet

from accounts import roles
from crm_project.access import NONE, OWN, can_write, get_for_user
from crm_project.helpers import email_domain
from customers.models import Company, Customer
from customers.selectors.customers import customer_possible_duplicates

from ..models import AssignmentRule, Lead, LeadActivity


def lead_get_for_user(*, user, pk, write: bool = False) -> Lead:
    return get_for_user(Lead.objects.select_related("owner", "team", "customer"), user=user, pk=pk, write=write)


def may_use_leads(user) -> bool:
    """Leads are for sales reps, managers and admins; support agents never see them."""
    return roles.is_manager_or_admin(user) or roles.is_sales_rep(user)


# The lead list's bulk actions.
REASSIGN, ASSIGN_BY_RULES = "reassign", "assign_rules"


def lead_bulk_actions(user) -> list[str]:
    """The bulk actions the user can use: reassigning is for managers and admins; applying the
    assignment rules needs unassigned leads the user may edit, which a rep has only when reps'
    scope reaches beyond their own leads (CRM_SCOPE_SALES_REP="team"). No action, no bulk bar."""
    actions = []
    if roles.is_manager_or_admin(user):
        actions.append(REASSIGN)
    if may_use_leads(user) and Lead.objects.write_scope(user) not in (NONE, OWN):
        actions.append(ASSIGN_BY_RULES)
    return actions


def lead_list_for_user(*, user) -> QuerySet[Lead]:
    return Lead.objects.visible_to(user).select_related("owner", "team")


def lead_search(queryset: QuerySet[Lead], query: str) -> QuerySet[Lead]:
    """Every word must match the first or last name, the email or the company name."""
    for word in query.split()[:5]:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company_name__icontains=word)
        )
    return queryset


def lead_timeline(*, lead: Lead) -> QuerySet[LeadActivity]:
    return LeadActivity.objects.filter(lead=lead).select_related("user")


def lead_company_matches(*, lead: Lead, user) -> list[Company]:
    """Companies the user can see that the lead probably works for: the same
    email domain (not a free-mail one) or the same name, ignoring case."""
    condition = Q(pk__in=[])
    domain = email_domain(lead.email)
    if domain:
        condition |= Q(domain__iexact=domain) | Q(domain__iexact=f"www.{domain}")
    if lead.company_name.strip():
        condition |= Q(name__iexact=lead.company_name.strip())
    return list(Company.objects.visible_to(user).filter(condition).order_by("name", "pk")[:5])


def lead_customer_matches(*, lead: Lead, user) -> list[Customer]:
    """Existing customers with the lead's email or phone that the user may add to."""
    if not (lead.email or lead.phone):
        return []
    candidates = customer_possible_duplicates(user=user, email=lead.email, phone=lead.phone)
    return [customer for customer in candidates if can_write(user, customer)]


def assignment_rule_list() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("team", "user", "last_assigned").order_by("position", "pk")
