"""Segment pages (managers and marketers): list, editor with a live count, page with
members, refresh, freeze, CSV export; one click from the RFM report; static lists from
the customer list's bulk action and from a CSV of emails."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_project.csv_export import csv_response
from crm_project.lists import FilteredTableView
from imports import services as kit
from imports.readers import ImportFileError

from ..filters.segments import SegmentFilter
from ..forms.segments import AddToListForm, EmailsUploadForm, editor_rules, segment_editor
from ..models import Segment
from ..permissions import MarketingRequiredMixin, marketing_required
from ..selectors import segments as selectors
from ..services import segments
from ..tables.segments import MemberTable, SegmentTable

PREVIEW_MEMBERS = 20
MEMBERS_PER_PAGE = 25
SHOWN_PROBLEMS = 200


def _crumbs(*more) -> list:
    return [(_("Marketing"), reverse("marketing:home")), (_("Segments"), reverse("marketing:segment-list")), *more]


class SegmentListView(MarketingRequiredMixin, FilteredTableView):
    table_class = SegmentTable
    filterset_class = SegmentFilter
    page_title = gettext_lazy("Segments")

    def get_queryset(self):
        return selectors.segment_list()

    @property
    def create_link(self):  # type: ignore[override]
        return (_("New segment"), reverse("marketing:segment-create"))


@marketing_required
def segment_create(request):
    form, formset = segment_editor(request.POST or None)
    if request.method == "GET" and request.GET.get("filters"):
        # "Make a segment" from the customer list: its filters, as a dynamic segment.
        form.initial["filters"] = selectors.filters_kept(request.GET["filters"])
    if request.method == "POST":
        rules = editor_rules(form, formset)
        if rules is not None:
            try:
                segment = segments.segment_create(actor=request.user, rules=rules, **form.cleaned_data_for_service())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The segment “%(name)s” was created.") % {"name": segment.name})
                return redirect("marketing:segment-detail", pk=segment.pk)
    return _editor(request, form, formset, title=_("New segment"))


@marketing_required
def segment_edit(request, pk):
    segment = selectors.segment_get(pk=pk)
    form, formset = segment_editor(request.POST or None, instance=selectors.segment_get(pk=pk))
    if request.method == "POST":
        rules = editor_rules(form, formset)
        if rules is not None:
            fields = form.cleaned_data_for_service()
            fields.pop("kind", None)
            try:
                segments.segment_update(segment=segment, actor=request.user, rules=rules, **fields)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("marketing:segment-detail", pk=segment.pk)
    return _editor(request, form, formset, title=_("Edit %(name)s") % {"name": segment.name}, segment=segment)


def _editor(request, form, formset, *, title, segment=None):
    crumbs = _crumbs((segment.name, reverse("marketing:segment-detail", args=[segment.pk])) if segment else None)
    context = {
        "form": form,
        "formset": formset,
        "title": title,
        "segment": segment,
        "crumbs": [crumb for crumb in crumbs if crumb] + [(title, None)],
        "fields": selectors.rule_field_choices(),
    }
    return render(request, "marketing/segment_form.html", context)


@require_POST
@marketing_required
def segment_preview(request):
    """The editor's live count and first members (htmx): what the segment would hold now."""
    form, formset = segment_editor(request.POST)
    for name in ("name", "kind"):  # the preview counts; naming is for saving (edit has no kind)
        form.fields[name].required = False
    rules = editor_rules(form, formset)
    errors = [error for errors in form.errors.values() for error in errors]
    errors += [error for row in formset.forms for errors in row.errors.values() for error in errors]
    context: dict = {"errors": errors}
    if rules is not None:
        matches = selectors.segment_matches(filters=form.cleaned_data.get("filters", ""), rules=rules)
        context |= {"count": matches.count(), "members": list(matches.order_by("last_name", "pk")[:PREVIEW_MEMBERS])}
    return render(request, "marketing/partials/segment_preview.html", context)


@marketing_required
def segment_detail(request, pk):
    segment = selectors.segment_get(pk=pk)
    page = Paginator(selectors.segment_members(segment), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "segment": segment,
        "page": page,
        "members": MemberTable(page.object_list),
        "rules_text": selectors.rules_sentences(segment.rules),
        "crumbs": _crumbs((segment.name, None)),
        "upload_form": None if segment.is_dynamic else _emails_form(),
    }
    return render(request, "marketing/segment_detail.html", context)


