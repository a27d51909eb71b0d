"""Filters for the order and product lists."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_project.lists import DateInputFilter
from customers.models import Customer
from customers.selectors.customers import customer_search

from ..models import Order, Product


def _start_of(day) -> datetime:
    """Midnight of a day in the CRM's time zone (a range on ordered_at can use an index; __date cannot)."""
    return timezone.make_aware(datetime.combine(day, time()))


class OrderFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "status", "source")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Customer or order reference")}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Order.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Order.Source.choices)
    ordered_after = DateInputFilter(label=_("Ordered from"), method="ordered_from")
    ordered_before = DateInputFilter(label=_("Ordered until"), method="ordered_until")
    # The customer page's "all orders" link; not shown as a field.
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Order
        fields = ["q", "status", "source", "ordered_after", "ordered_before", "customer"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        customers = customer_search(Customer.objects.all(), value).values("pk")
        return queryset.filter(Q(order_ref=value) | Q(customer_id__in=customers))

    def ordered_from(self, queryset, name, value):
        return queryset.filter(ordered_at__gte=_start_of(value))

    def ordered_until(self, queryset, name, value):
        return queryset.filter(ordered_at__lt=_start_of(value + timedelta(days=1)))


class ProductFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "is_active")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or SKU")}),
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Product
        fields = ["q", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(sku__icontains=value)) if value else queryset
