"""Import customers from a CSV or XLSX file, with the same checks as the web import."""

from django.conf import settings
from django.core.management.base import CommandError

from customers.selectors.customers import custom_fields_active
from customers.services import imports
from imports.commands import ImportCommand


class Command(ImportCommand):
    may_import = staticmethod(imports.can_import)
    who_may = "sales reps, managers and admins may"
    help = (
        "Import customers from FILE (.csv or .xlsx; columns matched by their names). Every row is checked first; "
        "with any bad row nothing is written unless --skip-errors. Exits non-zero on errors without --skip-errors."
    )

    def handle(self, *args, file, dry_run, skip_errors, username, **options):
        actor = self.actor(username)
        path = self.existing_file(file)
        if path.stat().st_size > settings.CRM_IMPORT_MAX_BYTES:
            raise CommandError(f"The file is larger than CRM_IMPORT_MAX_BYTES ({settings.CRM_IMPORT_MAX_BYTES} bytes).")
        try:
            with path.open("rb") as source:  # open until imported: PostgreSQL may COPY a plain file as it is
                table = imports.import_table_read(source=source, filename=path.name, plain=True)
                mapping = imports.import_mapping_guess(table.headers, custom_fields_active())
                self._report_mapping(table, mapping)
                result = imports.customers_import(
                    table=table, mapping=mapping, actor=actor, dry_run=dry_run, skip_errors=skip_errors
                )
        except imports.ImportFileError as error:
            raise CommandError(error.message) from None
        self._report(result)
        if result.errors and not skip_errors:
            raise CommandError(f"Rows with errors: {result.bad_rows}; nothing was imported.")

    def _report_mapping(self, table, mapping):
        self.stdout.write("Columns:")
        for index, header in enumerate(table.headers):
            self.stdout.write(f"  {header} -> {mapping.get(str(index), '(ignored)')}")

    def _report(self, result):
        for error in result.errors:
            where = f"{error.column} ({error.field})" if error.field else "row"
            value = f" [{error.value}]" if error.value else ""
            self.stderr.write(f"Row {error.row}, {where}: {error.message}{value}")
        if result.dry_run or result.rejected:
            self.stdout.write(f"Would create {result.created}, update {result.updated}, skip {result.skipped}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Created {result.created}, updated {result.updated}, skipped {result.skipped}.")
            )
