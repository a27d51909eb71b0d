"""RFM and lifetime-value scores, segments and runs as the API returns them."""

from rest_framework import serializers

from analytics.models import ClvRun, ClvScore, RfmRun, RfmScore, RfmSegment

from .base import ApiSerializer
from .customers import CustomerSerializer


class RfmScoreSerializer(ApiSerializer):
    expandable = {"customer": lambda: CustomerSerializer}
    # A score row has no id of its own: it is (run, customer).
    segment_name = serializers.SerializerMethodField()

    class Meta:
        model = RfmScore
        fields = [
            "customer",
            "run",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "segment",
            "segment_name",
        ]

    def get_segment_name(self, score: RfmScore) -> str | None:
        # A deleted segment's rows keep its id: the lookup then finds nothing (an AttributeError).
        segment = getattr(score, "segment", None) if score.segment_id else None
        return segment.display_name if segment is not None else None


class RfmSegmentSerializer(ApiSerializer):
    """A segment rule with its figures in the latest run (company-wide, as on the report)."""

    # The run the figures come from (the latest); null before the first run.
    run = serializers.IntegerField(read_only=True, allow_null=True)
    customers = serializers.IntegerField(read_only=True)
    share = serializers.FloatField(read_only=True)
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    average_order_value = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, allow_null=True)
    average_recency = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = RfmSegment
        fields = [
            "id",
            "position",
            "pattern",
            "name",
            "meaning",
            "action",
            "color",
            "run",
            "customers",
            "share",
            "revenue",
            "average_order_value",
            "average_recency",
        ]


class RfmRunSerializer(ApiSerializer):
    class Meta:
        model = RfmRun
        fields = [
            "id",
            "as_of",
            "window_days",
            "started_at",
            "finished_at",
            "duration_ms",
            "trigger",
            "triggered_by",
            "n_scored",
            "scores_kept",
        ]


class RfmRunDetailSerializer(RfmRunSerializer):
    class Meta(RfmRunSerializer.Meta):
        fields = [*RfmRunSerializer.Meta.fields, "summary"]


class ClvScoreSerializer(ApiSerializer):
    expandable = {"customer": lambda: CustomerSerializer}

    class Meta:
        model = ClvScore
        fields = [
            "customer",
            "run",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "p_alive",
            "expected_purchases",
            "expected_average_value",
            "clv",
        ]


class ClvRunSerializer(ApiSerializer):
    class Meta:
        model = ClvRun
        fields = [
            "id",
            "calibration_end",
            "holdout_end",
            "unit",
            "horizon",
            "discount_rate",
            "penalizer",
            "started_at",
            "finished_at",
            "duration_ms",
            "trigger",
            "triggered_by",
            "bgnbd_params",
            "gamma_gamma_params",
            "log_likelihood",
            "n_customers",
            "n_repeat",
            "scores_kept",
        ]


class ClvRunDetailSerializer(ClvRunSerializer):
    class Meta(ClvRunSerializer.Meta):
        fields = [*ClvRunSerializer.Meta.fields, "holdout", "summary"]
