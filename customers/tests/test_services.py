import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm_project.helpers import normalize_phone
from customers import services
from customers.models import Company, ConsentEvent, Customer, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory


def actions(customer):
    return list(Interaction.objects.filter(customer=customer).order_by("pk").values_list("action", flat=True))


def test_creating_a_customer_sets_team_from_owner_and_logs_it(owner, team):
    customer = services.customer_create(actor=owner, last_name="Lovelace", first_name="Ada", phone="+44 (20) 7946-0018")
    assert customer.owner == owner
    assert customer.team == team
    assert customer.phone_normalized == "+442079460018"
    assert actions(customer) == ["customer.created"]


def test_a_new_company_name_creates_the_company_for_the_actor(owner):
    customer = services.customer_create(actor=owner, last_name="Hopper", company="Navy Labs")
    assert customer.company.name == "Navy Labs"
    assert customer.company.owner == owner
    assert Interaction.objects.filter(company=customer.company, action="company.created").exists()


def test_creating_a_customer_validates_fields(owner):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=owner, last_name="", email="not-an-email")
    assert {"last_name", "email"} <= set(error.value.message_dict)
    assert not Customer.objects.exists()


def test_updating_records_which_fields_changed(owner):
    customer = CustomerFactory(owner=owner, email="old@example.com")
    services.customer_update(customer=customer, actor=owner, email="new@example.com", job_title=customer.job_title)
    entry = Interaction.objects.get(customer=customer, action="customer.updated")
    assert entry.data == {"fields": ["email"]}
    assert entry.user == owner


def test_an_update_that_changes_nothing_leaves_no_audit_entry(owner):
    customer = CustomerFactory(owner=owner)
    services.customer_update(customer=customer, actor=owner, email=customer.email)
    assert not Interaction.objects.filter(action="customer.updated").exists()


def test_an_update_writes_only_the_fields_it_changed(owner, teammate):
    """A field someone else saved meanwhile (an API client without a version) is not written back
    with the value this edit loaded; an edit of the owner moves the team with it."""
    customer = CustomerFactory(owner=owner, email="old@example.com", job_title="Buyer")
    Customer.objects.filter(pk=customer.pk).update(job_title="Head of buying")
    services.customer_update(customer=customer, actor=owner, email="new@example.com", phone="030 1234567")
    customer.refresh_from_db()
    assert (customer.email, customer.job_title) == ("new@example.com", "Head of buying")
    assert customer.phone_normalized == normalize_phone("030 1234567")
    services.customer_update(customer=customer, actor=owner, owner=teammate)
    customer.refresh_from_db()
    assert (customer.owner, customer.team) == (teammate, teammate.teams.get())


def test_reassigning_moves_the_customer_to_the_new_owners_team(owner, outsider, other_team, manager):
    customer = CustomerFactory(owner=owner)
    services.customer_reassign(customer=customer, owner=outsider, actor=manager)
    customer.refresh_from_db()
    assert (customer.owner, customer.team) == (outsider, other_team)
    assert actions(customer)[-1] == "customer.reassigned"


def test_a_deleted_customer_is_hidden_everywhere_but_recoverable(owner, admin_user):
    customer = CustomerFactory(owner=owner)
    services.customer_delete(customer=customer, actor=owner)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Customer.objects.visible_to(admin_user).filter(pk=customer.pk).exists()
    assert Customer.all_objects.filter(pk=customer.pk, deleted_at__isnull=False).exists()
    services.customer_restore(customer=Customer.all_objects.get(pk=customer.pk), actor=admin_user)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_consent_is_appended_to_the_log_never_rewritten(owner):
    customer = CustomerFactory(owner=owner)
    services.consent_record(customer=customer, status="opted_in", source="form", actor=None)
    services.consent_record(customer=customer, status="opted_out", source="unsubscribe", actor=None)
    customer.refresh_from_db()
    assert customer.email_consent == "opted_out"
    log = list(ConsentEvent.objects.filter(customer=customer).order_by("pk").values_list("status", "source"))
    assert log == [("opted_in", "form"), ("opted_out", "unsubscribe")]


def test_logging_an_interaction_puts_it_on_customer_and_company_timelines(owner):
    company = CompanyFactory()
    customer = CustomerFactory(owner=owner, company=company)
    entry = services.interaction_log(customer=customer, kind="call", summary="Discussed renewal", actor=owner)
    assert entry.company == company
    assert entry.user == owner


def test_bulk_assign_updates_all_rows_in_a_fixed_number_of_queries(owner, teammate, manager, django_assert_num_queries):
    CustomerFactory.create_batch(30, owner=owner)
    with django_assert_num_queries(7):
        count = services.customers_assign_owner(customers=Customer.objects.all(), owner=teammate, actor=manager)
    assert count == 30
    assert set(Customer.objects.values_list("owner", flat=True)) == {teammate.pk}
    assert Interaction.objects.filter(action="customer.reassigned").count() == 30


def test_bulk_tagging_skips_customers_who_have_the_tag(owner):
    tag = TagFactory(name="VIP")
    tagged = CustomerFactory(owner=owner)
    tagged.tags.add(tag)
    CustomerFactory.create_batch(3, owner=owner)
    assert services.customers_add_tag(customers=Customer.objects.all(), tag=tag, actor=owner) == 3
    assert Customer.objects.filter(tags=tag).count() == 4


def test_attachments_are_stored_and_logged(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer = CustomerFactory(owner=owner)
    upload = SimpleUploadedFile("contract.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    attachment = services.attachment_add(upload=upload, actor=owner, customer=customer)
    assert attachment.size == len(b"%PDF-1.4 test")
    with attachment.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 test"
    assert "attachment.added" in actions(customer)


def test_companies_are_soft_deleted(owner):
    company = services.company_create(actor=owner, name="Acme")
    services.company_delete(company=company, actor=owner)
    assert not Company.objects.filter(pk=company.pk).exists()
    assert Company.all_objects.filter(pk=company.pk).exists()


@pytest.mark.parametrize(
    ("raw", "normalized"), [("+49 (30) 123-45", "+493012345"), ("030 12345", "03012345"), ("", ""), ("+", "")]
)
def test_phone_numbers_are_normalized(raw, normalized):
    assert normalize_phone(raw) == normalized