@require_POST
@marketing_required
def segment_refresh(request, pk):
    segment = selectors.segment_get(pk=pk)
    try:
        segment = segments.segment_refresh(segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Refreshed: %(count)s members.") % {"count": segment.member_count})
    return redirect("marketing:segment-detail", pk=segment.pk)


@require_POST
@marketing_required
def segment_freeze(request, pk):
    segment = selectors.segment_get(pk=pk)
    try:
        frozen = segments.segment_freeze(segment=segment, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("marketing:segment-detail", pk=segment.pk)
    messages.success(request, _("“%(name)s” is a static copy of its members now.") % {"name": frozen.name})
    return redirect("marketing:segment-detail", pk=frozen.pk)


@require_POST
@marketing_required
def segment_delete(request, pk):
    segment = selectors.segment_get(pk=pk)
    segments.segment_delete(segment=segment, actor=request.user)
    messages.success(request, _("The segment “%(name)s” was deleted.") % {"name": segment.name})
    return redirect("marketing:segment-list")


@marketing_required
def segment_export(request, pk):
    """The members as CSV, streamed (cells neutralised against spreadsheet formulas)."""
    segment = selectors.segment_get(pk=pk)
    header = ["id", "email", "first_name", "last_name", "country", "email_consent"]
    rows = selectors.segment_members(segment).values_list(*header).iterator(chunk_size=5000)
    return csv_response(rows, filename=f"segment-{segment.pk}.csv", header=header)


@require_POST
@marketing_required
def segment_from_rfm(request):
    """One click from the RFM report: the segment of an RFM segment or R+F cell, made or reused."""
    try:
        segment, created = segments.segment_from_rfm(
            actor=request.user,
            rfm_segment=request.POST.get("rfm_segment", "").strip(),
            r=request.POST.get("r", "").strip(),
            f=request.POST.get("f", "").strip(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("analytics:rfm")
    if created:
        messages.success(request, _("The segment “%(name)s” was created.") % {"name": segment.name})
    else:
        messages.info(request, _("The segment “%(name)s” already existed; it was refreshed.") % {"name": segment.name})
    return redirect("marketing:segment-detail", pk=segment.pk)


@marketing_required
def segment_add(request):
    """The customer list's "Add to a static list": choose a list (or name a new one) for the ids."""
    form = AddToListForm(request.POST or None, initial={"ids": request.GET.get("ids", "")})
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["segment"] or segments.segment_create(
            actor=request.user, name=form.cleaned_data["new_name"].strip(), kind=Segment.Kind.STATIC
        )
        added = segments.segment_add_members(segment=target, customer_ids=form.cleaned_data["ids"], actor=request.user)
        messages.success(request, _("%(count)s customers added to “%(name)s”.") % {"count": added, "name": target})
        return redirect("marketing:segment-detail", pk=target.pk)
    chosen = len([part for part in (form["ids"].value() or "").split(",") if part.strip()])
    context = {"form": form, "chosen": chosen, "crumbs": _crumbs((_("Add to a static list"), None))}
    return render(request, "marketing/segment_add.html", context)


def _emails_form(data=None, files=None) -> EmailsUploadForm:
    return EmailsUploadForm(data, files, action="", extensions=segments.EMAILS.extensions, button=_("Add these emails"))


@require_POST
@marketing_required
def segment_import_emails(request, pk):
    """A CSV of emails into a static list, read by the import kit (its size and row limits);
    rows naming no customer are listed on the result page."""
    segment = selectors.segment_get(pk=pk)
    form = _emails_form(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return redirect("marketing:segment-detail", pk=segment.pk)
    upload = form.cleaned_data["file"]
    try:
        table = kit.table_from_stream(upload, kind=segments.EMAILS, filename=upload.name)
        result = segments.segment_import_emails(segment=segment, table=table, actor=request.user)
    except (ImportFileError, ValidationError) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else error.message)
        return redirect("marketing:segment-detail", pk=segment.pk)
    context = {
        "segment": segment,
        "result": result,
        "problems": result.problems[:SHOWN_PROBLEMS],
        "crumbs": _crumbs((segment.name, reverse("marketing:segment-detail", args=[segment.pk])), (_("Import"), None)),
    }
    return render(request, "marketing/segment_import_result.html", context)
