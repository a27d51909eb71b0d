"""What every API serializer shares: `?fields=` and `?expand=`.

Written here rather than taken from drf-flex-fields (unreleased since 2023): the
two parameters are a dozen lines, and the view needs to know the expansions anyway
to `select_related` them.
"""

import copy
from collections.abc import Callable
from functools import cached_property, partial
from operator import attrgetter
from typing import Any, ClassVar, cast

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField

# A readable field's name, how to read its value off an instance, and how to represent it.
Reader = tuple[str, Callable[[Any], Any], Callable[[Any], Any]]


def csv_param(request, name: str) -> list[str]:
    if request is None:
        return []
    raw = request.query_params.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


class ApiSerializer(serializers.ModelSerializer):
    """`?fields=id,email` trims the response to those fields; `?expand=customer` replaces
    a relation's id with the related record (only the names in `expandable`)."""

    # name -> a callable returning the nested serializer's class (lazy: serializers refer to each other)
    expandable: ClassVar[dict[str, Callable[[], type[serializers.Serializer]]]] = {}
    _built_fields: ClassVar[dict[str, Any]]

    def get_fields(self) -> dict[str, Any]:
        fields = self._model_fields()
        if not self._is_top_level():
            return fields
        request = self.context.get("request")
        if request is None or request.method not in ("GET", "HEAD"):
            return fields  # writes validate and answer with every field
        for name in csv_param(request, "expand"):
            if name in self.expandable:
                fields[name] = self.expandable[name]()(read_only=True, context=self.context)
        wanted = csv_param(request, "fields")
        if wanted:
            fields = {name: field for name, field in fields.items() if name in wanted}
        return fields

    def _model_fields(self) -> dict[str, Any]:
        """ModelSerializer's fields, built once per class and copied for each use:
        building them reads the model's metadata field by field (0.8 ms for a customer
        on every API request), copying them takes a quarter of that. They depend on
        the class alone (Meta and the declared fields), never on the request."""
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

    def to_representation(self, instance) -> dict[str, Any]:
        """DRF's loop over the readable fields, with how to read each field worked out
        once per serializer rather than once per row and field: a list page of 25
        customers reads 650 values, and DRF's general attribute lookup was a third of
        the time spent serializing them."""
        if not isinstance(instance, self.Meta.model):
            return super().to_representation(instance)
        data = {}
        for name, read, represent in self._readers:
            try:
                value = read(instance)
            except SkipField:
                continue
            data[name] = None if value is None else represent(value)
        return data

    @cached_property
    def _readers(self) -> list[Reader]:
        return [_reader(field, self.Meta.model) for field in self._readable_fields]

    def _is_top_level(self) -> bool:
        # Nested and expanded serializers keep all their fields.
        parent = self.parent
        return parent is None or (isinstance(parent, serializers.ListSerializer) and parent.parent is None)


def _reader(field: Field, model: type[Model]) -> Reader:
    """A model column is read with `attrgetter` (a relation shown as its id, from its
    `<name>_id` attribute); any other field through its own `get_attribute`."""
    name = cast(str, field.field_name)  # bound: the serializer named it
    column = _column(field, model)
    if column is not None and isinstance(field, PrimaryKeyRelatedField):
        if field.use_pk_only_optimization() and field.pk_field is None:
            return name, attrgetter(column.attname), _same
    elif column is not None and type(field).get_attribute is Field.get_attribute:
        return name, attrgetter(field.source_attrs[0]), field.to_representation
    return name, partial(_read_through_field, field), field.to_representation


def _column(field: Field, model: type[Model]) -> Any:
    if len(field.source_attrs) != 1:
        return None
    try:
        column = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return None
    return column if column.concrete and not column.many_to_many else None


def _read_through_field(field: Field, instance: Any) -> Any:
    value = field.get_attribute(instance)
    return None if isinstance(value, PKOnlyObject) and value.pk is None else value


def _same(value: Any) -> Any:
    return value


def expansions(serializer_class: type, request) -> list[str]:
    """The relations `?expand=` asked for that the serializer offers (for select_related)."""
    offered = getattr(serializer_class, "expandable", {})
    return [name for name in csv_param(request, "expand") if name in offered]


def wants_field(request, name: str) -> bool:
    """Whether the response shows field `name` (every field unless `?fields=` trims them)."""
    wanted = csv_param(request, "fields")
    return not wanted or name in wanted


def request_user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def is_write(serializer: serializers.Serializer) -> bool:
    request = serializer.context.get("request")
    return request is not None and request.method not in ("GET", "HEAD", "OPTIONS")
