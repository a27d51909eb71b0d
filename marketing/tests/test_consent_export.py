"""manage.py export_consent: every live customer with an email, consent as stored."""

import csv
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from customers.models import ConsentEvent
from customers.services.customers import consent_record
from customers.tests.factories import CustomerFactory


def read(path) -> list[dict]:
    with open(path, encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_export_consent_writes_email_status_changed_at_and_the_latest_source(db, tmp_path, django_assert_num_queries):
    opted_in = CustomerFactory(email="in@example.com")
    consent_record(customer=opted_in, status="opted_in", source=ConsentEvent.Source.FORM, actor=None)
    opted_out = CustomerFactory(email="out@example.com")
    consent_record(customer=opted_out, status="opted_in", source=ConsentEvent.Source.IMPORT, actor=None)
    consent_record(customer=opted_out, status="opted_out", source=ConsentEvent.Source.UNSUBSCRIBE, actor=None)
    CustomerFactory(email="never@example.com")
    CustomerFactory(email="")  # no address: not exported
    CustomerFactory(email="gone@example.com", deleted_at=timezone.now())  # deleted: not exported
    output = tmp_path / "consent.csv"

    with django_assert_num_queries(1):
        call_command("export_consent", "--output", str(output), stdout=StringIO())

    with open(output, encoding="utf-8") as file:
        assert file.readline().strip() == "email,status,changed_at,source"
    rows = {row["email"]: row for row in read(output)}
    assert set(rows) == {"in@example.com", "out@example.com", "never@example.com"}
    assert (rows["in@example.com"]["status"], rows["in@example.com"]["source"]) == ("opted_in", "form")
    assert (rows["out@example.com"]["status"], rows["out@example.com"]["source"]) == ("opted_out", "unsubscribe")
    assert rows["never@example.com"] == {
        "email": "never@example.com",
        "status": "unknown",
        "changed_at": "",
        "source": "",
    }
    opted_out.refresh_from_db()
    assert rows["out@example.com"]["changed_at"] == opted_out.email_consent_at.isoformat()
