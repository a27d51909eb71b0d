import pytest
from django.urls import reverse
from django.utils import timezone

from customers.selectors import duplicates as selectors_duplicates
from customers.selectors.duplicates import EMAIL, NAME, PHONE, duplicate_pairs_for_user
from customers.tests.factories import CompanyFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:duplicate-list")


def pairs_of(user) -> dict[tuple[int, int], list[str]]:
    return {(pair.first_id, pair.second_id): pair.reasons for pair in duplicate_pairs_for_user(user=user)}


def mine(user, **fields):
    return CustomerFactory(owner=user, **fields)


# --- the selector -----------------------------------------------------------------
def test_customers_with_the_same_email_in_any_case_are_a_pair(owner):
    ann = mine(owner, email="Ann@Example.com")
    other_ann = mine(owner, email="ann@example.com")
    mine(owner, email="bob@example.com")

    assert pairs_of(owner) == {(ann.pk, other_ann.pk): [EMAIL]}


def test_customers_without_an_email_are_not_paired_by_it(owner):
    mine(owner, email="")
    mine(owner, email="")

    assert pairs_of(owner) == {}


def test_customers_with_the_same_normalised_phone_are_a_pair(owner):
    first = mine(owner, phone="+49 30 555 1234", phone_normalized="+49305551234")
    second = mine(owner, phone="+49 (30) 555-12-34", phone_normalized="+49305551234")

    assert pairs_of(owner) == {(first.pk, second.pk): [PHONE]}


def test_short_or_empty_phone_numbers_are_not_paired(owner):
    mine(owner, phone="12345", phone_normalized="12345")
    mine(owner, phone="12345", phone_normalized="12345")
    mine(owner, phone="+12345", phone_normalized="+12345")
    mine(owner, phone="+12345", phone_normalized="+12345")
    mine(owner, phone="", phone_normalized="")
    mine(owner, phone="", phone_normalized="")

    assert pairs_of(owner) == {}


def test_the_same_name_within_the_same_company_is_a_pair(owner):
    acme, other_company = CompanyFactory(owner=owner), CompanyFactory(owner=owner)
    first = mine(owner, first_name="Ann", last_name="Lee", company=acme)
    second = mine(owner, first_name="ann ", last_name="LEE", company=acme)
    mine(owner, first_name="Ann", last_name="Lee", company=other_company)
    mine(owner, first_name="Ann", last_name="Lee", company=None)
    mine(owner, first_name="Ann", last_name="Lee", company=None)

    assert pairs_of(owner) == {(first.pk, second.pk): [NAME]}


def test_a_pair_linked_by_several_reasons_appears_once_with_each_reason(owner):
    acme = CompanyFactory(owner=owner)
    same = {"email": "ann@example.com", "phone": "+49 30 5551234", "phone_normalized": "+49305551234"}
    first = mine(owner, first_name="Ann", last_name="Lee", company=acme, **same)
    second = mine(owner, first_name="Ann", last_name="Lee", company=acme, **same)

    assert pairs_of(owner) == {(first.pk, second.pk): [EMAIL, PHONE, NAME]}


def test_a_group_of_three_gives_three_pairs_and_never_pairs_a_customer_with_itself(owner):
    people = [mine(owner, email="team@example.com") for _ in range(3)]
    a, b, c = (person.pk for person in people)

    pairs = pairs_of(owner)

    assert set(pairs) == {(a, b), (a, c), (b, c)}
    assert all(first < second for first, second in pairs)


def test_a_large_group_is_capped_to_its_first_members(owner):
    people = [mine(owner, email="info@example.com") for _ in range(selectors_duplicates.MAX_GROUP_MEMBERS + 2)]
    kept = {person.pk for person in people[: selectors_duplicates.MAX_GROUP_MEMBERS]}

    pairs = pairs_of(owner)

    assert len(pairs) == 45
    assert {pk for pair in pairs for pk in pair} == kept


