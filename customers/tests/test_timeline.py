"""System entries are stored as an action with parameters and read in the reader's language."""

import importlib

import pytest
from django.utils import translation

from customers import timeline
from customers.models import Interaction
from customers.services import customer_update, customers_add_tag, timeline_record
from customers.tests.factories import CustomerFactory, InteractionFactory, TagFactory
from customers.timeline_backfill import backfill, parse

MIGRATION = importlib.import_module("customers.migrations.0006_timeline_parameters")


def test_a_missing_parameter_falls_back_to_the_stored_summary():
    with translation.override("tr"):
        text = timeline.sentence(action="customer.tagged", data={"tag": 3}, summary="Tagged VIP")
    assert text == "Tagged VIP"


def test_an_unknown_action_falls_back_to_the_stored_summary():
    with translation.override("tr"):
        text = timeline.sentence(action="ticket.opened", data={"title": "Help"}, summary="Ticket opened")
    assert text == "Ticket opened"


def test_a_field_that_no_longer_exists_is_shown_by_its_code():
    with translation.override("tr"):
        text = timeline.sentence(action="customer.updated", data={"fields": ["email", "shoe_size"]}, summary="x")
    assert text == "e-posta, shoe_size değişti"


def test_a_logged_call_reads_as_its_own_summary():
    call = InteractionFactory.build(summary="Discussed the roof", action="", data={})
    with translation.override("tr"):
        assert timeline.entry_sentence(call) == "Discussed the roof"


@pytest.mark.django_db
def test_the_summary_is_the_english_sentence_even_when_the_actor_reads_turkish(owner):
    customer = CustomerFactory(owner=owner)
    with translation.override("tr"):
        entry = timeline_record(action="customer.tagged", actor=owner, customer=customer, data={"tag_name": "VIP"})
    assert entry.summary == "Tagged VIP"


@pytest.mark.django_db
def test_a_customer_update_stores_the_changed_fields_as_codes(owner):
    customer = CustomerFactory(owner=owner, email="old@example.com")
    customer_update(customer=customer, actor=owner, email="new@example.com", last_name="Stone")
    entry = Interaction.objects.get(customer=customer, action="customer.updated")
    assert entry.data == {"fields": ["email", "last_name"]}
    with translation.override("tr"):
        assert timeline.entry_sentence(entry) == "e-posta, soyad değişti"


@pytest.mark.django_db
def test_tagging_in_bulk_stores_the_tags_name_as_it_was(owner):
    customer = CustomerFactory(owner=owner)
    tag = TagFactory(name="VIP")
    customers_add_tag(customers=type(customer).objects.filter(pk=customer.pk), tag=tag, actor=owner)
    tag.name = "Gold"
    tag.save()
    entry = Interaction.objects.get(customer=customer, action="customer.tagged")
    assert entry.data == {"tag": tag.pk, "tag_name": "VIP"}
    with translation.override("tr"):
        assert timeline.entry_sentence(entry) == "VIP etiketi eklendi"


@pytest.mark.django_db
def test_a_turkish_reader_sees_the_customer_timeline_in_turkish(client_for, owner):
    customer = CustomerFactory(owner=owner)
    customer_update(customer=customer, actor=owner, email="new@example.com")
    owner.language = "tr"
    owner.save(update_fields=["language"])
    response = client_for(owner).get(customer.get_absolute_url())
    assert "e-posta değişti" in response.text
    assert "Changed email" not in response.text


@pytest.mark.parametrize(
    ("action", "summary", "expected"),
    [
        ("customer.updated", "Changed email, last_name", {"fields": ["email", "last_name"]}),
        (
            "customer.reassigned",
            "Owner changed from Ann Lee to Bob Stone",
            {"from_name": "Ann Lee", "to_name": "Bob Stone"},
        ),
        ("customer.reassigned", "Owner changed from — to Bob Stone", {"from_name": None, "to_name": "Bob Stone"}),
        ("customer.reassigned", "Owner changed to Bob Stone", {"to_name": "Bob Stone"}),
        ("customer.tagged", "Tagged VIP", {"tag_name": "VIP"}),
        ("customer.merged", "Merged with Anne Lee (#9)", {"merged_name": "Anne Lee"}),
        ("customer.merged_away", "Merged into Ann Lee (#4)", {"merged_into_name": "Ann Lee"}),
        ("attachment.added", "Attached contract.pdf", {"file": "contract.pdf"}),
        ("company.created", "Company created (import)", {"source": "import"}),
        ("company.updated", "Changed phone", {"fields": ["phone"]}),
        ("customer.created", "Created by the order import of orders.csv", {"file": "orders.csv"}),
    ],
)
def test_the_migration_reads_the_parameters_out_of_old_customer_summaries(action, summary, expected):
    assert parse(MIGRATION.PATTERNS, action=action, summary=summary) == expected


def test_the_migration_leaves_a_summary_it_cannot_read():
    assert parse(MIGRATION.PATTERNS, action="customer.tagged", summary="Etiketlendi: VIP") == {}


@pytest.mark.django_db
def test_backfilling_makes_an_old_entry_read_in_turkish_and_keeps_what_data_already_had(owner):
    customer = CustomerFactory(owner=owner)
    old = [
        InteractionFactory(
            customer=customer, kind="system", action="customer.tagged", summary="Tagged VIP", data={"tag": 3}
        )
        for _ in range(5)
    ]
    unreadable = InteractionFactory(customer=customer, kind="system", action="customer.tagged", summary="??", data={})

    assert backfill(Interaction, MIGRATION.PATTERNS, batch=2) == 5

    entry = Interaction.objects.get(pk=old[-1].pk)
    assert entry.data == {"tag": 3, "tag_name": "VIP"}
    with translation.override("tr"):
        assert timeline.entry_sentence(entry) == "VIP etiketi eklendi"
        assert timeline.entry_sentence(Interaction.objects.get(pk=unreadable.pk)) == "??"
