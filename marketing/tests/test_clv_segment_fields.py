"""The lifetime-value fields of segment rules (clv, p_alive, clv_slipping) read the latest kept
CLV run, as the customer list's CLV filters do (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics.tests.clv_factory import clv_run
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from marketing.rules import rules_clean, rules_q

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored():
    """Latest kept run: Ann 900 (p 0.95), Bob 120 (p 0.3, slipping away), Cem 5 (p 0.1, low value:
    not slipping); Dan not scored. An older run and a newer run without kept scores are never read."""
    ann, bob, cem, dan = (CustomerFactory(last_name=name) for name in ("Ann", "Bob", "Cem", "Dan"))
    clv_run(
        calibration_end=timezone.localdate() - timedelta(days=8),
        scores={person: {"p_alive": 0.9, "clv": "1.00"} for person in (ann, bob, cem, dan)},
    )
    clv_run(
        scores={
            ann: {"clv": "900.00", "p_alive": 0.95, "frequency": 8},
            bob: {"clv": "120.00", "p_alive": 0.3, "frequency": 4},
            cem: {"clv": "5.00", "p_alive": 0.1, "frequency": 0},
        }
    )
    clv_run(scores={dan: {"clv": "5000.00"}}, scores_kept=False)


def matched(field: str, op: str, value: str) -> set[str]:
    q = rules_q({"match": "all", "rules": [{"field": field, "op": op, "value": value}]})
    return set(Customer.objects.filter(q).values_list("last_name", flat=True))


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("clv", "gt", "100", {"Ann", "Bob"}),
        ("clv", "lt", "200", {"Bob", "Cem"}),
        ("clv", "gt", "1000", set()),
        ("p_alive", "lt", "50", {"Bob", "Cem"}),
        ("p_alive", "gt", "20", {"Ann", "Bob"}),
        ("clv_slipping", "eq", "yes", {"Bob"}),
        ("clv_slipping", "eq", "no", {"Ann", "Cem", "Dan"}),
    ],
)
def test_clv_fields_match_the_latest_kept_run(scored, field, op, value, expected):
    assert matched(field, op, value) == expected


def test_clv_rules_combine_with_each_other(scored):
    rules = {
        "match": "all",
        "rules": [{"field": "clv", "op": "gt", "value": "100"}, {"field": "p_alive", "op": "lt", "value": "50"}],
    }

    assert set(Customer.objects.filter(rules_q(rules)).values_list("last_name", flat=True)) == {"Bob"}


def test_without_a_clv_run_value_rules_match_nobody_and_nobody_is_slipping(db):
    CustomerFactory(last_name="Eve")

    assert matched("clv", "gt", "0") == set()
    assert matched("clv_slipping", "eq", "yes") == set()
    assert matched("clv_slipping", "eq", "no") == {"Eve"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "p_alive", "op": "lt", "value": "150"}, "from 0 to 100"),
        ({"field": "clv", "op": "gt", "value": "lots"}, "is not a number"),
        ({"field": "clv_slipping", "op": "eq", "value": "maybe"}, "Choose yes or no"),
        ({"field": "clv_slipping", "op": "ne", "value": "yes"}, "cannot use the operator"),
    ],
)
def test_bad_clv_rules_are_named(db, rule, message):
    with pytest.raises(ValidationError, match=message):
        rules_clean({"rules": [rule]})
