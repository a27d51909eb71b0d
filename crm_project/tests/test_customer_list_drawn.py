"""A freshly drawn customer list is the same HTML with the shortcuts that make it cheaper
(issue 11) as without them: the filter form's class kept per process
(crm_project.lists.SharedFormFilterSet), the table's header cells and cell attributes kept
per process (crm_tags._fixed_cell), its columns copied shallowly (crm_project.lists.
ShallowCopiedColumns), no filter form for a list without filters, a page's rows put in the
order of their ids (crm_project.lists._rows_in_order), the bulk form and the column chooser
built only where they are drawn. Filters of every kind, sorts, languages and the kept
class's key included."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

import crm_project.lists
import crm_project.saved_views
import customers.views.customers
from accounts.tests.factories import UserFactory
from analytics.models import RfmSegment
from analytics.tests.clv_factory import clv_run
from customers.filters import CustomerFilter
from customers.models import CustomField
from customers.tables import CustomerTable
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")
# A masked CSRF token differs on every render.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


@pytest.fixture
def shown(owner):
    """Customers, a tag, two custom fields (a choice and a date) and lifetime values."""
    CustomField.objects.create(
        label="Region", key="region", field_type=CustomField.Type.CHOICE, choices="North\nSouth & <East>"
    )
    CustomField.objects.create(label="Since", key="since", field_type=CustomField.Type.DATE)
    tag = TagFactory(name="VIP")
    ada = CustomerFactory(
        owner=owner,
        first_name="Ada",
        company=CompanyFactory(name="Acme", owner=owner),
        lifecycle_stage="customer",
        custom_data={"region": "North", "since": "2026-01-05"},
    )
    ada.tags.add(tag)
    other = CustomerFactory(owner=owner, first_name="Grace", custom_data={"region": "South & <East>"})
    clv_run(scores={ada: {"clv": "1234.50"}, other: {"clv": "5.00"}})
    return {"owner": owner.pk, "tag": tag.pk, "segment": RfmSegment.objects.order_by("pk").first().pk}


QUERIES = {
    "none": lambda ids: {},
    "search, owner and stage": lambda ids: {"q": "ada", "owner": ids["owner"], "lifecycle_stage": "customer"},
    "custom fields": lambda ids: {"cf_region": "North", "cf_since": "2026-01-05"},
    "other apps' filters and a tag": lambda ids: {"rfm_segment": ids["segment"], "clv_min": "5", "tag": ids["tag"]},
    "columns, order and a date": lambda ids: {"cols": "email,tags", "sort": "-name", "created_after": "2020-01-01"},
    "another order": lambda ids: {"sort": "created_at", "country": "DE"},
    "an invalid value": lambda ids: {"owner": "999999", "created_before": "not a date"},
}


def page(client, query: dict) -> str:
    cache.clear()  # the list's content and its fragments are cached: draw it afresh
    response = client.get(LIST, query)
    assert response.status_code == 200
    return TOKEN.sub(r"\1…\"", response.content.decode())


def without_shortcuts(monkeypatch) -> None:
    """django-filter's own form class on every request; django-tables2's header cells, cell
    attributes and deep copies of the columns on every table; the filter form built before
    the chips ask whether it is valid; the rows ordered by the database; the forms built in
    the view."""
    chips, with_pk = crm_project.lists.filter_chips, crm_project.lists._with_pk

    def chips_from_the_form(filterset, request, **kwargs):
        filterset.form  # noqa: B018 - built, as it was before the FilterSet was asked
        return chips(filterset, request, **kwargs)

    def rows_ordered_by_the_database(queryset, ids):
        return list(queryset.order_by(*with_pk(queryset.query.order_by)).filter(pk__in=ids))

    monkeypatch.setattr(crm_project.lists, "filter_chips", chips_from_the_form)
    monkeypatch.setattr(crm_project.lists, "_rows_in_order", rows_ordered_by_the_database)
    monkeypatch.setattr(CustomerFilter, "form_shape", lambda self: None)
    monkeypatch.setattr(CustomerTable, "fixed_cells", False)
    monkeypatch.setattr(CustomerTable, "base_columns", dict(CustomerTable.base_columns))
    monkeypatch.setattr(customers.views.customers, "SimpleLazyObject", lambda make: make())
    monkeypatch.setattr(crm_project.saved_views, "SimpleLazyObject", lambda make: make())


@pytest.mark.parametrize("language", ["en", "tr"])
@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_freshly_drawn_customer_list_is_the_same_html_with_its_shortcuts(
    client_for, admin_user, shown, monkeypatch, language, query
):
    client = client_for(admin_user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    first = page(client, query(shown))  # builds the form class and the header cells
    kept = page(client, query(shown))  # from what the first kept
    without_shortcuts(monkeypatch)
    theirs = page(client, query(shown))

    assert first == kept == theirs
    assert 'id="bulk-form"' in kept and 'name="cf_region"' in kept and 'id="column-email"' in kept


def test_the_kept_form_class_follows_the_language(client_for, admin_user, shown):
    client = client_for(admin_user)
    assert "Created from" in page(client, {})
    client.post(reverse("set_language"), {"language": "tr", "next": "/"})

    html = page(client, {})

    assert "Created from" not in html and "Oluşturulma" in html


def test_a_custom_field_added_or_changed_after_the_form_class_was_kept_shows_at_once(client_for, admin_user, shown):
    client = client_for(admin_user)
    assert 'name="cf_tier"' not in page(client, {})
    field = CustomField.objects.create(label="Tier", key="tier", field_type=CustomField.Type.CHOICE, choices="Gold")
    assert 'name="cf_tier"' in page(client, {})
    field.choices = "Gold\nPlatinum"
    field.save()

    html = page(client, {"cf_tier": "Platinum"})

    assert '<option value="Platinum"' in html
    assert 'data-filter="cf_tier"' in html  # its chip: the new choice validates


def test_a_form_class_kept_from_a_filterset_without_a_request_still_lists_the_owners(
    client_for, admin_user, owner, shown
):
    # A FilterSet without a request offers no owners (customers.filters._users); its form
    # class is the list's, but the list's owner menu comes from the list's own request.
    assert (
        list(CustomerFilter(data={}, custom_fields=list(CustomField.objects.all())).form.fields["owner"].queryset) == []
    )

    html = page(client_for(admin_user), {"owner": owner.pk})

    assert 'data-filter="owner"' in html  # the owner validated, so its chip shows


def test_the_owner_filter_of_a_kept_form_class_validates_against_this_requests_users(client_for, admin_user, shown):
    client = client_for(admin_user)
    page(client, {})
    newcomer = UserFactory(username="nora")  # joined after the class was kept

    assert 'data-filter="owner"' in page(client, {"owner": newcomer.pk})


def test_columns_hidden_on_one_list_show_on_the_next(client_for, admin_user, shown):
    client = client_for(admin_user)
    assert 'id="customer-table"' in page(client, {"cols": "email"})
    shown_once_hidden = page(client, {})

    assert ">Phone</a></th>" in shown_once_hidden and ">Tags</th>" in shown_once_hidden
    assert not any(column.visible is False for column in CustomerTable.base_columns.values())


def test_a_filterset_left_with_some_of_its_filters_has_a_form_of_those_only():
    # The API leaves out the filters a request does not name (api.filters.FilterBackend).
    assert "country" in CustomerFilter(data={"country": "tr"}).form.fields
    trimmed = CustomerFilter(data={"lifecycle_stage": "customer", "country": "tr"})
    trimmed.filters = {"lifecycle_stage": trimmed.filters["lifecycle_stage"]}

    assert list(trimmed.form.fields) == ["lifecycle_stage"]
    assert "country" in CustomerFilter(data={"country": "tr"}).form.fields
