"""Customers: the list page's filters, the pages' access rules, the customers services."""

from typing import cast

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from customers.filters import CustomerFilter
from customers.models import Customer
from customers.selectors import customers as selectors
from customers.services import customers as customer_services

from ..filters import FilterBackend
from ..serializers.base import wants_field
from ..serializers.customers import (
    BULK_MAX,
    BulkUpsertResultSerializer,
    ConsentEventSerializer,
    CustomerSerializer,
)
from .base import ScopedViewSet


class CustomerFilterBackend(FilterBackend):
    """The list page's FilterSet, with the active custom fields (`cf_<key>`) as the page
    builds it when the request filters by one (reading them is a cache round trip)."""

    def get_filterset_kwargs(self, request, queryset, view) -> dict:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if any(name.startswith("cf_") for name in request.query_params):
            kwargs["custom_fields"] = selectors.custom_fields_active()
        return kwargs


def actor(view) -> User:
    # Only signed-in users get this far (TokenScopes refuses anonymous requests).
    return cast(User, view.request.user)


def tag_changes(customer: Customer, tags: list | None) -> tuple[list, list]:
    """The service adds and removes tags (so a tag added meanwhile by a bulk action
    survives an edit that did not name it); a sent list is the wanted set."""
    if tags is None:
        return [], []
    current = set(customer.tags.all())
    return sorted(set(tags) - current, key=str), sorted(current - set(tags), key=str)


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "customers"
    list_for_user = selectors.customer_list_for_user
    get_for_user = selectors.customer_get_for_user
    # The serializer shows the owner's and company's ids only (?expand=company adds its
    # join), and the page's tag names come from one two-column query (`paginate_queryset`):
    # the selector's prefetch built a Tag object per link, a fifth of a list request.
    list_select_related = ()
    list_prefetch_related = ()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    filter_backends = [CustomerFilterBackend]
    filterset_has_defaults = False  # the customer list shows everyone in scope until filtered

    def paginate_queryset(self, queryset) -> list | None:
        page = super().paginate_queryset(queryset)
        if page is not None and wants_field(self.request, "tags"):
            names = selectors.customer_tag_names(customer_ids=[customer.pk for customer in page])
            for customer in page:
                customer.tag_names = names.get(customer.pk, [])
        return page

    def create(self, request, *args, **kwargs) -> Response:
        customer = self._create(request.data)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs) -> Response:
        customer = self._update(self.get_object(), request.data, partial=kwargs.get("partial", False))
        return Response(self.get_serializer(customer).data)

    def partial_update(self, request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs) -> Response:
        customer_services.customer_delete(customer=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=CustomerSerializer,
        responses={200: CustomerSerializer, 201: CustomerSerializer},
        parameters=[OpenApiParameter("external_ref", str, OpenApiParameter.PATH)],
        description="Create (201) or update (200) the customer with this external reference. "
        "A customer out of your scope is a 404 and is not changed.",
    )
    @action(detail=False, methods=["put"], url_path=r"by-ref/(?P<external_ref>[^/]+)")
    def by_ref(self, request, external_ref: str) -> Response:
        data = {**request.data, "external_ref": external_ref} if isinstance(request.data, dict) else request.data
        created, customer = self._upsert(external_ref, data)
        return Response(self.get_serializer(customer).data, status=201 if created else 200)

    @extend_schema(
        request=inline_serializer("CustomerBulkUpsert", {"customers": CustomerSerializer(many=True)}),
        responses=inline_serializer("CustomerBulkUpsertResults", {"results": BulkUpsertResultSerializer}),
        description=f"Create or update up to {BULK_MAX} customers by external reference, each on its own: "
        "one invalid record does not stop the others. A customer out of your scope is reported as "
        "`not_found` and is not changed.",
    )
    @action(detail=False, methods=["post"], url_path="bulk-upsert")
    def bulk_upsert(self, request) -> Response:
        items = _bulk_items(request.data)
        return Response({"results": [self._upsert_one(item) for item in items]})

    def _upsert_one(self, item: dict) -> dict:
        ref = item["external_ref"]
        try:
            with transaction.atomic():
                created, customer = self._upsert(ref, item)
        except Http404:
            return {"external_ref": ref, "status": "not_found"}
        except PermissionDenied:
            return {"external_ref": ref, "status": "forbidden"}
        except (ValidationError, DjangoValidationError) as error:
            return {"external_ref": ref, "status": "invalid", "errors": _errors_of(error)}
        return {"external_ref": ref, "status": "created" if created else "updated", "id": customer.pk}

    def _upsert(self, external_ref: str, data) -> tuple[bool, Customer]:
        pk = _pk_by_ref(external_ref)
        if pk is None:
            try:
                with transaction.atomic():
                    return True, self._create(data)
            except IntegrityError:  # a concurrent upsert created it first: update that one
                pk = _pk_by_ref(external_ref)
        # Deleted customers keep their reference: the access helper answers 404 for them.
        customer = selectors.customer_get_for_user(user=self.request.user, pk=pk, write=True)
        return False, self._update(customer, data, partial=False)

    @extend_schema(methods=["GET"], request=None, responses=ConsentEventSerializer(many=True))
    @extend_schema(methods=["POST"], request=ConsentEventSerializer, responses={201: ConsentEventSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=ConsentEventSerializer)
    def consent(self, request, pk=None) -> Response:
        """The customer's consent log (newest first); POST records a change, as the page's consent form does."""
        customer = self.get_object()
        if request.method == "GET":
            log = selectors.customer_consent_log(customer=customer)
            return Response(self.get_serializer(log, many=True).data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = customer_services.consent_record(customer=customer, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)

    def _create(self, data) -> Customer:
        if not selectors.may_create_customers(self.request.user):
            raise PermissionDenied
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        return customer_services.customer_create(actor=actor(self), **fields)

    def _update(self, customer: Customer, data, *, partial: bool) -> Customer:
        serializer = self.get_serializer(customer, data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        added, removed = tag_changes(customer, fields.pop("tags", None))
        return customer_services.customer_update(
            customer=customer, actor=actor(self), version=version, add_tags=added, remove_tags=removed, **fields
        )


def _bulk_items(data) -> list[dict]:
    items = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationError({"customers": [_("A list of customers is required.")]})
    if len(items) > BULK_MAX:
        raise ValidationError({"customers": [_("At most %(max)d customers at a time.") % {"max": BULK_MAX}]})
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not str(item.get("external_ref") or "").strip():
            raise ValidationError({f"customers.{position}.external_ref": [_("Each customer needs an external_ref.")]})
    return items


def _errors_of(error: Exception) -> dict:
    if isinstance(error, ValidationError):
        detail = error.detail
        return detail if isinstance(detail, dict) else {"non_field_errors": detail}
    django_error = cast(DjangoValidationError, error)
    if hasattr(django_error, "error_dict"):
        return django_error.message_dict
    return {"non_field_errors": django_error.messages}


def _pk_by_ref(external_ref: str) -> int | None:
    # Every customer, deleted ones too: a reference is never given to a second record.
    return Customer.all_objects.filter(external_ref=external_ref).values_list("pk", flat=True).first()
