"""Import (upload -> map columns -> dry run -> import, through the import kit) and export of customers.

The kit (imports/) runs the steps, keeps the upload and draws the pages; this module
tells it what a customer import is: its columns and mapping, its check and write
(customers.services.imports) and its background job (customers.import_file).
"""

import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from imports.views import Card, FlowUrls, ImportFlow, Mapping, flow_views

from ..filters import CustomerFilter
from ..selectors.customers import custom_fields_active, customer_list_for_user
from ..services import exports, imports
from ..tasks import customers_import_enqueue, customers_import_file
from .customers import may_export_customers


def _run(*, table, state, actor, dry_run, skip_errors):
    return imports.customers_import(
        table=table, mapping=state.get("mapping", {}), actor=actor, dry_run=dry_run, skip_errors=skip_errors
    )


def _enqueue(*, table, state, skip_errors, actor):
    return customers_import_enqueue(
        stored_name=state["file"], filename=state["filename"], mapping=state["mapping"], skip_errors=skip_errors,
        actor=actor,
    )  # fmt: skip


def _summary(counts: dict) -> str:
    return _("Import finished: %(created)d created, %(updated)d updated, %(skipped)d skipped.") % counts


def _check_note(result) -> str:
    if not (result.new_companies or result.new_tags):
        return ""
    return _("New companies: %(companies)s. New tags: %(tags)s.") % {
        "companies": result.new_companies,
        "tags": result.new_tags,
    }


FLOW = ImportFlow(
    kind=imports.CUSTOMERS,
    urls=FlowUrls(
        upload="customers:import",
        mapping="customers:import-mapping",
        check="customers:import-check",
        run="customers:import-run",
        result="customers:import-result",
        status="customers:import-status",
    ),  # fmt: skip
    session_key="customers_import",
    task_name=customers_import_file.name,
    may_import=imports.can_import,
    run=_run,
    enqueue=_enqueue,
    summary=_summary,
    titles={
        "upload": gettext_lazy("Import customers"),
        "check": gettext_lazy("Check the import"),
        "result": gettext_lazy("Import finished"),
        "status": gettext_lazy("Import progress"),
    },
    crumbs=[(gettext_lazy("Customers"), "customers:customer-list")],
    check_cards=[
        Card("created", gettext_lazy("would be created")),
        Card("updated", gettext_lazy("would be updated")),
        Card("errors", gettext_lazy("rows with errors")),
    ],
    result_cards=[
        Card("created", gettext_lazy("created")),
        Card("updated", gettext_lazy("updated")),
        Card("skipped", gettext_lazy("skipped")),
    ],
    done_link=(gettext_lazy("Go to the customers"), "customers:customer-list"),
    help_template="customers/partials/import_help.html",
    mapping=Mapping(
        choices=lambda: imports.import_field_choices(custom_fields_active()),
        guess=lambda headers: imports.import_mapping_guess(headers, custom_fields_active()),
        clean=lambda mapping, headers: imports.import_mapping_clean(
            mapping, headers=headers, custom_fields=custom_fields_active()
        ),
    ),
    check_note=_check_note,
    preview=True,
    managers_follow_in_job_log=True,
)
_views = flow_views(FLOW)
import_upload = _views["upload"]
import_mapping = _views["mapping"]
import_check = _views["check"]
import_run = _views["run"]
import_result = _views["result"]
import_status = _views["status"]


@require_GET
@login_required
def customer_export(request, fmt):
    """The customer list as the user sees it: filters from the query string, and ?ids=1,2,3."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if not may_export_customers(request.user):
        raise PermissionDenied
    custom_fields = custom_fields_active()
    queryset = customer_list_for_user(user=request.user)
    filterset = CustomerFilter(request.GET, queryset=queryset, request=request, custom_fields=custom_fields)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    if request.GET.get("ids"):
        queryset = queryset.filter(pk__in=_ids(request.GET["ids"]))
    rows = exports.customers_export_rows(queryset, custom_fields)
    filename = f"customers-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return _csv_response(rows, filename) if fmt == "csv" else _xlsx_response(rows, filename)


# --- helpers ------------------------------------------------------------------------
def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.customers_export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_response(rows, filename: str) -> FileResponse:
    # In memory up to 10 MB, then on disk; FileResponse closes (and so deletes) it.
    file = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)
    exports.customers_export_xlsx(rows, file)
    file.seek(0)
    return FileResponse(
        file, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip


def _ids(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip().isdigit()][:10_000]
