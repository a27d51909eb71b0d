"""RFM and lifetime value, read only, under the pages' rules.

- Scores (`/rfm/scores/`, `/clv/scores/`): the latest kept run's rows of the customers the
  viewer may see (`Customer.objects.visible_to`), for every role: the customer page shows
  a customer's RFM and CLV cards to whoever sees the customer, and the customer list filters
  by segment, cell and lifetime value; the report's export scopes its rows the same way.
- Segments with their counts and the runs: company-wide figures, which only the report
  pages show, so managers and admins only (403 for other roles, as the pages).
"""

import django_filters
from django.db.models import QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.response import Response

from accounts import roles
from analytics.models import SCORES, ClvRun, ClvScore, RfmRun, RfmScore, RfmSegment
from analytics.selectors import rfm as rfm_selectors
from analytics.selectors.clv import clv_run_list
from customers.models import Customer

from ..pagination import IdCursorPagination
from ..permissions import TokenScopes, role_required
from ..serializers import analytics as serializers
from .base import ScopedViewSet

ManagersAndAdmins = role_required(
    roles.is_manager_or_admin, _("The RFM and lifetime-value reports are for managers and admins.")
)
SCORE_CHOICES = [(score, str(score)) for score in SCORES]


class ScoreCursorPagination(IdCursorPagination):
    # A score row is (run, customer): within one run the customer id is unique.
    ordering = "customer_id"


# --- scores ------------------------------------------------------------------------------
# The latest kept run as a subquery, not a value: building the queryset reads nothing
# (the schema generator builds it without a database), and PostgreSQL runs it once.
def rfm_score_list_for_user(*, user) -> QuerySet[RfmScore]:
    """The latest kept run's scores of the customers the user may see (none before a run)."""
    latest = RfmRun.objects.filter(scores_kept=True).order_by("-pk").values("pk")[:1]
    scores = RfmScore.objects.filter(run_id=Subquery(latest))
    return scores.filter(customer_id__in=Customer.objects.visible_to(user).values("pk")).select_related("segment")


def clv_score_list_for_user(*, user) -> QuerySet[ClvScore]:
    """The latest finished kept CLV run's scores of the customers the user may see."""
    latest = clv_run_list().filter(scores_kept=True).order_by("-pk").values("pk")[:1]
    scores = ClvScore.objects.filter(run_id=Subquery(latest))
    return scores.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))


class RfmScoreFilter(django_filters.FilterSet):
    segment = django_filters.NumberFilter(field_name="segment_id", label=_("RFM segment"))
    r = django_filters.TypedChoiceFilter(field_name="r_score", choices=SCORE_CHOICES, coerce=int, label="R")
    f = django_filters.TypedChoiceFilter(field_name="f_score", choices=SCORE_CHOICES, coerce=int, label="F")
    m = django_filters.TypedChoiceFilter(field_name="m_score", choices=SCORE_CHOICES, coerce=int, label="M")
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))

    class Meta:
        model = RfmScore
        fields = ["segment", "r", "f", "m", "customer"]


class ClvScoreFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    clv_min = django_filters.NumberFilter(field_name="clv", lookup_expr="gte", label=_("Lifetime value from"))
    clv_max = django_filters.NumberFilter(field_name="clv", lookup_expr="lte", label=_("Lifetime value up to"))
    p_alive_max = django_filters.NumberFilter(
        field_name="p_alive", lookup_expr="lte", label=_("Chance still active, at most (0-1)")
    )

    class Meta:
        model = ClvScore
        fields = ["customer", "clv_min", "clv_max", "p_alive_max"]


class RfmScoreViewSet(mixins.ListModelMixin, ScopedViewSet):
    """RFM scores in the latest kept run of the customers you may see, by customer id."""

    api_app = "analytics"
    list_for_user = rfm_score_list_for_user
    serializer_class = serializers.RfmScoreSerializer
    filterset_class = RfmScoreFilter
    pagination_class = ScoreCursorPagination


class ClvScoreViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Lifetime-value predictions in the latest kept CLV run of the customers you may see."""

    api_app = "analytics"
    list_for_user = clv_score_list_for_user
    serializer_class = serializers.ClvScoreSerializer
    filterset_class = ClvScoreFilter
    pagination_class = ScoreCursorPagination


# --- the report's company-wide figures ---------------------------------------------------
# The role check is the views' permission; past it, every run is visible and none writable here.
def rfm_run_list_for_user(*, user) -> QuerySet[RfmRun]:
    return rfm_selectors.rfm_run_list()


def clv_run_list_for_user(*, user) -> QuerySet[ClvRun]:
    return clv_run_list()


def rfm_segment_list_for_user(*, user) -> QuerySet[RfmSegment]:
    return RfmSegment.objects.all()


def rfm_run_get_for_user(*, user, pk, write: bool = False) -> RfmRun:
    run = rfm_selectors.rfm_run_list().defer(None).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def clv_run_get_for_user(*, user, pk, write: bool = False) -> ClvRun:
    run = clv_run_list().filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


class RfmRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """RFM scoring runs, newest first (managers and admins); one run with its summary."""

    api_app = "analytics"
    permission_classes = [TokenScopes, ManagersAndAdmins]
    list_for_user = rfm_run_list_for_user
    get_for_user = rfm_run_get_for_user

    def get_serializer_class(self):
        return serializers.RfmRunDetailSerializer if self.action == "retrieve" else serializers.RfmRunSerializer


class ClvRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Lifetime-value fits, newest first (managers and admins); one run with its holdout check and summary."""

    api_app = "analytics"
    permission_classes = [TokenScopes, ManagersAndAdmins]
    list_for_user = clv_run_list_for_user
    get_for_user = clv_run_get_for_user

    def get_serializer_class(self):
        return serializers.ClvRunDetailSerializer if self.action == "retrieve" else serializers.ClvRunSerializer


class RfmSegmentViewSet(ScopedViewSet):
    """The segment rules in their order, each with its figures in the latest run (as the
    report's segment table): a handful of rows, so one page without a cursor."""

    api_app = "analytics"
    permission_classes = [TokenScopes, ManagersAndAdmins]
    list_for_user = rfm_segment_list_for_user
    serializer_class = serializers.RfmSegmentSerializer
    pagination_class = None

    @extend_schema(responses=serializers.RfmSegmentSerializer(many=True))
    def list(self, request) -> Response:
        segments = rfm_selectors.rfm_segments()
        run = rfm_selectors.rfm_run_get(None)
        rows = {row.key: row for row in rfm_selectors.rfm_segment_table(run, segments)} if run else {}
        for segment in segments.values():
            row = rows.get(str(segment.pk))
            segment.run = run.pk if run else None  # type: ignore[attr-defined]
            segment.customers = row.customers if row else 0  # type: ignore[attr-defined]
            segment.share = row.share if row else 0.0  # type: ignore[attr-defined]
            segment.revenue = row.revenue if row else 0  # type: ignore[attr-defined]
            segment.average_order_value = row.average_order_value if row else None  # type: ignore[attr-defined]
            segment.average_recency = row.average_recency if row else None  # type: ignore[attr-defined]
        return Response(self.get_serializer(list(segments.values()), many=True).data)
