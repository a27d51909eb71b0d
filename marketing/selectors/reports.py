"""A campaign's report: what was sent and done with it, and the revenue it
brought back against the holdout, by the recipients' RFM segment at send.

Three aggregate queries, however many recipients: the outbox by segment and
status, the events by segment, and the attributed revenue by segment.
Revenue is the recipients' paid orders (in CRM_CURRENCY) placed within
`attribution_days` of their message's `sent_at`; for the holdout (not sent)
the window starts at the campaign's `started_at`."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from sales.models import Order

from ..models import Campaign, OutboxMessage, TrackingEvent

_SENT = (OutboxMessage.Status.SENT, OutboxMessage.Status.BOUNCED)
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class ReportRow:
    """One RFM segment's figures (the total row uses the same shape)."""

    segment: str
    sent: int = 0
    bounced: int = 0
    holdout: int = 0
    opens: int = 0
    opens_human: int = 0
    opens_proxy: int = 0
    openers: int = 0
    clicks: int = 0
    clicks_human: int = 0
    clicks_proxy: int = 0
    clickers: int = 0
    unsubscribes: int = 0
    revenue: Decimal = Decimal("0")
    converted: int = 0
    holdout_revenue: Decimal = Decimal("0")
    holdout_converted: int = 0

    @property
    def delivered(self) -> int:
        return self.sent - self.bounced

    @property
    def revenue_per_recipient(self) -> Decimal | None:
        return _ratio(self.revenue, self.delivered)

    @property
    def holdout_revenue_per_member(self) -> Decimal | None:
        return _ratio(self.holdout_revenue, self.holdout)

    @property
    def conversion_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.converted * 100), self.delivered)

    @property
    def holdout_conversion_rate(self) -> Decimal | None:
        return _ratio(Decimal(self.holdout_converted * 100), self.holdout)

    @property
    def uplift(self) -> Decimal | None:
        """Revenue per recipient minus revenue per holdout member: what one mail brought."""
        sent, held = self.revenue_per_recipient, self.holdout_revenue_per_member
        return None if sent is None or held is None else sent - held

    def add(self, other: "ReportRow") -> None:
        for name in ReportRow.__dataclass_fields__:
            if name != "segment":
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class CampaignReport:
    campaign: Campaign
    rows: list[ReportRow]
    total: ReportRow
    currency: str = field(default_factory=lambda: settings.CRM_CURRENCY)


def campaign_report(*, campaign: Campaign) -> CampaignReport:
    rows: dict[str, ReportRow] = {}

    def row(segment: str) -> ReportRow:
        return rows.setdefault(segment, ReportRow(segment=segment))

    for item in _outbox_counts(campaign):
        _fill(row(item.pop("rfm_segment")), item)
    for item in _event_counts(campaign):
        _fill(row(item.pop("message__rfm_segment")), item)
    for item in _revenue(campaign):
        target = row(item["rfm_segment"])
        if item["status"] == OutboxMessage.Status.HOLDOUT:
            target.holdout_revenue, target.holdout_converted = item["revenue"], item["converted"]
        else:
            target.revenue, target.converted = item["revenue"], item["converted"]
    ordered = sorted(rows.values(), key=lambda r: (r.segment == "", r.segment))
    total = ReportRow(segment="")
    for item in ordered:
        total.add(item)
    return CampaignReport(campaign=campaign, rows=ordered, total=total)


def _outbox_counts(campaign: Campaign):
    return (
        OutboxMessage.objects.filter(campaign=campaign)
        .values("rfm_segment")
        .annotate(
            sent=Count("pk", filter=Q(status__in=_SENT)),
            bounced=Count("pk", filter=Q(status=OutboxMessage.Status.BOUNCED)),
            holdout=Count("pk", filter=Q(status=OutboxMessage.Status.HOLDOUT)),
        )
        .order_by()
    )


def _event_counts(campaign: Campaign):
    """Raw counts, by source, and unique recipients (any event but a scanner's)."""
    kind, source = TrackingEvent.Kind, TrackingEvent.Source
    opens, clicks = Q(kind=kind.OPEN), Q(kind=kind.CLICK)
    not_machine = ~Q(source=source.MACHINE)
    return (
        TrackingEvent.objects.filter(message__campaign=campaign)
        .values("message__rfm_segment")
        .annotate(
            opens=Count("pk", filter=opens),
            opens_human=Count("pk", filter=opens & Q(source=source.HUMAN)),
            opens_proxy=Count("pk", filter=opens & Q(source=source.PROXY)),
            openers=Count("message", filter=opens & not_machine, distinct=True),
            clicks=Count("pk", filter=clicks),
            clicks_human=Count("pk", filter=clicks & Q(source=source.HUMAN)),
            clicks_proxy=Count("pk", filter=clicks & Q(source=source.PROXY)),
            clickers=Count("message", filter=clicks & not_machine, distinct=True),
            unsubscribes=Count("message", filter=Q(kind=kind.UNSUBSCRIBE), distinct=True),
        )
        .order_by()
    )


def _revenue(campaign: Campaign):
    """Per segment and group (delivered or holdout): revenue and how many bought."""
    window = timedelta(days=campaign.attribution_days)
    started = Value(campaign.started_at, output_field=DateTimeField())
    orders = (
        Order.objects.filter(
            customer=OuterRef("customer_id"),
            status=Order.Status.PAID,
            currency=settings.CRM_CURRENCY,
            ordered_at__gte=OuterRef("window_start"),
            ordered_at__lt=OuterRef("window_end"),
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum("total"))
        .values("total")
    )
    return (
        OutboxMessage.objects.filter(
            campaign=campaign, status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.HOLDOUT]
        )
        .annotate(window_start=Coalesce("sent_at", started))
        .annotate(window_end=ExpressionWrapper(F("window_start") + window, output_field=DateTimeField()))
        .annotate(bought=Coalesce(Subquery(orders, output_field=_MONEY), Value(Decimal("0"), output_field=_MONEY)))
        .values("rfm_segment", "status")
        .annotate(revenue=Sum("bought"), converted=Count("pk", filter=Q(bought__gt=0)))
        .order_by()
    )


def _fill(row: ReportRow, figures: dict) -> None:
    for name, value in figures.items():
        setattr(row, name, value)


def _ratio(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(Decimal("0.01")) if count else None
