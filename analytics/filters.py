"""The RFM drill-down filters that analytics adds to the customer list
(settings.CRM_CUSTOMER_LIST_FILTERS): a segment or R+F cell of a run (default:
the latest), optionally only customers who were in another segment in an
earlier run. Links from the RFM report set them; the list shows the segment."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .models import RfmSegment
from .selectors.rfm import rfm_filter_customers


def _read_later(queryset, name, value):
    return queryset  # the RFM filters work together, in apply()


class RfmCustomerFilters:
    def declare(self) -> dict[str, django_filters.Filter]:
        return {
            "rfm_segment": django_filters.ModelChoiceFilter(
                label=_("RFM segment"), queryset=RfmSegment.objects.all(), method=_read_later
            ),
            "rfm_cell": django_filters.CharFilter(widget=forms.HiddenInput, method=_read_later),
            "rfm_run": django_filters.NumberFilter(widget=forms.HiddenInput, method=_read_later),
            "rfm_from_run": django_filters.NumberFilter(widget=forms.HiddenInput, method=_read_later),
            "rfm_from_segment": django_filters.CharFilter(widget=forms.HiddenInput, method=_read_later),
        }

    def apply(self, queryset: QuerySet[Customer], data: dict[str, Any]) -> QuerySet[Customer]:
        segment = data.get("rfm_segment")
        return rfm_filter_customers(
            queryset,
            run_id=data.get("rfm_run"),
            segment=str(segment.pk) if segment else None,
            cell=data.get("rfm_cell") or None,
            from_run_id=data.get("rfm_from_run"),
            from_segment=data.get("rfm_from_segment") or None,
        )


RFM_CUSTOMER_FILTERS = RfmCustomerFilters()
