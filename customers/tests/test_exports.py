"""Customer export: the rows, formula neutralisation, both formats, access and filters."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from customers.models import Customer, CustomField
from customers.services import exports, imports
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()), read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def column(rows, name) -> list:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Lovelace", "Lovelace"),
        ("a=b", "a=b"),
        (42, 42),
        (-3, -3),
    ],
)
def test_cells_that_could_run_as_formulas_are_neutralised(value, expected):
    assert exports.neutralise(value) == expected


def test_export_rows_have_every_column_and_one_per_custom_field(owner, team):
    CustomField.objects.create(key="birthday", label="Birthday", field_type=CustomField.Type.DATE)
    CustomField.objects.create(key="old", label="Old", is_active=False)
    customer = CustomerFactory(
        owner=owner, first_name="Ada", last_name="Lovelace", email="ada@example.com", phone="030 1234",
        company=CompanyFactory(name="Engines"), external_ref="A-1", city="London", country="GB",
        lifecycle_stage=Customer.Stage.CUSTOMER, custom_data={"birthday": "1815-12-10", "old": "x"},
    )  # fmt: skip
    customer.tags.set([TagFactory(name="vip"), TagFactory(name="math")])
    from customers.selectors.customers import custom_fields_active

    rows = list(exports.customers_export_rows(Customer.objects.all(), custom_fields_active()))

    assert rows[0] == [*exports.COLUMNS, "birthday"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record == {
        "id": customer.pk, "external_ref": "A-1", "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com", "phone": "030 1234", "company": "Engines", "job_title": "", "street": "",
        "city": "London", "postal_code": "", "country": "GB", "lifecycle_stage": "customer", "source": "other",
        "email_consent": "unknown", "owner": "olivia", "team": team.name, "tags": "math, vip",
        "created_at": customer.created_at.isoformat(), "birthday": "1815-12-10",
    }  # fmt: skip


def test_the_csv_export_contains_only_the_customers_the_user_sees(client_for, owner, outsider):
    CustomerFactory(owner=owner, last_name="Mine")
    CustomerFactory(owner=outsider, last_name="Theirs")
    rows = csv_rows(client_for(owner).get(reverse("customers:customer-export", args=["csv"])))
    assert rows[0][:4] == ["id", "external_ref", "first_name", "last_name"]
    assert column(rows, "last_name") == ["Mine"]


def test_the_export_follows_the_lists_filters(client_for, owner):
    CustomerFactory(owner=owner, last_name="Lead", lifecycle_stage=Customer.Stage.LEAD)
    CustomerFactory(owner=owner, last_name="Churned", lifecycle_stage=Customer.Stage.CHURNED)
    url = reverse("customers:customer-export", args=["csv"])
    client = client_for(owner)
    assert column(csv_rows(client.get(url, {"lifecycle_stage": "churned"})), "last_name") == ["Churned"]
    assert column(csv_rows(client.get(url, {"q": "lead"})), "last_name") == ["Lead"]
    # An invalid filter exports nothing rather than everything.
    assert csv_rows(client.get(url, {"lifecycle_stage": "bogus"}))[1:] == []


def test_selected_ids_are_exported_but_only_if_the_user_sees_them(client_for, owner, outsider):
    first, second, _third = (CustomerFactory(owner=owner, last_name=name) for name in ("A", "B", "C"))
    theirs = CustomerFactory(owner=outsider, last_name="Theirs")
    ids = f"{first.pk},{second.pk},{theirs.pk},junk"
    rows = csv_rows(client_for(owner).get(reverse("customers:customer-export", args=["csv"]), {"ids": ids}))
    assert column(rows, "last_name") == ["A", "B"]


def test_the_csv_export_neutralises_formulas_and_keeps_html_as_text(client_for, owner):
    CustomerFactory(owner=owner, first_name="=1+1", last_name='<script>alert("x")</script>', phone="+49 30 1")
    rows = csv_rows(client_for(owner).get(reverse("customers:customer-export", args=["csv"])))
    assert column(rows, "first_name") == ["'=1+1"]
    assert column(rows, "phone") == ["'+49 30 1"]
    assert column(rows, "last_name") == ['<script>alert("x")</script>']


def test_the_xlsx_export_has_the_same_rows_and_no_formulas(client_for, owner):
    CustomerFactory(owner=owner, first_name='=HYPERLINK("http://evil")', last_name="Lovelace", email="a@example.com")
    response = client_for(owner).get(reverse("customers:customer-export", args=["xlsx"]))
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = xlsx_rows(response)
    assert rows[0][:4] == ["id", "external_ref", "first_name", "last_name"]
    assert column(rows, "first_name") == ['\'=HYPERLINK("http://evil")']
    assert column(rows, "last_name") == ["Lovelace"]


def test_an_export_can_be_imported_again_without_duplicates(client_for, owner):
    CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", phone="+49 30 1", external_ref="A-1")
    CustomerFactory(owner=owner, first_name="=cmd", last_name="Hopper", email="grace@example.com")
    response = client_for(owner).get(reverse("customers:customer-export", args=["csv"]))
    data = b"".join(response.streaming_content)

    table = imports.import_table_read(data=data, filename="customers.csv")
    mapping = imports.import_mapping_guess(table.headers, [])
    result = imports.customers_import(table=table, mapping=mapping, actor=owner)

    assert result.errors == []
    assert result.counts == {"created": 0, "updated": 2, "skipped": 0}
    # The apostrophes the export added against formulas are gone again.
    assert Customer.objects.get(last_name="Hopper").first_name == "=cmd"
    assert Customer.objects.get(last_name="Lovelace").phone == "+49 30 1"


def test_the_export_reads_in_a_fixed_number_of_queries(client_for, owner, django_assert_num_queries):
    client = client_for(owner)
    url = reverse("customers:customer-export", args=["csv"])
    for customer in CustomerFactory.create_batch(30, owner=owner):
        customer.tags.add(TagFactory(name="vip"))
    # session, user, roles, custom fields, customers (with company, owner, team), their tags
    with django_assert_num_queries(6):
        rows = csv_rows(client.get(url))
    assert len(rows) == 31


def test_an_unknown_format_is_not_found_and_anonymous_users_log_in(client_for, client, owner):
    assert client.get(reverse("customers:customer-export", args=["csv"]))["Location"].startswith(reverse("login"))
    assert client_for(owner).get(reverse("customers:customer-export", args=["pdf"])).status_code == 404


def test_support_agents_may_not_export_customers(client_for, agent, owner):
    from customers.tests.factories import CustomerFactory

    CustomerFactory(owner=owner)
    assert client_for(agent).get(reverse("customers:customer-export", args=["csv"])).status_code == 403
