from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.context_processors import notifications as notifications_context
from accounts.services import notification_create, notifications_mark_read


def test_marking_read_touches_only_the_users_unread_notifications(owner, teammate):
    first = notification_create(user=owner, text="One", url="/sales/tasks/")
    second = notification_create(user=owner, text="Two")
    theirs = notification_create(user=teammate, text="Tom's")
    assert notifications_mark_read(user=owner, ids=[first.pk]) == 1
    assert notifications_mark_read(user=owner) == 1
    assert notifications_mark_read(user=owner) == 0
    second.refresh_from_db()
    theirs.refresh_from_db()
    assert second.read_at is not None and theirs.read_at is None


def test_the_page_lists_only_my_notifications_newest_first(client_for, owner, teammate):
    notification_create(user=owner, text="Older")
    notification_create(user=owner, text="Newer", url="/sales/tasks/?when=today")
    notification_create(user=teammate, text="Not for Olivia")
    response = client_for(owner).get(reverse("notifications"))
    assert [entry.text for entry in response.context["entries"]] == ["Newer", "Older"]
    content = response.content.decode()
    assert '<a href="/sales/tasks/?when=today">Newer</a>' in content
    assert "Not for Olivia" not in content
    assert "Mark all as read" in content


def test_marking_all_read_empties_the_badge(client_for, owner):
    notification_create(user=owner, text="Hello")
    client = client_for(owner)
    badge = client.get(reverse("notifications-badge")).content.decode()
    assert 'data-testid="unread-count">1<' in badge
    response = client.post(reverse("notifications-mark-read"), follow=True)
    assert "1 notification marked as read." in response.content.decode()
    assert "unread-count" not in client.get(reverse("notifications-badge")).content.decode()
    assert client.get(reverse("notifications-mark-read")).status_code == 405


def test_every_page_has_the_bell_but_pays_no_query_for_the_count(client_for, owner):
    notification_create(user=owner, text="Hello")
    client = client_for(owner)
    with CaptureQueriesContext(connection) as queries:
        content = client.get(reverse("customers:customer-list")).content.decode()
    assert f'href="{reverse("notifications")}"' in content
    assert f'data-url="{reverse("notifications-badge")}"' in content
    assert not any("accounts_notification" in query["sql"] for query in queries.captured_queries)


def test_the_unread_count_is_computed_once_per_request(owner, django_assert_num_queries):
    notification_create(user=owner, text="Hello")
    request = RequestFactory().get("/")
    request.user = owner
    context = notifications_context(request)
    with django_assert_num_queries(1):
        assert context["notifications_unread"]() == 1
        assert notifications_context(request)["notifications_unread"]() == 1


def test_anonymous_visitors_get_no_count(client):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert notifications_context(request) == {}
    assert client.get(reverse("notifications")).status_code == 302
