"""The global search's customer and company sections (settings.CRM_SEARCH_PROVIDERS)."""

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from crm_project.search import (
    MIN_CONTAINS_LENGTH,
    SearchResult,
    SearchSection,
    candidates,
    list_url,
    rank,
    ranked,
    text_filter,
    words,
)

from ..models import Company, Customer
from .customers import customer_search

CUSTOMER_FIELDS = ["first_name", "last_name", "email", "external_ref"]


def customers_section(*, user, query: str, limit: int) -> SearchSection:
    visible = Customer.objects.visible_to(user).select_related("company").order_by()
    # Long words go through the customer list's own search (names, email, phone,
    # reference, company); short ones match the start of a name, email or reference.
    long_words = " ".join(word for word in words(query) if len(word) >= MIN_CONTAINS_LENGTH)
    short_words = " ".join(word for word in words(query) if len(word) < MIN_CONTAINS_LENGTH)
    matches = customer_search(visible, long_words).filter(text_filter(CUSTOMER_FIELDS, short_words))
    # Through the b-trees on LOWER(email) and external_ref: equality through the
    # trigram indexes reads every "@example.com" entry.
    exact = visible.alias(email_lower=Lower("email")).filter(Q(email_lower=query.lower()) | Q(external_ref=query))
    found = [*exact[:limit], *matches[: candidates(limit)]]
    results = [
        SearchResult(
            kind="customer",
            label=customer.full_name,
            url=customer.get_absolute_url(),
            detail=" · ".join(filter(None, [customer.email, str(customer.company or "")])),
            rank=rank(query, customer.first_name, customer.last_name, exact=(customer.email, customer.external_ref)),
        )
        for customer in found
    ]
    return SearchSection(
        kind="customer",
        icon="bi-person",
        title=_("Customers"),
        results=ranked(results, limit=limit),
        more_url=list_url("customers:customer-list", query),
    )


def companies_section(*, user, query: str, limit: int) -> SearchSection:
    matches = Company.objects.visible_to(user).filter(text_filter(["name", "domain"], query)).order_by()
    results = [
        SearchResult(
            kind="company",
            label=company.name,
            url=company.get_absolute_url(),
            detail=company.domain,
            rank=rank(query, company.name, exact=(company.domain,)),
        )
        for company in matches[: candidates(limit)]
    ]
    return SearchSection(
        kind="company",
        icon="bi-building",
        title=_("Companies"),
        results=ranked(results, limit=limit),
        more_url=list_url("customers:company-list", query),
    )
