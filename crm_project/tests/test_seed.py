import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from accounts.models import Team, User
from jobs.models import JobRun


@pytest.fixture(autouse=True)
def logins_file(tmp_path, monkeypatch):
    path = tmp_path / "demo_logins.txt"
    monkeypatch.setattr("crm_project.management.commands.seed_demo.LOGINS_FILE", path)
    return path


def test_seed_demo_creates_users_per_role_and_teams(db, logins_file, capsys):
    call_command("seed_demo", customers=0)
    assert User.objects.filter(groups__name=roles.SALES_REP).count() == 4
    assert User.objects.filter(groups__name=roles.MANAGER).count() == 2
    assert User.objects.filter(groups__name=roles.SUPPORT_AGENT).count() == 2
    assert User.objects.get(username="admin").is_superuser
    north = Team.objects.get(name="North")
    assert north.manager.username == "maria"
    assert {"rob", "rita"} <= set(north.members.values_list("username", flat=True))
    printed = capsys.readouterr().out
    password = next(line.split()[1] for line in printed.splitlines() if line.strip().startswith("rob "))
    assert User.objects.get(username="rob").check_password(password)
    assert "rob" in logins_file.read_text()


def test_seed_demo_is_idempotent_and_keeps_passwords(db, capsys):
    call_command("seed_demo", customers=0)
    before = dict(User.objects.values_list("username", "password"))
    call_command("seed_demo", customers=0)
    assert dict(User.objects.values_list("username", "password")) == before
    assert Team.objects.count() == 2
    assert "passwords are unchanged" in capsys.readouterr().out


