"""Reads of the customer database. Every list starts from `visible_to(user)`."""

import re
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import CharField, Count, F, Prefetch, Q, QuerySet, Value
from django.http import Http404

from accounts import roles
from crm_project.access import can_write, get_for_user
from crm_project.fragments import cached_rows
from crm_project.helpers import normalize_phone, rows_for_ids

from .. import registry
from ..models import Attachment, Company, ConsentEvent, Customer, CustomField, Interaction, Tag
from ..registry import TimelineSource
from ..timeline import IMPORT_CREATED


# --- access helpers: the only way views fetch one record ------------------------------
def customer_get_for_user(*, user, pk, write: bool = False) -> Customer:
    return get_for_user(Customer.objects.select_related("company", "owner", "team"), user=user, pk=pk, write=write)


def company_get_for_user(*, user, pk, write: bool = False) -> Company:
    return get_for_user(Company.objects.select_related("owner", "team"), user=user, pk=pk, write=write)


def interaction_get_for_user(*, user, pk) -> Interaction:
    """A timeline entry is visible exactly when its customer (or, without one, its company) is."""
    entry = interaction_list_for_user(user=user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def attachment_get_for_user(*, user, pk) -> Attachment:
    """An attachment is visible exactly when its customer or company is."""
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    if attachment.customer_id:
        customer_get_for_user(user=user, pk=attachment.customer_id)
    else:
        company_get_for_user(user=user, pk=attachment.company_id)
    return attachment


# --- who may do what (the pages and the API ask the same questions) ------------------------
def may_log_interactions(user, customer: Customer) -> bool:
    """Whoever may edit the customer logs notes and calls; so does a support agent,
    who reads every customer but edits none (a call is the agent's daily work)."""
    return can_write(user, customer) or roles.is_support_agent(user)


def may_create_customers(user) -> bool:
    return roles.is_manager_or_admin(user) or roles.is_sales_rep(user)


# --- lists ----------------------------------------------------------------------------
def customer_list_for_user(*, user) -> QuerySet[Customer]:
    return (
        Customer.objects.visible_to(user)
        .select_related("company", "owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


def customer_tag_names(*, customer_ids: list[int]) -> dict[int, list[str]]:
    """Each customer's tag names, by name: one query of two columns for a whole page,
    with no Tag objects built (the API's list reads only the names)."""
    names: dict[int, list[str]] = {}
    links = Customer.tags.through.objects.filter(customer_id__in=customer_ids).order_by("tag__name")
    for customer_id, name in links.values_list("customer_id", "tag__name"):
        names.setdefault(customer_id, []).append(name)
    return names


def customer_tag_badges(*, customer_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each customer's tags as (color, name), by name: one query for a list's page.

    Written in SQL: the ORM took 0.6 ms of CPU to build and compile this join of three
    columns on every freshly drawn list, the SQL 0.1 ms (issue 11). The names are quoted,
    as the fragment cache's recording reads them (crm_project.fragments.reading)."""
    links, using = Customer.tags.through, Customer.objects.db
    quote = connections[using].ops.quote_name
    link, tag = quote(links._meta.db_table), quote(Tag._meta.db_table)
    # Every column named "table"."column", no alias: the cache then knows which columns of the
    # tag links it reads, and an edit of a customer (which writes none) does not run it again.
    sql = (
        f"SELECT {link}.{quote('customer_id')}, {tag}.{quote('color')}, {tag}.{quote('name')}"  # noqa: S608 - names, not values
        f" FROM {link} INNER JOIN {tag} ON {link}.{quote('tag_id')} = {tag}.{quote('id')}"
        f" WHERE {link}.{quote('customer_id')} IN ({{ids}})"
        f" ORDER BY {tag}.{quote('name')}, {link}.{quote('tag_id')}"
    )
    badges: dict[int, list[tuple[str, str]]] = {}
    for customer_id, color, name in rows_for_ids(sql, customer_ids, using=using):
        badges.setdefault(customer_id, []).append((color, name))
    return badges


def company_list_for_user(*, user) -> QuerySet[Company]:
    return (
        Company.objects.visible_to(user)
        .select_related("owner")
        .annotate(people_count=Count("people", filter=Q(people__deleted_at__isnull=True)))
    )


def interaction_list_for_user(*, user) -> QuerySet[Interaction]:
    """Every timeline entry of the customers the user sees, and the company-only
    entries of the companies they see (a deleted customer's entries are gone with them)."""
    customers = Customer.objects.visible_to(user).values("pk")
    companies = Company.objects.visible_to(user).values("pk")
    return Interaction.objects.filter(
        Q(customer__in=customers) | Q(customer__isnull=True, company__in=companies)
    ).select_related("user")


# Only words made of phone characters search phone numbers ("kaya123" does not).
PHONE_LIKE = re.compile(r"[\d+()\-./]+")
# A word that matches more companies than this is too common to narrow by company.
COMPANY_MATCH_CAP = 500


def customer_search(queryset: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Every word must match the name, email, phone, external ref or company.

    On PostgreSQL each column has a trigram index on UPPER(column) (migration
    0002), so the OR of the conditions becomes a BitmapOr of index scans. The
    matching companies are looked up first, by their own index, because a
    subquery inside the OR would force a sequential scan of all customers."""
    for word in query.split()[:5]:
        company_ids = list(
            Company.objects.filter(name__icontains=word).values_list("pk", flat=True)[:COMPANY_MATCH_CAP]
        )
        condition = (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(external_ref__icontains=word)
            | Q(company_id__in=company_ids)
        )
        if PHONE_LIKE.fullmatch(word) and len(digits := normalize_phone(word).lstrip("+")) >= 3:
            condition |= Q(phone_normalized__icontains=digits)
        queryset = queryset.filter(condition)
    return queryset


def company_search(queryset: QuerySet[Company], query: str) -> QuerySet[Company]:
    for word in query.split()[:5]:
        queryset = queryset.filter(Q(name__icontains=word) | Q(domain__icontains=word))
    return queryset


def customer_possible_duplicates(
    *,
    user,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    company=None,
    exclude_pk=None,
) -> QuerySet[Customer]:
    """Customers the user can see that look like the same person."""
    condition = Q(pk__in=[])
    if email:
        condition |= Q(email__iexact=email.strip())
    phone_normalized = normalize_phone(phone)
    if len(phone_normalized.lstrip("+")) >= 6:
        condition |= Q(phone_normalized=phone_normalized)
    if last_name and company is not None:
        condition |= Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip(), company=company)
    queryset = Customer.objects.visible_to(user).filter(condition).select_related("company")
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset[:5]


# --- the 360° page --------------------------------------------------------------------
def customer_timeline(*, customer: Customer) -> QuerySet[Interaction]:
    return Interaction.objects.filter(customer=customer).select_related("user")


@dataclass(frozen=True)
class TimelineItem:
    template: str
    entry: object


INTERACTION_SOURCE = TimelineSource(
    name="interaction",
    rows=lambda customer: Interaction.objects.filter(customer=customer).values(
        origin=Value("interaction", output_field=CharField()), key=F("pk"), at=F("occurred_at")
    ),
    load=lambda pks: Interaction.objects.select_related("user").in_bulk(pks),
    template="customers/partials/timeline_entry.html",
)


def _import_rows(customer: Customer) -> QuerySet:
    """The entry of the import that created `customer`: an import writes one for all its new customers
    (services.imports), at the instant it gives each of them as created_at. No customer of its own, so
    INTERACTION_SOURCE never shows it too; the (customer, occurred_at) index finds it."""
    return Interaction.objects.filter(
        customer=None, company=None, action=IMPORT_CREATED, occurred_at=customer.created_at
    ).values(origin=Value("import", output_field=CharField()), key=F("pk"), at=F("occurred_at"))


IMPORT_SOURCE = TimelineSource(
    name="import",
    rows=_import_rows,
    load=lambda pks: Interaction.objects.select_related("user").in_bulk(pks),
    template="customers/partials/timeline_entry.html",
)


def timeline_sources() -> list[TimelineSource]:
    return [INTERACTION_SOURCE, IMPORT_SOURCE, *registry.timeline_sources()]


def customer_timeline_page(*, customer: Customer, number, per_page: int) -> Page:
    """One page of the customer's timeline: interactions and, through
    settings.CRM_TIMELINE_SOURCES, other apps' records (orders), newest first.

    One UNION query pages (origin, key, time) rows; then each source loads its
    page's objects in one query."""
    sources = {source.name: source for source in timeline_sources()}
    parts = [source.rows(customer).order_by() for source in sources.values()]  # no ORDER BY inside a UNION
    union = parts[0].union(*parts[1:], all=True).order_by("-at", "-key")
    page = Paginator(union, per_page).get_page(number)
    wanted: dict[str, list[int]] = {}
    for row in page.object_list:
        wanted.setdefault(row["origin"], []).append(row["key"])
    loaded = {name: sources[name].load(pks) for name, pks in wanted.items()}
    page.object_list = [
        TimelineItem(sources[row["origin"]].template, loaded[row["origin"]][row["key"]])
        for row in page.object_list
        if row["key"] in loaded[row["origin"]]
    ]
    return page


def company_timeline(*, company: Company) -> QuerySet[Interaction]:
    """The company's own entries and those of its people."""
    people = Customer.objects.filter(company=company).values("pk")
    return (
        Interaction.objects.filter(Q(company=company) | Q(customer__in=people))
        .select_related("user", "customer")
        .order_by("-occurred_at", "-pk")
    )


def customer_consent_log(*, customer: Customer) -> QuerySet[ConsentEvent]:
    return ConsentEvent.objects.filter(customer=customer).select_related("actor")


def custom_fields_active() -> list[CustomField]:
    """Read on every customer list and form: from the cache until a custom field changes."""
    return cached_rows(CustomField.objects.filter(is_active=True), key=("custom_fields_active",))


def custom_values_for_display(customer: Customer, fields: list[CustomField]) -> list[tuple[str, object]]:
    return [(field.label, customer.custom_data.get(field.key, "")) for field in fields]
