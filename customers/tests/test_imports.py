"""Customer import: reading files, checking rows, upserting, the web flow, the job and the command."""

import csv
import io
import re
import time
from datetime import date
from math import ceil

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.models import Company, ConsentEvent, Customer, CustomField, Interaction, Tag
from customers.selectors.customers import customer_timeline_page
from customers.services import imports
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory
from customers.timeline import IMPORT_CREATED, entry_sentence
from jobs.models import JobRun

HEADER = ["First name", "Last name", "E-mail", "Phone", "Company", "Tags", "ID", "Country"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_import(data: bytes, *, actor, filename="people.csv", mapping=None, **options) -> imports.ImportResult:
    table = imports.import_table_read(data=data, filename=filename)
    if mapping is None:
        mapping = imports.import_mapping_guess(table.headers, list(CustomField.objects.filter(is_active=True)))
    return imports.customers_import(table=table, mapping=mapping, actor=actor, **options)


def timeline_of(customer) -> list[tuple[str, object]]:
    """The customer's timeline as its page reads it: (sentence, by whom), system entries only."""
    page = customer_timeline_page(customer=customer, number=1, per_page=50)
    return [(entry_sentence(item.entry), item.entry.user) for item in page.object_list
            if getattr(item.entry, "kind", "") == Interaction.Kind.SYSTEM]  # fmt: skip


def errors_of(result) -> list[tuple[int, str, str]]:
    return [(error.row, error.field, error.message) for error in result.errors]


# --- reading files -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("E-mail", "email"),
        ("email address", "email"),
        ("First name", "first_name"),
        ("firstname", "first_name"),
        ("Company", "company"),
        ("Owner", "owner"),
        ("Tags", "tags"),
        ("ID", "external_ref"),
        ("customer_ref", "external_ref"),
        ("external id", "external_ref"),
        ("Surname", "last_name"),
        ("Favourite colour", None),
    ],
)
def test_columns_are_guessed_from_their_header(header, target):
    assert imports.import_mapping_guess([header], []).get("0") == target


def test_custom_fields_are_guessed_by_key_or_label(db):
    birthday = CustomField(key="birthday", label="Date of birth", field_type=CustomField.Type.DATE)
    mapping = imports.import_mapping_guess(["Date of birth", "Last name"], [birthday])
    assert mapping == {"0": "custom:birthday", "1": "last_name"}


def test_an_exact_column_name_wins_over_a_synonym():
    # An export has "id" (the CRM's own) before "external_ref": the latter is the reference.
    assert imports.import_mapping_guess(["id", "external_ref", "last_name"], []) == {
        "1": "external_ref",
        "2": "last_name",
    }


@pytest.mark.parametrize(
    ("data", "description"),
    [
        (csv_bytes([["Ada", "Lovelace"]], delimiter=";"), "semicolons"),
        (csv_bytes([["Ada", "Lovelace"]], encoding="utf-8-sig"), "UTF-8 with a BOM"),
        (csv_bytes([["Ada", "Lovelace"]], encoding="utf-16"), "UTF-16 with a BOM"),
        (csv_bytes([["Ada", "Lovelace"]], delimiter="\t"), "tabs"),
    ],
)
def test_csv_files_are_read_whatever_their_encoding_and_delimiter(data, description):
    table = imports.import_table_read(data=data, filename="people.csv")
    assert table.headers[:2] == ["First name", "Last name"], description
    assert table.rows == [(2, ["Ada", "Lovelace"])]


def test_non_ascii_names_survive_every_encoding():
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        table = imports.import_table_read(data=csv_bytes([["Çağla", "Öztürk"]], encoding=encoding), filename="a.csv")
        assert table.rows[0][1][:2] == ["Çağla", "Öztürk"]


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_file():
    table = imports.import_table_read(data=b"Last name\n\nLovelace\n,\nHopper\n", filename="people.csv")
    assert table.rows == [(3, ["Lovelace"]), (5, ["Hopper"])]


