from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from customers.models import Attachment, ConsentEvent, Customer, Interaction
from customers.services.merge import NOTES_SEPARATOR, customer_merge
from customers.tests.factories import CompanyFactory, CustomerFactory, InteractionFactory, TagFactory

pytestmark = pytest.mark.django_db


def merge_url(first, second) -> str:
    return reverse("customers:customer-merge", args=[first.pk, second.pk])


def attachment_for(customer) -> Attachment:
    return Attachment.objects.create(
        customer=customer, file="attachments/contract.pdf", original_name="contract.pdf", size=10,
        content_type="application/pdf",
    )  # fmt: skip


def consent_event_for(customer, *, status=Customer.Consent.OPTED_IN) -> ConsentEvent:
    return ConsentEvent.objects.create(customer=customer, status=status, source=ConsentEvent.Source.MANUAL)


def audit_entry(customer, action) -> Interaction:
    return Interaction.objects.get(customer=customer, action=action)


@pytest.fixture
def pair(owner, team):
    survivor = CustomerFactory(owner=owner, team=team, first_name="Ann", last_name="Lee", email="ann@example.com")
    other = CustomerFactory(owner=owner, team=team, first_name="Anne", last_name="Lee", email="ANN@example.com")
    return survivor, other


# --- the service ------------------------------------------------------------------
def test_merging_moves_interactions_consent_events_and_attachments_to_the_survivor(pair, owner):
    survivor, other = pair
    call = InteractionFactory(customer=other)
    event = consent_event_for(other)
    attachment = attachment_for(other)

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    for row in (call, event, attachment):
        row.refresh_from_db()
        assert row.customer_id == survivor.pk


def test_merging_leaves_no_row_of_any_model_pointing_at_the_merged_customer(pair, owner):
    """Every foreign key to Customer (today's and later apps') is followed."""
    survivor, other = pair
    InteractionFactory(customer=other)
    consent_event_for(other)
    attachment_for(other)

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    relations = [r for r in Customer._meta.related_objects if r.one_to_many or r.one_to_one]
    assert {r.related_model for r in relations} >= {Interaction, ConsentEvent, Attachment}
    for relation in relations:
        rows = relation.related_model._base_manager.filter(**{relation.field.name: other})
        if relation.related_model is Interaction:
            rows = rows.exclude(action="customer.merged_away")
        assert not rows.exists(), relation.related_model


def test_the_survivor_gets_the_union_of_both_records_tags(pair, owner):
    survivor, other = pair
    shared, vip, press = TagFactory(name="shared"), TagFactory(name="vip"), TagFactory(name="press")
    survivor.tags.set([shared, vip])
    other.tags.set([shared, press])

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    assert set(survivor.tags.values_list("name", flat=True)) == {"shared", "vip", "press"}


def test_merging_keeps_the_chosen_values_and_normalises_the_phone(pair, owner, teammate, team):
    survivor, other = pair
    acme = CompanyFactory(owner=owner, name="Acme")

    customer_merge(
        survivor=survivor, other=other, actor=owner,
        field_values={"first_name": "Anne", "phone": "+49 (30) 999-888", "company": acme, "owner": teammate},
    )  # fmt: skip

    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.email) == ("Anne", "ann@example.com")
    assert survivor.phone_normalized == "+4930999888"
    assert (survivor.company, survivor.owner, survivor.team) == (acme, teammate, team)


def test_fields_left_out_keep_the_survivors_value_or_take_the_others_when_empty(pair, owner):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(job_title="", city="Berlin")
    Customer.objects.filter(pk=other.pk).update(job_title="Buyer", city="Hamburg")

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert (survivor.job_title, survivor.city) == ("Buyer", "Berlin")


def test_custom_data_of_both_records_is_kept_with_the_survivors_values_winning(pair, owner):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(custom_data={"size": "L", "colour": ""})
    Customer.objects.filter(pk=other.pk).update(custom_data={"size": "M", "colour": "red", "shoe": 42})

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert survivor.custom_data == {"size": "L", "colour": "red", "shoe": 42}


