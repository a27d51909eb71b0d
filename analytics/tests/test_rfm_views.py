"""The RFM report, "Run now", the export, the customer-list drill-down and the customer panel."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse

from analytics.models import RfmRun, RfmScore, RfmSegment
from analytics.services import rfm_score_run
from analytics.tests.helpers import order
from analytics.tests.test_scoring import AS_OF, days_before
from customers.tests.factories import CustomerFactory
from jobs.models import JobRun

pytestmark = pytest.mark.django_db

REPORT = reverse("analytics:rfm")
EXPORT = reverse("analytics:rfm-export")


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def scored(owner, outsider):
    """Three customers of the North team (one of them the owner's) and one of the South, scored."""
    champion = CustomerFactory(owner=owner, external_ref="C-1")
    for days in (1, 2, 3):
        order(champion, days_before(days), "100.00")
    sleeper = CustomerFactory(owner=owner)
    order(sleeper, days_before(200), "5.00")
    middle = CustomerFactory(owner=owner, external_ref="=HYPERLINK()")
    order(middle, days_before(20), "20.00")
    order(middle, days_before(30), "20.00")
    southern = CustomerFactory(owner=outsider)
    order(southern, days_before(10), "50.00")
    run = rfm_score_run(as_of=AS_OF)
    return {"run": run, "champion": champion, "sleeper": sleeper, "middle": middle, "southern": southern}


def segment_of(run, customer) -> RfmSegment | None:
    return RfmScore.objects.get(run=run, customer=customer).segment


# --- access ------------------------------------------------------------------------------
@pytest.mark.parametrize("url_name", ["analytics:rfm", "analytics:rfm-export"])
@pytest.mark.parametrize("persona", ["owner", "agent"])
def test_reps_and_agents_may_not_see_the_report_or_export(client_for, request, scored, persona, url_name):
    response = client_for(request.getfixturevalue(persona)).get(reverse(url_name))

    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["owner", "agent"])
def test_reps_and_agents_may_not_start_a_run(client_for, request, persona):
    response = client_for(request.getfixturevalue(persona)).post(reverse("analytics:rfm-run"), {})

    assert response.status_code == 403
    assert not RfmRun.objects.exists()


# --- the report --------------------------------------------------------------------------
def test_the_report_shows_the_grid_and_segments_of_the_latest_run(client_for, manager, scored):
    response = client_for(manager).get(REPORT)

    grid = {cell.cell: cell.customers for row in response.context["grid"] for cell in row}
    assert sum(grid.values()) == 4
    rows = {row.name: row for row in response.context["segment_rows"]}
    champion_segment = segment_of(scored["run"], scored["champion"]).name
    assert rows[champion_segment].customers >= 1
    assert sum(row.revenue for row in rows.values()) == 395
    html = response.content.decode()
    assert "Reward them, ask for referrals" in html or "Win back" in html  # segment explanations shown


def test_the_report_before_any_run_invites_to_run_it(client_for, manager):
    response = client_for(manager).get(REPORT)

    assert response.context["run"] is None
    assert 'id="rfm-empty"' in response.content.decode()


def test_the_report_reads_only_the_summary_with_a_fixed_number_of_queries(
    client_for, manager, scored, django_assert_num_queries
):
    client = client_for(manager)
    rfm_score_run(as_of=AS_OF + timedelta(days=30))
    client.get(REPORT)  # warm the movement cache and the session
    # session + user + roles; the run, the segments and the previous run come from the cache
    # (crm_project.fragments: runs and segments are watched), and the runs list is read only
    # when the report's body is drawn, not when it comes from the cache
    with django_assert_num_queries(3):
        response = client.get(REPORT)
    assert response.context["movement"]  # lazy: worked out only when the report's body is drawn


