from customers.models import Customer
from customers.selectors import customers as selectors
from customers.tests.factories import CompanyFactory, CustomerFactory


def names(queryset):
    return sorted(c.last_name for c in queryset)


def test_search_matches_every_word_across_name_email_and_company(owner):
    acme = CompanyFactory(name="Acme Corp")
    CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", company=acme)
    CustomerFactory(owner=owner, first_name="Ada", last_name="Byron")
    CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    assert names(selectors.customer_search(Customer.objects.all(), "ada")) == ["Byron", "Lovelace"]
    assert names(selectors.customer_search(Customer.objects.all(), "ada acme")) == ["Lovelace"]
    assert names(selectors.customer_search(Customer.objects.all(), "navy.example")) == ["Hopper"]


def test_search_finds_phone_numbers_whatever_their_formatting(owner):
    CustomerFactory(owner=owner, last_name="Caller", phone="+49 30 1234567", phone_normalized="+49301234567")
    assert names(selectors.customer_search(Customer.objects.all(), "030-1234567"[1:])) == ["Caller"]
    assert names(selectors.customer_search(Customer.objects.all(), "1234 567")) == ["Caller"]
    assert names(selectors.customer_search(Customer.objects.all(), "1234 999")) == []  # every word must match


def test_search_results_respect_scope(owner, outsider):
    CustomerFactory(owner=owner, last_name="Mine")
    CustomerFactory(owner=outsider, last_name="Theirs")
    found = selectors.customer_search(selectors.customer_list_for_user(user=owner), "i")
    assert names(found) == ["Mine"]


def test_possible_duplicates_by_email_phone_or_name_and_company(owner):
    acme = CompanyFactory(name="Acme")
    existing = CustomerFactory(
        owner=owner,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+44 20 7946 0018",
        phone_normalized="+442079460018",
        company=acme,
    )
    assert list(selectors.customer_possible_duplicates(user=owner, email="ADA@example.com")) == [existing]
    assert list(selectors.customer_possible_duplicates(user=owner, phone="+44 (20) 7946-0018")) == [existing]
    by_name = selectors.customer_possible_duplicates(user=owner, first_name="ada", last_name="LOVELACE", company=acme)
    assert list(by_name) == [existing]
    assert not selectors.customer_possible_duplicates(user=owner, first_name="Ada", last_name="Lovelace")


def test_possible_duplicates_only_among_visible_customers(owner, outsider):
    CustomerFactory(owner=outsider, email="shared@example.com")
    assert not selectors.customer_possible_duplicates(user=owner, email="shared@example.com")


def test_the_company_timeline_includes_its_peoples_entries(owner):
    from customers.tests.factories import InteractionFactory

    acme = CompanyFactory()
    person = CustomerFactory(owner=owner, company=acme)
    InteractionFactory(customer=person, company=None, summary="Person call")
    InteractionFactory(customer=None, company=acme, summary="Company note")
    summaries = set(selectors.company_timeline(company=acme).values_list("summary", flat=True))
    assert summaries == {"Person call", "Company note"}
