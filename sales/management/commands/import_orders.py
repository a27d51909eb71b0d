"""Import purchase history (orders) from a CSV file, with the same checks as the web import."""

from django.core.management.base import CommandError

from imports.commands import ImportCommand
from sales.services import order_import

SHOWN_ERRORS = 200


class Command(ImportCommand):
    may_import = staticmethod(order_import.can_import_orders)
    who_may = "managers and admins may"
    help = (
        "Import orders from FILE.csv with the columns customer_ref, ordered_at, total and optionally order_ref, "
        "currency, status. customer_ref matches a customer's external reference. Every row is checked first; with "
        "any bad row nothing is written unless --skip-errors. Exits non-zero when rows have errors and "
        "--skip-errors is not given, or when the file cannot be read."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--create-missing-customers",
            action="store_true",
            help="Create a bare customer (last name = the reference) for each unknown customer_ref.",
        )

    def handle(self, *args, file, dry_run, skip_errors, create_missing_customers, username, **options):
        actor = self.actor(username)
        path = self.existing_file(file)
        try:
            with path.open("rb") as source:
                result = order_import.orders_import(
                    source=source, filename=path.name, actor=actor, dry_run=dry_run, skip_errors=skip_errors,
                    create_missing_customers=create_missing_customers,
                )  # fmt: skip
        except order_import.OrderImportFileError as error:
            raise CommandError(error.message) from None
        self._report(result)
        if result.bad_rows and not skip_errors:
            raise CommandError(f"Rows with errors: {result.bad_rows}; nothing was imported.")

    def _report(self, result: order_import.OrderImportResult) -> None:
        for error in result.errors[:SHOWN_ERRORS]:
            where = f"column {error.column}" if error.column else "row"
            value = f" [{error.value}]" if error.value else ""
            self.stderr.write(f"Row {error.row}, {where}: {error.message}{value}")
        if result.error_count > min(SHOWN_ERRORS, len(result.errors)):
            self.stderr.write(f"… {result.error_count} problems in {result.bad_rows} rows in all.")
        speed = (
            f"{result.total} rows in {result.seconds:.1f} s ({result.total / max(result.seconds, 1e-6):,.0f} rows/s)"
        )
        if result.dry_run or result.rejected:
            self.stdout.write(
                f"{'Dry run' if result.dry_run else 'Nothing imported'}: would create {result.created} orders, "
                f"update {result.updated}, skip {result.skipped} rows, create {result.new_customers} customers. "
                f"{speed}."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported: {result.created} orders created, {result.updated} updated, {result.skipped} rows "
                    f"skipped, {result.new_customers} customers created. {speed}."
                )
            )
