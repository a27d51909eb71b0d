"""The base of every API resource: the same access helpers as the pages.

A resource names its entity's list selector (`list_for_user`, which starts from
`visible_to(user)`) and its access helper (`get_for_user`, 404 out of scope, 403
when visible but read-only). Lists, filters, retrieves and every write start
there, so a token can never see or do more than its user in the browser.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Model, Prefetch, QuerySet
from rest_framework import exceptions, viewsets
from rest_framework.permissions import SAFE_METHODS

from customers.models import Tag

from .. import idempotency
from ..models import ApiToken
from ..serializers.base import expansions

logger = logging.getLogger("crm.api")


class ScopedViewSet(viewsets.GenericViewSet):
    # The app a token must allow (api.models.APPS).
    api_app: ClassVar[str]
    # `list_for_user(*, user) -> QuerySet` and `get_for_user(*, user, pk, write) -> Model`
    list_for_user: ClassVar[Callable[..., QuerySet]]
    get_for_user: ClassVar[Callable[..., Model]]
    # Ids are numbers: /customers/abc/ is no route (404), not a query that fails (500).
    lookup_value_regex = r"\d+"
    # The relations the serializer reads, when fewer than the list selector joins
    # (`select_related`) and prefetches for its page: the customer page's owner and
    # company joins and tags prefetch cost a 25-row API page ~7 ms at 1M customers.
    # None keeps the selector's; () drops them all.
    list_select_related: ClassVar[tuple[str, ...] | None] = None
    list_prefetch_related: ClassVar[tuple | None] = None

    def get_queryset(self) -> QuerySet:
        queryset = type(self).list_for_user(user=self.request.user)
        if self.list_select_related is not None:
            queryset = queryset.select_related(None)
            if self.list_select_related:  # select_related() without names would join every relation
                queryset = queryset.select_related(*self.list_select_related)
        if self.list_prefetch_related is not None:
            queryset = queryset.prefetch_related(None).prefetch_related(*self.list_prefetch_related)
        related = expansions(self.get_serializer_class(), self.request)
        return queryset.select_related(*related) if related else queryset

    def get_object(self) -> Any:
        write = self.request.method not in SAFE_METHODS
        obj = type(self).get_for_user(user=self.request.user, pk=self.kwargs[self.lookup_field], write=write)
        self.check_object_permissions(self.request, obj)
        return obj

    def initial(self, request, *args: Any, **kwargs: Any) -> None:
        request._api_started = time.monotonic()
        super().initial(request, *args, **kwargs)
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key:
            handler = self.post  # type: ignore[has-type]  # bound by the router for this request

            def post_once(request, *args, **kwargs):
                return idempotency.run_once(request=request, key=key, handler=lambda: handler(request, *args, **kwargs))

            self.post = post_once

    def finalize_response(self, request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        _log(request, response)
        return response


def _log(request, response) -> None:
    # Method, path, status, user and token name: never bodies, query strings or tokens.
    token = request.auth if isinstance(getattr(request, "auth", None), ApiToken) else None
    started = getattr(request, "_api_started", None)
    logger.info(
        "api %s %s %s user=%s token=%s%s",
        request.method,
        request.path,
        response.status_code,
        getattr(request.user, "pk", None),
        token.name if token else "-",
        f" {1000 * (time.monotonic() - started):.0f}ms" if started else "",
    )


def require(allowed: bool, message: str) -> None:
    """403, saying why, for a role the page refuses (record scope is the access helpers' job)."""
    if not allowed:
        raise exceptions.PermissionDenied(message)


def customer_tags_when_expanded(view: ScopedViewSet, queryset: QuerySet) -> QuerySet:
    """?expand=customer shows each customer's tags: one query for the page, not one per row."""
    if "customer" not in expansions(view.get_serializer_class(), view.request):
        return queryset
    return queryset.prefetch_related(Prefetch("customer__tags", queryset=Tag.objects.order_by("name")))
