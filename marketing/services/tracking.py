"""Recording what recipients do with a campaign mail: opens, clicks and
unsubscribes. Events are kept raw (user agent and all) and classed when
recorded; nothing is dropped, a privacy proxy's open is counted as such.

How an event is classed (first match wins):
- machine: the user agent names a mail security scanner or a script (see
  `_SCANNER_SIGNS`), or is empty; or a click comes within
  `MACHINE_CLICK_SECONDS` of delivery (the message's `sent_at`): link
  scanners follow every link as the mail arrives, people do not;
- proxy: an image proxy fetched the pixel on the reader's behalf. Gmail's
  proxy says so ("… (via ggpht.com GoogleImageProxy)"), so does Yahoo's
  ("YahooMailProxy"). Apple Mail Privacy Protection prefetches every image
  through Apple's relays with the bare user agent "Mozilla/5.0" and nothing
  after it (a real Mail or Safari user agent always carries the platform in
  parentheses), so that exact string is taken as Apple's proxy;
- human: everything else.
"""

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm_project.events import event_emit
from customers.models import ConsentEvent, Customer
from customers.services import customers as customer_services

from ..models import CampaignLink, OutboxMessage, TrackingEvent

MACHINE_CLICK_SECONDS = 10

_SCANNER_SIGNS = re.compile(
    r"barracuda|proofpoint|mimecast|symantec|messagelabs|microsoft office protection|safelinks|trend ?micro"
    r"|fortinet|fortiguard|sophos|cisco|ironport|forcepoint|bot\b|bot/|crawler|spider|python-requests"
    r"|python-urllib|curl/|wget/|go-http-client|java/|okhttp|headlesschrome|phantomjs",
    re.IGNORECASE,
)
_PROXY_SIGNS = re.compile(r"GoogleImageProxy|YahooMailProxy", re.IGNORECASE)
_APPLE_PRIVACY_PROXY_AGENT = "Mozilla/5.0"


def event_classify(*, kind: str, user_agent: str, sent_at: datetime | None, at: datetime) -> str:
    """machine, proxy or human (see the module's notes)."""
    agent = user_agent.strip()
    if not agent or _SCANNER_SIGNS.search(agent):
        return TrackingEvent.Source.MACHINE
    if kind == TrackingEvent.Kind.CLICK and sent_at and at - sent_at < timedelta(seconds=MACHINE_CLICK_SECONDS):
        return TrackingEvent.Source.MACHINE
    if _PROXY_SIGNS.search(agent) or agent == _APPLE_PRIVACY_PROXY_AGENT:
        return TrackingEvent.Source.PROXY
    return TrackingEvent.Source.HUMAN


def tracking_event_record(
    *, message: OutboxMessage, kind: str, user_agent: str, link: CampaignLink | None = None
) -> TrackingEvent:
    """Keep one raw open or click, classed as it arrives."""
    now = timezone.now()
    source = event_classify(kind=kind, user_agent=user_agent, sent_at=message.sent_at, at=now)
    return TrackingEvent.objects.create(
        message=message,
        kind=kind,
        source=source,
        url=link.url if link else "",
        user_agent=user_agent[:500],
        created_at=now,
    )


@transaction.atomic
def customer_unsubscribe(*, customer: Customer, message: OutboxMessage | None, user_agent: str = "") -> None:
    """Opt the customer out of marketing email, through the consent log (source
    "unsubscribe"), and note it on the campaign's message when the link named one.
    Repeating it (a one-click POST sent twice) changes nothing more."""
    if customer.email_consent != Customer.Consent.OPTED_OUT:
        customer_services.consent_record(
            customer=customer,
            status=Customer.Consent.OPTED_OUT,
            source=ConsentEvent.Source.UNSUBSCRIBE,
            actor=None,
        )
        context = {"campaign": message.campaign_id if message else None, "message": message.pk if message else None}
        event_emit("email.unsubscribed", instance=customer, data=context)
    if message is not None and not message.events.filter(kind=TrackingEvent.Kind.UNSUBSCRIBE).exists():
        TrackingEvent.objects.create(
            message=message,
            kind=TrackingEvent.Kind.UNSUBSCRIBE,
            source=TrackingEvent.Source.HUMAN,
            user_agent=user_agent[:500],
        )
