"""Deals (list, retrieve, create, update; move, win, lose) and the pipelines with their
stages (read only). The deal list and creating deals are for the sales roles, as on the
pages; a support agent reads a deal it can see, and changes none."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sales.filters.deals import DealFilter
from sales.models import Deal, Pipeline, Stage
from sales.selectors import deals as selectors
from sales.services import deals as deal_services

from ..serializers.deals import (
    DealLoseSerializer,
    DealMoveSerializer,
    DealSerializer,
    PipelineSerializer,
    StageSerializer,
)
from .base import ScopedViewSet, customer_tags_when_expanded, require


def sales_roles_only() -> str:
    return _("Deals and pipelines are for sales reps, managers and admins.")


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"
    list_for_user = selectors.deal_list_for_user
    get_for_user = selectors.deal_get_for_user
    serializer_class = DealSerializer
    filterset_class = DealFilter
    # The page's FilterSet has no defaults; the rows' relations are shown as ids (or expanded).
    filterset_has_defaults = False
    list_select_related = ()

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if self.action in ("list", "create"):
            require(selectors.may_use_sales(request.user), sales_roles_only())

    def get_queryset(self) -> QuerySet:
        return customer_tags_when_expanded(self, super().get_queryset())

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        deal = deal_services.deal_create(actor=request.user, **fields)
        return Response(self.get_serializer(deal).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        deal = self.get_object()
        serializer = self.get_serializer(deal, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        deal = deal_services.deal_update(deal=deal, actor=request.user, version=version, **fields)
        return Response(self.get_serializer(deal).data)

    @extend_schema(request=DealMoveSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None) -> Response:
        """Move the deal to another stage of its pipeline (a lost stage needs `lost_reason`)."""
        deal = self.get_object()
        serializer = DealMoveSerializer(data=request.data, deal=deal)
        serializer.is_valid(raise_exception=True)
        return self._moved(deal, actor=request.user, **serializer.validated_data)

    @extend_schema(request=None, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None) -> Response:
        """Move the deal to its pipeline's won stage (the deal page's "Won" button)."""
        deal = self.get_object()
        return self._moved(deal, actor=request.user, stage=self._closing_stage(deal, won=True))

    @extend_schema(request=DealLoseSerializer, responses=DealSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None) -> Response:
        """Move the deal to its pipeline's lost stage, saying why (the deal page's "Lost" button)."""
        deal = self.get_object()
        serializer = DealLoseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stage = self._closing_stage(deal, won=False)
        return self._moved(deal, actor=request.user, stage=stage, **serializer.validated_data)

    def _closing_stage(self, deal: Deal, *, won: bool) -> Stage:
        stages = selectors.pipeline_stages(deal.pipeline)
        stage = next((s for s in stages if (s.is_won if won else s.is_lost)), None)
        if stage is None:
            message = _("This pipeline has no won stage.") if won else _("This pipeline has no lost stage.")
            raise exceptions.ValidationError({"stage": [message]})
        return stage

    def _moved(self, deal: Deal, *, actor, stage: Stage, lost_reason: str = "") -> Response:
        deal = deal_services.deal_move_stage(deal=deal, stage=stage, actor=actor, lost_reason=lost_reason)
        return Response(self.get_serializer(deal).data)


# --- pipelines and stages (read only) ------------------------------------------------------
def pipeline_list_for_user(*, user) -> QuerySet[Pipeline]:
    # Pipelines are not owned: every sales user sees them all (the board's pipeline menu).
    return Pipeline.objects.prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position", "pk")))


def pipeline_get_for_user(*, user, pk, write: bool = False) -> Pipeline:
    return get_object_or_404(pipeline_list_for_user(user=user), pk=pk)


def stage_list_for_user(*, user) -> QuerySet[Stage]:
    return Stage.objects.all()


def stage_get_for_user(*, user, pk, write: bool = False) -> Stage:
    return get_object_or_404(stage_list_for_user(user=user), pk=pk)


class SalesReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        require(selectors.may_use_sales(request.user), sales_roles_only())


class PipelineViewSet(SalesReadOnlyViewSet):
    list_for_user = pipeline_list_for_user
    get_for_user = pipeline_get_for_user
    serializer_class = PipelineSerializer


class StageViewSet(SalesReadOnlyViewSet):
    list_for_user = stage_list_for_user
    get_for_user = stage_get_for_user
    serializer_class = StageSerializer
    filterset_fields = ["pipeline"]