def test_movement_counts_customers_who_changed_segment(client_for, manager, scored):
    later = rfm_score_run(as_of=AS_OF + timedelta(days=400))  # everyone has gone quiet: the same order ages
    before = {c: segment_of(scored["run"], scored[c]) for c in ("champion", "sleeper", "middle", "southern")}
    after = {c: segment_of(later, scored[c]) for c in before}

    response = client_for(manager).get(REPORT, {"run": later.pk, "compare": scored["run"].pk})

    movement = response.context["movement"]
    expected_changed = sum(1 for c in before if before[c] != after[c])
    assert movement.changed == expected_changed
    rows = {key: dict(cells) for key, _label, cells in movement.rows}
    champion_from, champion_to = str(before["champion"].pk), str(after["champion"].pk)
    assert rows[champion_from][champion_to] >= 1


def test_a_run_with_pruned_scores_still_shows_its_summary(client_for, manager, scored, settings):
    settings.RFM_KEEP_RUNS = 1
    rfm_score_run(as_of=AS_OF)  # prunes the first run's rows

    response = client_for(manager).get(REPORT, {"run": scored["run"].pk})

    assert response.context["run"].scores_kept is False
    assert sum(cell.customers for row in response.context["grid"] for cell in row) == 4
    assert not response.context["movement"]


def test_an_unknown_run_is_not_found(client_for, manager, scored):
    assert client_for(manager).get(REPORT, {"run": 99999}).status_code == 404
    assert client_for(manager).get(REPORT, {"run": "x"}).status_code == 404