def test_the_exports_formula_apostrophe_is_removed_again():
    table = imports.import_table_read(data=b"Last name,Phone\nLovelace,'+49 30 1234\n", filename="people.csv")
    assert table.rows[0][1] == ["Lovelace", "+49 30 1234"]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (bytes(range(256)) * 20, "people.csv", "binary data"),
        ("Nachname\nMüller\n".encode("latin-1"), "people.csv", "not UTF-8"),
        (b"Lovelace,ada@example.com\nHopper,grace@example.com\n", "people.csv", "first row must name the columns"),
        (b"", "people.csv", "The file is empty"),
        (b"\n\n , \n", "people.csv", "The file is empty"),
        (b"Last name,Email\n", "people.csv", "no customers below it"),
        (b"Last name\nLovelace\n", "people.xlsx", "not a valid Excel"),
        (b"PK\x03\x04 not really a zip", "people.xlsx", "not a valid Excel"),
        (b"Last name\nLovelace\n", "people.xls", "Upload a CSV (.csv) or Excel (.xlsx) file"),
    ],
    ids=["binary", "latin-1", "no-header", "empty", "blank", "header-only", "text-as-xlsx", "fake-zip", "xls"],
)
def test_a_malformed_file_gives_one_clear_error(data, filename, message):
    with pytest.raises(imports.ImportFileError, match=re.escape(message)):
        imports.import_table_read(data=data, filename=filename)


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CRM_IMPORT_MAX_BYTES = 100
    with pytest.raises(imports.ImportFileError, match="too large"):
        imports.import_table_read(data=csv_bytes([["Ada", "Lovelace"]] * 10), filename="people.csv")


def test_xlsx_files_are_read_with_dates_and_numbers_as_text():
    data = xlsx_bytes(
        [["Ada", "Lovelace", "ada@example.com", 4930123456, None, None, 17.0, "GB", date(1815, 12, 10)]],
        header=[*HEADER, "Born"],
    )
    table = imports.import_table_read(data=data, filename="people.xlsx")
    assert table.headers[-1] == "Born"
    assert table.rows == [(2, ["Ada", "Lovelace", "ada@example.com", "4930123456", "", "", "17", "GB", "1815-12-10"])]


def test_stored_files_are_only_opened_by_the_names_the_importer_generated(db):
    default_storage.save("elsewhere.csv", io.BytesIO(b"Last name\nLovelace\n"))
    for name in ("elsewhere.csv", "imports/../elsewhere.csv", "/etc/passwd", "imports/x.csv"):
        with pytest.raises(imports.ImportFileError, match="no longer available"):
            imports.import_file_open(name)


def test_a_stored_upload_reads_back_the_same_table(db):
    upload = SimpleUploadedFile("people.csv", csv_bytes([["Ada", "Lovelace"]]))
    stored = imports.import_file_store(upload=upload)
    assert stored.name.startswith("imports/") and stored.name.endswith(".csv")
    assert imports.import_file_open(stored.name, display_name="people.csv") == stored.table


# --- checking and writing -------------------------------------------------------------
def test_a_good_file_creates_customers_with_tags_companies_owner_and_team(manager, owner, team):
    TagFactory(name="VIP")
    data = csv_bytes(
        [
            ["Ada", "Lovelace", "ada@example.com", "+44 (20) 1234-5678", "Analytical Engines", "vip, math", "A-1", "gb",
             "olivia"],
            ["Grace", "Hopper", "grace@example.com", "", "analytical engines", "Navy", "A-2", "US", ""],
        ],
        header=[*HEADER, "Owner"],
    )  # fmt: skip

    result = run_import(data, actor=manager)

    assert result.counts == {"created": 2, "updated": 0, "skipped": 0}
    ada = Customer.objects.get(email="ada@example.com")
    grace = Customer.objects.get(email="grace@example.com")
    assert (ada.owner, ada.team, ada.source) == (owner, team, Customer.Source.IMPORT)
    assert (grace.owner, grace.team) == (manager, team)  # no owner in the row: the importer
    assert ada.phone_normalized == "+442012345678"
    assert (ada.external_ref, ada.country, grace.country) == ("A-1", "GB", "US")
    assert sorted(tag.name for tag in ada.tags.all()) == ["VIP", "math"]  # "vip" matched the existing tag
    assert Tag.objects.filter(name__iexact="vip").count() == 1
    assert ada.company == grace.company
    assert (ada.company.name, ada.company.owner, ada.company.team) == ("Analytical Engines", owner, team)
    entry = Interaction.objects.get(action=IMPORT_CREATED)  # one entry for the import, on each new customer's timeline
    assert (entry.customer, entry.user, entry.kind, entry.data) == (
        None, manager, Interaction.Kind.SYSTEM, {"file": "people.csv", "created": 2},
    )  # fmt: skip
    assert timeline_of(ada) == timeline_of(grace) == [("Created by importing people.csv", manager)]
    assert not Interaction.objects.filter(action="customer.imported").exists()  # none per new customer


def test_each_customer_shows_the_import_that_created_it_and_no_other(owner):
    by_hand = CustomerFactory(owner=owner, last_name="Babbage")
    run_import(csv_bytes([["Ada", "Lovelace", "ada@example.com", "", "", "", "A-1", ""]]), actor=owner,
               filename="first.csv")  # fmt: skip
    run_import(csv_bytes([["", "Hopper", "", "", "", "", "A-2", ""], ["", "Lovelace", "", "", "", "", "A-1", "GB"]]),
               actor=owner, filename="second.csv")  # fmt: skip
    ada, grace = Customer.objects.get(external_ref="A-1"), Customer.objects.get(external_ref="A-2")
    assert timeline_of(ada) == [("Imported: changed country", owner), ("Created by importing first.csv", owner)]
    assert timeline_of(grace) == [("Created by importing second.csv", owner)]
    assert timeline_of(by_hand) == []


