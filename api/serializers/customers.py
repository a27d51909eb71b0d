"""Customers, companies, timeline entries and consent, validated the way their forms are.

The serializers validate and describe; the views hand `validated_data` to the
customers services (never `serializer.save()`), like the pages hand a form's
cleaned data to them.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts import roles
from accounts.models import User
from accounts.selectors import assignable_users
from customers import timeline
from customers.forms.customers import clean_country_code, clean_domain, custom_form_field, custom_value_to_json
from customers.models import Company, ConsentEvent, Customer, Interaction, Tag
from customers.selectors.customers import custom_fields_active

from .base import ApiSerializer


def request_user(serializer: serializers.Field) -> Any:
    request = serializer.context.get("request")
    return request.user if request is not None else None


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record the user can see: any other id is "does not exist", so a
    write can neither reach a record out of scope nor confirm that it exists."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        user = request_user(self)
        return self.model.objects.visible_to(user) if user is not None else self.model.objects.none()


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class TagsField(serializers.Field):
    """Tags by name (ids are accepted too). Only admins define tags, so an unknown
    one is an error rather than a new tag, as on the page."""

    default_error_messages = {
        "not_a_list": _("Expected a list of tag names or ids."),
        "unknown": _("Unknown tags: %(tags)s."),
    }

    def get_attribute(self, instance) -> list[str]:
        # A list page sets `tag_names` for its rows in one query (CustomerViewSet).
        names = getattr(instance, "tag_names", None)
        return names if names is not None else [tag.name for tag in instance.tags.all()]

    def to_representation(self, value: list[str]) -> list[str]:
        return value

    def to_internal_value(self, data) -> list[Tag]:
        if not isinstance(data, list) or not all(type(item) in (str, int) for item in data):
            self.fail("not_a_list")
        names = {item for item in data if isinstance(item, str)}
        ids = {item for item in data if isinstance(item, int)}
        tags = list(Tag.objects.filter(Q(name__in=names) | Q(pk__in=ids)))
        unknown = (names - {tag.name for tag in tags}) | {str(pk) for pk in ids - {tag.pk for tag in tags}}
        if unknown:
            raise serializers.ValidationError(self.error_messages["unknown"] % {"tags": ", ".join(sorted(unknown))})
        return tags


class OwnerRuleMixin(serializers.Serializer):
    """Owners are assigned where the form offers the field: managers and admins, among
    the assignable users. Anyone else may only send the owner the record already has."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate_owner(self, value: User | None) -> User | None:
        user = request_user(self)
        if roles.is_manager_or_admin(user):
            if value is not None and not assignable_users().filter(pk=value.pk).exists():
                raise serializers.ValidationError(_("This user cannot own records."))
            return value
        current = self.instance.owner if self.instance is not None else user
        if value != current:
            raise serializers.ValidationError(_("Only managers and admins assign owners."))
        return value


ADDRESS_FIELDS = ["street", "city", "postal_code", "country"]


class CompanySerializer(OwnerRuleMixin, ApiSerializer):
    # Sent back on an update, it makes a stale edit a 409 instead of overwriting.
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "size",
            "phone",
            *ADDRESS_FIELDS,
            "notes",
            "owner",
            "team",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["team", "created_at", "updated_at"]

    def validate_domain(self, value: str) -> str:
        return clean_domain(value)

    def validate_country(self, value: str) -> str:
        return clean_country_code(value)