def test_seed_demo_runs_a_first_job_so_the_log_is_not_empty(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", customers=0)
    assert JobRun.objects.filter(name="jobs.housekeeping", status=JobRun.Status.SUCCEEDED).exists()


def test_seed_demo_refuses_to_run_where_demo_data_is_not_allowed(db, settings):
    settings.CRM_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="Refusing to seed"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_creates_customers_with_timelines_tags_and_consent(db):
    from customers.models import Company, ConsentEvent, Customer, Interaction

    call_command("seed_demo", customers=200)
    assert Customer.objects.count() == 202  # two entered twice, for the duplicates page
    assert Company.objects.count() == 33
    assert Customer.objects.filter(owner__isnull=False, team__isnull=False).count() == 202
    assert Interaction.objects.filter(action="customer.created").count() == 202
    assert ConsentEvent.objects.count() == Customer.objects.exclude(email_consent="unknown").count() > 0
    assert Customer.tags.through.objects.exists()
    call_command("seed_demo", customers=200)
    assert Customer.objects.count() == 202  # idempotent


def test_seed_demo_creates_a_sales_day_for_every_rep(db):
    from sales.models import Deal, Lead, Order, Task

    call_command("seed_demo", customers=200)
    assert Deal.objects.filter(status="open").exists()
    assert Lead.objects.exists()
    assert Order.objects.filter(status="paid").exists()
    for rep in User.objects.filter(groups__name=roles.SALES_REP):
        assert Task.objects.filter(owner=rep, done_at__isnull=True).exists()


def test_every_demo_customer_passes_the_edit_forms_validation(db, admin_user):
    """The demo is for trying the CRM: a record its own edit form refuses
    (a non-ASCII address such as "çelik.…@example.com") cannot be edited."""
    from django.forms.models import model_to_dict

    from customers.forms.customers import CustomerForm
    from customers.models import Customer

    call_command("seed_demo", customers=300)
    refused = {}
    for customer in Customer.objects.select_related("company").prefetch_related("tags"):
        data = {key: value for key, value in model_to_dict(customer, fields=CustomerForm.Meta.fields).items() if value}
        data["company_name"] = customer.company.name if customer.company else ""
        data["tags"] = [tag.pk for tag in customer.tags.all()]
        form = CustomerForm(data, instance=customer, user=admin_user, custom_fields=[])
        if not form.is_valid():
            refused[customer.email] = form.errors
    assert refused == {}


def test_every_demo_lead_has_an_address_the_forms_accept(db):
    from django.core.validators import validate_email

    from sales.models import Lead

    call_command("seed_demo", customers=50)
    emails = list(Lead.objects.values_list("email", flat=True))
    assert emails
    for email in emails:
        validate_email(email)


def test_seed_demo_sets_monthly_targets_for_every_rep(db):
    from sales.models import Target
    from sales.selectors.forecast import forecast_months

    call_command("seed_demo", customers=0)
    reps = User.objects.filter(groups__name=roles.SALES_REP)
    targets = Target.objects.filter(user__in=reps, month__in=forecast_months())
    assert targets.count() == reps.count() * 6
    call_command("seed_demo", customers=0)
    assert Target.objects.count() == reps.count() * 6


def test_seed_demo_gives_support_queues_slas_tickets_in_every_state_a_knowledge_base_and_surveys(db):
    from support.models import (
        CsatSurvey,
        Holiday,
        KbArticle,
        Macro,
        Queue,
        SlaPolicy,
        SlaRule,
        Ticket,
        TicketEvent,
        TicketMessage,
    )

    call_command("seed_demo", customers=200)

    queues = Queue.objects.filter(slug__in=["general", "billing", "technical"])
    assert queues.count() == 3
    for queue in queues:
        assert set(queue.members.values_list("username", flat=True)) == {"alice", "adam"}
        assert queue.team is not None and queue.calendar.name == "Office hours"
    assert Holiday.objects.exists()
    assert set(SlaPolicy.objects.values_list("priority", flat=True)) == {"low", "normal", "high", "urgent"}
    assert SlaRule.objects.filter(is_active=True).count() == 2 and Macro.objects.count() == 3
    assert set(Ticket.objects.values_list("status", flat=True)) == {s.value for s in Ticket.Status}
    assert 200 <= Ticket.objects.count() <= 500
    assert TicketMessage.objects.filter(kind="internal").exists() and TicketEvent.objects.exists()
    assert Ticket.objects.filter(status="open", resolution_due__isnull=False, first_response_minutes__isnull=False)
    assert CsatSurvey.objects.filter(score__isnull=False).count() > 20
    assert KbArticle.objects.filter(status="published", visibility="public").exists()
    assert KbArticle.objects.filter(visibility="internal").exists() and KbArticle.objects.filter(status="draft")
    call_command("seed_demo", customers=200)
    assert Ticket.objects.count() == 300 and Queue.objects.count() == 3  # idempotent


def test_seed_demo_adds_a_marketer_the_newsletter_form_and_a_sent_campaign_with_events(db):
    from marketing.models import Campaign, LeadForm, OutboxMessage, TrackingEvent

    call_command("seed_demo", customers=200)
    assert User.objects.get(username="mia").groups.filter(name=roles.MARKETER).exists()
    form = LeadForm.objects.get(slug="newsletter")
    assert form.is_published and form.ask_consent
    assert [row["name"] for row in form.fields] == ["email", "first_name"]
    campaign = Campaign.objects.get(status=Campaign.Status.SENT)
    assert campaign.holdout_percent == 5
    outbox = OutboxMessage.objects.filter(campaign=campaign)
    assert outbox.filter(status="sent").exists() and outbox.filter(status="holdout").exists()
    assert not outbox.exclude(customer__email_consent="opted_in").exists()
    assert set(TrackingEvent.objects.values_list("source", flat=True)) == {"human", "proxy", "machine"}
    rows = list(outbox.order_by("customer_id").values_list("customer_id", "status"))
    call_command("seed_demo", customers=200)
    assert Campaign.objects.count() == 1 and LeadForm.objects.count() == 1
    assert list(OutboxMessage.objects.order_by("customer_id").values_list("customer_id", "status")) == rows


def test_seed_demo_fits_the_clv_models_once_with_a_holdout_check_then_to_today(db):
    from analytics.db import crm_today
    from analytics.models import ClvRun, ClvScore

    call_command("seed_demo", customers=200)

    checked, latest = ClvRun.objects.order_by("pk")
    assert (checked.holdout_end, latest.calibration_end, latest.holdout_end) == (crm_today(), crm_today(), None)
    assert checked.holdout["by_frequency"] and latest.n_customers > checked.n_customers > 50
    assert ClvScore.objects.filter(run=latest).count() == latest.n_customers
    call_command("seed_demo", customers=200)
    assert ClvRun.objects.count() == 2  # idempotent


def test_a_tiny_demo_says_it_is_too_small_for_a_clv_fit(db, capsys):
    from analytics.models import ClvRun

    call_command("seed_demo", customers=50)

    assert "too few for a CLV fit" in capsys.readouterr().out
    assert not ClvRun.objects.exists()