def test_an_imported_customers_page_says_by_whom_and_from_which_file_also_in_turkish(client_for, owner):
    run_import(csv_bytes([["Ada", "Lovelace", "ada@example.com", "", "", "", "", ""]]), actor=owner)
    ada = Customer.objects.get(last_name="Lovelace")
    client = client_for(owner)
    page = client.get(ada.get_absolute_url()).text
    assert "Created by importing people.csv" in page and "· Olivia" in page
    owner.language = "tr"
    owner.save(update_fields=["language"])
    page = client.get(ada.get_absolute_url()).text
    assert "people.csv içe aktarılarak oluşturuldu" in page and "· Olivia" in page


def test_an_existing_company_the_importer_can_see_is_reused(owner):
    acme = CompanyFactory(name="ACME Corp", owner=owner)
    result = run_import(csv_bytes([["", "Coyote", "", "", "acme corp", "", "", ""]]), actor=owner)
    assert result.new_companies == 0
    assert Customer.objects.get(last_name="Coyote").company == acme
    assert Company.objects.count() == 1


def test_a_row_with_a_known_external_ref_updates_that_customer(owner):
    existing = CustomerFactory(owner=owner, external_ref="A-1", first_name="Ada", last_name="Byron", city="London")
    result = run_import(csv_bytes([["", "Lovelace", "new@example.com", "", "", "", "A-1", ""]]), actor=owner)
    assert result.counts == {"created": 0, "updated": 1, "skipped": 0}
    existing.refresh_from_db()
    assert (existing.last_name, existing.email) == ("Lovelace", "new@example.com")
    assert (existing.first_name, existing.city) == ("Ada", "London")  # blank cells clear nothing
    assert existing.source != Customer.Source.IMPORT  # only new customers come "from import"
    entry = Interaction.objects.get(action="customer.imported", customer=existing)
    assert entry.data["fields"] == ["last_name", "email"]
    assert entry.data["created"] is False


def test_a_row_whose_email_matches_exactly_one_customer_updates_it(owner):
    existing = CustomerFactory(owner=owner, email="Ada@Example.com", last_name="Byron")
    result = run_import(csv_bytes([["", "Lovelace", "ada@EXAMPLE.com", "", "", "news", "", ""]]), actor=owner)
    assert result.counts == {"created": 0, "updated": 1, "skipped": 0}
    existing.refresh_from_db()
    assert existing.last_name == "Lovelace"
    assert [tag.name for tag in existing.tags.all()] == ["news"]
    assert Customer.objects.count() == 1


def test_an_email_shared_by_two_customers_creates_a_new_one(owner):
    CustomerFactory.create_batch(2, owner=owner, email="shared@example.com")
    result = run_import(csv_bytes([["", "Lovelace", "shared@example.com", "", "", "", "", ""]]), actor=owner)
    assert result.counts == {"created": 1, "updated": 0, "skipped": 0}


def test_importing_the_same_file_twice_updates_instead_of_duplicating(owner):
    data = csv_bytes([["Ada", "Lovelace", "ada@example.com", "", "Engines", "math", "A-1", ""],
                      ["", "Hopper", "grace@example.com", "", "", "", "", ""]])  # fmt: skip
    first = run_import(data, actor=owner)
    second = run_import(data, actor=owner)
    assert first.counts == {"created": 2, "updated": 0, "skipped": 0}
    assert second.counts == {"created": 0, "updated": 2, "skipped": 0}
    assert Customer.objects.count() == 2
    assert Company.objects.count() == 1
    assert Customer.tags.through.objects.count() == 1


def test_a_dry_run_writes_nothing(owner):
    existing = CustomerFactory(owner=owner, external_ref="A-1", last_name="Byron")
    data = csv_bytes(
        [["", "Lovelace", "", "", "Engines", "new-tag", "A-1", ""], ["", "Hopper", "", "", "", "", "", ""]]
    )
    before = (Customer.objects.count(), Interaction.objects.count(), Tag.objects.count(), Company.objects.count())

    result = run_import(data, actor=owner, dry_run=True)

    assert (result.created, result.updated, result.new_companies, result.new_tags) == (1, 1, 1, 1)
    assert before == (
        Customer.objects.count(),
        Interaction.objects.count(),
        Tag.objects.count(),
        Company.objects.count(),
    )
    existing.refresh_from_db()
    assert existing.last_name == "Byron"


