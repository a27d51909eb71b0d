"""Tasks: the task list's filters (by default the user's own open tasks, as on the page),
retrieve, create, update, complete and reopen. There is no deleting a task."""

import copy

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sales.filters.todos import TaskFilter
from sales.selectors import todos as selectors
from sales.selectors.deals import may_use_sales
from sales.services import todos as task_services

from ..filters import FilterBackend
from ..serializers.todos import TaskSerializer
from .base import ScopedViewSet, require


class TaskFilterBackend(FilterBackend):
    """The task list shows open tasks unless asked otherwise, and that default is its
    status filter's (TaskFilter sets it when the request gives none): the status filter
    stays even when the request does not name it."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None and "status" not in filterset.filters:
            status = copy.deepcopy(filterset.base_filters["status"])
            status.model, status.parent = queryset.model, filterset
            filterset.filters["status"] = status
        return filterset


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"
    list_for_user = selectors.task_list_for_user
    get_for_user = selectors.task_get_for_user
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    filter_backends = [TaskFilterBackend]
    list_select_related = ()  # the rows' relations are shown as ids

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if self.action in ("list", "create"):
            # Tasks are for reps, managers and admins (the same roles as the task pages).
            require(may_use_sales(request.user), _("Tasks are for sales reps, managers and admins."))

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        task = task_services.task_create(actor=request.user, **fields)
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        task = self.get_object()
        serializer = self.get_serializer(task, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        task = task_services.task_update(task=task, actor=request.user, version=version, **fields)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None) -> Response:
        """Mark the task done (again: it keeps its first completion time)."""
        task = task_services.task_complete(task=self.get_object(), actor=request.user)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None) -> Response:
        task = task_services.task_reopen(task=self.get_object(), actor=request.user)
        return Response(self.get_serializer(task).data)