def test_deleted_customers_are_not_paired(owner):
    mine(owner, email="ann@example.com")
    mine(owner, email="ann@example.com", deleted_at=timezone.now())

    assert pairs_of(owner) == {}


def test_a_rep_sees_no_pairs_involving_customers_of_others(owner, teammate, outsider, team):
    mine(owner, email="ann@example.com")
    CustomerFactory(owner=outsider, email="ann@example.com")
    CustomerFactory(owner=teammate, team=team, email="ann@example.com")

    assert pairs_of(owner) == {}


def test_a_manager_sees_pairs_within_the_team_and_an_admin_sees_all(
    owner, teammate, outsider, manager, admin_user, team
):
    mine_ = CustomerFactory(owner=owner, team=team, email="ann@example.com")
    theirs = CustomerFactory(owner=teammate, team=team, email="ann@example.com")
    outside = CustomerFactory(owner=outsider, email="ann@example.com")

    assert pairs_of(manager) == {(mine_.pk, theirs.pk): [EMAIL]}
    assert set(pairs_of(admin_user)) == {(mine_.pk, theirs.pk), (mine_.pk, outside.pk), (theirs.pk, outside.pk)}


def test_pairs_are_loaded_with_both_customers_and_their_reason_labels(owner):
    mine(owner, email="ann@example.com", first_name="Ann")
    mine(owner, email="ann@example.com", first_name="Anne")

    (pair,) = selectors_duplicates.duplicate_pairs_load(duplicate_pairs_for_user(user=owner))

    assert (pair.first.first_name, pair.second.first_name) == ("Ann", "Anne")
    assert [str(label) for label in pair.reason_labels] == ["Same email"]


# --- the page -----------------------------------------------------------------------
def test_the_page_lists_each_pair_with_its_reason_and_a_merge_link(client_for, owner):
    acme = CompanyFactory(owner=owner, name="Acme")
    ann = mine(owner, first_name="Ann", last_name="Lee", email="ann@example.com", phone="+49 30 111111", company=acme)
    anne = mine(owner, first_name="Anne", last_name="Lee", email="ANN@example.com", phone="+49 30 222222")

    response = client_for(owner).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Ann Lee", "Anne Lee", "ann@example.com", "ANN@example.com", "+49 30 111111", "+49 30 222222", "Acme"):
        assert text in page
    assert "Same email" in page
    assert "Review and merge" in page
    assert reverse("customers:customer-merge", args=[ann.pk, anne.pk]) in page


def test_the_page_says_so_when_there_are_no_duplicates(client_for, owner):
    mine(owner)

    response = client_for(owner).get(URL)

    assert "No likely duplicates" in response.content.decode()


def test_the_page_shows_twenty_five_pairs_at_a_time(client_for, owner):
    for number in range(30):
        mine(owner, email=f"pair{number}@example.com")
        mine(owner, email=f"pair{number}@example.com")
    client = client_for(owner)

    first_page = client.get(URL)
    second_page = client.get(URL, {"page": 2})

    assert len(first_page.context["page"].object_list) == 25
    assert len(second_page.context["page"].object_list) == 5


def test_a_support_agent_may_not_open_the_duplicates_page(client_for, agent):
    assert client_for(agent).get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_page_query_count_does_not_grow_with_the_number_of_pairs(client_for, owner, django_assert_num_queries):
    acme = CompanyFactory(owner=owner)
    client = client_for(owner)

    def add_pairs(count):
        for _ in range(count):
            first = mine(owner, company=acme)
            mine(owner, company=acme, email=first.email, phone=first.phone, phone_normalized=first.phone_normalized)

    # Session, user, roles; one query per reason; the page's customers.
    add_pairs(1)
    with django_assert_num_queries(7):
        client.get(URL)
    add_pairs(20)
    with django_assert_num_queries(7):
        client.get(URL)