def test_one_bad_row_means_nothing_is_written(owner):
    data = csv_bytes(
        [["", "Lovelace", "", "", "Engines", "math", "", ""], ["", "Hopper", "not-an-email", "", "", "", "", ""]]
    )
    result = run_import(data, actor=owner)
    assert result.rejected
    assert errors_of(result) == [(3, "email", "Enter a valid email address.")]
    assert (Customer.objects.count(), Company.objects.count(), Tag.objects.count(), Interaction.objects.count()) == (
        0,
        0,
        0,
        0,
    )


def test_skipping_bad_rows_writes_the_good_ones_and_reports_the_bad(owner):
    data = csv_bytes([["", "Lovelace", "", "", "", "", "", ""], ["", "Hopper", "not-an-email", "", "", "", "", ""]])
    result = run_import(data, actor=owner, skip_errors=True)
    assert not result.rejected
    assert result.counts == {"created": 1, "updated": 0, "skipped": 1}
    assert errors_of(result) == [(3, "email", "Enter a valid email address.")]
    assert list(Customer.objects.values_list("last_name", flat=True)) == ["Lovelace"]


@pytest.fixture
def custom_fields(db):
    return [
        CustomField.objects.create(key="birthday", label="Birthday", field_type=CustomField.Type.DATE),
        CustomField.objects.create(key="revenue", label="Revenue", field_type=CustomField.Type.NUMBER),
        CustomField.objects.create(
            key="segment", label="Segment", field_type=CustomField.Type.CHOICE, choices="Retail\nWholesale"
        ),  # fmt: skip
    ]


ERROR_HEADER = ["Last name", "Email", "Birthday", "Revenue", "Segment", "Owner", "Country", "Stage", "Consent"]
GOOD_ROW = ["Lovelace", "ada@example.com", "1815-12-10", "1200.50", "retail", "", "GB", "lead", "yes"]


@pytest.mark.parametrize(
    ("column", "value", "field", "message"),
    [
        ("Last name", "", "last_name", "Last name is required."),
        ("Email", "ada@", "email", "Enter a valid email address."),
        ("Birthday", "10/12/1815", "custom:birthday", "Enter a date as YYYY-MM-DD"),
        ("Revenue", "lots", "custom:revenue", "Enter a number"),
        ("Segment", "Online", "custom:segment", "Unknown choice “Online”. Use one of: Retail, Wholesale."),
        ("Owner", "nobody", "owner", "Unknown owner “nobody”"),
        ("Country", "Germany", "country", "Use a two-letter country code"),
        ("Stage", "hot", "lifecycle_stage", "Unknown choice “hot”"),
        ("Consent", "maybe", "email_consent", "Unknown choice “maybe”"),
        ("Last name", "x" * 101, "last_name", "At most 100 characters"),
    ],
)
def test_every_kind_of_bad_value_is_reported_with_its_row_and_field(
    manager, custom_fields, column, value, field, message
):
    bad = list(GOOD_ROW)
    bad[ERROR_HEADER.index(column)] = value
    result = run_import(csv_bytes([GOOD_ROW, bad], header=ERROR_HEADER), actor=manager, dry_run=True)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.field, error.column) == (3, field, column)
    assert message in error.message
    assert (result.created, result.skipped) == (1, 1)


def test_good_custom_values_are_stored_in_custom_data(owner, custom_fields):
    row = ["Lovelace", "ada@example.com", "10.12.1815", "1200,50", "wholesale", "", "", "Customer", ""]
    run_import(csv_bytes([row], header=ERROR_HEADER), actor=owner)
    customer = Customer.objects.get()
    assert customer.custom_data == {"birthday": "1815-12-10", "revenue": "1200.50", "segment": "Wholesale"}
    assert customer.lifecycle_stage == Customer.Stage.CUSTOMER


def test_duplicates_within_the_file_are_reported(owner):
    data = csv_bytes([
        ["", "Lovelace", "ada@example.com", "", "", "", "A-1", ""],
        ["", "Byron", "ADA@example.com", "", "", "", "", ""],
        ["", "King", "", "", "", "", "A-1", ""],
    ])  # fmt: skip
    result = run_import(data, actor=owner, dry_run=True)
    assert errors_of(result) == [
        (3, "email", "Duplicate of row 2 (same email)."),
        (4, "external_ref", "Duplicate of row 2 (same external reference)."),
    ]


def test_a_rep_owns_what_they_import_and_cannot_name_another_owner(owner, teammate):
    header = ["Last name", "Owner"]
    result = run_import(csv_bytes([["Lovelace", ""], ["Hopper", "OLIVIA"], ["Byron", "tom"]], header=header),
                        actor=owner, skip_errors=True)  # fmt: skip
    assert errors_of(result) == [
        (4, "owner", "You can only import customers for yourself; ask a manager to assign other owners.")
    ]
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"olivia"}


