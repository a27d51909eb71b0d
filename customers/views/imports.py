"""Import (upload -> map columns -> dry run -> import) and export of customers.

Between the steps the session keeps only the stored file's name, its original
name (for display) and the chosen mapping; the file itself lives in
MEDIA_ROOT/imports/ under a random name.
"""

import tempfile
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_manager_or_admin
from jobs.models import JobRun
from jobs.selectors import jobrun_error_message, jobrun_get_for_user

from ..filters import CustomerFilter
from ..forms.imports import ImportMappingForm, ImportRunForm, ImportUploadForm
from ..selectors.customers import custom_fields_active, customer_list_for_user
from ..services import exports, imports
from ..tasks import customers_import_file

SESSION_KEY = "customers_import"
RESULT_KEY = "customers_import_result"
PREVIEW_ROWS = 10
SHOWN_ERRORS = 500


def import_access_required(view):
    """Logged in, and a sales rep, manager or admin (support agents get 403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not imports.can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@import_access_required
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            stored = imports.import_file_store(upload=form.cleaned_data["file"])
        except imports.ImportFileError as error:
            form.add_error("file", error.message)
        else:
            _forget_upload(request)
            mapping = imports.import_mapping_guess(stored.table.headers, custom_fields_active())
            request.session[SESSION_KEY] = {"file": stored.name, "filename": stored.table.filename, "mapping": mapping}
            return redirect("customers:import-mapping")
    return render(request, "customers/import_upload.html", {"form": form, "crumbs": _crumbs(_("Upload"))})


@import_access_required
def import_mapping(request):
    state, table = _open_upload(request)
    if table is None:
        return redirect("customers:import")
    form = ImportMappingForm(
        request.POST or None, table=table, custom_fields=custom_fields_active(), mapping=state["mapping"]
    )
    if request.method == "POST" and form.is_valid():
        request.session[SESSION_KEY] = {**state, "mapping": form.mapping}
        return redirect("customers:import-check")
    context = {
        "form": form,
        "filename": state["filename"],
        "row_count": table.row_count,
        "crumbs": _crumbs(_("Columns")),
    }
    return render(request, "customers/import_mapping.html", context)


@require_GET
@import_access_required
def import_check(request):
    """The dry run: every row checked, nothing written."""
    state, table = _open_upload(request)
    if table is None:
        return redirect("customers:import")
    try:
        result = imports.customers_import(table=table, mapping=state["mapping"], actor=request.user, dry_run=True)
    except imports.ImportMappingError as error:
        messages.error(request, error.message)
        return redirect("customers:import-mapping")
    return _render_check(request, state, table, result)


@require_POST
@import_access_required
def import_run(request):
    state, table = _open_upload(request)
    if table is None:
        return redirect("customers:import")
    form = ImportRunForm(request.POST)
    skip_errors = form.is_valid() and form.cleaned_data["skip_errors"]
    background = table.row_count > settings.CRM_IMPORT_SYNC_MAX_ROWS
    if not imports.import_file_claim(state["file"]):
        messages.info(request, _("This file is already being imported."))
        return redirect("customers:import")
    try:
        # A large file is only checked here; the job writes it.
        result = imports.customers_import(
            table=table, mapping=state["mapping"], actor=request.user, skip_errors=skip_errors, dry_run=background
        )
    except imports.ImportFileError as error:
        imports.import_file_release(state["file"])
        messages.error(request, error.message)
        return redirect(
            "customers:import-mapping" if isinstance(error, imports.ImportMappingError) else "customers:import"
        )
    if result.errors and not skip_errors:
        imports.import_file_release(state["file"])
        message = ngettext(
            "Nothing was imported: %(rows)d row has errors.", "Nothing was imported: %(rows)d rows have errors.",
            result.bad_rows,
        )  # fmt: skip
        messages.error(request, message % {"rows": result.bad_rows})
        return _render_check(request, state, table, result, rejected=True)
    if background:
        return _enqueue(request, state, skip_errors)
    imports.import_file_delete(state["file"])
    request.session.pop(SESSION_KEY, None)
    request.session[RESULT_KEY] = _result_for_session(result, state["filename"])
    messages.success(request, _summary(result.counts))
    return redirect("customers:import-result")


@import_access_required
def import_result(request):
    result = request.session.get(RESULT_KEY)
    if not result:
        return redirect("customers:import")
    context = {**result, "crumbs": _crumbs(_("Done"))}
    return render(request, "customers/import_result.html", context)


@login_required
def import_status(request, pk):
    """A background import's progress, for the user who started it (and managers)."""
    run = jobrun_get_for_user(user=request.user, pk=pk, name=customers_import_file.name)
    context = {
        "run": run,
        "running": run.status in (JobRun.Status.QUEUED, JobRun.Status.RUNNING),
        "error_message": jobrun_error_message(run),
    }
    if request.htmx:
        return render(request, "customers/partials/import_status.html", context)
    return render(request, "customers/import_status.html", {**context, "crumbs": _crumbs(_("Progress"))})


