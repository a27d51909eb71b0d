"""Campaigns (with their report's figures) and segments with their members, as the API returns them."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketing.models import Campaign, OutboxMessage, Segment, SegmentMember
from marketing.selectors import campaigns as campaign_selectors
from marketing.selectors import reports

from .base import ApiSerializer


class CampaignSerializer(ApiSerializer):
    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "template",
            "include_segments",
            "exclude_segments",
            "throttle_per_minute",
            "attribution_days",
            "holdout_percent",
            "status",
            "scheduled_at",
            "started_at",
            "finished_at",
            "error",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CampaignProgressSerializer(serializers.Serializer):
    """The campaign page's progress: outbox rows by status."""

    by_status = serializers.DictField(child=serializers.IntegerField())
    to_send = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.IntegerField()


class CampaignStatsSerializer(serializers.Serializer):
    """The campaign report's total row (every RFM segment together)."""

    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    bounced = serializers.IntegerField()
    holdout = serializers.IntegerField()
    opens = serializers.IntegerField()
    openers = serializers.IntegerField()
    clicks = serializers.IntegerField()
    clickers = serializers.IntegerField()
    unsubscribes = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    converted = serializers.IntegerField()
    holdout_revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    holdout_converted = serializers.IntegerField()
    revenue_per_recipient = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    holdout_revenue_per_member = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    uplift = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    currency = serializers.CharField()


STAT_FIELDS = [name for name in CampaignStatsSerializer._declared_fields if name != "currency"]


class CampaignDetailSerializer(CampaignSerializer):
    """One campaign with its page's progress and its report's figures (four grouped queries)."""

    progress = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "progress", "stats"]
        read_only_fields = fields

    @extend_schema_field(CampaignProgressSerializer)
    def get_progress(self, campaign: Campaign) -> dict:
        progress = campaign_selectors.campaign_progress(campaign=campaign)
        # The page's (label, count) pairs, keyed by the status code here.
        counts = [n for _label, n in progress["by_status"]]
        by_status = dict(zip(OutboxMessage.Status.values, counts, strict=True))
        return CampaignProgressSerializer({**progress, "by_status": by_status}).data

    @extend_schema_field(CampaignStatsSerializer)
    def get_stats(self, campaign: Campaign) -> dict:
        report = reports.campaign_report(campaign=campaign)
        total = report.total
        figures = {name: getattr(total, name) for name in STAT_FIELDS}
        figures["revenue"] = figures["revenue"] or Decimal("0")
        return CampaignStatsSerializer({**figures, "currency": report.currency}).data


class SegmentSerializer(ApiSerializer):
    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "kind",
            "filters",
            "rules",
            "refresh_minutes",
            "member_count",
            "refreshed_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class SegmentMemberSerializer(ApiSerializer):
    class Meta:
        model = SegmentMember
        fields = ["customer", "joined_at"]
        read_only_fields = fields