def test_a_manager_may_assign_owners_by_username_or_email(manager, teammate):
    header = ["Last name", "Owner"]
    run_import(csv_bytes([["Lovelace", "TOM@example.com"], ["Hopper", "tom"]], header=header), actor=manager)
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"tom"}


def test_an_upsert_never_updates_a_customer_the_importer_cannot_edit(owner, outsider):
    theirs = CustomerFactory(owner=outsider, email="oscar@example.com", external_ref="O-1", last_name="Keep")
    data = csv_bytes([
        ["", "Changed", "oscar@example.com", "", "", "", "", ""],
        ["", "Changed", "", "", "", "", "O-1", ""],
    ])  # fmt: skip
    result = run_import(data, actor=owner, skip_errors=True)
    assert errors_of(result) == [
        (2, "", "This row matches a customer you cannot edit."),
        (3, "", "This row matches a customer you cannot edit."),
    ]
    theirs.refresh_from_db()
    assert theirs.last_name == "Keep"
    assert Customer.objects.count() == 1


def test_a_row_matching_a_deleted_customer_is_an_error_not_a_crash(owner):
    CustomerFactory(owner=owner, external_ref="A-1", deleted_at=timezone.now())
    result = run_import(csv_bytes([["", "Lovelace", "", "", "", "", "A-1", ""]]), actor=owner)
    assert result.rejected
    assert errors_of(result) == [(2, "external_ref", "This row matches a deleted customer; restore it first.")]


def test_two_rows_matching_the_same_customer_are_reported(owner):
    CustomerFactory(owner=owner, external_ref="A-1", email="ada@example.com")
    data = csv_bytes(
        [["", "Lovelace", "", "", "", "", "A-1", ""], ["", "Lovelace", "ada@example.com", "", "", "", "", ""]]
    )
    result = run_import(data, actor=owner, dry_run=True)
    assert errors_of(result) == [(3, "", "This row matches the same customer as row 2.")]


def test_a_consent_column_sets_consent_and_logs_an_event_only_when_it_changes(owner):
    existing = CustomerFactory(owner=owner, email="ada@example.com", email_consent=Customer.Consent.OPTED_IN)
    header = ["Last name", "Email", "Consent"]
    data = csv_bytes([["Lovelace", "ada@example.com", "opted_in"], ["Hopper", "grace@example.com", "no"],
                      ["Byron", "", ""]], header=header)  # fmt: skip
    run_import(data, actor=owner)
    grace = Customer.objects.get(email="grace@example.com")
    assert grace.email_consent == Customer.Consent.OPTED_OUT
    assert grace.email_consent_at is not None
    events = ConsentEvent.objects.all()
    assert [(event.customer, event.status, event.source, event.actor) for event in events] == [
        (grace, Customer.Consent.OPTED_OUT, ConsentEvent.Source.IMPORT, owner)
    ]
    existing.refresh_from_db()
    assert existing.email_consent == Customer.Consent.OPTED_IN


def test_html_in_names_is_stored_as_plain_text(owner):
    name = '<script>alert("x")</script>'
    run_import(csv_bytes([[name, "O'Brien & <b>Sons</b>", "", "", "", "", "", ""]]), actor=owner)
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name) == (name, "O'Brien & <b>Sons</b>")


def test_support_agents_may_not_import(agent):
    with pytest.raises(PermissionDenied):
        run_import(csv_bytes([["", "Lovelace", "", "", "", "", "", ""]]), actor=agent)


def test_the_mapping_must_include_the_last_name_once(db):
    with pytest.raises(imports.ImportMappingError, match="last name"):
        imports.import_mapping_clean({"0": "email"}, headers=["a", "b"], custom_fields=[])
    with pytest.raises(imports.ImportMappingError, match="more than one column"):
        imports.import_mapping_clean({"0": "last_name", "1": "last_name"}, headers=["a", "b"], custom_fields=[])
    with pytest.raises(imports.ImportMappingError, match="out of date"):
        imports.import_mapping_clean({"0": "last_name", "7": "email"}, headers=["a", "b"], custom_fields=[])


def test_an_xlsx_file_imports_like_a_csv(owner):
    data = xlsx_bytes([["Ada", "Lovelace", "ada@example.com", 4930123456, "Engines", "math", 17, "GB"]])
    result = run_import(data, actor=owner, filename="people.xlsx")
    assert result.counts == {"created": 1, "updated": 0, "skipped": 0}
    customer = Customer.objects.get()
    assert (customer.phone, customer.external_ref, customer.company.name) == ("4930123456", "17", "Engines")


