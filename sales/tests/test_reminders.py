from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import Notification
from jobs.models import JobRun
from sales.services.todos import ReminderSendError, task_reminders_send
from sales.tasks import task_reminders
from sales.tests.factories import TaskFactory


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment relative to today in the CRM's time zone."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def seven():
    """Today at 07:00, when the beat job runs."""
    return local(0, 7)


def test_each_assignee_gets_one_email_listing_their_tasks_due_today(owner, teammate, seven):
    TaskFactory(owner=owner, title="Call Ada", due_at=local(0, 9))
    TaskFactory(owner=owner, title="Send quote", due_at=local(0, 16))
    TaskFactory(owner=teammate, title="Book flight", due_at=local(0, 12))
    counts = task_reminders_send(now=seven)
    assert counts == {"assignees": 2, "tasks": 3, "emails": 2, "failed": 0}
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {owner.email, teammate.email}
    olivia = by_recipient[owner.email]
    assert olivia.subject == "You have 2 tasks due today."
    assert "Call Ada" in olivia.body and "Send quote" in olivia.body and "Book flight" not in olivia.body
    assert olivia.body.index("Call Ada") < olivia.body.index("Send quote")


def test_each_assignee_gets_one_in_app_notification(owner, teammate, seven):
    TaskFactory(owner=owner, due_at=local(0, 9))
    TaskFactory(owner=owner, due_at=local(0, 10))
    TaskFactory(owner=teammate, due_at=local(0, 11))
    task_reminders_send(now=seven)
    notification = Notification.objects.get(user=owner)
    assert notification.text == "You have 2 tasks due today."
    assert notification.url == "/sales/tasks/?when=today"
    assert notification.read_at is None
    assert Notification.objects.filter(user=teammate).count() == 1


def test_a_second_run_the_same_day_sends_nothing(owner, seven):
    task = TaskFactory(owner=owner, due_at=local(0, 9))
    task_reminders_send(now=seven)
    second = task_reminders_send(now=seven + timedelta(hours=2))
    assert second == {"assignees": 0, "tasks": 0, "emails": 0, "failed": 0}
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1
    task.refresh_from_db()
    assert task.reminded_at == seven


def test_a_task_added_after_the_run_is_reminded_by_the_next_run(owner, seven):
    TaskFactory(owner=owner, title="Early", due_at=local(0, 9))
    task_reminders_send(now=seven)
    TaskFactory(owner=owner, title="Late addition", due_at=local(0, 18))
    task_reminders_send(now=seven + timedelta(hours=1))
    assert len(mail.outbox) == 2
    assert "Late addition" in mail.outbox[1].body and "Early" not in mail.outbox[1].body


def test_only_open_tasks_due_today_are_reminded(owner, seven):
    TaskFactory(owner=owner, title="Yesterday", due_at=local(-1, 23, 59))
    TaskFactory(owner=owner, title="Tomorrow", due_at=local(1, 0, 0))
    TaskFactory(owner=owner, title="Done", due_at=local(0, 9), done_at=seven)
    TaskFactory(owner=None, title="Nobody's", due_at=local(0, 9))
    TaskFactory(owner=owner, title="Today, last minute", due_at=local(0, 23, 59))
    counts = task_reminders_send(now=seven)
    assert counts["tasks"] == 1
    assert "Today, last minute" in mail.outbox[0].body


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_today_is_the_day_in_the_crms_time_zone(owner):
    # 07:00 in Auckland is the previous day in UTC; a task due at 22:00 Auckland time is still today there.
    now = local(0, 7)
    TaskFactory(owner=owner, title="Tonight", due_at=local(0, 22))
    TaskFactory(owner=owner, title="Last night", due_at=local(-1, 22))
    counts = task_reminders_send(now=now)
    assert counts["tasks"] == 1
    assert "Tonight" in mail.outbox[0].body


def test_a_reminder_sent_on_an_earlier_day_does_not_block_todays(owner, seven):
    TaskFactory(owner=owner, due_at=local(0, 9), reminded_at=seven - timedelta(days=1))
    assert task_reminders_send(now=seven)["tasks"] == 1


def test_a_failed_send_leaves_the_tasks_unreminded_and_the_next_run_sends_them(owner, teammate, seven):
    mine = TaskFactory(owner=owner, due_at=local(0, 9))
    theirs = TaskFactory(owner=teammate, due_at=local(0, 9))
    real_send = mail.send_mail

    def flaky(subject, body, sender, recipients, **kwargs):
        if recipients == [owner.email]:
            raise ConnectionError("SMTP is down")
        return real_send(subject, body, sender, recipients, **kwargs)

    with mock.patch("sales.services.todos.send_mail", side_effect=flaky):
        counts = task_reminders_send(now=seven)
    assert counts == {"assignees": 1, "tasks": 1, "emails": 1, "failed": 1}
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.reminded_at is None and theirs.reminded_at == seven
    assert not Notification.objects.filter(user=owner).exists()

    counts = task_reminders_send(now=seven + timedelta(minutes=5))
    assert counts == {"assignees": 1, "tasks": 1, "emails": 1, "failed": 0}
    assert [message.to for message in mail.outbox] == [[teammate.email], [owner.email]]
    assert Notification.objects.filter(user=owner).count() == 1


def test_an_assignee_without_an_email_address_still_gets_the_notification(owner, seven):
    owner.email = ""
    owner.save(update_fields=["email"])
    TaskFactory(owner=owner, due_at=local(0, 9))
    assert task_reminders_send(now=seven) == {"assignees": 1, "tasks": 1, "emails": 0, "failed": 0}
    assert Notification.objects.filter(user=owner).exists()
    assert mail.outbox == []


# --- the job -------------------------------------------------------------------------------
def test_the_job_is_logged_with_its_counts(owner):
    TaskFactory(owner=owner, due_at=timezone.now() + timedelta(minutes=1))
    if timezone.localtime(timezone.now() + timedelta(minutes=1)).date() != timezone.localdate():
        pytest.skip("Too close to midnight for a task due today.")
    result = task_reminders.apply()
    assert result.get() == {"assignees": 1, "tasks": 1, "emails": 1, "failed": 0}
    run = JobRun.objects.get(name="sales.task_reminders")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts["emails"] == 1


def test_the_job_retries_when_an_email_failed(owner):
    with mock.patch("sales.tasks.task_reminders_send", return_value={"failed": 1}):
        with pytest.raises(Retry) as raised:
            task_reminders.apply()
    assert isinstance(raised.value.exc, ReminderSendError)
    # The retry reuses the run's row, which is not marked failed: it waits for the retry.
    assert JobRun.objects.get(name="sales.task_reminders").status == JobRun.Status.QUEUED


def test_the_job_runs_daily_on_beat_at_the_configured_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["sales-task-reminders"]
    assert entry["task"] == task_reminders.name == "sales.task_reminders"
    assert entry["schedule"].hour == {7}
    assert entry["schedule"].minute == {0}