# --- run now -----------------------------------------------------------------------------
def test_run_now_queues_a_job_that_scores_with_the_chosen_date_and_window(
    client_for, manager, scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(reverse("analytics:rfm-run"), {"as_of": "2026-03-01", "window_days": "30"})

    job = JobRun.objects.get(name="analytics.rfm_score")
    assert response.status_code == 302 and response["Location"].endswith(f"?job={job.pk}")
    assert job.status == JobRun.Status.SUCCEEDED and job.triggered_by == manager
    run = RfmRun.objects.order_by("-pk").first()
    assert (run.as_of, run.window_days, run.trigger, run.triggered_by) == (date(2026, 3, 1), 30, "user", manager)
    assert job.counts == {"run": run.pk, "scored": run.n_scored}
    status = client_for(manager).get(reverse("analytics:rfm-job", args=[job.pk]))
    assert f"?run={run.pk}" in status.content.decode()


def test_run_now_rejects_a_bad_window_and_a_date_after_tomorrow(client_for, manager):
    response = client_for(manager).post(reverse("analytics:rfm-run"), {"as_of": "2999-01-01", "window_days": "0"})

    assert response.status_code == 400
    errors = response.context["run_form"].errors
    assert "as_of" in errors and "window_days" in errors
    assert not JobRun.objects.exists()


# --- the export --------------------------------------------------------------------------
def test_the_export_has_one_row_per_scored_customer_with_the_issue_columns(client_for, admin_user, scored):
    response = client_for(admin_user).get(EXPORT)

    rows = csv_rows(response)
    assert list(rows[0]) == ["customer_ref", "recency_days", "frequency", "monetary", "r_score", "f_score",
                             "m_score", "segment"]  # fmt: skip
    by_ref = {row["customer_ref"]: row for row in rows}
    assert len(rows) == 4
    champion = by_ref["C-1"]
    assert (champion["recency_days"], champion["frequency"], champion["monetary"]) == ("1", "3", "300.00")
    assert by_ref[str(scored["sleeper"].pk)]["frequency"] == "1"  # no external ref: the id
    assert "'=HYPERLINK()" in by_ref  # a formula-looking ref is neutralised


def test_a_manager_exports_only_the_customers_of_their_team(client_for, manager, scored):
    rows = csv_rows(client_for(manager).get(EXPORT))

    refs = {row["customer_ref"] for row in rows}
    assert str(scored["southern"].pk) not in refs
    assert len(rows) == 3


def test_the_export_of_one_segment(client_for, admin_user, scored):
    segment = segment_of(scored["run"], scored["champion"])

    rows = csv_rows(client_for(admin_user).get(EXPORT, {"segment": segment.pk}))

    assert {row["segment"] for row in rows} == {segment.name}
    assert "C-1" in {row["customer_ref"] for row in rows}


def test_rfm_export_command_writes_the_same_columns(tmp_path, scored):
    from django.core.management import call_command

    path = tmp_path / "rfm.csv"
    call_command("rfm_export", output=str(path))

    with path.open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4
    assert {row["customer_ref"] for row in rows} >= {"C-1", "=HYPERLINK()"}


def test_rfm_score_command_scores_with_the_given_date_and_window(capsys, scored):
    from django.core.management import call_command

    call_command("rfm_score", "--as-of", "2026-03-10", "--window-days", "15")

    run = RfmRun.objects.order_by("-pk").first()
    assert (run.as_of, run.window_days, run.trigger, run.n_scored) == (AS_OF, 15, "command", 2)
    assert f"RFM run {run.pk}" in capsys.readouterr().out


# --- drill-down into the customer list ---------------------------------------------------
def test_the_customer_list_filters_by_segment_of_the_latest_run(client_for, manager, scored):
    segment = segment_of(scored["run"], scored["champion"])

    response = client_for(manager).get(reverse("customers:customer-list"), {"rfm_segment": segment.pk})

    names = {row.record.pk for row in response.context["table"].page.object_list}
    assert scored["champion"].pk in names
    assert scored["sleeper"].pk not in names or segment_of(scored["run"], scored["sleeper"]) == segment


def test_a_cell_drill_down_stays_within_what_the_viewer_may_see(client_for, outsider, scored):
    score = RfmScore.objects.get(run=scored["run"], customer=scored["champion"])

    response = client_for(outsider).get(
        reverse("customers:customer-list"), {"rfm_run": scored["run"].pk, "rfm_cell": f"{score.r_score}{score.f_score}"}
    )

    assert scored["champion"].pk not in {row.record.pk for row in response.context["table"].page.object_list}


def test_a_movement_drill_down_lists_those_who_moved(client_for, admin_user, scored):
    later = rfm_score_run(as_of=AS_OF + timedelta(days=400))
    before, after = segment_of(scored["run"], scored["champion"]), segment_of(later, scored["champion"])

    response = client_for(admin_user).get(
        reverse("customers:customer-list"),
        {"rfm_run": later.pk, "rfm_segment": after.pk, "rfm_from_run": scored["run"].pk, "rfm_from_segment": before.pk},
    )

    listed = {row.record.pk for row in response.context["table"].page.object_list}
    assert scored["champion"].pk in listed
    assert all(segment_of(scored["run"], row.record) == before for row in response.context["table"].page.object_list)


def test_a_movement_drill_down_shows_each_of_its_filters_as_a_removable_chip(client_for, admin_user, scored):
    later = rfm_score_run(as_of=AS_OF + timedelta(days=400))
    before, after = segment_of(scored["run"], scored["champion"]), segment_of(later, scored["champion"])
    params = {
        "rfm_run": later.pk,
        "rfm_segment": after.pk,
        "rfm_from_run": scored["run"].pk,
        "rfm_from_segment": before.pk,
    }

    response = client_for(admin_user).get(reverse("customers:customer-list"), params)

    chips = {chip.label: chip for chip in response.context["filter_chips"]}
    assert {label: chip.value for label, chip in chips.items()} == {
        "RFM segment": after.name,
        "RFM run": f"run {later.pk}",
        "Compared with": f"run {scored['run'].pk}",
        "Segment before": before.name,
    }
    assert "rfm_from_segment" not in chips["Segment before"].remove_url
    assert f"rfm_segment={after.pk}" in chips["Segment before"].remove_url
    assert 'data-testid="filter-chip"' in response.content.decode()


def test_a_cell_drill_down_chip_reads_as_r_and_f(client_for, admin_user, scored):
    response = client_for(admin_user).get(reverse("customers:customer-list"), {"rfm_cell": "45"})
    assert [(chip.label, chip.value) for chip in response.context["filter_chips"]] == [("RFM cell", "R4 F5")]


# --- the customer page -------------------------------------------------------------------
def test_the_customer_page_shows_current_scores_segment_and_history(client_for, owner, scored):
    rfm_score_run(as_of=AS_OF + timedelta(days=1))

    response = client_for(owner).get(scored["champion"].get_absolute_url())

    html = response.content.decode()
    latest = RfmScore.objects.filter(customer=scored["champion"]).order_by("-run_id").first()
    assert f"R{latest.r_score} F{latest.f_score} M{latest.m_score}" in html
    assert latest.segment.name in html
    assert 'id="customer-rfm-history"' in html


def test_a_customer_without_orders_is_shown_as_not_scored(client_for, owner, scored):
    quiet = CustomerFactory(owner=owner)

    html = client_for(owner).get(quiet.get_absolute_url()).content.decode()

    assert "Not scored in the latest RFM runs" in html


def test_the_report_says_which_orders_each_f_score_covers_and_why_one_can_be_empty(client_for, manager, owner):
    for orders in [1, 1, 1, 1, 1, 1, 2, 2, 3, 5]:
        customer = CustomerFactory(owner=owner)
        for number in range(orders):
            order(customer, days_before(10 + number))
    run = rfm_score_run(as_of=AS_OF)

    assert run.summary["frequency_ranges"] == {"1": [1, 1], "4": [2, 2], "5": [3, 5]}
    content = client_for(manager).get(reverse("analytics:rfm"), {"run": run.pk}).content.decode()
    bands = content.split('id="frequency-bands"', 1)[1].split("</p>", 1)[0]
    assert "F1: 1 order" in bands
    assert "F2: —" in bands and "F3: —" in bands
    assert "F4: 2 orders" in bands
    assert "F5: 3–5 orders" in bands
    assert "share one F score" in bands


def test_a_team_manager_reads_how_many_of_a_cell_their_scope_hides(client_for, manager, admin_user, owner, outsider):
    for person in (owner, owner, owner, outsider, outsider):
        order(CustomerFactory(owner=person), days_before(5), "40.00")  # identical customers: one cell
    run = rfm_score_run(as_of=AS_OF)
    cell = RfmScore.objects.filter(run=run).values_list("r_score", "f_score").distinct().get()
    drill_down = {"rfm_run": run.pk, "rfm_cell": f"{cell[0]}{cell[1]}"}

    response = client_for(manager).get(reverse("customers:customer-list"), drill_down)

    assert len(response.context["table"].page.object_list) == 3
    assert "3 of 5: the others belong to other teams." in response.content.decode()
    everything = client_for(admin_user).get(reverse("customers:customer-list"), drill_down)
    assert 'data-testid="filter-note"' not in everything.content.decode()


def test_the_report_shows_at_once_that_a_runs_scores_were_dropped(client_for, manager, scored):
    from analytics.services.rfm import rfm_prune_runs

    client = client_for(manager)
    page = {"run": scored["run"].pk}
    assert "can no longer be listed" not in client.get(REPORT, page).content.decode()  # its body is cached
    rfm_prune_runs(keep=0)  # drops the run's rows in one UPDATE, which bumps the runs' version

    assert "can no longer be listed" in client.get(REPORT, page).content.decode()


def test_a_new_run_shows_in_the_report_at_once(client_for, manager, scored):
    client = client_for(manager)
    client.get(REPORT)
    client.get(REPORT)  # the run and its summary from the cache
    later = rfm_score_run(as_of=AS_OF + timedelta(days=30))
    assert client.get(REPORT).context["run"].pk == later.pk
