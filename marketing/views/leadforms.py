"""Lead-capture forms: the editor for marketers, and the public form and
double opt-in confirmation that strangers open (no login)."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from crm_project.throttling import client_ip, over_limit

from ..forms.leadforms import FieldFormSet, LeadFormForm, PublicLeadForm
from ..models import LeadForm
from ..permissions import marketing_required
from ..services import leadforms as service

RATE_LIMIT = 10  # posts per IP per minute
TOKEN_RATE_LIMIT = 30  # render tokens per IP per minute (one per page view of an embedding site)


# --- the editor -------------------------------------------------------------------------
@marketing_required
def form_list(request):
    forms = LeadForm.objects.order_by("name")
    crumbs = [(_("Marketing"), None), (_("Lead forms"), None)]
    return render(request, "marketing/forms/list.html", {"forms": forms, "crumbs": crumbs})


@marketing_required
def form_create(request):
    form = LeadFormForm(request.POST or None)
    formset = FieldFormSet(
        request.POST or None, prefix="fields", initial=[{"target": "email", "label": _("Email"), "required": True}]
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            leadform = service.leadform_create(actor=request.user, fields=formset.field_rows(), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The form “%(name)s” was created.") % {"name": leadform.name})
            return redirect("marketing:form-edit", leadform.pk)
    return _editor(request, form, formset, leadform=None, title=_("New lead form"))


@marketing_required
def form_edit(request, pk):
    leadform = get_object_or_404(LeadForm, pk=pk)
    form = LeadFormForm(request.POST or None, instance=copy(leadform))
    initial = [{"target": row["target"], "label": row["label"], "required": row["required"]} for row in leadform.fields]
    formset = FieldFormSet(request.POST or None, prefix="fields", initial=initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            service.leadform_update(form=leadform, actor=request.user, fields=formset.field_rows(), **fields)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The form “%(name)s” was saved.") % {"name": leadform.name})
            return redirect("marketing:form-edit", leadform.pk)
    return _editor(request, form, formset, leadform=leadform, title=_("Edit “%(name)s”") % {"name": leadform.name})


def _editor(request, form, formset, *, leadform, title):
    crumbs = [(_("Lead forms"), reverse("marketing:form-list")), (title, None)]
    context = {"form": form, "formset": formset, "leadform": leadform, "title": title, "crumbs": crumbs}
    if leadform is not None:
        context["public_url"] = request.build_absolute_uri(reverse("marketing:form-public", args=[leadform.slug]))
        context["html_snippet"] = render_to_string(
            "marketing/forms/snippet.html",
            {
                "leadform": leadform,
                "public_url": context["public_url"],
                "token_url": request.build_absolute_uri(reverse("marketing:form-token", args=[leadform.slug])),
            },
        )
    return render(request, "marketing/forms/edit.html", context)


# --- the public form ---------------------------------------------------------------------
def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _too_many(request, *, scope: str = "form-posts", limit: int = RATE_LIMIT) -> bool:
    """A fixed one-minute window per address (crm_project.throttling)."""
    return over_limit(scope=scope, keys=[client_ip(request)], limit=limit, window_seconds=60)


def _published(slug: str) -> LeadForm:
    leadform = LeadForm.objects.filter(slug=slug, is_published=True).first()
    if leadform is None:
        raise Http404
    return leadform


@never_cache  # each answer is a new token: its age is what the 2-second rule measures
@require_GET
def form_token(request, slug):
    """The signed render token for a form in the site's own HTML (the snippet's script
    fetches it when the page loads). CORS lets only the form's allowed sites read it."""
    leadform = _published(slug)
    origin = request.headers.get("Origin", "").rstrip("/")
    allowed = service.leadform_origins(leadform)
    if origin and origin not in {_own_origin(request), *allowed}:
        response = JsonResponse({"error": _("This form may not be embedded on that site.")}, status=403)
    elif _too_many(request, scope="form-tokens", limit=TOKEN_RATE_LIMIT):
        response = JsonResponse({"error": _("Too many requests; please wait a minute.")}, status=429)
    else:
        response = JsonResponse({"token": service.render_token(leadform)})
    if origin in allowed:
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ["Origin"])
    return response


@csrf_exempt  # anonymous and cross-site: no session to protect; defended below instead
@xframe_options_exempt  # meant to be embedded in an <iframe> on the company's site
def form_public(request, slug):
    leadform = _published(slug)
    context = {"leadform": leadform}
    if request.method != "POST":
        form = PublicLeadForm(leadform=leadform, initial={"token": service.render_token(leadform)})
        return render(request, "marketing/forms/public.html", {**context, "form": form})
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") not in {_own_origin(request), *service.leadform_origins(leadform)}:
        return HttpResponseForbidden(_("This form may not be posted from that site."))
    if _too_many(request):
        return HttpResponse(_("Too many posts; please wait a minute."), status=429)
    form = PublicLeadForm(request.POST, leadform=leadform)
    verdict = service.render_token_check(leadform, request.POST.get("token", ""))
    if verdict == "missing" and not request.POST.get(service.HONEYPOT):
        # Not a bot's trick but a page that posts without the snippet's script: say so.
        return render(request, "marketing/forms/public.html", {**context, "no_token": True}, status=400)
    # Bots get the same thanks page as people, so they learn nothing; nothing is stored.
    if request.POST.get(service.HONEYPOT) or verdict != "ok":
        return render(request, "marketing/forms/public.html", {**context, "thanks": True})
    if not form.is_valid():
        # The posted token (already old enough) goes back in the form, so the correction is accepted.
        return render(request, "marketing/forms/public.html", {**context, "form": form})

    def confirm_url_for(token: str) -> str:
        return request.build_absolute_uri(reverse("marketing:form-confirm", args=[token]))

    service.submission_create(
        form=leadform,
        data=form.submitted_data(),
        consent=bool(form.cleaned_data.get("consent")),
        confirm_url_for=confirm_url_for,
    )
    return render(request, "marketing/forms/public.html", {**context, "thanks": True})


@csrf_exempt  # opened from a mail: no session; the signed token is the authority
def form_confirm(request, token):
    """GET shows a button; only the POST confirms, so link scanners confirm nothing."""
    submission = service.submission_from_token(token)
    if submission is None:
        raise Http404
    if request.method == "POST":
        service.submission_confirm(submission=submission)
        return render(request, "marketing/forms/confirm.html", {"confirmed": True})
    email = submission.data.get("email", "")
    return render(request, "marketing/forms/confirm.html", {"confirmed": False, "email": email})
