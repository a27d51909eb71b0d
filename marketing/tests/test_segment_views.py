"""Segment pages: who may open them, the editor (bad rules are form errors, the live preview),
the page with members and its actions, one click from the RFM report, the customer list's
"Make a segment" link and bulk action, a CSV of emails, and Turkish."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from analytics.models import RfmRun, RfmScore, RfmSegment
from customers.tests.factories import CustomerFactory
from marketing.models import Segment, SegmentMember
from marketing.services import segments

pytestmark = pytest.mark.django_db

GERMANS = {"match": "all", "rules": [{"field": "country", "op": "eq", "value": "DE"}]}


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", role=roles.MARKETER)


def editor_post(**changes) -> dict:
    data = {
        "name": "Germans",
        "kind": "dynamic",
        "filters": "",
        "refresh_minutes": "60",
        "match": "all",
        "groups_match": "any",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "30",
        "rules-0-group": "0",
        "rules-0-field": "country",
        "rules-0-op": "eq",
        "rules-0-value": "DE",
        "rules-1-group": "0",
        "rules-1-field": "",
        "rules-1-op": "eq",
        "rules-1-value": "",
    }
    return data | changes


@pytest.mark.parametrize("persona", ["owner", "agent"])
@pytest.mark.parametrize(
    "url",
    [
        "/marketing/",
        "/marketing/segments/",
        "/marketing/segments/new/",
        "/marketing/segments/1/",
        "/marketing/segments/1/export/",
        "/marketing/segments/add/?ids=1",
    ],
)
def test_sales_reps_and_agents_get_403(request, client_for, persona, url):
    segment = Segment.objects.create(pk=1, name="Any")
    assert client_for(request.getfixturevalue(persona)).get(url).status_code == 403
    assert segment.pk == 1


@pytest.mark.parametrize("persona", ["owner", "agent"])
def test_sales_reps_and_agents_cannot_post_segment_actions(request, client_for, persona):
    segment = Segment.objects.create(name="Any")
    client = client_for(request.getfixturevalue(persona))
    for url in (
        reverse("marketing:segment-from-rfm"),
        reverse("marketing:segment-refresh", args=[segment.pk]),
        reverse("marketing:segment-freeze", args=[segment.pk]),
        reverse("marketing:segment-delete", args=[segment.pk]),
    ):
        assert client.post(url, {"rfm_segment": "At Risk"}).status_code == 403
    assert Segment.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client):
    assert client.get("/marketing/segments/").status_code == 302


@pytest.mark.parametrize("persona", ["manager", "marketer"])
def test_managers_and_marketers_open_the_marketing_home_with_counts_and_links(request, client_for, persona):
    Segment.objects.create(name="Any")
    response = client_for(request.getfixturevalue(persona)).get("/marketing/")
    assert response.status_code == 200
    content = response.content.decode()
    for path in ("/marketing/segments/", "/marketing/templates/", "/marketing/campaigns/", "/marketing/forms/"):
        assert f'href="{path}"' in content
    assert response.context["cards"][0]["count"] == 1


def test_the_segment_list_shows_segments_with_a_constant_number_of_queries(
    client_for, marketer, django_assert_max_num_queries
):
    client = client_for(marketer)
    Segment.objects.create(name="One")
    client.get("/marketing/segments/")
    with django_assert_max_num_queries(12) as few:
        client.get("/marketing/segments/")
    for n in range(20):
        Segment.objects.create(name=f"S{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/marketing/segments/")
    assert "S19" in response.content.decode()


def test_a_marketer_creates_a_segment_from_the_editor(client_for, marketer):
    german = CustomerFactory(country="DE")
    CustomerFactory(country="FR")
    response = client_for(marketer).post(reverse("marketing:segment-create"), editor_post())
    segment = Segment.objects.get()
    assert response.status_code == 302 and response.url == reverse("marketing:segment-detail", args=[segment.pk])
    assert segment.rules == {**GERMANS, "groups": []}
    assert list(SegmentMember.objects.values_list("customer_id", flat=True)) == [german.pk]
    assert segment.created_by == marketer


def test_a_bad_rule_is_a_form_error_and_nothing_is_saved(client_for, marketer):
    response = client_for(marketer).post(
        reverse("marketing:segment-create"),
        editor_post(**{"rules-0-field": "lifetime_spend", "rules-0-op": "gt", "rules-0-value": "lots"}),  # fmt: skip
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Rule 1" in errors and "“lots” is not a number" in errors
    assert "“lots” is not a number" in response.content.decode()
    assert not Segment.objects.exists()


def test_grouped_rows_become_groups(client_for, marketer):
    data = editor_post(**{"rules-1-group": "1", "rules-1-field": "country", "rules-1-op": "in",
                          "rules-1-value": "DE,FR", "groups_match": "any"})  # fmt: skip
    client_for(marketer).post(reverse("marketing:segment-create"), data)
    assert Segment.objects.get().rules["groups"] == [
        {"match": "any", "rules": [{"field": "country", "op": "in", "value": "DE,FR"}]}
    ]


def test_the_editor_previews_the_count_and_first_members_live(client_for, marketer):
    CustomerFactory(country="DE", last_name="Schmidt")
    CustomerFactory(country="FR", last_name="Martin")
    client = client_for(marketer)
    response = client.post(reverse("marketing:segment-preview"), editor_post(name=""))
    assert response.context["count"] == 1
    assert "Schmidt" in response.content.decode() and "Martin" not in response.content.decode()
    bad = client.post(reverse("marketing:segment-preview"), editor_post(**{"rules-0-op": "gt"}))
    assert "cannot use the operator" in bad.content.decode()


def test_make_a_segment_from_the_customer_list_keeps_its_filters(client_for, marketer):
    response = client_for(marketer).get(reverse("marketing:segment-create") + "?filters=country%3DDE%26sort%3Dname")
    assert response.context["form"].initial["filters"] == "country=DE"


def test_editing_rules_refreshes_the_members(client_for, marketer):
    CustomerFactory(country="DE")
    french = CustomerFactory(country="FR")
    segment = segments.segment_create(actor=marketer, name="Germans", rules=GERMANS)
    response = client_for(marketer).post(
        reverse("marketing:segment-edit", args=[segment.pk]),
        editor_post(**{"rules-0-value": "FR", "rules-INITIAL_FORMS": "1"}),
    )
    assert response.status_code == 302
    assert list(SegmentMember.objects.filter(segment=segment).values_list("customer_id", flat=True)) == [french.pk]


def test_the_segment_page_shows_members_page_by_page_in_few_queries(
    client_for, marketer, django_assert_max_num_queries
):
    CustomerFactory.create_batch(30, country="DE")
    segment = segments.segment_create(actor=marketer, name="Germans", rules=GERMANS)
    client = client_for(marketer)
    client.get(reverse("marketing:segment-detail", args=[segment.pk]))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("marketing:segment-detail", args=[segment.pk]))
    assert len(response.context["page"].object_list) == 25
    assert "Country is DE" in response.content.decode()
    second = client.get(reverse("marketing:segment-detail", args=[segment.pk]) + "?page=2")
    assert len(second.context["page"].object_list) == 5


def test_refresh_freeze_export_and_delete_from_the_segment_page(client_for, marketer):
    german = CustomerFactory(country="DE", email="=cmd@example.com")
    segment = segments.segment_create(actor=marketer, name="Germans", rules=GERMANS)
    client = client_for(marketer)
    CustomerFactory(country="DE")
    client.post(reverse("marketing:segment-refresh", args=[segment.pk]))
    assert Segment.objects.get(pk=segment.pk).member_count == 2
    response = client.post(reverse("marketing:segment-freeze", args=[segment.pk]))
    frozen = Segment.objects.get(kind=Segment.Kind.STATIC)
    assert response.url == reverse("marketing:segment-detail", args=[frozen.pk]) and frozen.member_count == 2
    export = client.get(reverse("marketing:segment-export", args=[segment.pk]))
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0] == "id,email,first_name,last_name,country,email_consent"
    assert any(line.startswith(f"{german.pk},'=cmd@example.com") for line in lines)
    client.post(reverse("marketing:segment-delete", args=[segment.pk]))
    assert not Segment.objects.filter(pk=segment.pk).exists()


def _latest_run_with(customer, *, segment_name: str, r: int, f: int) -> RfmRun:
    run = RfmRun.objects.create(as_of=timezone.now().date())
    RfmScore.objects.create(run=run, customer=customer, recency_days=1, frequency=1, monetary=1, r_score=r,
                            f_score=f, m_score=1, segment=RfmSegment.objects.get(name=segment_name))  # fmt: skip
    return run


def test_from_rfm_creates_the_segment_then_reuses_it_and_opens_it(client_for, manager):
    risky = CustomerFactory()
    _latest_run_with(risky, segment_name="At Risk", r=2, f=4)
    client = client_for(manager)
    first = client.post(reverse("marketing:segment-from-rfm"), {"rfm_segment": "At Risk"})
    segment = Segment.objects.get(name="RFM: At Risk")
    assert first.url == reverse("marketing:segment-detail", args=[segment.pk])
    second = client.post(reverse("marketing:segment-from-rfm"), {"rfm_segment": "At Risk"})
    assert second.url == first.url and Segment.objects.count() == 1
    cell = client.post(reverse("marketing:segment-from-rfm"), {"r": "2", "f": "4"})
    assert Segment.objects.get(name="RFM: R2 F4").member_count == 1 and cell.status_code == 302
    page = client.get(first.url)
    assert str(risky) in page.content.decode()


def test_the_rfm_report_offers_make_a_segment_on_rows_and_cells_to_managers(client_for, manager):
    _latest_run_with(CustomerFactory(), segment_name="At Risk", r=2, f=4)
    from analytics.services.rfm import _finish, rfm_cell_segments  # the summary the report reads

    run = RfmRun.objects.get()
    _finish(run, rfm_cell_segments(), 0)
    content = client_for(manager).get(reverse("analytics:rfm")).content.decode()
    action = reverse("marketing:segment-from-rfm")
    assert f'action="{action}"' in content
    assert 'name="rfm_segment" value="At Risk"' in content
    assert 'name="r" value="2"><input type="hidden" name="f" value="4"' in content


def test_the_customer_list_offers_make_a_segment_and_the_bulk_action_only_to_marketers(client_for, manager, owner):
    CustomerFactory(owner=owner)
    manager_page = client_for(manager).get(reverse("customers:customer-list")).content.decode()
    assert reverse("marketing:segment-create") in manager_page
    assert 'value="marketing_add_to_list"' in manager_page
    rep_page = client_for(owner).get(reverse("customers:customer-list")).content.decode()
    assert reverse("marketing:segment-create") not in rep_page
    assert "marketing_add_to_list" not in rep_page


def test_the_bulk_action_adds_the_chosen_customers_to_a_new_static_list(client_for, manager):
    a, b = CustomerFactory(), CustomerFactory()
    client = client_for(manager)
    response = client.post(reverse("customers:customer-bulk"), {"action": "marketing_add_to_list", "ids": [a.pk, b.pk]})
    assert response.url == reverse("marketing:segment-add") + f"?ids={a.pk},{b.pk}"
    page = client.get(response.url)
    assert page.context["chosen"] == 2
    done = client.post(reverse("marketing:segment-add"), {"ids": f"{a.pk},{b.pk}", "new_name": "Fair leads"})
    segment = Segment.objects.get(name="Fair leads")
    assert done.url == reverse("marketing:segment-detail", args=[segment.pk])
    assert (segment.kind, segment.member_count) == (Segment.Kind.STATIC, 2)


def test_a_csv_of_emails_fills_a_static_list_and_lists_the_rows_not_added(client_for, marketer):
    ann = CustomerFactory(email="ann@example.com")
    segment = segments.segment_create(actor=marketer, name="List", kind=Segment.Kind.STATIC)
    upload = SimpleUploadedFile("emails.csv", b"email\nANN@example.com\nghost@example.com\n", "text/csv")
    response = client_for(marketer).post(reverse("marketing:segment-import", args=[segment.pk]), {"file": upload})
    assert response.status_code == 200
    assert list(SegmentMember.objects.values_list("customer_id", flat=True)) == [ann.pk]
    content = response.content.decode()
    assert "ghost@example.com" in content and "no customer has this email" in content


def test_the_segment_pages_read_in_turkish(client_for, marketer):
    segment = segments.segment_create(actor=marketer, name="Almanlar", rules=GERMANS)
    client = client_for(marketer)
    detail = client.get(reverse("marketing:segment-detail", args=[segment.pk]), headers={"accept-language": "tr"})
    assert "Şimdi yenile" in detail.content.decode()
    assert "Ülke" in detail.content.decode()
    editor = client.get(reverse("marketing:segment-create"), headers={"accept-language": "tr"})
    assert "Yeni segment" in editor.content.decode()


def test_the_preview_works_from_the_edit_page_which_has_no_kind(client_for, marketer):
    CustomerFactory(country="DE")
    data = editor_post()
    del data["kind"]
    response = client_for(marketer).post(reverse("marketing:segment-preview"), data)
    assert response.context["count"] == 1