def test_the_merged_customer_is_soft_deleted(pair, owner):
    survivor, other = pair

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    assert not Customer.objects.filter(pk=other.pk).exists()
    assert Customer.all_objects.get(pk=other.pk).deleted_at is not None
    assert Customer.objects.filter(pk=survivor.pk).exists()


def test_merging_writes_an_audit_entry_on_both_records(pair, owner):
    survivor, other = pair

    customer_merge(survivor=survivor, other=other, field_values={"first_name": "Anne"}, actor=owner)

    merged = audit_entry(survivor, "customer.merged")
    assert merged.user == owner
    assert merged.data["merged"] == other.pk
    assert merged.data["fields"]["first_name"] == "Anne"
    merged_away = audit_entry(other, "customer.merged_away")
    assert merged_away.data == {"merged_into": survivor.pk, "merged_into_name": "Anne Lee"}
    assert merged_away.kind == Interaction.Kind.SYSTEM


def test_the_survivor_can_take_the_others_external_reference(pair, owner):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(external_ref="SHOP-1")
    Customer.objects.filter(pk=other.pk).update(external_ref="SHOP-2")

    customer_merge(survivor=survivor, other=other, field_values={"external_ref": "SHOP-2"}, actor=owner)

    survivor.refresh_from_db()
    assert survivor.external_ref == "SHOP-2"
    assert Customer.all_objects.get(pk=other.pk).external_ref == ""


def test_the_others_external_reference_fills_an_empty_one_on_the_survivor(pair, owner):
    survivor, other = pair
    Customer.objects.filter(pk=other.pk).update(external_ref="SHOP-2")

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert survivor.external_ref == "SHOP-2"


def test_both_notes_are_kept_unless_one_is_chosen(pair, owner):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(notes="Prefers calls.")
    Customer.objects.filter(pk=other.pk).update(notes="Met at the fair.")

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert survivor.notes == f"Prefers calls.{NOTES_SEPARATOR}Met at the fair."


def test_the_most_recent_consent_decision_is_kept(pair, owner):
    survivor, other = pair
    now = timezone.now()
    Customer.objects.filter(pk=survivor.pk).update(
        email_consent=Customer.Consent.OPTED_IN, email_consent_at=now - timedelta(days=30)
    )
    Customer.objects.filter(pk=other.pk).update(email_consent=Customer.Consent.OPTED_OUT, email_consent_at=now)

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert (survivor.email_consent, survivor.email_consent_at) == (Customer.Consent.OPTED_OUT, now)


def test_an_older_consent_on_the_other_record_does_not_override_the_survivors(pair, owner):
    survivor, other = pair
    now = timezone.now()
    Customer.objects.filter(pk=survivor.pk).update(email_consent=Customer.Consent.OPTED_OUT, email_consent_at=now)
    Customer.objects.filter(pk=other.pk).update(
        email_consent=Customer.Consent.OPTED_IN, email_consent_at=now - timedelta(days=1)
    )

    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    survivor.refresh_from_db()
    assert survivor.email_consent == Customer.Consent.OPTED_OUT


def test_a_customer_cannot_be_merged_with_itself(pair, owner):
    survivor, _ = pair

    with pytest.raises(ValidationError):
        customer_merge(survivor=survivor, other=survivor, field_values={}, actor=owner)


def test_an_already_merged_customer_cannot_be_merged_again(pair, owner):
    survivor, other = pair
    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    with pytest.raises(ValidationError):
        customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)


def test_unknown_fields_are_refused(pair, owner):
    survivor, other = pair

    with pytest.raises(ValueError, match="deleted_at"):
        customer_merge(survivor=survivor, other=other, field_values={"deleted_at": None}, actor=owner)


