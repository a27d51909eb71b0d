"""Tickets and their messages, under the ticket pages' rules.

- The list and "New ticket" are the agents' pages: agents, managers and admins
  (`may_use_support`); a sales rep gets the 403 the ticket list gives them. A rep still
  reads, by id, the tickets of customers they may see (read-only, public messages only),
  as on the customer page's support card and the ticket page.
- Every record comes through `ticket_get_for_user`: 404 out of scope, and for writes 403
  unless the user works the ticket (`may_work`).
- Internal notes only for those who work the ticket (`sees_internal_notes`).
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from support.filters.tickets import TicketFilter
from support.models import Ticket, TicketMessage
from support.selectors import tickets as access
from support.selectors.lists import may_use_support, ticket_list_for_user
from support.services import agent, replies
from support.services import tickets as ticket_services

from ..pagination import IdCursorPagination
from ..serializers import support as serializers
from .base import ScopedViewSet

NOT_AN_AGENT = _("The ticket list is for support agents, managers and admins.")


class ThreadCursorPagination(IdCursorPagination):
    # A thread reads oldest first, as on the ticket page.
    ordering = "id"


def ticket_api_list_for_user(*, user) -> QuerySet[Ticket]:
    """The ticket list's rows (tickets the user may see), with their tags in one query."""
    return ticket_list_for_user(user=user).prefetch_related("tags")


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Tickets. The list (unsolved by default, `?status=all` for every status) and new tickets
    are for agents, managers and admins; a sales rep reads their customers' tickets by id."""

    api_app = "support"
    list_for_user = ticket_api_list_for_user
    get_for_user = access.ticket_get_for_user
    serializer_class = serializers.TicketSerializer
    filterset_class = TicketFilter

    def _require_support_role(self) -> None:
        if not may_use_support(self.request.user):
            raise PermissionDenied(NOT_AN_AGENT)

    def list(self, request, *args, **kwargs) -> Response:
        self._require_support_role()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=serializers.TicketCreateSerializer, responses={201: serializers.TicketSerializer})
    def create(self, request, *args, **kwargs) -> Response:
        self._require_support_role()
        body = serializers.TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        ticket = agent.ticket_open_by_agent(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.TicketUpdateSerializer, responses=serializers.TicketSerializer)
    def partial_update(self, request, *args, **kwargs) -> Response:
        ticket = self.get_object()  # write=True: 403 unless the user works the ticket
        body = serializers.TicketUpdateSerializer(data=request.data, context={"ticket": ticket})
        body.is_valid(raise_exception=True)
        with transaction.atomic():  # several controls in one request: all or nothing
            _apply_changes(ticket, body.validated_data, actor=request.user)
        ticket.refresh_from_db()
        return Response(self.get_serializer(ticket).data)

    @extend_schema(
        methods=["GET"],
        responses=serializers.TicketMessageSerializer(many=True),
        filters=False,
        description="The thread, oldest first: public messages, and internal notes for those who work the ticket.",
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.TicketMessageCreateSerializer,
        responses={201: serializers.TicketMessageSerializer},
        description="A reply (mailed to the customer) or, with internal=true, an internal note.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=ThreadCursorPagination)
    def messages(self, request, pk=None) -> Response:
        if request.method == "POST":
            return self._post_message(request)
        ticket = self.get_object()
        thread = access.ticket_messages_for_user(user=request.user, ticket=ticket)
        thread = thread.select_related(None).prefetch_related(None)  # ids only: no author rows, no files
        page = self.paginate_queryset(thread)
        serializer = serializers.TicketMessageSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        responses=serializers.CsatSurveySerializer(many=True),
        filters=False,
        description="The ticket's satisfaction surveys, newest first (agents, managers and admins).",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def surveys(self, request, pk=None) -> Response:
        self._require_support_role()
        surveys = self.get_object().surveys.all()
        return Response(serializers.CsatSurveySerializer(surveys, many=True).data)

    def _post_message(self, request) -> Response:
        ticket = self.get_object()
        body = serializers.TicketMessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kind = TicketMessage.Kind.INTERNAL if body.validated_data["internal"] else TicketMessage.Kind.PUBLIC
        message = replies.reply_post(ticket=ticket, actor=request.user, body=body.validated_data["body"], kind=kind)
        data = serializers.TicketMessageSerializer(message, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


def _apply_changes(ticket: Ticket, changes: dict, *, actor) -> None:
    """One service per control, as the ticket page posts them."""
    if "status" in changes:
        ticket_services.ticket_set_status(ticket=ticket, status=changes["status"], actor=actor)
    if "priority" in changes:
        ticket_services.ticket_set_priority(ticket=ticket, priority=changes["priority"], actor=actor)
    if "assignee" in changes:
        ticket_services.ticket_assign(ticket=ticket, assignee=changes["assignee"], actor=actor)
    if "queue" in changes:
        ticket_services.ticket_move(ticket=ticket, queue=changes["queue"], actor=actor)