@require_GET
@login_required
def customer_export(request, fmt):
    """The customer list as the user sees it: filters from the query string, and ?ids=1,2,3."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if not imports.can_import(request.user):
        # Support agents read customers one by one; bulk copies are for sales and managers.
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
def _crumbs(step: str) -> list[tuple[str, str | None]]:
    return [
        (_("Customers"), reverse("customers:customer-list")),
        (_("Import"), reverse("customers:import")),
        (step, None),
    ]


def _open_upload(request) -> tuple[Any, imports.ImportTable | None]:
    """The upload this session is working on, read back from storage.
    The state (a dict) is None exactly when the table is."""
    state = request.session.get(SESSION_KEY)
    if not state:
        messages.info(request, _("Upload a file first."))
        return None, None
    try:
        return state, imports.import_file_open(state["file"], display_name=state["filename"])
    except imports.ImportFileError as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, error.message)
        return None, None


def _forget_upload(request) -> None:
    state = request.session.pop(SESSION_KEY, None)
    if state:
        imports.import_file_delete(state["file"])


def _render_check(request, state, table, result, *, rejected=False):
    mapped = sorted((int(index), target) for index, target in state["mapping"].items() if target)
    labels = dict(imports.import_field_choices(custom_fields_active()))
    context = {
        "result": result,
        "errors": result.errors[:SHOWN_ERRORS],
        "rejected": rejected,
        "filename": state["filename"],
        "background": table.row_count > settings.CRM_IMPORT_SYNC_MAX_ROWS,
        "preview_headers": [labels.get(target, target) for _index, target in mapped],
        "preview_rows": [
            (number, [cells[index] if index < len(cells) else "" for index, _target in mapped])
            for number, cells in table.rows[:PREVIEW_ROWS]
        ],
        "form": ImportRunForm(has_errors=bool(result.errors), rejected=rejected),
        "crumbs": _crumbs(_("Check")),
    }
    return render(request, "customers/import_check.html", context)


def _enqueue(request, state, skip_errors):
    run = imports.customers_import_enqueue(
        stored_name=state["file"], filename=state["filename"], mapping=state["mapping"], skip_errors=skip_errors,
        actor=request.user,
    )  # fmt: skip
    request.session.pop(SESSION_KEY, None)
    if is_manager_or_admin(request.user):
        messages.success(request, _("The import runs in the background; follow it in the job log."))
        return redirect("jobs:list")
    messages.success(request, _("The import runs in the background; this page shows its progress."))
    return redirect("customers:import-status", pk=run.pk)


def _result_for_session(result: imports.ImportResult, filename: str) -> dict:
    errors = [
        {"row": error.row, "column": error.column, "field": error.field, "message": error.message, "value": error.value}
        for error in result.errors[:SHOWN_ERRORS]
    ]
    return {"counts": result.counts, "errors": errors, "error_count": len(result.errors), "filename": filename}


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


def _summary(counts: dict) -> str:
    return _("Import finished: %(created)d created, %(updated)d updated, %(skipped)d skipped.") % counts


def _ids(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip().isdigit()][:10_000]
