"""The order import service and the `import_orders` command: every rule with a small hand-made CSV."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.services.order_import import OrderImportFileError, orders_import
from sales.tests.factories import OrderFactory

HEADER = "customer_ref,ordered_at,total,order_ref,currency,status"


@pytest.fixture
def alice(db):
    return CustomerFactory(external_ref="C-1", last_name="Alice")


@pytest.fixture
def bob(db):
    return CustomerFactory(external_ref="C-2", last_name="Bob")


def run(text: str, *, actor=None, encoding="utf-8", **options):
    data = text.encode(encoding) if isinstance(text, str) else text
    return orders_import(source=io.BytesIO(data), filename="orders.csv", actor=actor, **options)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def errors_of(result) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.errors]


# --- identity: upserts by (customer, order_ref), never without one ---------------------------
def test_good_rows_create_orders_with_exact_decimals_and_defaults(alice, bob, settings):
    settings.CRM_CURRENCY = "EUR"
    result = run(csv_text("C-1,2024-03-01,12.5,,,", "C-2,2024-03-02T10:00:00Z,1999.99,A-7,usd,refunded"))
    assert (result.created, result.updated, result.bad_rows) == (2, 0, 0)
    first, second = Order.objects.order_by("pk")
    assert (first.customer, first.total, first.currency, first.status, first.source) == (
        alice, Decimal("12.50"), "EUR", "paid", "import"
    )  # fmt: skip
    assert (second.customer, second.order_ref, second.currency, second.status) == (bob, "A-7", "USD", "refunded")
    assert second.total == Decimal("1999.99")


def test_a_row_with_an_order_ref_updates_the_customers_order_with_that_ref(alice):
    existing = OrderFactory(customer=alice, order_ref="A-1", total=Decimal("10.00"))
    result = run(csv_text("C-1,2024-05-01,20.00,A-1,EUR,cancelled"))
    assert (result.created, result.updated) == (0, 1)
    existing.refresh_from_db()
    assert (existing.total, existing.status, existing.ordered_at.date().isoformat()) == (
        Decimal("20.00"), "cancelled", "2024-05-01"
    )  # fmt: skip
    assert Order.objects.count() == 1


def test_the_same_order_ref_of_another_customer_is_another_order(alice, bob):
    OrderFactory(customer=bob, order_ref="A-1")
    result = run(csv_text("C-1,2024-05-01,20.00,A-1,,"))
    assert (result.created, result.updated) == (1, 0)
    assert Order.objects.filter(order_ref="A-1").count() == 2


def test_identical_rows_without_an_order_ref_are_separate_orders_never_duplicates(alice):
    result = run(csv_text("C-1,2024-05-01,20.00,,,", "C-1,2024-05-01,20.00,,,"))
    assert (result.created, result.bad_rows, result.errors) == (2, 0, [])
    assert Order.objects.filter(customer=alice).count() == 2


def test_importing_the_same_file_twice_updates_the_referenced_orders_and_adds_the_others_again(alice):
    text = csv_text("C-1,2024-05-01,20.00,A-1,,", "C-1,2024-05-02,5.00,,,")
    run(text)
    result = run(text)
    assert (result.created, result.updated) == (1, 1)
    assert Order.objects.filter(order_ref="A-1").count() == 1
    assert Order.objects.filter(order_ref="").count() == 2


def test_the_same_customer_and_order_ref_twice_in_a_file_is_an_error_on_the_second(alice):
    result = run(csv_text("C-1,2024-05-01,20.00,A-1,,", "C-1,2024-05-02,30.00,A-1,,"), skip_errors=True)
    assert errors_of(result) == [(3, "order_ref")]
    assert "row 2" in result.errors[0].message
    assert Order.objects.get().total == Decimal("20.00")


# --- customers -------------------------------------------------------------------------------
def test_an_unknown_customer_ref_is_a_row_error(alice):
    result = run(csv_text("C-1,2024-05-01,1,,,", "NOPE,2024-05-01,1,,,"))
    assert errors_of(result) == [(3, "customer_ref")]
    assert result.rejected and Order.objects.count() == 0


def test_a_deleted_customers_ref_is_a_row_error_even_when_creating_missing_customers(db):
    CustomerFactory(external_ref="GONE", deleted_at=datetime(2024, 1, 1, tzinfo=UTC))
    result = run(csv_text("GONE,2024-05-01,1,,,"), create_missing_customers=True)
    assert errors_of(result) == [(2, "customer_ref")]
    assert "deleted" in result.errors[0].message
    assert Order.objects.count() == 0


def test_missing_customers_are_created_bare_once_each_with_an_audit_entry(owner, manager, team):
    CustomerFactory(external_ref="C-9", owner=owner)
    text = csv_text("NEW-1,2024-05-01,1,,,", "NEW-1,2024-05-02,2,,,", "NEW-2,2024-05-03,3,X,,", "C-9,2024-05-01,4,,,")
    result = run(text, actor=manager, create_missing_customers=True)
    assert (result.created, result.new_customers, result.bad_rows) == (4, 2, 0)
    created = Customer.objects.filter(external_ref__startswith="NEW-").order_by("external_ref")
    assert [(c.last_name, c.source, c.owner, c.team) for c in created] == [
        ("NEW-1", "import", manager, team), ("NEW-2", "import", manager, team)
    ]  # fmt: skip
    assert Order.objects.filter(customer=created[0]).count() == 2
    audit = Interaction.objects.filter(action="customer.created", customer__in=created)
    assert audit.count() == 2 and "orders.csv" in audit.first().summary


def test_a_dry_run_with_missing_customers_counts_them_and_creates_nothing(db):
    result = run(
        csv_text("NEW-1,2024-05-01,1,,,", "NEW-1,2024-05-02,2,,,"), dry_run=True, create_missing_customers=True
    )
    assert (result.created, result.new_customers) == (2, 1)
    assert not Customer.objects.exists() and not Order.objects.exists()


def test_a_manager_reaches_only_the_customers_of_their_teams(manager, owner, outsider):
    CustomerFactory(external_ref="MINE", owner=owner)
    CustomerFactory(external_ref="THEIRS", owner=outsider)
    result = run(csv_text("MINE,2024-05-01,1,,,", "THEIRS,2024-05-01,1,,,"), actor=manager, skip_errors=True)
    assert (result.created, errors_of(result)) == (1, [(3, "customer_ref")])
    assert Order.objects.get().customer.external_ref == "MINE"


def test_only_managers_and_admins_may_import(owner, agent):
    for user in (owner, agent):
        with pytest.raises(PermissionDenied):
            run(csv_text("C-1,2024-05-01,1,,,"), actor=user)


# --- totals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "status", "stored"),
    [
        ("12.5", "", Decimal("12.50")),
        ("0", "", Decimal("0.00")),
        ("0.00", "cancelled", Decimal("0.00")),
        ("-25.10", "refunded", Decimal("-25.10")),
        ("+7", "", Decimal("7.00")),
        ("000123.40", "", Decimal("123.40")),
    ],
)
def test_totals_are_exact_decimals(alice, total, status, stored):
    result = run(csv_text(f"C-1,2024-05-01,{total},,,{status}"))
    assert result.bad_rows == 0
    assert Order.objects.get().total == stored


@pytest.mark.parametrize(
    ("total", "status"),
    [
        ("12.345", ""),  # more than 2 places
        ("1.500", ""),  # could be German for 1500
        ("1e3", ""),
        ("NaN", ""),
        ("Infinity", ""),
        ('"1,000.00"', ""),
        ('"1,5"', ""),
        ("12 EUR", ""),
        ("", ""),
        ("-5", ""),  # negative, not refunded
        ("-5", "paid"),
        ("1234567890123", ""),  # more than 12 integer digits
    ],
)
def test_bad_totals_are_row_errors(alice, total, status):
    result = run(csv_text(f"C-1,2024-05-01,{total},,,{status}"))
    assert errors_of(result) == [(2, "total")]
    assert result.rejected and not Order.objects.exists()


# --- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("2024-01-15", datetime(2024, 1, 14, 23, 0, tzinfo=UTC)),  # midnight in Berlin (CET, +01:00)
        ("2024-07-15", datetime(2024, 7, 14, 22, 0, tzinfo=UTC)),  # midnight in Berlin (CEST, +02:00)
        ("2024-01-15T10:30", datetime(2024, 1, 15, 9, 30, tzinfo=UTC)),  # no offset: CRM time zone
        ("2024-01-15 10:30:15", datetime(2024, 1, 15, 9, 30, 15, tzinfo=UTC)),
        ("2024-01-15T10:30:00Z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00+03:00", datetime(2024, 1, 15, 7, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.250-0500", datetime(2024, 1, 15, 15, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_ordered_at_is_an_iso_date_or_date_time_in_the_crm_time_zone(alice, settings, value, expected_utc):
    settings.TIME_ZONE = "Europe/Berlin"
    result = run(csv_text(f"C-1,{value},1,,,"))
    assert result.bad_rows == 0
    assert Order.objects.get().ordered_at == expected_utc


@pytest.mark.parametrize(
    "value", ["", "15.01.2024", "01/15/2024", "2024-13-01", "2024-02-30", "20240115", "2024-W03-1", "yesterday"]
)
def test_bad_dates_are_row_errors(alice, value):
    result = run(csv_text(f"C-1,{value},1,,,"))
    assert errors_of(result) == [(2, "ordered_at")]


# --- other cells ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("C-1,2024-05-01,1,,EURO,", "currency"),
        ("C-1,2024-05-01,1,,E1R,", "currency"),
        ("C-1,2024-05-01,1,,,shipped", "status"),
        (",2024-05-01,1,,,", "customer_ref"),
        ("C-1,2024-05-01,1," + "x" * 101 + ",,", "order_ref"),
        ("C-1,2024-05-01,1,,,,surplus", ""),
    ],
)
def test_bad_cells_are_row_errors_with_their_column(alice, row, column):
    result = run(csv_text(row))
    assert errors_of(result) == [(2, column)]


def test_a_row_with_fewer_cells_than_the_header_reads_the_missing_ones_as_empty(alice):
    result = run(csv_text("C-1,2024-05-01,1,A-1,,", "C-1,2024-05-02,2"))
    assert result.bad_rows == 0
    assert sorted(Order.objects.values_list("order_ref", "total")) == [("", Decimal("2.00")), ("A-1", Decimal("1.00"))]


def test_every_problem_of_a_row_is_reported_with_the_row_number(alice):
    result = run(csv_text("C-1,2024-05-01,1,,,", "", "C-1,someday,abc,,XX1,lost"))
    assert errors_of(result) == [(4, "ordered_at"), (4, "status"), (4, "currency"), (4, "total")]
    assert result.bad_rows == 1 and result.total == 2


def test_columns_may_come_in_any_order_and_optional_ones_may_be_left_out(alice):
    result = run("Total;Ordered_At;Customer_Ref\n9.99;2024-05-01;C-1\n")
    assert result.created == 1
    assert Order.objects.get().total == Decimal("9.99")


# --- atomicity, skipping, dry runs ---------------------------------------------------------------
def test_one_bad_row_means_nothing_is_written(alice):
    result = run(csv_text("C-1,2024-05-01,1,A,,", "C-1,2024-05-01,oops,B,,", "C-1,2024-05-01,3,C,,"))
    assert result.rejected and (result.created, result.bad_rows) == (2, 1)
    assert not Order.objects.exists()


def test_skipping_errors_writes_the_good_rows(alice):
    result = run(csv_text("C-1,2024-05-01,1,A,,", "C-1,2024-05-01,oops,B,,", "C-1,2024-05-01,3,C,,"), skip_errors=True)
    assert not result.rejected and (result.created, result.skipped) == (2, 1)
    assert sorted(Order.objects.values_list("order_ref", flat=True)) == ["A", "C"]


def test_a_dry_run_writes_nothing_but_counts_what_would_happen(alice):
    OrderFactory(customer=alice, order_ref="A")
    result = run(csv_text("C-1,2024-05-01,1,A,,", "C-1,2024-05-01,3,,,", "C-1,2024-05-01,x,,,"), dry_run=True)
    assert (result.created, result.updated, result.bad_rows, result.rejected) == (1, 1, 1, False)
    assert Order.objects.count() == 1 and Order.objects.get().total == Decimal("100.00")


def test_no_timeline_entry_is_written_per_imported_order(alice):
    run(csv_text("C-1,2024-05-01,1,,,", "C-1,2024-05-02,2,,,"))
    assert not Interaction.objects.filter(customer=alice).exists()


def test_the_chunks_add_up_across_a_file_larger_than_one_chunk(alice, monkeypatch):
    monkeypatch.setattr("sales.services.order_import.CHUNK", 3)
    rows = [f"C-1,2024-05-01,{n},R{n % 4},," if n % 2 else f"C-1,2024-05-01,{n},,," for n in range(1, 11)]
    result = run(csv_text(*rows), skip_errors=True)
    # Odd n carry R1, R3, R1, R3, R1 (n = 1, 3, 5, 7, 9 on rows n + 1): rows 6, 8 and 10 repeat one.
    assert (result.created, result.bad_rows) == (7, 3)
    assert errors_of(result) == [(6, "order_ref"), (8, "order_ref"), (10, "order_ref")]


def test_only_the_first_thousand_problems_are_kept_but_all_are_counted(alice):
    result = run(csv_text(*["C-1,2024-05-01,x,,,"] * 1200), dry_run=True)
    assert (result.bad_rows, result.error_count, len(result.errors)) == (1200, 1200, 1000)


# --- the file as a whole ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"customer_ref,ordered_at,total\n", "no orders"),
        (b"customer_ref,ordered_at\nC-1,2024-01-01\n", "Missing columns: total"),
        (b"customer_ref,ordered_at,total,orderref\nC-1,2024-01-01,1,A\n", "Unknown columns: orderref"),
        (b"C-1,2024-01-01,1\n", "Unknown columns"),
        (b"customer_ref,ordered_at,total,total\nC-1,2024-01-01,1,1\n", "appear twice"),
        ("customer_ref,ordered_at,total\nC-1,2024-01-01,1\nMüller,2024-01-01,1\n".encode("latin-1"), "UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "binary"),
    ],
)
def test_file_problems_are_one_clear_error_and_nothing_is_written(alice, data, message):
    with pytest.raises(OrderImportFileError, match=message):
        run(data)
    assert not Order.objects.exists()


def test_a_decoding_error_late_in_a_large_file_writes_nothing(alice, monkeypatch):
    monkeypatch.setattr("sales.services.order_import.CHUNK", 2)
    data = csv_text(*["C-1,2024-05-01,1,,,"] * 5000).encode() + "C-1,2024-05-01,1,M\xfcller,,\n".encode("latin-1")
    with pytest.raises(OrderImportFileError, match="UTF-8"):
        run(data)
    assert not Order.objects.exists()


def test_utf8_with_a_bom_and_utf16_files_are_read(alice):
    text = csv_text("C-1,2024-05-01,1,Ä-1,,")
    run("\ufeff" + text)
    run(text, encoding="utf-16")
    assert Order.objects.filter(order_ref="Ä-1").count() == 1


# --- the command --------------------------------------------------------------------------------
@pytest.fixture
def csv_file(tmp_path):
    def write(*rows):
        path = tmp_path / "orders.csv"
        path.write_text(csv_text(*rows))
        return str(path)

    return write


def test_the_command_imports_and_reports_the_counts(alice, csv_file, capsys):
    call_command("import_orders", csv_file("C-1,2024-05-01,1,A,,", "C-1,2024-05-01,2,,,"))
    assert "2 orders created, 0 updated, 0 rows skipped" in capsys.readouterr().out
    assert Order.objects.count() == 2


def test_the_command_fails_on_bad_rows_without_skip_errors_and_writes_nothing(alice, csv_file, capsys):
    with pytest.raises(CommandError, match="Rows with errors: 1"):
        call_command("import_orders", csv_file("C-1,2024-05-01,1,,,", "X,2024-05-01,1,,,"))
    assert "Row 3, column customer_ref" in capsys.readouterr().err
    assert not Order.objects.exists()


def test_the_command_skips_bad_rows_when_asked_and_succeeds(alice, csv_file):
    call_command("import_orders", csv_file("C-1,2024-05-01,1,,,", "X,2024-05-01,1,,,"), "--skip-errors")
    assert Order.objects.count() == 1


def test_the_command_dry_run_writes_nothing(alice, csv_file, capsys):
    call_command("import_orders", csv_file("C-1,2024-05-01,1,,,", "NEW,2024-05-01,1,,,"), "--dry-run",
                 "--create-missing-customers")  # fmt: skip
    assert "Dry run: would create 2 orders" in capsys.readouterr().out
    assert not Order.objects.exists() and not Customer.objects.filter(external_ref="NEW").exists()


def test_the_command_creates_missing_customers_when_asked(alice, csv_file):
    call_command("import_orders", csv_file("NEW,2024-05-01,1,,,"), "--create-missing-customers")
    assert Order.objects.get().customer.external_ref == "NEW"


def test_the_command_exits_non_zero_for_an_unreadable_file(csv_file, tmp_path, db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_orders", str(tmp_path / "missing.csv"))
    (tmp_path / "bad.csv").write_text("name,amount\nx,1\n")
    with pytest.raises(CommandError, match="Unknown columns"):
        call_command("import_orders", str(tmp_path / "bad.csv"))


def test_the_command_runs_as_a_user_with_their_scope(csv_file, owner, manager, outsider):
    CustomerFactory(external_ref="THEIRS", owner=outsider)
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_orders", csv_file("THEIRS,2024-05-01,1,,,"), "--as", owner.username)
    with pytest.raises(CommandError, match="Rows with errors: 1"):
        call_command("import_orders", csv_file("THEIRS,2024-05-01,1,,,"), "--as", manager.username)


# --- PostgreSQL: a plain file goes to COPY as it is ------------------------------------------------
def test_a_file_copy_reads_as_it_is_and_one_the_csv_reader_cleans_import_the_same(alice, bob):
    plain = run(csv_text("C-1,2024-03-01,10.00,A-1,eur,Paid", "C-2,2024-03-02T10:00:00Z,-1.50,,,refunded"))
    Order.objects.all().delete()
    cleaned = run(csv_text(' C-1 ,2024-03-01,"10.00",A-1,eur,Paid', "C-2,2024-03-02T10:00:00Z , -1.50,,,refunded"))

    assert plain.counts == cleaned.counts == {"created": 2, "updated": 0, "skipped": 0, "new_customers": 0}
    assert sorted(Order.objects.values_list("customer__external_ref", "order_ref", "total", "currency", "status")) == [
        ("C-1", "A-1", Decimal("10.00"), "EUR", Order.Status.PAID),
        ("C-2", "", Decimal("-1.50"), "EUR", Order.Status.REFUNDED),
    ]


def test_a_row_longer_than_the_header_in_an_otherwise_plain_file_is_still_reported(alice):
    text = csv_text("C-1,2024-03-01,10.00", "C-1,2024-03-01,10.00,,surplus", header="customer_ref,ordered_at,total")

    result = run(text)

    assert result.rejected
    assert errors_of(result) == [(3, "")]


def test_the_customers_figures_after_imports_that_add_and_change_orders_are_those_a_rebuild_computes(alice, bob):
    from sales.models import CustomerStats
    from sales.services.stats import customer_stats_refresh

    OrderFactory(customer=alice, order_ref="A-0", total=Decimal("5.00"), status=Order.Status.PAID)
    customer_stats_refresh()
    run(csv_text("C-1,2024-03-01,10.00,A-1,,paid", "C-1,2024-03-05,7.00,,,paid", "C-2,2024-03-02,3.00,B-1,,refunded"))
    run(csv_text("C-1,2024-03-01,10.00,A-1,,refunded", "C-2,2024-03-09,4.00,B-1,,paid", "C-2,2024-02-01,1.00,,,paid"))

    def figures():
        return sorted(CustomerStats.objects.values_list("customer", "order_count", "lifetime_spend", "last_order_at"))

    imported = figures()
    customer_stats_refresh()
    assert imported == figures()
    assert [(count, spend) for _customer, count, spend, _last in imported] == [
        (2, Decimal("12.00")),
        (2, Decimal("5.00")),
    ]
