"""A stale edit is refused, not saved over someone else's change, and nothing is lost."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from crm_project.versioning import StaleEdit
from customers import services
from customers.forms.customers import CompanyForm, CustomerForm
from customers.models import Company, Customer
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db


def form_as_opened(form) -> dict:
    """What a browser posts back for an untouched form: every field's shown value."""
    data: dict[str, str | list[str]] = {}
    for field in form:
        value = field.value()
        if isinstance(value, list):
            data[field.name] = [str(getattr(item, "pk", item)) for item in value]
        elif value not in (None, ""):
            data[field.name] = str(value)
    return data


def open_customer_form(customer, user) -> dict:
    customer = Customer.objects.get(pk=customer.pk)
    return form_as_opened(CustomerForm(instance=customer, user=user, custom_fields=[]))


@pytest.fixture
def customer(owner, team):
    return CustomerFactory(owner=owner, team=team, first_name="Ada", last_name="Lovelace", job_title="Analyst")


def test_saving_raises_the_version_and_a_second_save_of_the_old_version_is_refused(owner, customer):
    services.customer_update(customer=customer, actor=owner, version=1, job_title="Engineer")
    assert Customer.objects.get(pk=customer.pk).version == 2
    stale = Customer.objects.get(pk=customer.pk)
    with pytest.raises(StaleEdit):
        services.customer_update(customer=stale, actor=owner, version=1, job_title="Poet")
    assert Customer.objects.get(pk=customer.pk).job_title == "Engineer"


def test_a_stale_save_shows_the_other_persons_change_and_keeps_both(client_for, owner, teammate, customer):
    url = reverse("customers:customer-edit", args=[customer.pk])
    mine = open_customer_form(customer, owner)
    theirs = open_customer_form(customer, owner)
    assert client_for(owner).post(url, {**theirs, "job_title": "Engineer"}).status_code == 302

    response = client_for(owner).post(url, {**mine, "city": "London"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Someone else saved this record while you were editing" in content
    assert 'value="Engineer"' in content  # their change is in the form now
    assert 'value="London"' in content  # and so is mine
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.job_title, stored.city) == ("Engineer", customer.city)

    again = {**mine, "city": "London", "job_title": "Engineer", **hidden_fields(response)}
    assert client_for(owner).post(url, again).status_code == 302
    stored.refresh_from_db()
    assert (stored.job_title, stored.city) == ("Engineer", "London")


def hidden_fields(response) -> dict:
    form = response.context["form"]
    return {"version": form["version"].value(), "opened": form["opened"].value()}


def test_a_field_both_people_changed_keeps_mine_and_names_theirs(client_for, owner, customer):
    url = reverse("customers:customer-edit", args=[customer.pk])
    mine = open_customer_form(customer, owner)
    client_for(owner).post(url, {**open_customer_form(customer, owner), "job_title": "Engineer"})

    response = client_for(owner).post(url, {**mine, "job_title": "Poet"})

    form = response.context["form"]
    assert form["job_title"].value() == "Poet"
    assert "Changed by someone else to “Engineer”" in " ".join(form.errors["job_title"])
    assert Customer.objects.get(pk=customer.pk).job_title == "Engineer"


def test_a_tag_added_in_bulk_survives_an_edit_form_opened_before_it(client_for, owner, manager, customer):
    vip = TagFactory(name="VIP")
    url = reverse("customers:customer-edit", args=[customer.pk])
    opened = open_customer_form(customer, owner)
    services.customers_add_tag(customers=Customer.objects.filter(pk=customer.pk), tag=vip, actor=manager)

    assert client_for(owner).post(url, {**opened, "job_title": "Engineer"}).status_code == 302

    customer.refresh_from_db()
    assert list(customer.tags.all()) == [vip]
    assert customer.job_title == "Engineer"


def test_unticking_a_tag_removes_only_that_tag(client_for, owner, customer):
    old, kept, added_meanwhile = TagFactory(name="Old"), TagFactory(name="Kept"), TagFactory(name="New")
    customer.tags.add(old, kept)
    opened = open_customer_form(customer, owner)
    customer.tags.add(added_meanwhile)

    data = {**opened, "tags": [str(kept.pk)]}
    client_for(owner).post(reverse("customers:customer-edit", args=[customer.pk]), data)

    assert set(customer.tags.values_list("name", flat=True)) == {"Kept", "New"}


def test_a_bulk_reassignment_makes_an_open_edit_form_stale(client_for, owner, teammate, manager, customer):
    opened = open_customer_form(customer, manager)
    services.customers_assign_owner(customers=Customer.objects.filter(pk=customer.pk), owner=teammate, actor=manager)

    response = client_for(manager).post(reverse("customers:customer-edit", args=[customer.pk]), opened)

    assert "Someone else saved this record" in response.content.decode()
    assert response.context["form"]["owner"].value() == str(teammate.pk)
    assert Customer.objects.get(pk=customer.pk).owner == teammate


def test_a_stale_company_edit_is_refused_and_the_other_change_kept(client_for, owner, team):
    company = CompanyFactory(owner=owner, team=team, name="Acme", industry="Steel")
    url = reverse("customers:company-edit", args=[company.pk])
    opened = form_as_opened(CompanyForm(instance=Company.objects.get(pk=company.pk), user=owner))
    client_for(owner).post(url, {**opened, "industry": "Rail"})

    response = client_for(owner).post(url, {**opened, "city": "Leeds"})

    assert "Someone else saved this record" in response.content.decode()
    assert response.context["form"]["industry"].value() == "Rail"
    assert Company.objects.get(pk=company.pk).industry == "Rail"


@pytest.mark.django_db(transaction=True)
def test_of_twenty_parallel_saves_of_one_version_exactly_one_wins(owner, customer):
    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL's row locks (SQLite serialises the whole database)")
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def save(number: int) -> None:
        try:
            barrier.wait()
            stale = Customer.objects.get(pk=customer.pk)
            services.customer_update(customer=stale, actor=owner, version=1, job_title=f"Title {number}")
            outcomes.append("saved")
        except StaleEdit:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * 19 + ["saved"]
    assert Customer.objects.get(pk=customer.pk).version == 2
