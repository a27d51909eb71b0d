"""History of configuration in sales: pipelines, stages, products, targets and assignment rules
record who changed what, from which value to which, on the admin History pages."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import AssignmentRule, Pipeline, Product, Stage, Target
from sales.seed.deals import seed_demo
from sales.services.deals import pipeline_create_default
from sales.services.leads import lead_create
from sales.services.pipelines import StageData, pipeline_create
from sales.tests.factories import AssignmentRuleFactory, ProductFactory, TargetFactory, default_pipeline, stage_named

pytestmark = pytest.mark.django_db


def change_shown(page: str, field: str, old: str, new: str) -> bool:
    """The History page lists `field: old → new` in one change."""
    pattern = rf"<strong>{re.escape(field)}:</strong>\s*<span class=\"old\">{re.escape(old)}</span>\s*&rarr;\s*"
    return re.search(pattern + rf"<span class=\"new\">{re.escape(new)}</span>", page) is not None


def history_page(client, model, pk) -> str:
    response = client.get(reverse(f"admin:sales_{model}_history", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def stage_formset_data(pipeline: Pipeline, **changes) -> dict:
    """What the pipeline editor posts, with `changes` per stage name."""
    stages = list(pipeline.stages.order_by("position", "pk"))
    data = {
        "name": pipeline.name,
        "stuck_after_days": pipeline.stuck_after_days,
        "is_default": "on" if pipeline.is_default else "",
        "position": pipeline.position,
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for index, stage in enumerate(stages):
        row = {"id": stage.pk, "pipeline": pipeline.pk, "name": stage.name, "probability": stage.probability}
        row |= {
            "position": stage.position,
            "is_won": "on" if stage.is_won else "",
            "is_lost": "on" if stage.is_lost else "",
        }
        row.update(changes.get(stage.name, {}))
        data.update({f"stages-{index}-{key}": value for key, value in row.items() if value != ""})
    return data


# --- products ----------------------------------------------------------------------------------
def test_a_price_changed_in_the_admin_shows_old_and_new_price_and_who_on_the_products_history_page(
    client_for, admin_user
):
    product = ProductFactory(name="Seat licence", sku="SEAT-1", price=Decimal("99.00"))
    client = client_for(admin_user)
    data = {"name": "Seat licence", "sku": "SEAT-1", "price": "120.00", "currency": "EUR", "is_active": "on"}
    assert client.post(reverse("admin:sales_product_change", args=[product.pk]), data).status_code == 302

    page = history_page(client, "product", product.pk)

    assert change_shown(page, "Price", "99.00", "120.00")
    assert "Ada" in page and "(ada)" in page
    latest = product.history.first()
    assert (latest.history_type, latest.history_user, latest.price) == ("~", admin_user, Decimal("120.00"))


def test_a_price_changed_by_a_manager_in_the_product_form_is_recorded_with_the_manager(client_for, manager, admin_user):
    product = ProductFactory(name="Support plan", sku="SUP-1", price=Decimal("49.90"))
    data = {"name": "Support plan", "sku": "SUP-1", "price": "59.90", "currency": "EUR", "is_active": "on"}
    assert client_for(manager).post(reverse("sales:product-edit", args=[product.pk]), data).status_code == 302

    page = history_page(client_for(admin_user), "product", product.pk)

    assert change_shown(page, "Price", "49.90", "59.90")
    assert "(maria)" in page
    assert product.history.first().history_user == manager


def test_saving_a_product_without_a_change_adds_no_history_row(manager):
    from sales.services.orders import product_update

    product = ProductFactory()
    product_update(product=product, actor=manager, price=Decimal("99.00"))
    assert product.history.count() == 1  # created, nothing since


# --- pipelines and stages ---------------------------------------------------------------------
def test_a_probability_changed_in_the_pipeline_editor_shows_old_new_and_the_manager_on_the_history_pages(
    client_for, manager, admin_user
):
    pipeline = default_pipeline()
    proposal = stage_named("Proposal")
    assert proposal.probability == 50
    data = stage_formset_data(pipeline, Proposal={"probability": 65})
    response = client_for(manager).post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data)
    assert response.status_code == 302

    admin = client_for(admin_user)
    stage_page = history_page(admin, "stage", proposal.pk)
    assert change_shown(stage_page, "Win probability (%)", "50", "65")
    assert "(maria)" in stage_page
    pipeline_page = history_page(admin, "pipeline", pipeline.pk)
    stage_table = pipeline_page[pipeline_page.index('id="stage-change-history"') :]
    assert change_shown(stage_table, "Win probability (%)", "50", "65")
    assert "(maria)" in stage_table and "Proposal" in stage_table


def test_the_pipeline_editor_records_only_the_stages_that_changed(client_for, manager):
    pipeline = default_pipeline()
    before = Stage.history.count()
    data = stage_formset_data(pipeline, Proposal={"probability": 65})
    client_for(manager).post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data)
    assert Stage.history.count() == before + 1
    assert pipeline.history.count() == 1  # the pipeline itself did not change


def test_a_stage_deleted_in_the_pipeline_editor_is_recorded_with_the_manager(client_for, manager):
    pipeline = default_pipeline()
    negotiation = stage_named("Negotiation")
    data = stage_formset_data(pipeline, Negotiation={"DELETE": "on"})
    assert client_for(manager).post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data).status_code == 302
    deleted = Stage.history.filter(id=negotiation.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", manager)


def test_a_new_default_pipeline_records_that_the_old_default_lost_its_flag(manager):
    old_default = default_pipeline()
    pipeline_create(
        actor=manager, name="Partners", stages=[StageData(name="Talk", probability=10, position=0)], is_default=True
    )
    latest = old_default.history.first()
    assert (latest.is_default, latest.history_type, latest.history_user) == (False, "~", manager)
    assert Pipeline.objects.get(name="Partners").history.get().history_user == manager


def test_the_pipeline_made_when_none_exists_has_a_history_row_per_stage(db):
    Pipeline.objects.all().delete()
    pipeline = pipeline_create_default()
    stage_ids = set(pipeline.stages.values_list("pk", flat=True))
    assert set(Stage.history.filter(history_type="+", pipeline_id=pipeline.pk).values_list("id", flat=True)) == (
        stage_ids
    )


def test_the_migrated_default_stages_show_their_first_change(client_for, manager, admin_user):
    """The default pipeline came from a data migration; its baseline row makes the old value known."""
    won = stage_named("Won")
    baseline = won.history.get()
    assert (baseline.history_change_reason, baseline.probability) == ("history-start", 100)
    page = history_page(client_for(admin_user), "stage", won.pk)
    assert "Values when history began" in page


# --- targets -----------------------------------------------------------------------------------
def test_setting_changing_and_clearing_a_target_in_the_grid_is_recorded_with_the_manager(
    client_for, manager, team, owner
):
    month = timezone.localdate().replace(day=1)
    url = reverse("sales:target-edit", args=[team.pk])
    field = f"user_{owner.pk}_{month:%Y%m}"
    client = client_for(manager)
    blank = {name: "" for name in client.get(url).context["form"].fields}
    for amount in ("1000.00", "1500.00", ""):
        assert client.post(url, {**blank, field: amount}).status_code == 302

    records = Target.history.filter(user=owner, month=month).order_by("history_date", "history_id")
    assert [(r.history_type, r.amount, r.history_user) for r in records] == [
        ("+", Decimal("1000.00"), manager),
        ("~", Decimal("1500.00"), manager),
        ("-", Decimal("1500.00"), manager),
    ]


def test_a_target_changed_in_the_admin_shows_old_and_new_amount(client_for, admin_user, owner):
    target = TargetFactory(user=owner, month=date(2026, 3, 1), amount=Decimal("1000.00"))
    client = client_for(admin_user)
    data = {"month": "2026-03-01", "user": owner.pk, "team": "", "amount": "2500.00"}
    assert client.post(reverse("admin:sales_target_change", args=[target.pk]), data).status_code == 302
    assert change_shown(history_page(client, "target", target.pk), "Target", "1000.00", "2500.00")


# --- assignment rules ----------------------------------------------------------------------------
def test_creating_editing_and_deleting_a_rule_is_recorded_with_the_manager(client_for, manager, team, outsider):
    client = client_for(manager)
    client.post(
        reverse("sales:assignment-rule-create"),
        {"source": "web", "strategy": "round_robin", "team": team.pk, "position": 0, "is_active": "on"},
    )
    rule = AssignmentRule.objects.get()
    client.post(
        reverse("sales:assignment-rule-edit", args=[rule.pk]),
        {"source": "partner", "strategy": "user", "user": outsider.pk, "position": 1, "is_active": "on"},
    )
    client.post(reverse("sales:assignment-rule-delete", args=[rule.pk]))

    records = AssignmentRule.history.filter(id=rule.pk).order_by("history_date", "history_id")
    assert [(r.history_type, r.source, r.history_user) for r in records] == [
        ("+", "web", manager),
        ("~", "partner", manager),
        ("-", "partner", manager),
    ]


def test_a_rule_change_shows_the_choice_labels(client_for, admin_user, team, outsider):
    rule = AssignmentRuleFactory(team=team, source="web")
    client = client_for(admin_user)
    data = {"source": "partner", "strategy": "user", "user": outsider.pk, "team": "", "position": 0, "is_active": "on"}
    assert client.post(reverse("admin:sales_assignmentrule_change", args=[rule.pk]), data).status_code == 302
    page = history_page(client, "assignmentrule", rule.pk)
    assert change_shown(page, "Source", "Website", "Partner")
    assert change_shown(page, "Strategy", "Round-robin within the team", "Always this user")


def test_handing_out_leads_by_round_robin_adds_no_rule_history(owner, teammate, team):
    rule = AssignmentRuleFactory(team=team)
    for index in range(3):
        lead_create(actor=None, last_name=f"Lead {index}", source="web")
    rule.refresh_from_db()
    assert rule.last_assigned is not None
    assert rule.history.count() == 1


# --- demo data ---------------------------------------------------------------------------------
def test_seeded_demo_products_start_their_history_so_a_first_change_shows_the_old_price(owner):
    seed_demo(customers=0, stdout=io.StringIO())
    products = Product.objects.filter(sku__startswith="DEMO-")
    assert products.exists()
    assert Product.history.filter(sku__startswith="DEMO-", history_type="+").count() == products.count()
