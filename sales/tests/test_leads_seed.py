import io

from accounts.seed import seed_users
from sales.models import AssignmentRule, Lead, LeadActivity
from sales.seed.leads import seed_demo


def test_the_demo_leads_have_mixed_statuses_owners_and_timelines_and_seeding_twice_adds_nothing(db):
    seed_users()
    out = io.StringIO()
    seed_demo(customers=200, stdout=out)
    assert Lead.objects.count() == 20
    assert "Created 20 leads and 2 assignment rules." in out.getvalue()
    assert Lead.objects.filter(owner__isnull=False, team__isnull=False).count() == 20
    assert Lead.objects.values("status").distinct().count() >= 3
    assert not Lead.objects.filter(status="unqualified", unqualified_reason="").exists()
    assert LeadActivity.objects.filter(action="lead.created").count() == 20
    rules = {(rule.source, rule.strategy): rule for rule in AssignmentRule.objects.select_related("team", "user")}
    assert rules[("web", "round_robin")].team.name == "North"
    assert rules[("partner", "user")].user.username == "sam"
    seed_demo(customers=200, stdout=out)
    assert (Lead.objects.count(), AssignmentRule.objects.count()) == (20, 2)


def test_no_customers_asked_for_means_no_leads(db):
    seed_demo(customers=0, stdout=io.StringIO())
    assert not Lead.objects.exists() and not AssignmentRule.objects.exists()
