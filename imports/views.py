"""The steps every import shares: upload -> (map columns) -> check (dry run) -> run -> result or status.

An import describes itself with an ImportFlow and wires its methods into its own URLs:

    flow = ImportFlow(kind=CUSTOMERS, urls=FlowUrls("customers:import", ...), run=..., enqueue=..., ...)
    path("import/", flow.upload, name="import")

Between the steps the session keeps only the stored upload's name, its original name, the
import's options and the chosen mapping; the file and what was read from it stay in storage.
Small files are read inside the request; larger ones by the `imports.prepare_file` job, whose
progress the status page shows before it sends the user on to the next step.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_manager_or_admin
from jobs.models import JobRun
from jobs.selectors import jobrun_error_message, jobrun_get_for_user
from jobs.services import job_enqueue

from . import services
from .forms import MappingForm, RunForm, UploadForm
from .readers import ImportFileError, ImportMappingError
from .tasks import prepare_file

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SHOWN_ERRORS = 500
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class FlowUrls:
    upload: str
    check: str
    run: str
    result: str
    status: str
    mapping: str = ""  # no mapping step: the import knows its columns by name


@dataclass(frozen=True)
class Mapping:
    """An import's mapping step: its choices, its guesses from the headers, its validation."""

    choices: Callable[[], list[tuple[str, "StrOrPromise"]]]
    guess: Callable[[list[str]], dict[str, str]]
    clean: Callable[[dict, list[str]], dict[str, str]]  # raises ImportMappingError


@dataclass(frozen=True)
class Card:
    key: str  # the result's attribute (check page) or the counts' key (result page); "errors" is bad_rows
    label: "StrOrPromise"


