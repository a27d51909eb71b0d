"""Every rule field and operator against a small fixed cast of customers (SQLite and PostgreSQL),
and bad rules named in the ValidationError."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import TeamFactory, UserFactory
from analytics.models import RfmRun, RfmScore, RfmSegment
from customers.models import Customer, CustomField
from customers.tests.factories import CustomerFactory, TagFactory
from marketing.rules import rules_clean, rules_q
from sales.services.stats import customer_stats_refresh
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    """ann: DE, customer, opted in, tag vip, owner, 2 orders (300), 10 days ago, At Risk R2 F4 M3, plan=gold, seats=12
    bob: FR, lead, opted out, no tag, no owner, 1 order (50) 100 days ago, Champions R5 F5 M5, seats=3
    cem: TR, lead, unknown consent, tag new, no orders, not scored, no custom data"""
    CustomField.objects.create(key="plan", label="Plan", field_type=CustomField.Type.CHOICE, choices="gold\nsilver")
    CustomField.objects.create(key="seats", label="Seats", field_type=CustomField.Type.NUMBER)
    CustomField.objects.create(key="renewal", label="Renewal", field_type=CustomField.Type.DATE)
    team = TeamFactory(name="West")
    owner = UserFactory(username="wendy")
    vip, new = TagFactory(name="vip"), TagFactory(name="new")
    now = timezone.now()
    ann = CustomerFactory(
        last_name="Ann", country="DE", lifecycle_stage=Customer.Stage.CUSTOMER, email_consent="opted_in",
        owner=owner, team=team, custom_data={"plan": "gold", "seats": "12", "renewal": "2025-06-01"},
    )  # fmt: skip
    ann.tags.add(vip)
    bob = CustomerFactory(
        last_name="Bob", country="FR", email_consent="opted_out", custom_data={"seats": "3"}, team=None
    )
    cem = CustomerFactory(last_name="Cem", country="TR", team=None)
    cem.tags.add(new)
    OrderFactory(customer=ann, total=Decimal("100.00"), ordered_at=now - timedelta(days=40))
    OrderFactory(customer=ann, total=Decimal("200.00"), ordered_at=now - timedelta(days=10))
    OrderFactory(customer=bob, total=Decimal("50.00"), ordered_at=now - timedelta(days=100))
    customer_stats_refresh()
    at_risk, champions = RfmSegment.objects.get(name="At Risk"), RfmSegment.objects.get(name="Champions")
    old = RfmRun.objects.create(as_of=now.date())
    RfmScore.objects.create(run=old, customer=bob, recency_days=1, frequency=1, monetary=1, r_score=1, f_score=1,
                            m_score=1, segment=at_risk)  # fmt: skip  # an older run: never read
    run = RfmRun.objects.create(as_of=now.date())
    for customer, (r, f, m), segment in ((ann, (2, 4, 3), at_risk), (bob, (5, 5, 5), champions)):
        RfmScore.objects.create(run=run, customer=customer, recency_days=10, frequency=2, monetary=Decimal(1),
                                r_score=r, f_score=f, m_score=m, segment=segment)  # fmt: skip
    return {"ann": ann, "bob": bob, "cem": cem, "owner": owner, "team": team, "vip": vip, "new": new}


def matched(rule: dict) -> set[str]:
    q = rules_q({"match": "all", "rules": [rule]})
    return set(Customer.objects.filter(q).values_list("last_name", flat=True))


# (field, op, value, who matches). Values naming fixtures are filled in by `resolved`.
TABLE = [
    ("country", "eq", "de", {"Ann"}),
    ("country", "ne", "DE", {"Bob", "Cem"}),
    ("country", "in", "DE, tr", {"Ann", "Cem"}),
    ("country", "contains", "r", {"Bob", "Cem"}),
    ("country", "is_set", "true", {"Ann", "Bob", "Cem"}),
    ("lifecycle_stage", "eq", "customer", {"Ann"}),
    ("lifecycle_stage", "ne", "customer", {"Bob", "Cem"}),
    ("lifecycle_stage", "in", "lead,customer", {"Ann", "Bob", "Cem"}),
    ("owner", "eq", "@owner", {"Ann"}),
    ("owner", "ne", "@owner", {"Bob", "Cem"}),
    ("owner", "is_set", "false", {"Bob", "Cem"}),
    ("team", "eq", "@team", {"Ann"}),
    ("team", "is_set", "true", {"Ann"}),
    ("tag", "eq", "@vip", {"Ann"}),
    ("tag", "ne", "@vip", {"Bob", "Cem"}),
    ("tag", "in", "@vip,@new", {"Ann", "Cem"}),
    ("tag", "is_set", "false", {"Bob"}),
    ("email_consent", "eq", "opted_in", {"Ann"}),
    ("email_consent", "ne", "opted_in", {"Bob", "Cem"}),
    ("email_consent", "in", "opted_out,unknown", {"Bob", "Cem"}),
    ("lifetime_spend", "gt", "100", {"Ann"}),
    ("lifetime_spend", "lt", "100", {"Bob", "Cem"}),
    ("lifetime_spend", "eq", "300", {"Ann"}),
    ("order_count", "eq", "0", {"Cem"}),
    ("order_count", "ne", "1", {"Ann", "Cem"}),
    ("order_count", "gt", "1", {"Ann"}),
    ("order_count", "lt", "2", {"Bob", "Cem"}),
    ("days_since_last_order", "gt", "30", {"Bob"}),
    ("days_since_last_order", "lt", "30", {"Ann"}),
    ("days_since_last_order", "is_set", "false", {"Cem"}),
    ("rfm_segment", "eq", "At Risk", {"Ann"}),
    ("rfm_segment", "ne", "At Risk", {"Bob", "Cem"}),
    ("rfm_segment", "in", "At Risk,Champions", {"Ann", "Bob"}),
    ("rfm_r", "eq", "2", {"Ann"}),
    ("rfm_r", "gt", "2", {"Bob"}),
    ("rfm_f", "lt", "5", {"Ann"}),
    ("rfm_m", "in", "3,5", {"Ann", "Bob"}),
    ("rfm_m", "ne", "5", {"Ann", "Cem"}),
    ("cf_plan", "eq", "gold", {"Ann"}),
    ("cf_plan", "is_set", "false", {"Bob", "Cem"}),
    ("cf_seats", "gt", "5", {"Ann"}),
    ("cf_seats", "lt", "5", {"Bob"}),
    ("cf_seats", "eq", "12", {"Ann"}),
    ("cf_seats", "ne", "12", {"Bob", "Cem"}),
    ("cf_seats", "in", "3,12", {"Ann", "Bob"}),
    ("cf_renewal", "gt", "2025-01-01", {"Ann"}),
    ("cf_renewal", "lt", "2025-01-01", set()),
]


def resolved(value: str, cast: dict) -> str:
    return ",".join(str(cast[part[1:]].pk) if part.startswith("@") else part for part in value.split(","))


@pytest.mark.parametrize(("field", "op", "value", "expected"), TABLE, ids=[f"{f}-{o}-{v}" for f, o, v, _e in TABLE])
def test_each_rule_field_and_operator_matches_the_expected_customers(cast, field, op, value, expected):
    assert matched({"field": field, "op": op, "value": resolved(value, cast)}) == expected


def test_any_match_and_groups_combine_rules(cast):
    rules = {
        "match": "all",
        "rules": [{"field": "country", "op": "ne", "value": "TR"}],
        "groups": [
            {
                "match": "any",
                "rules": [
                    {"field": "order_count", "op": "gt", "value": "1"},
                    {"field": "email_consent", "op": "eq", "value": "opted_out"},
                ],
            }
        ],
    }
    assert set(Customer.objects.filter(rules_q(rules)).values_list("last_name", flat=True)) == {"Ann", "Bob"}
    anyone = {"match": "any", "rules": [{"field": "country", "op": "eq", "value": "TR"}], "groups": rules["groups"]}
    assert set(Customer.objects.filter(rules_q(anyone)).values_list("last_name", flat=True)) == {"Ann", "Bob", "Cem"}


def test_rules_over_tags_never_repeat_a_customer(cast):
    cast["ann"].tags.add(cast["new"])
    rules = {"match": "any", "rules": [{"field": "tag", "op": "in", "value": f"{cast['vip'].pk},{cast['new'].pk}"}]}
    assert Customer.objects.filter(rules_q(rules)).count() == 2


def test_no_rules_match_everyone(cast):
    assert Customer.objects.filter(rules_q({})).count() == 3


def test_without_an_rfm_run_rfm_rules_match_nobody(db):
    CustomerFactory()
    assert Customer.objects.filter(rules_q({"rules": [{"field": "rfm_r", "op": "eq", "value": "5"}]})).count() == 0


@pytest.mark.parametrize(
    ("rule", "names"),
    [
        ({"field": "shoe_size", "op": "eq", "value": "9"}, "unknown field “shoe_size”"),
        ({"field": "country", "op": "gt", "value": "DE"}, "cannot use the operator “gt”"),
        ({"field": "lifetime_spend", "op": "gt", "value": "lots"}, "“lots” is not a number"),
        ({"field": "rfm_r", "op": "eq", "value": "7"}, "from 1 to 5"),
        ({"field": "rfm_segment", "op": "eq", "value": "Nobody"}, "“Nobody” is not an RFM segment"),
        ({"field": "lifecycle_stage", "op": "eq", "value": "martian"}, "not one of the choices"),
        ({"field": "country", "op": "eq", "value": ""}, "Give a value"),
    ],
)
def test_a_bad_rule_is_a_validation_error_naming_it(db, rule, names):
    with pytest.raises(ValidationError) as raised:
        rules_clean({"match": "all", "rules": [{"field": "country", "op": "eq", "value": "DE"}, rule]})
    message = " ".join(raised.value.messages)
    assert "Rule 2" in message
    assert names in message


def test_a_bad_rule_in_a_group_names_its_group(db):
    with pytest.raises(ValidationError, match="group 1, 1"):
        rules_clean({"groups": [{"match": "any", "rules": [{"field": "nope", "op": "eq", "value": "1"}]}]})


class _OpenTickets:
    """What support would register: a field defined outside marketing."""

    key, label, kind, ops = "open_tickets", "Open tickets", "number", ("gt",)

    def choices(self):
        return []

    def parse(self, op, raw):
        return int(raw)

    def q(self, op, value):
        from django.db.models import Q

        return Q(last_name="Cem") if value == 0 else Q(pk__in=[])


OPEN_TICKETS = _OpenTickets()


def test_other_apps_register_fields_through_settings(cast, settings):
    settings.CRM_SEGMENT_FIELDS = ["marketing.tests.test_segment_rules.OPEN_TICKETS"]
    assert matched({"field": "open_tickets", "op": "gt", "value": "0"}) == {"Cem"}
