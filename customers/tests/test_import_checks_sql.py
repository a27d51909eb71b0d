"""On PostgreSQL the customer import checks set-based (import_checks_sql): the same file gets the same
errors, the same good rows and the same companies and tags as the Python rules (import_checks) give it."""

import csv
import io
import json
import re

import pytest
from django.db import connection

from accounts import roles
from accounts.tests.factories import UserFactory
from crm_project.helpers import normalize_phone
from customers.models import Customer, CustomField
from customers.services import import_checks, import_checks_sql, imports
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory
from imports import sql

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based checks run on PostgreSQL"),
]

HEADER = ["First name", "Last name", "Email", "Phone", "Company", "Tags", "ID", "Country", "Owner", "Stage",
          "Consent", "Birthday", "Revenue", "Segment", "Notes"]  # fmt: skip
ROWS = [
    # good rows of the plain shape, and good ones the SQL leaves to Python (non-ASCII, odd spacing, words)
    ["Ada", "Lovelace", "ada@example.com", "+44 20 1234", "Analytical Engines", "vip, Math", "A-1", "gb", "", "lead",
     "yes", "1815-12-10", "1200.50", "retail", ""],
    ["Grace", "Hopper", "Grace@Navy.MIL", "0049 (30) 55", "analytical engines", "VIP ,vip, navy", "", "US", "maria",
     "Customer", "opted_out", "", "", "", ""],
    ["Jörg", "Müller", "joerg@bücher.de", "٣٣٣", "Müller GmbH", "kunde", "M-1", "de", "", "", "Not asked", "", "", "",
     ""],
    # bad cells
    ["", "", "ada@", "", "", "", "", "DEU", "", "prospect-ish", "maybe", "10/12/1815", "lots", "Online", ""],
    ["x" * 101, "Long", "a..b@x.de", "1" * 41, "C" * 201, "t" * 51, "", "K\u212a", "", "", "", "", "", "", ""],
    ["", "Kelvin", "\u212a@x.de", "", "", "a," * 40, "", "", "", "", "", "", "", "", ""],
    # owners: unknown, inactive; a known email
    ["", "Nobody", "", "", "", "", "", "", "ghost", "", "", "", "", "", ""],
    ["", "Sleeper", "", "", "", "", "", "", "sleepy", "", "", "", "", "", ""],
    ["", "Byemail", "", "", "", "", "", "", "Maria@Example.com", "", "", "", "", "", ""],
    # duplicates in the file: by reference, by email (any case), and a chain that is not one
    ["", "Twin", "ada@EXAMPLE.com", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["", "Again", "", "", "", "", "A-1", "", "", "", "", "", "", "", ""],
    ["", "Chain1", "c@x.de", "", "", "", "R-1", "", "", "", "", "", "", "", ""],
    ["", "Chain2", "c@x.de", "", "", "", "R-2", "", "", "", "", "", "", "", ""],
    ["", "Chain3", "d@x.de", "", "", "", "R-2", "", "", "", "", "", "", "", ""],
    # matches: an update by reference, by email, a deleted customer, another reference, two rows on one customer
    ["", "Updated", "", "", "", "news", "E-1", "", "", "", "", "", "", "", "a note"],
    ["", "ByMail", "known@example.com", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["", "Gone", "", "", "", "", "DEL-1", "", "", "", "", "", "", "", ""],
    ["", "Other", "other@example.com", "", "", "", "Z-9", "", "", "", "", "", "", "", ""],
    ["", "Same", "e1@example.com", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["", "TwoMatches", "shared@example.com", "", "", "", "", "", "", "", "", "", "", "", ""],
]  # fmt: skip


def csv_bytes(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def world(db, manager):
    UserFactory(username="sleepy", role=roles.SALES_REP, is_active=False)
    manager.email = "maria@example.com"
    manager.save(update_fields=["email"])
    CompanyFactory(name="Analytical Engines", owner=manager)
    TagFactory(name="VIP")
    CustomerFactory(external_ref="E-1", email="e1@example.com", owner=manager)
    CustomerFactory(email="Known@Example.com", owner=manager)
    CustomerFactory(external_ref="DEL-1", owner=manager).delete()
    CustomerFactory(external_ref="Y-1", email="other@example.com", owner=manager)
    CustomerFactory(email="shared@example.com", owner=manager)
    CustomerFactory(email="SHARED@example.com", owner=manager)
    return [
        CustomField.objects.create(key="birthday", label="Birthday", field_type=CustomField.Type.DATE),
        CustomField.objects.create(key="revenue", label="Revenue", field_type=CustomField.Type.NUMBER),
        CustomField.objects.create(
            key="segment", label="Segment", field_type=CustomField.Type.CHOICE, choices="Retail\nWholesale"
        ),
    ]


def plans(data: bytes, actor, custom_fields):
    """The Python plan and the set-based plan of the same file (the staged tables dropped after)."""
    table = imports.import_table_read(data=data, filename="people.csv")
    mapping = imports.import_mapping_clean(
        imports.import_mapping_guess(table.headers, custom_fields), headers=table.headers, custom_fields=custom_fields
    )
    columns = {int(index): target for index, target in mapping.items()}
    python = import_checks.import_plan(table, columns, actor, custom_fields, None)
    try:
        staged = import_checks_sql.postgresql_plan(table, columns, actor, custom_fields, None)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT row_number, first_name, last_name, email, phone_normalized, company, tags, "  # noqa: S608
                           f"consent, custom_data::text FROM {import_checks_sql.CLEAN} WHERE match_id IS NULL "
                           "ORDER BY row_number")  # fmt: skip
            new_rows = cursor.fetchall()
    finally:
        import_checks_sql.drop()
    return python, staged, new_rows


def comparable(plan):
    return {
        "errors": plan.errors,
        "updates": [
            (row.number, row.match_id, row.values, row.tags, row.company, row.consent, row.custom)
            for row in plan.rows
            if row.match_id is not None
        ],  # fmt: skip
        "companies": plan.companies,
        "new_companies": {key: (row.number, row.company, row.owner) for key, row in plan.new_companies.items()},
        "tags": plan.tags,
        "new_tags": plan.new_tags,
    }


def test_a_bad_file_gets_the_same_errors_and_plan_from_the_sql_checks_as_from_the_python_rules(world, manager):
    python, staged, new_rows = plans(csv_bytes(ROWS), manager, world)

    assert comparable(staged) == comparable(python)
    assert len(python.errors) > 15  # the file exercises most rules
    new = [row for row in python.rows if row.match_id is None]
    assert staged.staged_new == len(new)
    staged_rows = [
        (number, first, last, email, phone, company, import_checks_sql.tag_names(tags), consent, json.loads(custom))
        for number, first, last, email, phone, company, tags, consent, custom in new_rows
    ]
    python_rows = [
        (row.number, row.values.get("first_name", ""), row.values["last_name"], row.values.get("email", ""),
         normalize_phone(row.values.get("phone", "")), row.company, row.tags, row.consent, row.custom)
        for row in new
    ]  # fmt: skip
    assert staged_rows == python_rows


def test_a_rep_gets_the_same_errors_for_other_owners_and_customers_they_cannot_edit(world, owner):
    python, staged, _new_rows = plans(csv_bytes(ROWS), owner, world)
    assert comparable(staged) == comparable(python)
    assert any("only import customers for yourself" in error.message for error in staged.errors)


def test_a_file_with_short_and_long_rows_is_checked_the_same(world, manager):
    ragged = [row[:3] for row in ROWS[:5]] + [[*row, "surplus"] for row in ROWS[5:]]
    python, staged, _new_rows = plans(csv_bytes(ragged), manager, world)
    assert comparable(staged) == comparable(python)


def test_the_sql_email_pattern_takes_exactly_the_addresses_the_python_shortcut_takes(db):
    samples = [
        "a@b.co", "A.B+news@Example.COM", "x@y", "a..b@x.de", ".a@x.de", "a.@x.de", "a@-x.de", "a@x-.de", "a@x.d",
        "a@x.d1", "a@x.y.zz", "a_b-c@sub-1.x.de", "ünï@x.de", "\u212a@x.de", "a@" + "x" * 63 + ".de",
        "a@" + "x" * 64 + ".de", "a@" + "x" * 60 + "." + "y" * 63, "a@" + "x" * 60 + "." + "y" * 64, "a b@x.de",
        "a@x.de\n", "@x.de", "a@", "a@@x.de", "a@x..de",
    ]  # fmt: skip
    limit = import_checks._plain_lengths()["email"]
    python = [
        len(raw) <= limit and raw.isascii() and bool(import_checks._PLAIN_EMAIL.fullmatch(raw)) for raw in samples
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {import_checks_sql.plain_email('e')} FROM unnest(%(samples)s::text[]) WITH ORDINALITY AS t(e, n) "  # noqa: S608 - a column name
            "ORDER BY n",
            {"email": import_checks_sql._PLAIN_EMAIL, "samples": samples},
        )
        postgres = [taken for (taken,) in cursor.fetchall()]
    assert postgres == python
    assert any(python) and not all(python)


@pytest.mark.parametrize("plain", [False, True], ids=["row table", "plain file for COPY"])
def test_the_import_on_postgresql_writes_what_the_plan_says(world, manager, plain):
    table = imports.import_table_read(data=csv_bytes(ROWS), filename="people.csv", plain=plain)
    mapping = imports.import_mapping_guess(table.headers, world)
    result = imports.customers_import(table=table, mapping=mapping, actor=manager, skip_errors=True)

    ada = Customer.objects.get(external_ref="A-1")
    assert (ada.country, ada.lifecycle_stage, ada.email_consent, ada.phone_normalized) == ("GB", "lead", "opted_in",
                                                                                            "+44201234")  # fmt: skip
    assert ada.custom_data == {"birthday": "1815-12-10", "revenue": "1200.50", "segment": "Retail"}
    assert sorted(tag.name for tag in ada.tags.all()) == ["Math", "VIP"]
    grace = Customer.objects.get(last_name="Hopper")
    assert (grace.owner, grace.company, grace.email_consent) == (manager, ada.company, "opted_out")
    joerg = Customer.objects.get(last_name="Müller")
    assert (joerg.phone_normalized, joerg.country, joerg.email_consent) == ("٣٣٣", "DE", "unknown")
    assert result.counts["created"] == Customer.objects.filter(source=Customer.Source.IMPORT).count()
    assert not any(re.match(r"customers_import", name) for name in _temp_tables())  # dropped after the import
    assert sql.postgresql()


def _temp_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relpersistence = 't'")
        return [name for (name,) in cursor.fetchall()]
