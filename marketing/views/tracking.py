"""The public endpoints in campaign mails: unsubscribe, the open pixel and
tracked links. No login and no CSRF (there is no session to protect); the
signed token is the credential, and a bad one gets 404."""

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from crm_project.throttling import client_ip, over_limit
from customers.models import Customer

from .. import tokens
from ..models import CampaignLink, OutboxMessage, TrackingEvent
from ..services import tracking

# A transparent 1×1 GIF.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# Unsubscribe answers per client address a minute; beyond it, 429.
UNSUBSCRIBE_RATE_PER_MINUTE = 30


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET asks for confirmation (link scanners only GET); POST unsubscribes,
    from the page's button or as an RFC 8058 one-click POST from the mail client."""
    data = tokens.unsubscribe_from_token(token)
    if data is None:
        raise Http404
    if _rate_limited(request):
        return HttpResponse(status=429)
    customer = Customer.objects.filter(pk=data["customer_id"]).first()  # live customers only
    if customer is None:
        raise Http404
    message = _message_of(customer, data["message_id"])
    if request.method == "GET":
        return render(request, "marketing/unsubscribe.html", {"email": _masked(customer.email), "done": False})
    tracking.customer_unsubscribe(customer=customer, message=message, user_agent=_agent(request))
    if request.POST.get("List-Unsubscribe") == "One-Click":
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return render(request, "marketing/unsubscribe.html", {"email": _masked(customer.email), "done": True})


@never_cache
@require_GET
def track_open(request, token):
    data = tokens.tracking_from_token(token, "open")
    message = OutboxMessage.objects.filter(pk=data["message_id"]).first() if data else None
    if message is None:
        raise Http404
    tracking.tracking_event_record(message=message, kind=TrackingEvent.Kind.OPEN, user_agent=_agent(request))
    return HttpResponse(_PIXEL, content_type="image/gif")


@never_cache
@require_GET
def track_click(request, token):
    """Redirect only to a link stored for the message's own campaign: the token
    names a link id, never a URL, so there is no open redirect."""
    data = tokens.tracking_from_token(token, "click")
    if data is None:
        raise Http404
    message = OutboxMessage.objects.filter(pk=data["message_id"]).first()
    if message is None:
        raise Http404
    link = CampaignLink.objects.filter(pk=data["link_id"], campaign_id=message.campaign_id).first()
    if link is None:
        raise Http404
    tracking.tracking_event_record(
        message=message, kind=TrackingEvent.Kind.CLICK, user_agent=_agent(request), link=link
    )
    return HttpResponseRedirect(link.url)


def _message_of(customer: Customer, message_id: int | None) -> OutboxMessage | None:
    if message_id is None:
        return None
    return OutboxMessage.objects.filter(pk=message_id, customer=customer).first()


def _agent(request) -> str:
    return request.headers.get("User-Agent", "")


def _rate_limited(request) -> bool:
    """A light per-address counter: enough to stop a script walking tokens, not a real person."""
    return over_limit(
        scope="unsubscribe", keys=[client_ip(request)], limit=UNSUBSCRIBE_RATE_PER_MINUTE, window_seconds=60
    )


def _masked(email: str) -> str:
    """j•••@example.com: enough for the reader to recognise their address, not to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else email