class CustomerSerializer(OwnerRuleMixin, ApiSerializer):
    expandable = {"company": lambda: CompanySerializer}
    version = serializers.IntegerField(required=False)
    company = VisibleRelatedField(Company, required=False, allow_null=True)
    # As on the form: an existing company the user sees by that name, or a new one.
    company_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    tags = TagsField(required=False)
    custom_data = serializers.DictField(required=False)

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "company_name",
            "job_title",
            *ADDRESS_FIELDS,
            "lifecycle_stage",
            "source",
            "external_ref",
            "email_consent",
            "email_consent_at",
            "tags",
            "custom_data",
            "notes",
            "owner",
            "team",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["email_consent", "email_consent_at", "team", "created_at", "updated_at"]

    def validate_country(self, value: str) -> str:
        return clean_country_code(value)

    def validate_external_ref(self, value: str) -> str:
        # Deleted customers keep their reference (the unique index covers them too).
        ref = value.strip()
        clash = Customer.all_objects.filter(external_ref=ref)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if ref and clash.exists():
            raise serializers.ValidationError(_("Another customer already has this external reference."))
        return ref

    def validate_custom_data(self, value: dict) -> dict:
        return custom_data_clean(value, stored=self.instance.custom_data if self.instance else {})

    def validate(self, attrs: dict) -> dict:
        name = attrs.pop("company_name", None)
        if name is not None:
            attrs["company"] = company_by_name(name.strip(), user=request_user(self))
        if not self.partial:
            stored = self.instance.custom_data if self.instance else {}
            custom_data_require(attrs.get("custom_data", stored))
        return attrs


def company_by_name(name: str, *, user) -> Company | str | None:
    """The form's rule: a visible company of that name, else the name (the service creates it)."""
    if not name:
        return None
    return Company.objects.visible_to(user).filter(name__iexact=name).first() or name


def custom_data_clean(value: dict, *, stored: dict) -> dict:
    """Each value cleaned by the form's own field for it, merged into the stored values;
    an empty value removes the key, as the form does."""
    fields = {field.key: field for field in custom_fields_active()}
    data = dict(stored)
    errors: dict[str, list] = {}
    for key, raw in value.items():
        if key not in fields:
            errors[key] = [_("No active custom field has this key.")]
            continue
        try:
            data[key] = custom_value_to_json(custom_form_field(fields[key]).clean(raw))
        except DjangoValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise serializers.ValidationError(errors)
    return {key: item for key, item in data.items() if item not in (None, "")}


def custom_data_require(data: dict) -> None:
    """A whole record (create, PUT) needs every required custom field, as the form does."""
    missing = [field.key for field in custom_fields_active() if field.required and field.key not in data]
    if missing:
        message = serializers.Field.default_error_messages["required"]
        raise serializers.ValidationError({"custom_data": {key: [message] for key in missing}})


class InteractionSerializer(ApiSerializer):
    expandable = {"customer": lambda: CustomerSerializer}
    customer = VisibleRelatedField(Customer)
    occurred_at = serializers.DateTimeField(required=False)
    text = serializers.SerializerMethodField(help_text="The entry as the timeline shows it, in the request's language.")

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "company",
            "kind",
            "occurred_at",
            "user",
            "summary",
            "body",
            "action",
            "data",
            "text",
        ]
        read_only_fields = ["company", "user", "action", "data"]

    def validate_kind(self, value: str) -> str:
        # Users log calls, emails, meetings and notes; only the services write system entries.
        if value not in Interaction.LOGGABLE_KINDS:
            raise serializers.ValidationError(_("Log a call, an email, a meeting or a note."))
        return value

    def get_text(self, entry: Interaction) -> str:
        return timeline.entry_sentence(entry)


class ConsentEventSerializer(ApiSerializer):
    class Meta:
        model = ConsentEvent
        fields = ["id", "customer", "channel", "status", "source", "note", "actor", "created_at"]
        read_only_fields = ["customer", "channel", "actor", "created_at"]
        extra_kwargs = {"source": {"default": ConsentEvent.Source.MANUAL}}


# POST /api/v1/customers/bulk-upsert/: at most this many customers per request.
BULK_MAX = 100


# Described for the schema only (a declared `errors` field would shadow Serializer.errors).
BulkUpsertResultSerializer = inline_serializer(
    "CustomerBulkUpsertResult",
    {
        "external_ref": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["created", "updated", "not_found", "forbidden", "invalid"]),
        "id": serializers.IntegerField(required=False),
        "errors": serializers.DictField(required=False),
    },
    many=True,
)