def _insert_batches(model, rows: int) -> int:
    """INSERT statements bulk_create needs for `rows` rows (SQLite caps a statement at 999 variables)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    return ceil(rows / min(imports.BATCH_SIZE, connection.ops.bulk_batch_size(fields, [None] * rows)))


def test_ten_thousand_rows_import_with_a_bounded_number_of_queries(owner, django_assert_max_num_queries):
    rows = [
        [f"First{n}", f"Last{n}", f"person{n}@example.com", f"+49 30 {n:07d}", f"Company {n % 50}",
         f"tag{n % 5}, all", f"EXT-{n}", "DE"]
        for n in range(10_000)
    ]  # fmt: skip
    data = csv_bytes(rows)
    # Reads are one query per ~900 values; the inserts are batches. On PostgreSQL this is
    # under 100 queries; Django 5.2 limits an SQLite statement to 999 variables, so there
    # every batch is smaller.
    inserts = sum(_insert_batches(model, rows) for model, rows in
                  ((Customer, 10_000), (Interaction, 50), (Customer.tags.through, 20_000)))  # fmt: skip
    started = time.perf_counter()
    with django_assert_max_num_queries(70 + inserts):
        result = run_import(data, actor=owner)
    elapsed = time.perf_counter() - started
    assert result.counts == {"created": 10_000, "updated": 0, "skipped": 0}
    assert Customer.objects.count() == 10_000
    assert Company.objects.count() == 50
    assert Customer.tags.through.objects.count() == 20_000
    assert Interaction.objects.filter(action=IMPORT_CREATED).count() == 1  # the import's one entry for them all
    assert not Interaction.objects.filter(action="customer.imported").exists()
    assert elapsed < 60, f"10,000 rows took {elapsed:.1f} s"


# --- the web flow -----------------------------------------------------------------------
def upload(client, data: bytes, filename="people.csv"):
    return client.post(reverse("customers:import"), {"file": SimpleUploadedFile(filename, data)})


def confirm_mapping(client):
    form = client.get(reverse("customers:import-mapping")).context["form"]
    return client.post(
        reverse("customers:import-mapping"), {name: field.initial for name, field in form.fields.items()}
    )


def test_the_whole_import_flow_as_a_sales_rep(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("customers:import"))
    assert 'value="Upload"' in page.content.decode()
    data = csv_bytes([["Ada", "Lovelace", "ada@example.com", "", "", "math", "", ""],
                      ["Grace", "Hopper", "grace@", "", "", "", "", ""],
                      ["Alan", "Turing", "alan@example.com", "", "", "", "", ""]])  # fmt: skip

    response = upload(client, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:import-mapping")
    mapping_page = client.get(reverse("customers:import-mapping")).content.decode()
    assert 'value="Check the file"' in mapping_page
    assert "ada@example.com" in mapping_page  # examples from the file

    response = confirm_mapping(client)
    assert response["Location"] == reverse("customers:import-check")
    check = client.get(reverse("customers:import-check"))
    assert check.context["result"].created == 2
    assert [(e.row, e.field) for e in check.context["errors"]] == [(3, "email")]
    content = check.content.decode()
    assert "Enter a valid email address." in content
    assert 'value="Import"' in content and "Skip bad rows" in content
    assert Customer.objects.count() == 0  # the dry run writes nothing

    response = client.post(reverse("customers:import-run"))
    assert response.status_code == 200
    assert "Nothing was imported: 1 row has errors." in response.content.decode()
    assert 'value="Skip bad rows and import"' in response.content.decode()
    assert Customer.objects.count() == 0

    response = client.post(reverse("customers:import-run"), {"skip_errors": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:import-result")
    content = response.content.decode()
    assert "2 created, 0 updated, 1 skipped" in content
    assert "grace@" in content  # the skipped row, with its reason
    assert set(Customer.objects.values_list("last_name", flat=True)) == {"Lovelace", "Turing"}
    assert not default_storage.listdir("imports")[1]  # the upload is deleted after the import


def test_a_second_submit_of_the_same_upload_does_not_import_it_twice(client_for, owner):
    client = client_for(owner)
    upload(client, csv_bytes([["", "Lovelace", "", "", "", "", "", ""]]))  # no email or reference to match on
    confirm_mapping(client)
    stored = client.session["customers_import"]["file"]
    assert imports.import_file_claim(stored)  # another request is importing this file right now
    response = client.post(reverse("customers:import-run"), follow=True)
    assert "This file is already being imported." in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_support_agent_may_not_use_the_importer(client_for, agent):
    client = client_for(agent)
    for name in ("customers:import", "customers:import-mapping", "customers:import-check", "customers:import-result"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("customers:import-run")).status_code == 403
    assert upload(client, csv_bytes([["", "Lovelace", "", "", "", "", "", ""]])).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(reverse("customers:import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_malformed_upload_shows_one_error_and_keeps_nothing(client_for, owner, media_root):
    response = upload(client_for(owner), bytes(range(256)) * 10)
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This does not look like a CSV file: it contains binary data."]}
    assert not (media_root / "imports").exists() or not list((media_root / "imports").iterdir())


def test_an_outsiders_customer_is_not_updated_by_another_reps_import(client_for, owner, outsider):
    theirs = CustomerFactory(owner=outsider, email="oscar@example.com", last_name="Keep")
    client = client_for(owner)
    upload(client, csv_bytes([["", "Changed", "oscar@example.com", "", "", "", "", ""]]))
    confirm_mapping(client)
    response = client.post(reverse("customers:import-run"), {"skip_errors": "on"}, follow=True)
    assert "This row matches a customer you cannot edit." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.last_name == "Keep"


def test_the_dry_run_page_shows_html_in_names_escaped(client_for, owner):
    client = client_for(owner)
    upload(client, csv_bytes([['<script>alert("x")</script>', "<b>Bold</b>", "bad", "", "", "", "", ""]]))
    confirm_mapping(client)
    content = client.get(reverse("customers:import-check")).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content
    assert '<script>alert("x")</script>' not in content
    assert "&lt;b&gt;Bold&lt;/b&gt;" in content


def test_the_mapping_page_escapes_headers_and_examples(client_for, owner):
    client = client_for(owner)
    upload(client, csv_bytes([["<img src=x onerror=alert(1)>", "Lovelace"]], header=["<i>Odd</i>", "Last name"]))
    content = client.get(reverse("customers:import-mapping")).content.decode()
    assert "<img src=x" not in content and "<i>Odd</i>" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content


def test_the_mapping_step_requires_a_last_name_column(client_for, owner):
    client = client_for(owner)
    upload(client, csv_bytes([["Ada", "Lovelace"]], header=["First name", "Last name"]))
    response = client.post(reverse("customers:import-mapping"), {"col_0": "first_name", "col_1": ""})
    assert response.status_code == 200
    assert "Choose the column that holds the last name" in response.content.decode()


def test_steps_without_an_upload_send_the_user_back_to_the_upload(client_for, owner):
    client = client_for(owner)
    for name in ("customers:import-mapping", "customers:import-check"):
        assert client.get(reverse(name))["Location"] == reverse("customers:import")


def test_a_large_import_runs_as_a_job_and_the_status_page_shows_its_counts(
    client_for, owner, settings, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_SYNC_MAX_ROWS = 2
    client = client_for(owner)
    upload(
        client,
        csv_bytes(
            [["", f"Person{n}", "", "", "", "", f"R-{n}", ""] for n in range(3)] + [["", "", "", "", "", "", "", ""]]
        ),
    )
    confirm_mapping(client)
    assert "imported in the background" in client.get(reverse("customers:import-check")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("customers:import-run"))

    run = JobRun.objects.get(name="customers.import_file")
    assert response["Location"] == reverse("customers:import-status", args=[run.pk])
    assert (run.status, run.triggered_by, run.counts) == (
        "succeeded",
        owner,
        {"created": 3, "updated": 0, "skipped": 0},
    )
    assert Customer.objects.count() == 3
    status = client.get(reverse("customers:import-status", args=[run.pk])).content.decode()
    assert "Import finished: 3 created, 0 updated, 0 skipped." in status
    assert "every 2s" not in status  # finished: no more polling (the top bar's search has its own hx-trigger)


def test_a_manager_is_sent_to_the_job_log_after_starting_a_large_import(
    client_for, manager, settings, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_SYNC_MAX_ROWS = 1
    client = client_for(manager)
    upload(client, csv_bytes([["", "Lovelace", "", "", "", "", "", ""], ["", "Hopper", "", "", "", "", "", ""]]))
    confirm_mapping(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("customers:import-run"))
    assert response["Location"] == reverse("jobs:list")
    assert Customer.objects.count() == 2


def test_a_running_import_status_polls_itself_and_is_private(client_for, owner, outsider, manager):
    run = JobRun.objects.create(name="customers.import_file", task_id="t-1", status=JobRun.Status.RUNNING,
                                triggered_by=owner, progress_done=1000, progress_total=4000)  # fmt: skip
    url = reverse("customers:import-status", args=[run.pk])
    partial = client_for(owner).get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="import-status"')
    assert 'hx-trigger="every 2s"' in partial
    assert "1000 of 4000 rows checked" in partial
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(manager).get(url).status_code == 200


def test_an_import_sent_again_after_its_worker_stopped_says_so_and_keeps_polling(client_for, owner):
    run = JobRun.objects.create(name="customers.import_file", task_id="t-1", status=JobRun.Status.QUEUED,
                                triggered_by=owner, restarts=1)  # fmt: skip
    partial = client_for(owner).get(reverse("customers:import-status", args=[run.pk])).content.decode()
    assert "Retrying after a worker stopped" in partial and "restarted 1 time" in partial
    assert 'hx-trigger="every 2s"' in partial


def test_the_import_task_is_idempotent_when_retried(owner, media_root):
    from customers.tasks import customers_import_file

    stored = imports.import_file_store(
        upload=SimpleUploadedFile("p.csv", csv_bytes([["", "Lovelace", "", "", "", "", "R-1", ""]]))
    )
    mapping = imports.import_mapping_guess(stored.table.headers, [])
    kwargs = {"file_name": stored.name, "mapping": mapping, "options": {}, "actor_id": owner.pk}
    customers_import_file.apply(kwargs=kwargs, task_id="import-1")
    customers_import_file.apply(kwargs=kwargs, task_id="import-1")  # a redelivery of the same job
    run = JobRun.objects.get(task_id="import-1")
    assert (run.status, run.counts) == (JobRun.Status.SUCCEEDED, {"created": 1, "updated": 0, "skipped": 0})
    assert (run.progress_done, run.progress_total) == (1, 1)
    assert Customer.objects.count() == 1


def test_a_job_whose_rows_turned_bad_fails_writes_nothing_and_says_why(client_for, owner, outsider):
    from customers.tasks import customers_import_file

    CustomerFactory(owner=outsider, external_ref="R-1")  # appeared after the user's dry run
    data = csv_bytes([["", "Lovelace", "", "", "", "", "R-1", ""], ["", "Hopper", "", "", "", "", "R-2", ""]])
    stored = imports.import_file_store(upload=SimpleUploadedFile("p.csv", data))
    mapping = imports.import_mapping_guess(stored.table.headers, [])
    JobRun.objects.create(name="customers.import_file", task_id="import-2", triggered_by=owner)
    kwargs = {"file_name": stored.name, "mapping": mapping, "options": {}, "actor_id": owner.pk}
    with pytest.raises(imports.ImportFileError, match="nothing was imported"):
        customers_import_file.apply(kwargs=kwargs, task_id="import-2")

    run = JobRun.objects.get(task_id="import-2")
    assert run.status == JobRun.Status.FAILED
    assert Customer.objects.count() == 1
    status = client_for(owner).get(reverse("customers:import-status", args=[run.pk])).content.decode()
    assert "The import failed and nothing was saved." in status
    assert "(first: row 2: This row matches a customer you cannot edit.)" in status


# --- the management command ----------------------------------------------------------------
@pytest.fixture
def people_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([["Ada", "Lovelace", "ada@example.com", "", "", "", "", ""],
                                ["Grace", "Hopper", "grace@", "", "", "", "", ""]]))  # fmt: skip
    return path


def test_the_command_dry_run_reports_bad_rows_writes_nothing_and_fails(people_file, capsys, db):
    with pytest.raises(CommandError, match="Rows with errors: 1; nothing was imported"):
        call_command("import_customers", str(people_file), "--dry-run")
    out, err = capsys.readouterr()
    assert "Row 3, E-mail (email): Enter a valid email address. [grace@]" in err
    assert "Would create 1, update 0, skip 1." in out
    assert Customer.objects.count() == 0


def test_the_command_without_skip_errors_writes_nothing(people_file, db):
    with pytest.raises(CommandError) as raised:
        call_command("import_customers", str(people_file))
    assert raised.value.returncode == 1
    assert Customer.objects.count() == 0


def test_the_command_skips_bad_rows_when_asked_and_imports_as_a_user(people_file, owner, capsys):
    call_command("import_customers", str(people_file), "--skip-errors", "--as", "olivia")
    out, err = capsys.readouterr()
    assert "Created 1, updated 0, skipped 1." in out
    assert "Row 3" in err
    assert list(Customer.objects.values_list("last_name", "owner__username")) == [("Lovelace", "olivia")]


def test_the_command_refuses_users_who_may_not_import(people_file, agent):
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_customers", str(people_file), "--as", "alice")


def test_the_command_reports_a_malformed_file(tmp_path, db):
    path = tmp_path / "people.csv"
    path.write_bytes("Nachname\nMüller\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_customers", str(path))


def test_a_user_without_a_role_may_not_import(db):
    assert not imports.can_import(UserFactory())
    assert imports.can_import(UserFactory(role=roles.SALES_REP))
    assert not imports.can_assign_owners(UserFactory(role=roles.SALES_REP))
    assert imports.can_assign_owners(UserFactory(role=roles.MANAGER))
