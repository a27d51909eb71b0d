"""Lead-capture forms: their configuration, the public post (stored, then a lead
created or updated) and the double opt-in that turns a ticked box into consent.

The public post has no session to protect, so it is CSRF-exempt and defended by
a honeypot, a signed render token (too fresh = a bot), an Origin check and a
per-IP rate limit (the view applies the last two)."""

import time

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import ConsentEvent, Customer
from customers.services import consent_record, customer_create
from sales.models import Lead
from sales.services.leads import CONVERTIBLE, lead_create, lead_record, lead_update

from ..models import FormSubmission, LeadForm

# The form fields a capture form may ask for, and where each lands on a Lead.
TARGETS = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "company": "company_name",
    "phone": "phone",
    "message": "notes",
}
RENDER_SALT = "marketing.leadform.render"
CONFIRM_SALT = "marketing.leadform.confirm"
MIN_FILL_SECONDS = 2
RENDER_MAX_AGE = 24 * 3600
CONFIRM_MAX_AGE = 14 * 24 * 3600
HONEYPOT = "homepage"


# --- configuration ----------------------------------------------------------------
@transaction.atomic
def leadform_create(*, actor: User | None, fields: list[dict], **attrs) -> LeadForm:
    form = LeadForm(fields=fields, **attrs)
    form.full_clean()
    form.save()
    return form


@transaction.atomic
def leadform_update(*, form: LeadForm, actor: User | None, fields: list[dict], **attrs) -> LeadForm:
    for name, value in attrs.items():
        setattr(form, name, value)
    form.fields = fields
    form.full_clean()
    form.save()
    return form


def leadform_origins(form: LeadForm) -> set[str]:
    return {line.strip().rstrip("/") for line in form.allowed_origins.splitlines() if line.strip()}


# --- the render token -------------------------------------------------------------------
def render_token(form: LeadForm) -> str:
    return signing.dumps({"f": form.pk, "t": time.time()}, salt=RENDER_SALT)


def render_token_check(form: LeadForm, token: str) -> str:
    """ "ok" for a token this server made for this form at least MIN_FILL_SECONDS ago;
    "missing" (no token at all: an embed without the snippet's script), "fresh"
    (posted too soon: a bot) or "bad" (forged, expired or another form's)."""
    if not token:
        return "missing"
    try:
        data = signing.loads(token, salt=RENDER_SALT, max_age=RENDER_MAX_AGE)
    except signing.BadSignature:
        return "bad"
    if not isinstance(data, dict) or data.get("f") != form.pk:
        return "bad"
    return "ok" if time.time() - float(data.get("t", 0)) >= MIN_FILL_SECONDS else "fresh"


# --- a valid post -----------------------------------------------------------------------
@transaction.atomic
def submission_create(*, form: LeadForm, data: dict, consent: bool, confirm_url_for=None) -> FormSubmission:
    """Store the post, then create a lead (or update the open one with that email);
    ticked consent mails a confirmation link (`confirm_url_for(token)` makes it absolute)."""
    submission = FormSubmission.objects.create(form=form, data=data, consent_requested=consent)
    submission.lead = _lead_for(form=form, data=data)
    submission.save(update_fields=["lead"])
    if consent and confirm_url_for is not None:
        url = confirm_url_for(confirm_token(submission))
        transaction.on_commit(lambda: _send_confirmation(form=form, email=data["email"], url=url))
    return submission


def _lead_values(data: dict) -> dict:
    return {TARGETS[key]: value for key, value in data.items() if key in TARGETS and value not in ("", None)}


def _lead_for(*, form: LeadForm, data: dict) -> Lead:
    values = _lead_values(data)
    note = _("web form: %(name)s") % {"name": form.name}
    lead = (
        Lead.objects.filter(email__iexact=values["email"], status__in=CONVERTIBLE)
        .order_by("-created_at", "-pk")
        .first()
    )
    if lead is None:
        values.setdefault("last_name", values["email"].split("@")[0][:100])
        message = values.pop("notes", "")
        values["notes"] = f"{note}\n\n{message}".strip()
        return lead_create(actor=None, source=Customer.Source.WEB, **values)
    message = values.pop("notes", "")
    if message:
        values["notes"] = f"{lead.notes}\n\n{note}\n{message}".strip()
    lead = lead_update(lead=lead, actor=None, **values)
    lead_record(lead=lead, action="lead.updated", actor=None, data={"fields": [note]})
    return lead


# --- double opt-in ----------------------------------------------------------------------
def confirm_token(submission: FormSubmission) -> str:
    return signing.dumps({"s": submission.pk}, salt=CONFIRM_SALT)


def submission_from_token(token: str) -> FormSubmission | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    pk = data.get("s") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    return FormSubmission.objects.select_related("form", "lead").filter(pk=pk, consent_requested=True).first()


def _send_confirmation(*, form: LeadForm, email: str, url: str) -> None:
    context = {"form": form, "url": url}
    send_mail(
        subject=_("Please confirm your subscription"),
        message=render_to_string("marketing/forms/confirm_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )


@transaction.atomic
def submission_confirm(*, submission: FormSubmission) -> Customer:
    """Record the confirmed opt-in (source "form") on the customer with that email;
    without one, a customer is created for the address (lifecycle lead, the lead's owner),
    because consent must live on a customer to count for campaigns. Confirming twice records once."""
    submission = (
        FormSubmission.objects.select_for_update(of=("self",)).select_related("form", "lead").get(pk=submission.pk)
    )
    email = submission.data.get("email", "")
    customer = Customer.objects.filter(email__iexact=email, deleted_at__isnull=True).order_by("pk").first()
    if customer is None:
        customer = _customer_for(submission)
    if submission.consent_confirmed_at is None:
        submission.consent_confirmed_at = timezone.now()
        submission.save(update_fields=["consent_confirmed_at"])
        consent_record(
            customer=customer,
            status=Customer.Consent.OPTED_IN,
            source=ConsentEvent.Source.FORM,
            actor=None,
            note=(_("web form: %(name)s") % {"name": submission.form.name})[:200],
        )
    return customer


def _customer_for(submission: FormSubmission) -> Customer:
    data = submission.data
    lead = submission.lead
    return customer_create(
        actor=None,
        owner=lead.owner if lead is not None else None,
        email=data["email"],
        first_name=data.get("first_name", "")[:100],
        last_name=(data.get("last_name") or data["email"].split("@")[0])[:100],
        phone=data.get("phone", "")[:40],
        source=Customer.Source.WEB,
        lifecycle_stage=Customer.Stage.LEAD,
    )
