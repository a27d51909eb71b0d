"""A sales rep works with customers in a real Chromium, as a person would."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Customer, Interaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_creates_a_customer_logs_a_call_and_finds_it_by_search(login_in_browser, owner, live_server):
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_label("Company").fill("Navy Labs")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    expect(page.get_by_role("alert")).to_contain_text("Grace Hopper was added.")

    # Log a call: htmx adds it to the timeline without reloading the page.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Summary").fill("Discussed the compiler project")
    page.get_by_role("button", name="Log it").click()
    timeline = page.locator("#timeline-entries")
    expect(timeline).to_contain_text("Call: Discussed the compiler project")
    expect(page.get_by_label("Summary")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    customer = Customer.objects.get(last_name="Hopper")
    assert Interaction.objects.filter(customer=customer, kind="call").count() == 1

    # Find her again from the search box in the top bar.
    page.get_by_role("combobox", name="Search").fill("hopper navy")
    page.get_by_role("combobox", name="Search").press("Enter")
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")


def test_the_duplicate_warning_links_to_the_existing_customer(login_in_browser, owner, live_server):
    from customers.tests.factories import CustomerFactory

    existing = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}/customers/new/")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ADA@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    expect(page.locator("#duplicate-candidates").get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", existing.get_absolute_url()
    )
    page.get_by_label("This is a different person: create anyway").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lovelace")


def test_a_rep_imports_a_csv_with_one_bad_row_through_the_dry_run(login_in_browser, owner, live_server):
    csv_path = Path(__file__).parent / "data" / "import_one_bad_row.csv"
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(csv_path)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Map columns")
    page.get_by_role("button", name="Check").click()
    errors = page.locator("table", has_text="Problem")
    expect(errors).to_contain_text("email")
    assert Customer.objects.count() == 0  # the dry run writes nothing
    page.get_by_label("Skip bad rows").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("1 skipped")
    assert Customer.objects.count() == len(csv_path.read_text().strip().splitlines()) - 2


def test_a_stale_edit_is_refused_and_the_other_persons_change_is_kept(login_in_browser, owner, manager, live_server):
    from customers import services
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory(owner=owner, team=owner.teams.first(), first_name="Ada", last_name="Lovelace")
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}/customers/{customer.pk}/edit/")
    page.get_by_label("City").fill("London")
    # Meanwhile the manager changes the job title and saves first.
    services.customer_update(customer=Customer.objects.get(pk=customer.pk), actor=manager, version=1, job_title="CTO")

    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Someone else saved this record while you were editing")
    expect(page.get_by_label("Job title")).to_have_value("CTO")
    expect(page.get_by_label("City")).to_have_value("London")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    saved = Customer.objects.get(pk=customer.pk)
    assert (saved.job_title, saved.city) == ("CTO", "London")


def test_a_turkish_reader_reads_a_customers_timeline_in_turkish(login_in_browser, owner, live_server):
    from customers.services import customer_create, customer_update

    customer = customer_create(actor=owner, first_name="Ayşe", last_name="Demir", email="old@example.com")
    customer_update(customer=customer, actor=owner, email="ayse@example.com")
    owner.language = "tr"
    owner.save(update_fields=["language"])

    page = login_in_browser(owner)
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    entry = page.locator("#timeline-entries li[data-kind='system']").first
    expect(entry).to_contain_text("e-posta değişti")
    expect(page.locator("#timeline-entries")).not_to_contain_text("Changed email")
    expect(page.locator("#timeline-entries")).to_contain_text("Müşteri oluşturuldu")
