"""The ticket page (/support/tickets/<id>/) and its small endpoints: the reply box,
status, assignee, priority, queue, tags, macros, presence, merge, attachment
downloads and retrying an undelivered mail.

Every view starts from `ticket_get_for_user` (404 out of scope); every POST asks
for `write=True` (403 for a sales rep's read-only view)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..forms.ticket import AssignForm, MergeForm, PriorityForm, QueueForm, ReplyForm, StatusForm, TagsForm
from ..models import OutboundEmail, Priority, Ticket, TicketMessage
from ..selectors import ticket as page
from ..selectors import tickets as access
from ..services import macros, merge, outbound, presence, replies, tickets


def _list_url() -> str:
    # The ticket list is another part of the app; link to its path until its URL name exists.
    try:
        return reverse("support:ticket-list")
    except NoReverseMatch:
        return "/support/tickets/"


def _detail_url(ticket: Ticket) -> str:
    return reverse("support:ticket-detail", args=[ticket.pk])


# --- the page -----------------------------------------------------------------------------
@require_GET
@login_required
def ticket_detail(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk)
    return _render_page(request, ticket)


def _render_page(request, ticket: Ticket, *, reply_form: ReplyForm | None = None, status: int = 200):
    user = request.user
    writable = access.may_work(user, ticket)
    context = {
        "ticket": ticket,
        "writable": writable,
        "thread": page.thread_for_user(user=user, ticket=ticket),
        "customer_summary": page.customer_summary(user=user, ticket=ticket),
        "list_url": _list_url(),
        "crumbs": [(_("Tickets"), _list_url()), (ticket.reference, None)],
    }
    if writable:
        macro_list = page.macros_for(ticket=ticket)
        context.update(
            reply_form=reply_form or ReplyForm(macros=macro_list),
            macros=macro_list,
            history=page.ticket_history(ticket=ticket),
            sla_clocks=page.sla_clocks(ticket=ticket),
            undelivered=page.undelivered_ticket_mails(ticket=ticket),
            statuses=Ticket.Status.choices,
            priorities=Priority.choices,
            agents=page.assignable_agents(ticket=ticket),
            queues=page.queue_choices(),
            tags=list(ticket.tags.all()),
            tag_choices=page.tag_choices(),
            suggestions=page.kb_suggestions(ticket=ticket),
        )
    return render(request, "support/ticket_detail.html", context, status=status)


# --- the reply box ------------------------------------------------------------------------
@require_POST
@login_required
def ticket_message(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = ReplyForm(request.POST, request.FILES, macros=page.macros_for(ticket=ticket))
    if form.is_valid():
        try:
            replies.reply_post(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                uploads=form.cleaned_data["files"],
                macro=form.cleaned_data["macro"],
            )
        except ValidationError as error:
            form.add_error("files", error.messages)
    if not form.is_valid():
        return _render_page(request, ticket, reply_form=form, status=400)
    if form.cleaned_data["kind"] == TicketMessage.Kind.INTERNAL:
        messages.success(request, _("Your internal note was added."))
    else:
        messages.success(request, _("Your reply was sent to the customer."))
    return redirect(_detail_url(ticket) + "#thread-end")


@require_GET
@login_required
def ticket_macro(request, pk, macro_pk):
    """The reply box's text with the macro's placeholders filled in (htmx swaps it in)."""
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    macro = get_object_or_404(page.macros_for(ticket=ticket), pk=macro_pk)
    body = macros.macro_render(macro=macro, ticket=ticket, agent=request.user)
    return render(request, "support/partials/reply_body.html", {"body": body, "macro": macro})


# --- status, assignee, priority, queue, tags ----------------------------------------------
def _refused(request, ticket: Ticket, form):
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_detail_url(ticket))


@require_POST
@login_required
def ticket_status(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, form)
    tickets.ticket_set_status(ticket=ticket, status=form.cleaned_data["status"], actor=request.user)
    messages.success(request, _("The status is now %(status)s.") % {"status": ticket.get_status_display()})
    return redirect(_detail_url(ticket))


@require_POST
@login_required
def ticket_assign(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = AssignForm(request.POST, agents=page.assignable_agents(ticket=ticket))
    if not form.is_valid():
        return _refused(request, ticket, form)
    assignee = request.user if form.cleaned_data["me"] else form.cleaned_data["assignee"]
    tickets.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
    if assignee:
        messages.success(request, _("Assigned to %(name)s.") % {"name": assignee})
    else:
        messages.success(request, _("The ticket is unassigned."))
    return redirect(_detail_url(ticket))


@require_POST
@login_required
def ticket_priority(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, form)
    tickets.ticket_set_priority(ticket=ticket, priority=form.cleaned_data["priority"], actor=request.user)
    messages.success(request, _("The priority is now %(priority)s.") % {"priority": ticket.get_priority_display()})
    return redirect(_detail_url(ticket))


@require_POST
@login_required
def ticket_queue(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = QueueForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, form)
    tickets.ticket_move(ticket=ticket, queue=form.cleaned_data["queue"], actor=request.user)
    messages.success(request, _("The ticket moved to %(queue)s.") % {"queue": ticket.queue})
    # Handed over to a queue the user does not work: the page is no longer theirs.
    if not access.tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
        return redirect(_list_url())
    return redirect(_detail_url(ticket))


@require_POST
@login_required
def ticket_tags(request, pk):
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, form)
    if form.cleaned_data["remove"]:
        tickets.ticket_remove_tag(ticket=ticket, tag=form.cleaned_data["remove"], actor=request.user)
    if form.cleaned_data["tags"]:
        tickets.ticket_add_tags(ticket=ticket, tags=form.cleaned_data["tags"], actor=request.user)
    messages.success(request, _("The tags were saved."))
    return redirect(_detail_url(ticket))


# --- "also viewing / replying" ------------------------------------------------------------
@require_POST
@login_required
def ticket_presence(request, pk):
    """Polled every 10 s by an open page: record this viewer, show the others."""
    ticket = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    replying = request.POST.get("replying") in ("1", "true")
    presence.presence_touch(ticket=ticket, user=request.user, replying=replying)
    others = page.presence_others(ticket=ticket, user=request.user)
    return render(request, "support/partials/presence.html", {"ticket": ticket, "others": others})


# --- merge --------------------------------------------------------------------------------
@login_required
def ticket_merge(request, pk):
    source = access.ticket_get_for_user(user=request.user, pk=pk, write=True)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = _merge_target(request, form)
        if target is not None:
            try:
                merge.ticket_merge(source=source, target=target, actor=request.user)
            except ValidationError as error:
                form.add_error("target", error.messages)
            else:
                messages.success(request, _("Ticket #%(source)s was merged into this one.") % {"source": source.pk})
                return redirect(_detail_url(target))
    crumbs = [(_("Tickets"), _list_url()), (source.reference, _detail_url(source)), (_("Merge"), None)]
    return render(request, "support/ticket_merge.html", {"ticket": source, "form": form, "crumbs": crumbs})


def _merge_target(request, form: MergeForm) -> Ticket | None:
    """The target through the same access helper; one the user may not work is a form error."""
    number = form.cleaned_data["target"]
    try:
        return access.ticket_get_for_user(user=request.user, pk=number, write=True)
    except (Http404, PermissionDenied):
        form.add_error("target", _("You cannot work on a ticket #%(number)s.") % {"number": number})
        return None


# --- files and mail -----------------------------------------------------------------------
@require_GET
@login_required
def attachment_download(request, pk):
    attachment = access.attachment_get_for_user(user=request.user, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def outbound_retry(request, pk):
    mail = get_object_or_404(OutboundEmail.objects.only("pk", "ticket_id", "status"), pk=pk)
    ticket = access.ticket_get_for_user(user=request.user, pk=mail.ticket_id, write=True)
    if mail.status != OutboundEmail.Status.FAILED:
        messages.info(request, _("This mail is not waiting for a retry."))
    else:
        outbound.outbound_retry(outbound=mail, actor=request.user)
        messages.success(request, _("The mail is queued to be sent again."))
    return redirect(_detail_url(ticket))
