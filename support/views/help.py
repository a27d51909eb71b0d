"""The customers' pages (no login): a new request, the ticket link, the survey.

Each form posts to its own URL and is rate-limited (crm_project/throttling.py).
A link is all a customer has, so these pages show the one ticket it names,
its public messages only, and nothing at all for a tampered link; they are
never cached (a shared proxy must not keep someone's thread)."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crm_project.throttling import client_ip, over_limit

from ..forms.help import HelpReplyForm, HelpRequestForm, SurveyForm
from ..models import Ticket
from ..selectors import help as selectors
from ..selectors import kb as kb_selectors
from ..services import csat
from ..services import help as help_services
from ..services import tickets as ticket_services

CLOSED = (Ticket.Status.CLOSED,)


def _over_limit(scope: str, keys: list[str]) -> bool:
    """The customers' pages share one hourly limit (CRM_SUPPORT_PUBLIC_POSTS_PER_HOUR)."""
    return over_limit(scope=scope, keys=keys, limit=settings.CRM_SUPPORT_PUBLIC_POSTS_PER_HOUR)


def too_many_requests(request):
    return render(request, "support/help/too_many.html", status=429)


# --- a new request -------------------------------------------------------------
def help_new(request):
    form = HelpRequestForm(request.POST or None)
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        if _over_limit("help-new", [f"ip:{client_ip(request)}", f"email:{email}"]):
            return too_many_requests(request)
        if form.is_valid():
            # A filled honeypot gets the same thanks page, so a bot learns nothing.
            if not form.is_spam():
                help_services.help_request_submit(
                    **{name: form.cleaned_data[name] for name in ("name", "email", "subject", "body")}
                )
            return redirect("support:help-new-thanks")
    return render(request, "support/help/new.html", {"form": form})


def help_new_thanks(request):
    return render(request, "support/help/new_thanks.html")


def help_suggest(request):
    """Public articles matching the subject as the customer types it (htmx)."""
    articles = kb_selectors.kb_suggestions(text=request.GET.get("subject", "")[:255], include_internal=False)
    return render(request, "support/help/partials/suggestions.html", {"articles": articles})


# --- the ticket link -----------------------------------------------------------
@never_cache
def help_ticket(request, token):
    try:
        ticket = selectors.ticket_from_link(token)
    except selectors.LinkExpired:
        return _link_expired(request, token)
    return _ticket_page(request, ticket=ticket, token=token, form=HelpReplyForm())


@require_POST
def help_ticket_reply(request, token):
    try:
        ticket = selectors.ticket_from_link(token)
    except selectors.LinkExpired:
        return _link_expired(request, token)
    if _over_limit("help-reply", [f"ip:{client_ip(request)}", f"ticket:{ticket.pk}"]):
        return too_many_requests(request)
    if ticket.status in CLOSED:
        messages.error(request, _("This request is closed. Please open a new one."))
        return redirect("support:help-ticket", token=token)
    form = HelpReplyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket=ticket, token=token, form=form)
    ticket_services.ticket_customer_reply(ticket=ticket, body=form.cleaned_data["body"])
    messages.success(request, _("Thank you, your answer was added. We will get back to you."))
    return redirect(reverse("support:help-ticket", kwargs={"token": token}) + "#thread-end")


@never_cache
def help_ticket_attachment(request, token, pk):
    try:
        ticket = selectors.ticket_from_link(token)
    except selectors.LinkExpired:
        return _link_expired(request, token)
    attachment = selectors.public_attachment_get(ticket=ticket, pk=pk)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def help_ticket_fresh_link(request, token):
    """Mail a fresh link to the ticket's customer; the page says the same whatever happened."""
    ticket = selectors.expired_ticket_from_link(token)
    if _over_limit("help-link", [f"ip:{client_ip(request)}", f"ticket:{ticket.pk}"]):
        return too_many_requests(request)
    help_services.outbound_link(ticket=ticket)
    return render(request, "support/help/link_sent.html")


def _ticket_page(request, *, ticket, token, form):
    context = {
        "ticket": ticket,
        "token": token,
        "thread": selectors.public_thread(ticket=ticket),
        "form": form if ticket.status not in CLOSED else None,
    }
    return render(request, "support/help/ticket.html", context)


def _link_expired(request, token):
    action = reverse("support:help-ticket-fresh", kwargs={"token": token})
    return render(request, "support/help/link_expired.html", {"action": action}, status=410)


# --- the satisfaction survey -------------------------------------------------------
@never_cache
def help_csat(request, token):
    try:
        survey = selectors.survey_from_link(token)
    except selectors.LinkExpired:
        action = reverse("support:help-csat-fresh", kwargs={"token": token})
        return render(request, "support/help/link_expired.html", {"action": action}, status=410)
    if survey.answered_at is not None:
        status = 409 if request.method == "POST" else 200
        return render(request, "support/help/csat_answered.html", {"survey": survey}, status=status)
    form = SurveyForm(request.POST or None)
    if request.method == "POST":
        if _over_limit("help-csat", [f"ip:{client_ip(request)}"]):
            return too_many_requests(request)
        if form.is_valid():
            try:
                data = form.cleaned_data
                csat.survey_answer(survey=survey, score=data["score"], comment=data["comment"])
            except csat.SurveyAlreadyAnswered:
                return render(request, "support/help/csat_answered.html", {"survey": survey}, status=409)
            return redirect("support:help-csat-thanks", token=token)
    return render(request, "support/help/csat.html", {"form": form, "survey": survey})


def help_csat_thanks(request, token):
    survey = selectors.expired_survey_from_link(token)
    return render(request, "support/help/csat_thanks.html", {"survey": survey})


@require_POST
def help_csat_fresh_link(request, token):
    survey = selectors.expired_survey_from_link(token)
    if _over_limit("help-link", [f"ip:{client_ip(request)}", f"survey:{survey.pk}"]):
        return too_many_requests(request)
    help_services.outbound_survey_link(survey=survey)
    return render(request, "support/help/link_sent.html")