def test_related_rows_are_moved_with_one_update_per_model(pair, owner, django_assert_max_num_queries):
    survivor, other = pair
    InteractionFactory.create_batch(20, customer=other)
    relations = [r for r in Customer._meta.related_objects if not r.many_to_many]
    # Lock, clean, save, tags (2), consent log... plus one update (or exists+update) per relation,
    # and the two audit entries: nothing grows with the number of rows.
    budget = 12 + 2 * len(relations)

    with django_assert_max_num_queries(budget):
        customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    assert survivor.interactions.exclude(kind=Interaction.Kind.SYSTEM).count() == 20


def test_every_relation_to_customer_is_a_foreign_key_or_many_to_many():
    """Guard for later apps: a new kind of relation needs a look at _move_related."""
    for relation in Customer._meta.related_objects:
        assert isinstance(relation, models.ForeignObjectRel)
        assert relation.one_to_many or relation.one_to_one or relation.many_to_many


# --- the merge screen ------------------------------------------------------------------
def test_the_merge_screen_shows_the_differing_fields_side_by_side(client_for, owner, pair):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(notes="Prefers calls.", city="Berlin")
    Customer.objects.filter(pk=other.pk).update(notes="Met at the fair.", city="Berlin")

    response = client_for(owner).get(merge_url(survivor, other))

    assert response.status_code == 200
    form = response.context["form"]
    differing = {field.name for field, *_ in form.value_rows}
    assert {"first_name", "email", "phone", "notes"} <= differing
    assert not differing & {"last_name", "city", "country"}
    assert [label for _, label in form.fields["notes"].choices] == ["Prefers calls.", "Met at the fair.", "Both"]
    assert form["notes"].initial == "both"
    page = response.content.decode()
    for text in ("ann@example.com", "ANN@example.com", "Ann", "Anne", "Record to keep", "Merge"):
        assert text in page


def test_the_merge_screen_query_count_is_pinned(client_for, owner, pair, django_assert_num_queries):
    survivor, other = pair
    InteractionFactory.create_batch(5, customer=other)
    client = client_for(owner)

    # Session, user, roles; each customer through the access helper; custom field labels.
    with django_assert_num_queries(6):
        client.get(merge_url(survivor, other))


def test_an_empty_value_on_the_first_record_defaults_to_the_others(client_for, owner, pair):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(job_title="")
    Customer.objects.filter(pk=other.pk).update(job_title="Buyer")

    form = client_for(owner).get(merge_url(survivor, other)).context["form"]

    assert form["job_title"].initial == str(other.pk)
    assert form["first_name"].initial == str(survivor.pk)


