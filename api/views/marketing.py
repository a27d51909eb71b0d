"""Campaigns and segments, read only, for whoever may use /marketing/ (`may_market`:
marketers, managers and admins; 403 for other roles, as the pages).

Marketing works on the whole customer base, not the viewer's scope (see
marketing.selectors.segments): a segment's members are its page's members, given here
as customer ids; the customers themselves still come only through /customers/<id>/,
under the viewer's own scope."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from marketing.filters.campaigns import CampaignFilter
from marketing.filters.segments import SegmentFilter
from marketing.models import Campaign, Segment, SegmentMember
from marketing.permissions import may_market
from marketing.selectors import campaigns as campaign_selectors
from marketing.selectors import segments as segment_selectors

from ..pagination import IdCursorPagination
from ..permissions import TokenScopes, role_required
from ..serializers import marketing as serializers
from .base import ScopedViewSet

Marketers = role_required(may_market, _("Marketing is for marketers, managers and admins."))


# The role check is the views' permission; past it, marketing's records are all visible.
def campaign_list_for_user(*, user) -> QuerySet[Campaign]:
    return campaign_selectors.campaign_list().prefetch_related("include_segments", "exclude_segments")


def campaign_get_for_user(*, user, pk, write: bool = False) -> Campaign:
    return campaign_selectors.campaign_get(pk=pk)


def segment_list_for_user(*, user) -> QuerySet[Segment]:
    return segment_selectors.segment_list()


def segment_get_for_user(*, user, pk, write: bool = False) -> Segment:
    return segment_selectors.segment_get(pk=pk)


def segment_members_of(segment: Segment) -> QuerySet[SegmentMember]:
    """The stored members, as the segment's page lists them (deleted customers left out)."""
    return SegmentMember.objects.filter(segment=segment, customer__deleted_at__isnull=True)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Email campaigns, newest first; one campaign with its progress and its report's totals."""

    api_app = "marketing"
    permission_classes = [TokenScopes, Marketers]
    list_for_user = campaign_list_for_user
    get_for_user = campaign_get_for_user
    filterset_class = CampaignFilter

    def get_serializer_class(self):
        # The figures cost four grouped queries per campaign: on its own record only.
        return serializers.CampaignDetailSerializer if self.action == "retrieve" else serializers.CampaignSerializer


class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Customer segments (dynamic and static lists) and their members."""

    api_app = "marketing"
    permission_classes = [TokenScopes, Marketers]
    list_for_user = segment_list_for_user
    get_for_user = segment_get_for_user
    serializer_class = serializers.SegmentSerializer
    filterset_class = SegmentFilter

    @extend_schema(
        responses=serializers.SegmentMemberSerializer(many=True),
        description="The segment's members as of its last refresh: customer ids and when they joined.",
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=IdCursorPagination, filterset_class=None)
    def members(self, request, pk=None) -> Response:
        segment = self.get_object()
        page = self.paginate_queryset(segment_members_of(segment))
        serializer = serializers.SegmentMemberSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)