@dataclass(frozen=True)
class ImportFlow:
    kind: services.ImportKind
    urls: FlowUrls
    session_key: str
    task_name: str
    may_import: Callable
    # run(table=, state=, actor=, dry_run=, skip_errors=) -> a result (created, updated, bad_rows,
    # errors, error_count, total, rejected, counts); enqueue(table=, state=, skip_errors=, actor=) -> JobRun
    run: Callable
    enqueue: Callable
    summary: Callable[[dict], str]  # "Import finished: …" from the counts
    titles: dict  # upload, check, result, status
    crumbs: list[tuple["StrOrPromise", str]]  # (label, url name) before "Import"
    check_cards: list[Card]
    result_cards: list[Card]
    done_link: tuple["StrOrPromise", str]  # (label, url name)
    help_template: str
    upload_form: type[UploadForm] = UploadForm
    upload_button: "StrOrPromise" = gettext_lazy("Upload")
    mapping: Mapping | None = None
    check_note: Callable = field(default=lambda result: "")
    preview: bool = False
    managers_follow_in_job_log: bool = False

    # --- the steps -------------------------------------------------------------------------------
    def upload(self, request):
        self._allowed(request)
        form = self.upload_form(
            request.POST or None, request.FILES or None, action=reverse(self.urls.upload),
            extensions=self.kind.extensions, button=self.upload_button,
        )  # fmt: skip
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                name = services.upload_store(upload=upload, kind=self.kind)
            except ImportFileError as error:
                form.add_error("file", error.message)
            else:
                self._forget(request)
                state = {"file": name, "filename": upload.name, "options": form.options()}
                request.session[self.session_key] = state
                if services.upload_needs_worker(name):
                    run = job_enqueue(
                        task=prepare_file, actor=request.user,
                        kwargs={"name": name, "kind": self.kind.prefix, "filename": upload.name},
                    )  # fmt: skip
                    return redirect(self.urls.status, pk=run.pk)
                try:
                    services.upload_prepare(name, kind=self.kind, filename=upload.name)
                except ImportFileError as error:
                    self._forget(request)
                    form.add_error("file", error.message)
                else:
                    return redirect(self._after_upload())
        context = {"form": form, "crumbs": self._crumbs(_("Upload")), "step": 1}
        return self._render(request, "imports/upload.html", context)

    def mapping_step(self, request):
        self._allowed(request)
        if self.mapping is None:
            raise Http404
        mapper = self.mapping
        opened = self._open(request)
        if opened is None:
            return redirect(self.urls.upload)
        state, table = opened
        mapping = state.get("mapping")
        if mapping is None:
            mapping = mapper.guess(table.headers)
        form = MappingForm(
            request.POST or None, table=table, choices=mapper.choices(), mapping=mapping,
            clean_mapping=lambda chosen: mapper.clean(chosen, table.headers), action=reverse(self.urls.mapping),
        )  # fmt: skip
        if request.method == "POST" and form.is_valid():
            request.session[self.session_key] = {**state, "mapping": form.mapping}
            return redirect(self.urls.check)
        context = {"form": form, "filename": state["filename"], "row_count": table.row_count}
        return self._render(request, "imports/mapping.html", {**context, "crumbs": self._crumbs(_("Columns"))})

    def check(self, request):
        """The dry run: every row checked, nothing written."""
        self._allowed(request)
        opened = self._open(request)
        if opened is None:
            return redirect(self.urls.upload)
        state, table = opened
        try:
            result = self.run(table=table, state=state, actor=request.user, dry_run=True, skip_errors=False)
        except ImportMappingError as error:
            messages.error(request, error.message)
            return redirect(self.urls.mapping)
        except ImportFileError as error:
            self._forget(request)
            messages.error(request, error.message)
            return redirect(self.urls.upload)
        request.session[self.session_key] = {**state, "bad_rows": result.bad_rows}
        return self._render_check(request, state, table, result)

    def run_step(self, request):
        self._allowed(request)
        opened = self._open(request)
        if opened is None:
            return redirect(self.urls.upload)
        state, table = opened
        form = RunForm(request.POST, action=reverse(self.urls.run))
        skip_errors = form.is_valid() and form.cleaned_data["skip_errors"]
        background = table.row_count > settings.CRM_IMPORT_SYNC_MAX_ROWS
        if background and state.get("bad_rows") and not skip_errors:
            messages.error(request, _nothing_imported(state["bad_rows"]))
            return redirect(self.urls.check)
        if not services.upload_claim(state["file"]):
            messages.info(request, _("This file is already being imported."))
            return redirect(self.urls.upload)
        if background:
            return self._enqueue(request, state, table, skip_errors)
        try:
            result = self.run(table=table, state=state, actor=request.user, dry_run=False, skip_errors=skip_errors)
        except ImportFileError as error:
            services.upload_release(state["file"])
            messages.error(request, error.message)
            mapping_problem = isinstance(error, ImportMappingError) and self.urls.mapping
            return redirect(self.urls.mapping if mapping_problem else self.urls.upload)
        if result.rejected:
            services.upload_release(state["file"])
            messages.error(request, _nothing_imported(result.bad_rows))
            return self._render_check(request, state, table, result, rejected=True)
        services.upload_delete(state["file"])
        request.session.pop(self.session_key, None)
        request.session[f"{self.session_key}_result"] = _result_for_session(result, state["filename"])
        messages.success(request, self.summary(result.counts))
        return redirect(self.urls.result)

    def result(self, request):
        self._allowed(request)
        result = request.session.get(f"{self.session_key}_result")
        if not result:
            return redirect(self.urls.upload)
        cards = [(card.key, card.label, result["counts"].get(card.key, 0)) for card in self.result_cards]
        context = {**result, "cards": cards, "crumbs": self._crumbs(_("Done")), "step": self._steps_count()}
        return self._render(request, "imports/result.html", context)

    def status(self, request, pk):
        """A background job's progress (reading the file, or importing it), for the user who
        started it and managers; the partial polls itself while the job runs."""
        self._allowed(request)
        run = self._job_run(request, pk)
        context = {
            "run": run,
            "running": run.status in (JobRun.Status.QUEUED, JobRun.Status.RUNNING),
            "error_message": jobrun_error_message(run),
            "reading": run.name == prepare_file.name,
            "summary": self.summary(run.counts) if run.counts and run.name == self.task_name else "",
            "status_url": reverse(self.urls.status, args=[run.pk]),
            "next_url": self._after_upload() if run.name == prepare_file.name else "",
        }
        if request.htmx:
            return self._render(request, "imports/partials/status.html", context)
        return self._render(request, "imports/status.html", {**context, "crumbs": self._crumbs(_("Progress"))})

    # --- helpers ---------------------------------------------------------------------------------
    def _allowed(self, request) -> None:
        if not self.may_import(request.user):
            raise PermissionDenied

    def _after_upload(self) -> str:
        return self.urls.mapping or self.urls.check

    def _job_run(self, request, pk) -> JobRun:
        for name in (self.task_name, prepare_file.name):
            try:
                return jobrun_get_for_user(user=request.user, pk=pk, name=name)
            except Http404:
                continue
        raise Http404

    def _open(self, request) -> tuple[dict[str, Any], services.ImportTable] | None:
        """The upload this session is working on (its state and table as read), or None."""
        state = request.session.get(self.session_key)
        if not state:
            messages.info(request, _("Upload a file first."))
            return None
        try:
            return state, services.table_open(state["file"], kind=self.kind, display_name=state["filename"])
        except ImportFileError as error:
            self._forget(request)
            messages.error(request, error.message)
            return None

    def _forget(self, request) -> None:
        state = request.session.pop(self.session_key, None)
        if state:
            services.upload_delete(state["file"])

    def _render_check(self, request, state, table, result, *, rejected=False):
        cards = [
            (card.key, card.label, result.bad_rows if card.key == "errors" else getattr(result, card.key))
            for card in self.check_cards
        ]
        context = {
            "result": result,
            "cards": cards,
            "note": "" if rejected else self.check_note(result),
            "errors": result.errors[:SHOWN_ERRORS],
            "rejected": rejected,
            "filename": state["filename"],
            "background": table.row_count > settings.CRM_IMPORT_SYNC_MAX_ROWS,
            "form": RunForm(action=reverse(self.urls.run), has_errors=bool(result.bad_rows), rejected=rejected),
            "crumbs": self._crumbs(_("Check")),
            "step": self._steps_count() - 1,
        }
        if self.preview and self.mapping:
            context.update(self._preview(state, table, self.mapping))
        return self._render(request, "imports/check.html", context)

    def _preview(self, state, table, mapper: Mapping) -> dict:
        mapped = sorted((int(index), target) for index, target in state["mapping"].items() if target)
        labels = dict(mapper.choices())
        return {
            "preview_headers": [labels.get(target, target) for _index, target in mapped],
            "preview_rows": [
                (number, [cells[index] if index < len(cells) else "" for index, _target in mapped])
                for number, cells in table.head[:PREVIEW_ROWS]
            ],
        }

    def _enqueue(self, request, state, table, skip_errors):
        run = self.enqueue(table=table, state=state, skip_errors=skip_errors, actor=request.user)
        request.session.pop(self.session_key, None)
        if self.managers_follow_in_job_log and is_manager_or_admin(request.user):
            messages.success(request, _("The import runs in the background; follow it in the job log."))
            return redirect("jobs:list")
        messages.success(request, _("The import runs in the background; this page shows its progress."))
        return redirect(self.urls.status, pk=run.pk)

    def _crumbs(self, step: str) -> list[tuple["StrOrPromise", str | None]]:
        return [
            *((label, reverse(name)) for label, name in self.crumbs),
            (_("Import"), reverse(self.urls.upload)),
            (step, None),
        ]

    def _steps(self) -> list["StrOrPromise"]:
        middle = [_("Map columns")] if self.mapping else []
        return [_("Upload"), *middle, _("Check"), _("Import")]

    def _steps_count(self) -> int:
        return len(self._steps())

    def _render(self, request, template: str, context: dict):
        context = {
            **context,
            "titles": self.titles,
            "urls": self.urls,
            "steps": self._steps(),
            "help_template": self.help_template,
            "done_link": (self.done_link[0], reverse(self.done_link[1])),
        }
        return render(request, template, context)


def flow_views(flow: ImportFlow) -> dict:
    """The flow's steps as views, for the import's URLs: anonymous users are sent to log in,
    the flow's may_import answers 403 to the others; the check is a GET, the run a POST."""
    views = {
        "upload": login_required(flow.upload),
        "check": require_GET(login_required(flow.check)),
        "run": require_POST(login_required(flow.run_step)),
        "result": login_required(flow.result),
        "status": login_required(flow.status),
    }
    if flow.mapping:
        views["mapping"] = login_required(flow.mapping_step)
    return views


def _nothing_imported(bad_rows: int) -> str:
    message = ngettext(
        "Nothing was imported: %(rows)d row has errors.", "Nothing was imported: %(rows)d rows have errors.", bad_rows
    )
    return message % {"rows": bad_rows}


def _result_for_session(result, filename: str) -> dict:
    errors = [
        {
            "row": error.row, "column": error.column, "field": getattr(error, "field", error.column),
            "message": error.message, "value": error.value,
        }
        for error in result.errors[:SHOWN_ERRORS]
    ]  # fmt: skip
    return {"counts": result.counts, "errors": errors, "error_count": result.error_count, "filename": filename}
