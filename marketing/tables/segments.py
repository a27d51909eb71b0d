import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm_project.lists import ShortDateColumn
from customers.models import Customer

from ..models import Segment

_RIGHT = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


class SegmentTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "kind", "member_count")

    name = tables.Column(
        verbose_name=_("Name"), linkify=lambda record: reverse("marketing:segment-detail", args=[record.pk])
    )
    member_count = tables.Column(verbose_name=_("Members"), attrs=_RIGHT)
    refreshed_at = ShortDateColumn(verbose_name=_("Refreshed"), format="SHORT_DATETIME_FORMAT")
    created_by = tables.Column(verbose_name=_("Created by"))

    class Meta:
        model = Segment
        fields = ("name", "kind", "member_count", "refreshed_at", "created_by")
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "segment-table"}


class MemberTable(tables.Table):
    """A segment's members on its page (read-only; the customer page is one click away)."""

    card_fields = ("name", "email", "country")

    name = tables.Column(
        verbose_name=_("Name"), accessor="pk", linkify=lambda record: record.get_absolute_url(), orderable=False
    )
    email = tables.Column(verbose_name=_("Email"), orderable=False)
    country = tables.Column(verbose_name=_("Country"), orderable=False)
    email_consent = tables.Column(verbose_name=_("Email consent"), orderable=False)
    owner = tables.Column(verbose_name=_("Owner"), orderable=False)

    class Meta:
        model = Customer
        fields = ("name", "email", "country", "email_consent", "owner")
        attrs = {"class": "table table-sm align-middle mb-0", "id": "member-table"}

    def render_name(self, value, record):
        return str(record)
