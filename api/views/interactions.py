"""The timeline: every entry of the customers a user sees; logging a call, email, meeting or note."""

import django_filters
from django.core.exceptions import PermissionDenied
from rest_framework import mixins, status
from rest_framework.response import Response

from customers.models import Interaction
from customers.selectors import customers as selectors
from customers.services import customers as customer_services

from ..serializers.customers import InteractionSerializer
from .base import ScopedViewSet


class InteractionFilter(django_filters.FilterSet):
    """No page lists timeline entries on their own, so the API has its own filter.
    Plain ids, not choices: an id out of scope gives an empty list, not an error
    that would confirm the record exists."""

    customer = django_filters.NumberFilter(field_name="customer_id")
    company = django_filters.NumberFilter(field_name="company_id")
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["customer", "company", "kind"]


def _entry_get_for_user(*, user, pk, write: bool = False) -> Interaction:
    # Entries are never edited or deleted (the viewset offers no such method): reads only.
    return selectors.interaction_get_for_user(user=user, pk=pk)


class InteractionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "customers"
    list_for_user = selectors.interaction_list_for_user
    get_for_user = _entry_get_for_user
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        # As on the page: whoever edits the customer, and support agents, who read every customer.
        if not selectors.may_log_interactions(request.user, fields["customer"]):
            raise PermissionDenied
        entry = customer_services.interaction_log(actor=request.user, **fields)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)
