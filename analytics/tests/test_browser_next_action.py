"""A rep opens "My day", reads why to call a customer, logs the call from the next best action
and the customer leaves the list; a task created from it does the same for another."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import RfmRun, RfmScore, RfmSegment
from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Task
from sales.tests.factories import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_logs_the_call_from_the_next_best_action_and_the_item_leaves(
    login_in_browser, owner, default_segments, live_server
):
    ada = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace")
    grace = CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper")
    run = RfmRun.objects.create(as_of=timezone.localdate(), finished_at=timezone.now())
    RfmScore.objects.create(
        run=run, customer=ada, recency_days=200, frequency=4, monetary=Decimal("400.00"), r_score=1, f_score=4,
        m_score=4, segment=RfmSegment.objects.get(name="At Risk"),
    )  # fmt: skip
    long_ago = timezone.now() - timedelta(days=3)
    TaskFactory(owner=owner, customer=grace, title="Send the offer", due_at=long_ago, created_at=long_ago)

    page = login_in_browser(owner)
    section = page.get_by_test_id("next-best-action")
    ada_item = section.get_by_test_id("next-action").filter(has_text="Ada Lovelace")
    expect(ada_item.get_by_test_id("next-action-reason")).to_have_text("At Risk in RFM")
    expect(section.get_by_test_id("next-action").filter(has_text="Grace Hopper")).to_contain_text("a task overdue")

    # Log call: the form opens with the reason as the summary; the rep adds what was said.
    ada_item.get_by_role("button", name="Log call").click()
    summary = ada_item.get_by_label("Summary")
    expect(summary).to_have_value("At Risk in RFM")
    summary.fill("Called Ada: she will order again next week")
    ada_item.get_by_role("button", name="Save call").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("alert").first).to_contain_text("Logged.")
    expect(section.get_by_test_id("next-action").filter(has_text="Ada Lovelace")).to_have_count(0)
    expect(section.get_by_test_id("next-action")).to_have_count(1)
    call = Interaction.objects.get(customer=ada, kind="call")
    assert (call.summary, call.user) == ("Called Ada: she will order again next week", owner)

    # Create task: the task form knows the customer and returns to My day.
    section.get_by_test_id("next-action").filter(has_text="Grace Hopper").get_by_role(
        "link", name="Create task"
    ).click()
    expect(page.get_by_test_id("task-related")).to_contain_text("Grace Hopper")
    page.get_by_label("Title").fill("Call Grace about the offer")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(section.get_by_test_id("next-action")).to_have_count(0)
    expect(section).to_contain_text("Nobody needs a call from you today.")
    assert Task.objects.get(title="Call Grace about the offer").customer == grace
