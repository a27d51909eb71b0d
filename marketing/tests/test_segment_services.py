"""Segment services: set-based refresh (joiners, leavers, constant statements), the list's filters,
static lists (bulk ids, a CSV of emails), freeze, one click from RFM, the task, the command, the signal."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import RfmRun, RfmScore, RfmSegment
from analytics.signals import rfm_run_finished
from customers.tests.factories import CustomerFactory, TagFactory
from imports import services as kit
from marketing.models import Segment, SegmentMember
from marketing.selectors.segments import segment_queryset
from marketing.services import segments
from marketing.tasks import segment_refresh as segment_refresh_task

pytestmark = pytest.mark.django_db

GERMANS = {"match": "all", "rules": [{"field": "country", "op": "eq", "value": "DE"}]}


def members(segment) -> set[int]:
    return set(SegmentMember.objects.filter(segment=segment).values_list("customer_id", flat=True))


def test_a_new_dynamic_segment_holds_who_matches_its_rules():
    german, french = CustomerFactory(country="DE"), CustomerFactory(country="FR")
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    assert members(segment) == {german.pk}
    assert segment.member_count == 1
    assert segment.refreshed_at is not None
    assert french.pk not in members(segment)


def test_refresh_adds_joiners_and_removes_leavers_and_keeps_stayers_join_date():
    stayer, leaver = CustomerFactory(country="DE"), CustomerFactory(country="DE")
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    joined_at = SegmentMember.objects.get(segment=segment, customer=stayer).joined_at
    leaver.country = "FR"
    leaver.save()
    joiner = CustomerFactory(country="DE")
    deleted = CustomerFactory(country="DE")
    deleted.deleted_at = timezone.now()
    deleted.save()
    segment = segments.segment_refresh(segment=segment)
    assert members(segment) == {stayer.pk, joiner.pk}
    assert segment.member_count == 2
    assert SegmentMember.objects.get(segment=segment, customer=stayer).joined_at == joined_at


def _statements_of_refresh(segment) -> int:
    with CaptureQueriesContext(connection) as queries:
        segments.segment_refresh(segment=segment)
    return len(queries)


def test_refresh_runs_the_same_statements_for_5_or_50_members():
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    CustomerFactory.create_batch(5, country="DE")
    few = _statements_of_refresh(segment)
    CustomerFactory.create_batch(45, country="DE")
    many = _statements_of_refresh(segment)
    assert SegmentMember.objects.filter(segment=segment).count() == 50
    assert few == many


def test_a_segment_applies_the_customer_lists_filters_and_drops_those_that_no_longer_validate():
    tag = TagFactory(name="vip")
    tagged = CustomerFactory(country="DE")
    tagged.tags.add(tag)
    CustomerFactory(country="DE")
    segment = segments.segment_create(
        actor=None, name="VIPs", filters=f"tag={tag.pk}&owner=999999&sort=-created_at&view=3", rules=GERMANS
    )
    assert segment.filters == f"tag={tag.pk}"
    assert members(segment) == {tagged.pk}


def test_segments_cover_every_customer_not_the_creators_scope(owner, outsider):
    mine, theirs = CustomerFactory(owner=owner, country="DE"), CustomerFactory(owner=outsider, country="DE")
    segment = segments.segment_create(actor=owner, name="Germans", rules=GERMANS)
    assert members(segment) == {mine.pk, theirs.pk}


def test_a_bad_rule_refuses_the_segment():
    with pytest.raises(ValidationError, match="unknown field"):
        segments.segment_create(actor=None, name="Bad", rules={"rules": [{"field": "x", "op": "eq", "value": 1}]})
    assert not Segment.objects.exists()


def test_a_static_list_takes_customers_by_id_once_and_skips_deleted_ones():
    a, b = CustomerFactory(), CustomerFactory()
    gone = CustomerFactory(deleted_at=timezone.now())
    segment = segments.segment_create(actor=None, name="Hand-picked", kind=Segment.Kind.STATIC)
    assert segments.segment_add_members(segment=segment, customer_ids=[a.pk, b.pk, gone.pk], actor=None) == 2
    assert segments.segment_add_members(segment=segment, customer_ids=[a.pk], actor=None) == 0
    assert members(segment) == {a.pk, b.pk}
    assert Segment.objects.get(pk=segment.pk).member_count == 2
    assert set(segment_queryset(segment).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_a_dynamic_segment_takes_no_customers_by_hand():
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    with pytest.raises(ValidationError):
        segments.segment_add_members(segment=segment, customer_ids=[CustomerFactory().pk], actor=None)


def test_a_csv_of_emails_adds_customers_in_any_case_and_reports_bad_rows():
    ann = CustomerFactory(email="Ann@Example.com")
    bob = CustomerFactory(email="bob@example.com")
    segment = segments.segment_create(actor=None, name="Newsletter", kind=Segment.Kind.STATIC)
    csv = "Email\nann@example.COM\nnobody@example.com\nnot-an-email\nbob@example.com\n"
    table = kit.table_from_stream(io.BytesIO(csv.encode()), kind=segments.EMAILS, filename="emails.csv")
    result = segments.segment_import_emails(segment=segment, table=table, actor=None)
    assert members(segment) == {ann.pk, bob.pk}
    assert (result.rows, result.matched, result.added) == (4, 2, 2)
    assert [(row, email) for row, email, _why in result.problems] == [
        (3, "nobody@example.com"),
        (4, "not-an-email"),
    ]


def test_freezing_a_dynamic_segment_makes_a_static_copy_that_stays():
    german = CustomerFactory(country="DE")
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    frozen = segments.segment_freeze(segment=segment, actor=None)
    assert (frozen.kind, frozen.member_count) == (Segment.Kind.STATIC, 1)
    assert "Germans (frozen" in frozen.name
    german.country = "FR"
    german.save()
    segments.segment_refresh(segment=segment)
    segments.segment_refresh(segment=frozen)
    assert (members(segment), members(frozen)) == (set(), {german.pk})


def _scored(customer, *, r, f, segment_name):
    run = RfmRun.objects.order_by("-pk").first() or RfmRun.objects.create(as_of=timezone.now().date())
    RfmScore.objects.create(
        run=run, customer=customer, recency_days=1, frequency=1, monetary=1, r_score=r, f_score=f, m_score=1,
        segment=RfmSegment.objects.get(name=segment_name),
    )  # fmt: skip


def test_from_rfm_creates_a_segment_once_then_reuses_it():
    risky = CustomerFactory()
    _scored(risky, r=2, f=4, segment_name="At Risk")
    first, created = segments.segment_from_rfm(actor=None, rfm_segment="At Risk")
    again, created_again = segments.segment_from_rfm(actor=None, rfm_segment="At Risk")
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert first.name == "RFM: At Risk"
    assert members(first) == {risky.pk}
    cell, cell_created = segments.segment_from_rfm(actor=None, r="2", f="4")
    assert cell_created and cell.name == "RFM: R2 F4" and members(cell) == {risky.pk}
    assert Segment.objects.count() == 2


def test_from_rfm_refuses_an_unknown_segment():
    with pytest.raises(ValidationError):
        segments.segment_from_rfm(actor=None, rfm_segment="Nobody")


def test_the_task_refreshes_only_due_dynamic_segments():
    CustomerFactory(country="DE")
    due = segments.segment_create(actor=None, name="Due", rules=GERMANS, refresh_minutes=5)
    fresh = segments.segment_create(actor=None, name="Fresh", rules=GERMANS, refresh_minutes=60)
    Segment.objects.filter(pk=due.pk).update(refreshed_at=timezone.now() - timedelta(minutes=6))
    CustomerFactory(country="DE")
    assert segment_refresh_task.delay().get() == {"refreshed": 1, "failed": 0}
    assert (Segment.objects.get(pk=due.pk).member_count, Segment.objects.get(pk=fresh.pk).member_count) == (2, 1)


def test_an_rfm_run_enqueues_a_refresh_of_every_dynamic_segment(django_capture_on_commit_callbacks):
    CustomerFactory(country="DE")
    segment = segments.segment_create(actor=None, name="Fresh", rules=GERMANS, refresh_minutes=600)
    CustomerFactory(country="DE")
    with django_capture_on_commit_callbacks(execute=True):
        rfm_run_finished.send(sender=RfmRun, run=None)
    assert Segment.objects.get(pk=segment.pk).member_count == 2


def test_the_command_refreshes_one_segment_or_all():
    CustomerFactory(country="DE")
    segment = segments.segment_create(actor=None, name="Germans", rules=GERMANS)
    CustomerFactory(country="DE")
    out = io.StringIO()
    call_command("refresh_segments", "--segment", str(segment.pk), stdout=out)
    assert "Germans: 2 members" in out.getvalue()
    call_command("refresh_segments", stdout=io.StringIO())
    assert Segment.objects.get(pk=segment.pk).member_count == 2
