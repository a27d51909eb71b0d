"""The pipeline board: columns with counts and totals, lazy cards, moves by drag or select."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crm_project.fragments import bump_cache_version
from customers.models import Interaction
from sales.models import Deal, DealStageChange
from sales.services.deals import deal_move_stage
from sales.services.pipelines import StageData, pipeline_create
from sales.tests.factories import DealFactory, default_pipeline, stage_named

BOARD = reverse("sales:pipeline")
HTMX = {"HTTP_HX_REQUEST": "true"}


def column_url(stage, **params):
    from urllib.parse import urlencode

    return reverse("sales:board-column", args=[stage.pk]) + ("?" + urlencode(params) if params else "")


def move_url(deal):
    return reverse("sales:deal-move", args=[deal.pk])


def columns_by_name(response):
    """The open columns and the won and lost drop zones, by stage name."""
    columns = response.context["columns"] + response.context["summary"].closed
    return {column.stage.name: column for column in columns}


# --- columns -------------------------------------------------------------------------------
def test_each_column_shows_the_count_and_total_of_the_reps_own_deals(client_for, owner, teammate):
    DealFactory(owner=owner, amount=Decimal("1000.00"))
    DealFactory(owner=owner, amount=Decimal("250.50"))
    DealFactory(owner=owner, amount=Decimal("99.99"), stage=stage_named("Proposal"))
    DealFactory(owner=teammate, amount=Decimal("5000.00"))
    response = client_for(owner).get(BOARD)
    columns = columns_by_name(response)
    assert [column.stage.name for column in response.context["columns"]] == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
    ]  # won and lost are drop zones, shown while dragging
    assert [column.stage.name for column in response.context["summary"].closed] == ["Won", "Lost"]
    assert (columns["Qualification"].count, columns["Qualification"].totals) == (2, [("EUR", Decimal("1250.50"))])
    assert (columns["Proposal"].count, columns["Proposal"].totals) == (1, [("EUR", Decimal("99.99"))])
    assert (columns["Won"].count, columns["Won"].totals) == (0, [])
    content = response.content.decode()
    assert f'id="board-count-{stage_named("Qualification").pk}"' in content
    assert "1,250.50 EUR" in content


def test_the_board_shows_the_open_pipelines_total_and_what_was_won_lately(client_for, owner):
    DealFactory(owner=owner, amount=Decimal("1000.00"))
    DealFactory(owner=owner, amount=Decimal("500.00"), stage=stage_named("Negotiation"))
    DealFactory(owner=owner, amount=Decimal("700.00"), stage=stage_named("Won"), status="won", closed_at=timezone.now())
    response = client_for(owner).get(BOARD)
    summary = response.context["summary"]
    assert (summary.open_count, summary.open_totals) == (2, [("EUR", Decimal("1500.00"))])
    content = response.content.decode()
    total = content.split('data-testid="pipeline-total">', 1)[1].split("</strong>", 1)[0]
    assert total.strip() == "1,500.00 EUR"
    assert f'data-closed="{stage_named("Won").pk}"' in content


def test_totals_in_different_currencies_are_kept_apart(client_for, owner):
    DealFactory(owner=owner, amount=Decimal("100.00"), currency="EUR")
    DealFactory(owner=owner, amount=Decimal("40.00"), currency="USD")
    column = columns_by_name(client_for(owner).get(BOARD))["Qualification"]
    assert (column.count, column.totals) == (2, [("EUR", Decimal("100.00")), ("USD", Decimal("40.00"))])


def test_won_and_lost_columns_show_deals_closed_in_the_last_30_days_only(client_for, owner):
    now = timezone.now()
    won, lost = stage_named("Won"), stage_named("Lost")
    DealFactory(owner=owner, stage=won, status="won", closed_at=now - timedelta(days=3))
    DealFactory(owner=owner, stage=won, status="won", closed_at=now - timedelta(days=45))
    DealFactory(owner=owner, stage=lost, status="lost", closed_at=now - timedelta(days=31), lost_reason="Price")
    response = client_for(owner).get(BOARD)
    columns = columns_by_name(response)
    assert (columns["Won"].count, columns["Lost"].count) == (1, 0)
    assert "Closed in the last 30 days" in response.content.decode()
    cards = client_for(owner).get(column_url(won)).context["cards"]
    assert len(cards) == 1


def test_a_manager_sees_the_teams_deals_and_filters_them(client_for, manager, owner, teammate, outsider):
    mine = DealFactory(owner=owner, expected_close_date=date(2031, 3, 10))
    DealFactory(owner=teammate, expected_close_date=date(2031, 4, 1))
    DealFactory(owner=outsider, expected_close_date=date(2031, 3, 12))
    client = client_for(manager)
    assert columns_by_name(client.get(BOARD))["Qualification"].count == 2
    assert columns_by_name(client.get(BOARD, {"owner": owner.pk}))["Qualification"].count == 1
    assert columns_by_name(client.get(BOARD, {"close_month": "2031-03"}))["Qualification"].count == 1
    cards = client.get(column_url(stage_named("Qualification"), close_month="2031-03")).context["cards"]
    assert cards == [mine]


def test_a_rep_with_team_scope_sees_teammates_deals_on_the_board(client_for, owner, teammate, outsider, settings):
    settings.CRM_SCOPE_SALES_REP = "team"
    DealFactory(owner=teammate)
    DealFactory(owner=outsider)
    assert columns_by_name(client_for(owner).get(BOARD))["Qualification"].count == 1


def test_another_pipeline_is_picked_by_its_id(client_for, owner, manager):
    renewals = pipeline_create(
        actor=manager, name="Renewals", stages=[StageData(name="Up for renewal", probability=40, position=0)]
    )
    DealFactory(owner=owner, pipeline=renewals)
    response = client_for(owner).get(BOARD, {"pipeline": renewals.pk})
    assert response.context["pipeline"] == renewals
    assert [(c.stage.name, c.count) for c in response.context["columns"]] == [("Up for renewal", 1)]
    assert client_for(owner).get(BOARD, {"pipeline": "nonsense"}).context["pipeline"] == default_pipeline()


def test_support_agents_and_anonymous_users_do_not_get_the_board(client, client_for, agent):
    assert client.get(BOARD).status_code == 302
    assert client_for(agent).get(BOARD).status_code == 403
    assert client_for(agent).get(column_url(stage_named("Qualification"))).status_code == 403


# --- lazy cards ------------------------------------------------------------------------------
def test_a_column_loads_twenty_cards_at_a_time(client_for, owner):
    today = timezone.localdate()
    deals = [DealFactory(owner=owner, expected_close_date=today + timedelta(days=n)) for n in range(23)]
    client = client_for(owner)
    stage = stage_named("Qualification")
    first = client.get(column_url(stage), **HTMX)
    assert first.context["cards"] == deals[:20]
    content = first.content.decode()
    assert content.count('class="deal-card') == 20
    assert f'id="board-more-{stage.pk}"' in content and "page=2" in content and "Show more" in content
    second = client.get(column_url(stage, page=2), **HTMX)
    assert second.context["cards"] == deals[20:]
    assert "Show more" not in second.content.decode()


def test_a_card_shows_owner_days_in_stage_and_a_stuck_badge(client_for, owner):
    DealFactory(owner=owner, title="Old one", stage_changed_at=timezone.now() - timedelta(days=20))
    DealFactory(owner=owner, title="Fresh one")
    content = client_for(owner).get(column_url(stage_named("Qualification"))).content.decode()
    old, fresh = content.split('class="deal-card')[1:]
    assert "Old one" in old and "Stuck" in old and "20 days in stage" in old and "Olivia" in old
    assert "Fresh one" in fresh and "Stuck" not in fresh and "0 days in stage" in fresh


def test_cards_the_viewer_cannot_change_have_no_stage_menu(client_for, owner, admin_user):
    DealFactory(owner=owner)
    content = client_for(owner).get(column_url(stage_named("Qualification"))).content.decode()
    assert "board-move" in content and "is-draggable" in content


# --- moving --------------------------------------------------------------------------------
def test_a_drag_moves_the_deal_and_refreshes_both_column_headers(client_for, owner):
    deal = DealFactory(owner=owner, amount=Decimal("700.00"))
    DealFactory(owner=owner, amount=Decimal("300.00"))
    qualification, analysis = stage_named("Qualification"), stage_named("Needs analysis")
    response = client_for(owner).post(move_url(deal), {"stage": analysis.pk}, **HTMX)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == analysis
    assert DealStageChange.objects.filter(deal=deal, from_stage=qualification, to_stage=analysis).exists()
    assert Interaction.objects.filter(action="deal.stage_changed", data__deal=deal.pk).exists()
    content = response.content.decode()
    assert f'hx-swap-oob="afterbegin:#board-cards-{analysis.pk}"' in content
    assert f'id="deal-card-{deal.pk}"' in content
    heads = {c.stage.name: (c.count, c.totals) for c in response.context["columns"]}
    assert heads == {
        "Qualification": (1, [("EUR", Decimal("300.00"))]),
        "Needs analysis": (1, [("EUR", Decimal("700.00"))]),
    }
    assert content.count('hx-swap-oob="true"') == 4  # two headers, the pipeline total, the screen-reader status


def test_the_move_keeps_the_board_filters_for_the_headers(client_for, manager, owner, teammate):
    deal = DealFactory(owner=owner)
    DealFactory(owner=teammate)
    url = move_url(deal) + f"?owner={owner.pk}"
    response = client_for(manager).post(url, {"stage": stage_named("Proposal").pk}, **HTMX)
    heads = {c.stage.name: c.count for c in response.context["columns"]}
    assert heads == {"Qualification": 0, "Proposal": 1}


def test_the_stage_menu_without_javascript_moves_and_goes_back_to_the_board(client_for, owner):
    deal = DealFactory(owner=owner)
    back = BOARD + f"?pipeline={deal.pipeline_id}"
    response = client_for(owner).post(move_url(deal), {"stage": stage_named("Proposal").pk, "next": back})
    assert response.status_code == 302 and response.url == back
    deal.refresh_from_db()
    assert deal.stage.name == "Proposal"


def test_an_unsafe_next_address_is_ignored(client_for, owner):
    deal = DealFactory(owner=owner)
    response = client_for(owner).post(
        move_url(deal), {"stage": stage_named("Proposal").pk, "next": "https://evil.example/"}
    )
    assert response.url == deal.get_absolute_url()


def test_a_teammates_or_outsiders_deal_cannot_be_moved_by_a_rep(client_for, owner, teammate, outsider):
    client = client_for(owner)
    for other in (teammate, outsider):
        deal = DealFactory(owner=other)
        assert client.post(move_url(deal), {"stage": stage_named("Proposal").pk}, **HTMX).status_code == 404
        deal.refresh_from_db()
        assert deal.stage.name == "Qualification"


def test_a_support_agent_cannot_move_a_deal(client_for, agent, owner):
    deal = DealFactory(owner=owner)
    assert client_for(agent).post(move_url(deal), {"stage": stage_named("Proposal").pk}).status_code == 403
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


def test_moving_needs_a_post(client_for, owner):
    deal = DealFactory(owner=owner)
    assert client_for(owner).get(move_url(deal)).status_code == 405


def test_moving_to_the_lost_stage_needs_a_reason(client_for, owner):
    deal = DealFactory(owner=owner)
    lost = stage_named("Lost")
    client = client_for(owner)
    refused = client.post(move_url(deal), {"stage": lost.pk}, **HTMX)
    assert refused.status_code == 422 and "Say why the deal was lost." in refused.content.decode()
    # Without JavaScript: a page that asks for the reason.
    page = client.post(move_url(deal), {"stage": lost.pk, "next": BOARD})
    assert page.status_code == 200
    assert page.templates[0].name == "sales/deal_lost.html"
    assert 'name="lost_reason"' in page.content.decode()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    done = client.post(move_url(deal), {"stage": lost.pk, "lost_reason": "Too expensive", "next": BOARD})
    assert done.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "Too expensive")


def test_a_stage_of_another_pipeline_is_refused(client_for, owner, manager):
    other = pipeline_create(
        actor=manager, name="Other", stages=[StageData(name="Elsewhere", probability=5, position=0)]
    )
    deal = DealFactory(owner=owner)
    response = client_for(owner).post(move_url(deal), {"stage": other.stages.get().pk}, **HTMX)
    assert response.status_code == 422
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


# --- query counts ------------------------------------------------------------------------------
def test_the_board_query_count_does_not_grow_with_the_deals(
    client_for, owner, django_assert_num_queries, drawn_after_a_write
):
    client = client_for(owner)
    DealFactory(owner=owner)
    client.get(BOARD)
    bump_cache_version(Deal)  # a write: the board is drawn again, not taken from the cache
    # session, user, roles, stages, the one aggregate for all columns (the pipelines and the
    # filter form's menus, owners and teams, come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(5):
        client.get(BOARD)
    for stage in ("Qualification", "Proposal", "Won"):
        DealFactory.create_batch(15, owner=owner, stage=stage_named(stage), closed_at=timezone.now())
    with django_assert_num_queries(5):
        response = client.get(BOARD)
    assert columns_by_name(response)["Proposal"].count == 15


def test_a_board_nobody_changed_is_served_from_the_cache(client_for, owner, django_assert_num_queries):
    DealFactory(owner=owner, stage=stage_named("Proposal"), amount=Decimal("700.00"))
    client = client_for(owner)
    client.get(BOARD)
    with django_assert_num_queries(3):  # session, user, roles and teams: no deal is read
        html = client.get(BOARD).content.decode()
    assert "700" in html


def test_a_moved_deal_shows_in_its_new_column_at_once(client_for, owner):
    deal = DealFactory(owner=owner, stage=stage_named("Qualification"))
    client = client_for(owner)
    assert columns_by_name(client.get(BOARD))["Proposal"].count == 0
    client.get(BOARD)  # from the cache
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    assert columns_by_name(client.get(BOARD))["Proposal"].count == 1


def test_deals_written_set_based_show_at_once(client_for, owner):
    DealFactory(owner=owner, stage=stage_named("Qualification"))
    client = client_for(owner)
    client.get(BOARD)
    client.get(BOARD)  # from the cache
    Deal.objects.update(stage=stage_named("Proposal"))
    assert columns_by_name(client.get(BOARD))["Proposal"].count == 1


def test_a_rep_never_gets_another_reps_cached_board(client_for, owner, outsider):
    DealFactory(owner=owner, stage=stage_named("Proposal"))
    client_for(owner).get(BOARD)
    assert columns_by_name(client_for(outsider).get(BOARD))["Proposal"].count == 0


def test_a_column_request_query_count_does_not_grow_with_the_deals(
    client_for, manager, owner, teammate, django_assert_num_queries
):
    client = client_for(manager)
    stage = stage_named("Qualification")
    DealFactory(owner=owner)
    client.get(column_url(stage), **HTMX)
    # session, user, roles and teams, stage, the pipeline's stages, one page of cards
    with django_assert_num_queries(6):
        client.get(column_url(stage), **HTMX)
    DealFactory.create_batch(15, owner=owner)
    DealFactory.create_batch(15, owner=teammate)
    with django_assert_num_queries(6):
        response = client.get(column_url(stage, page=1), **HTMX)
    assert len(response.context["cards"]) == 20


def test_the_default_pipeline_and_its_stages_read_in_turkish(client_for, owner):
    from django.utils import translation

    DealFactory(owner=owner)
    with translation.override("tr"):
        assert stage_named("Qualification").display_name == "Nitelendirme"
        assert str(stage_named("Won").pipeline) == "Satış"
    response = client_for(owner).get(BOARD, headers={"accept-language": "tr"})
    content = response.content.decode()
    assert "Nitelendirme" in content and "Qualification" not in content.split("<main", 1)[1]


def test_a_stage_an_admin_named_shows_as_typed(client_for, owner):
    from django.utils import translation

    stage = stage_named("Proposal")
    stage.name = "Angebot"
    with translation.override("tr"):
        assert stage.display_name == "Angebot"