def test_posting_the_form_merges_and_redirects_to_the_survivor_with_a_message(client_for, owner, pair):
    survivor, other = pair
    InteractionFactory(customer=other)

    response = client_for(owner).post(
        merge_url(survivor, other),
        {"survivor": other.pk, "first_name": survivor.pk, "email": other.pk, "phone": survivor.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer-detail", args=[other.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Ann Lee was merged into Ann Lee."]
    kept = Customer.objects.get(pk=other.pk)
    assert (kept.first_name, kept.email, kept.phone) == ("Ann", "ANN@example.com", survivor.phone)
    assert not Customer.objects.filter(pk=survivor.pk).exists()
    assert kept.interactions.filter(kind=Interaction.Kind.CALL).count() == 1


def test_choosing_both_notes_keeps_both(client_for, owner, pair):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(notes="Prefers calls.")
    Customer.objects.filter(pk=other.pk).update(notes="Met at the fair.")
    data = {"survivor": survivor.pk, "first_name": survivor.pk, "email": survivor.pk, "phone": survivor.pk}

    client_for(owner).post(merge_url(survivor, other), {**data, "notes": "both"})

    survivor.refresh_from_db()
    assert "Prefers calls." in survivor.notes
    assert "Met at the fair." in survivor.notes


def test_choosing_one_note_keeps_only_that_one(client_for, owner, pair):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(notes="Prefers calls.")
    Customer.objects.filter(pk=other.pk).update(notes="Met at the fair.")
    data = {"survivor": survivor.pk, "first_name": survivor.pk, "email": survivor.pk, "phone": survivor.pk}

    client_for(owner).post(merge_url(survivor, other), {**data, "notes": other.pk})

    survivor.refresh_from_db()
    assert survivor.notes == "Met at the fair."


def test_a_custom_field_value_can_be_chosen(client_for, owner, pair):
    survivor, other = pair
    Customer.objects.filter(pk=survivor.pk).update(custom_data={"size": "L"})
    Customer.objects.filter(pk=other.pk).update(custom_data={"size": "M", "shoe": 42})
    data = {"survivor": survivor.pk, "first_name": survivor.pk, "email": survivor.pk, "phone": survivor.pk}

    client_for(owner).post(merge_url(survivor, other), {**data, "custom__size": other.pk, "custom__shoe": other.pk})

    survivor.refresh_from_db()
    assert survivor.custom_data == {"size": "M", "shoe": 42}


def test_an_invalid_choice_shows_the_form_again(client_for, owner, pair):
    survivor, other = pair

    response = client_for(owner).post(merge_url(survivor, other), {"survivor": 999999})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Customer.objects.filter(pk=other.pk).exists()


def test_an_outsider_gets_404_for_someone_elses_customers(client_for, outsider, pair):
    survivor, other = pair
    client = client_for(outsider)

    assert client.get(merge_url(survivor, other)).status_code == 404
    assert client.post(merge_url(survivor, other), {"survivor": survivor.pk}).status_code == 404
    assert Customer.objects.filter(pk=other.pk).exists()


def test_an_outsider_cannot_pull_a_foreign_customer_into_their_own(client_for, outsider, pair):
    survivor, _ = pair
    theirs = CustomerFactory(owner=outsider, email="ann@example.com")

    assert client_for(outsider).get(merge_url(theirs, survivor)).status_code == 404


def test_a_support_agent_may_not_merge(client_for, agent, pair):
    survivor, other = pair

    assert client_for(agent).get(merge_url(survivor, other)).status_code == 403


def test_a_manager_may_merge_the_teams_customers(client_for, manager, pair):
    survivor, other = pair

    response = client_for(manager).post(
        merge_url(survivor, other),
        {"survivor": survivor.pk, "first_name": survivor.pk, "email": survivor.pk, "phone": survivor.pk},
    )

    assert response.status_code == 302
    assert audit_entry(survivor, "customer.merged").user == manager


def test_merging_a_customer_with_itself_is_not_found(client_for, owner, pair):
    survivor, _ = pair

    assert client_for(owner).get(merge_url(survivor, survivor)).status_code == 404


def test_a_merged_customer_can_no_longer_be_opened_for_merging(client_for, owner, pair):
    survivor, other = pair
    customer_merge(survivor=survivor, other=other, field_values={}, actor=owner)

    assert client_for(owner).get(merge_url(survivor, other)).status_code == 404


# --- in a browser -------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rep_reviews_a_pair_and_merges_it_in_the_browser(login_in_browser, owner, live_server):
    from playwright.sync_api import expect

    first = CustomerFactory(owner=owner, first_name="Ann", last_name="Lee", email="ann@example.com", job_title="")
    second = CustomerFactory(
        owner=owner, first_name="Anne", last_name="Lee", email="ann@example.com", job_title="Buyer"
    )
    page = login_in_browser(owner)

    page.goto(f"{live_server.url}{reverse('customers:duplicate-list')}")
    page.get_by_role("link", name="Review and merge").click()
    page.get_by_label(f"Keep Anne Lee (#{second.pk})").check()
    expect(page.get_by_role("group", name="First name").get_by_label("Anne")).to_be_checked()
    page.get_by_role("group", name="First name").get_by_label("Ann", exact=True).check()
    page.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("alert")).to_contain_text("was merged into Ann Lee")
    assert page.url.endswith(reverse("customers:customer-detail", args=[second.pk]))
    kept = Customer.objects.get(pk=second.pk)
    assert (kept.first_name, kept.job_title) == ("Ann", "Buyer")
    assert not Customer.objects.filter(pk=first.pk).exists()
