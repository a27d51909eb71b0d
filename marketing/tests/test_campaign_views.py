"""Template and campaign pages: access, forms and their errors, actions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from marketing.models import Campaign, EmailTemplate, OutboxMessage

from .campaign_fixtures import make_campaign, make_segment, make_template, opted_in

pytestmark = pytest.mark.django_db


def test_a_sales_rep_gets_403_on_templates_and_campaigns(client_for, owner):
    client = client_for(owner)
    assert client.get("/marketing/templates/").status_code == 403
    assert client.get("/marketing/campaigns/").status_code == 403


def test_an_unknown_merge_field_is_a_form_error_naming_it(client_for, manager):
    response = client_for(manager).post(
        "/marketing/templates/new/", {"name": "T", "subject": "Hi {{ shoe_size }}", "html": "<p>x</p>", "text": ""}
    )
    assert response.status_code == 200
    assert "Unknown merge field &quot;shoe_size&quot;." in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_a_manager_creates_a_template_and_previews_it_in_a_sandboxed_iframe(client_for, manager):
    customer = opted_in(1, first_name="<b>Ann</b>")[0]
    client = client_for(manager)
    response = client.post(
        "/marketing/templates/new/",
        {"name": "T", "subject": "Hi {{ first_name }}", "html": "<p>Hi {{ first_name }}</p><script>x()</script>"},
    )
    template = EmailTemplate.objects.get()
    assert response.status_code == 302 and "script" not in template.html and template.text == "Hi {{ first_name }}"

    page = client.get(f"/marketing/templates/{template.pk}/?customer={customer.pk}").content.decode()
    assert '<iframe sandbox=""' in page
    assert "&lt;p&gt;Hi &amp;lt;b&amp;gt;Ann" in page  # escaped in the mail, and again in srcdoc


def test_the_campaign_pages_take_a_pinned_number_of_queries(client_for, manager, django_assert_max_num_queries):
    segment = make_segment(opted_in(2))
    for _ in range(5):
        make_campaign(include=[segment])
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        assert client.get("/marketing/campaigns/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/marketing/campaigns/{Campaign.objects.first().pk}/").status_code == 200


def test_a_campaign_needs_a_holdout_of_0_or_5_to_10(client_for, manager):
    segment, template = make_segment(opted_in(1)), make_template()
    data = {"name": "C", "template": template.pk, "include_segments": [segment.pk], "throttle_per_minute": 600}
    data |= {"attribution_days": 7, "holdout_percent": 3}
    response = client_for(manager).post("/marketing/campaigns/new/", data)
    assert response.status_code == 200 and "from 5 to 10%" in response.content.decode()
    data["holdout_percent"] = 5
    assert client_for(manager).post("/marketing/campaigns/new/", data).status_code == 302
    assert Campaign.objects.get().holdout_percent == 5


def test_scheduling_a_campaign_in_the_past_is_a_form_error(client_for, manager):
    campaign = make_campaign(include=[make_segment(opted_in(1))])
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(manager).post(f"/marketing/campaigns/{campaign.pk}/schedule/", {"send_at": past})
    assert response.status_code == 400 and "Choose a time in the future." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_scheduling_a_campaign_in_the_future_lists_it_as_scheduled(client_for, manager):
    campaign = make_campaign(include=[make_segment(opted_in(1))])
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client = client_for(manager)
    client.post(f"/marketing/campaigns/{campaign.pk}/schedule/", {"send_at": later})
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert "Scheduled" in client.get("/marketing/campaigns/").content.decode()


def test_send_a_test_to_me_mails_one_copy_and_no_recipient_row(client_for, manager):
    manager.email = "maria@example.com"
    manager.save()
    campaign = make_campaign(include=[make_segment(opted_in(2))])
    client_for(manager).post(f"/marketing/campaigns/{campaign.pk}/test/")
    assert [m.subject for m in mail.outbox] == ["[TEST] Hi Maria"]
    assert not OutboxMessage.objects.exists()


def test_send_now_sends_and_pause_resume_flip_the_status(client_for, manager, django_capture_on_commit_callbacks):
    campaign = make_campaign(include=[make_segment(opted_in(2))])
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/marketing/campaigns/{campaign.pk}/send/")
    campaign.refresh_from_db()
    assert campaign.status == "sent" and len(mail.outbox) == 2
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    client.post(f"/marketing/campaigns/{campaign.pk}/pause/")
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    client.post(f"/marketing/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == "sending"


def test_the_campaign_page_reads_in_turkish(client_for, manager):
    campaign = make_campaign(include=[make_segment(opted_in(1))])
    page = client_for(manager).get(f"/marketing/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="tr")
    assert "Bana deneme gönder" in page.content.decode()
