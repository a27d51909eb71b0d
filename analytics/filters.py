"""The filters that analytics adds to the customer list (settings.CRM_CUSTOMER_LIST_FILTERS).

RFM: a segment or R+F cell of a run (default: the latest), optionally only customers who
were in another segment in an earlier run. Links from the RFM report set them; the list
shows the segment. Lifetime value: CLV from/up to, p_alive at most, and the CLV report's
drill-downs (top customers, slipping away) in the latest kept run or a chosen one."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts import roles
from customers.models import Customer

from .models import RfmSegment
from .selectors.clv_report import TOP_CUSTOMERS, clv_filter_customers
from .selectors.rfm import rfm_filter_customers


def _read_later(queryset, name, value):
    return queryset  # the RFM filters work together, in apply()


class _CellFilter(django_filters.CharFilter):
    def chip_display(self, value: str) -> str:
        return f"R{value[:1]} F{value[1:2]}" if len(value) == 2 else value


class _RunFilter(django_filters.NumberFilter):
    def chip_display(self, value) -> str:
        return _("run %(id)s") % {"id": int(value)}


class _EarlierSegmentFilter(django_filters.CharFilter):
    def chip_display(self, value: str) -> str:
        if value == "none":
            return str(_("not scored"))
        segment = RfmSegment.objects.filter(pk=value).first() if value.isdigit() else None
        return segment.name if segment else value


class RfmCustomerFilters:
    def declare(self) -> dict[str, django_filters.Filter]:
        return {
            "rfm_segment": django_filters.ModelChoiceFilter(
                label=_("RFM segment"), queryset=RfmSegment.objects.all(), method=_read_later
            ),
            # Set by the RFM report's links; shown as chips, not as fields.
            "rfm_cell": _CellFilter(label=_("RFM cell"), widget=forms.HiddenInput, method=_read_later),
            "rfm_run": _RunFilter(label=_("RFM run"), widget=forms.HiddenInput, method=_read_later),
            "rfm_from_run": _RunFilter(label=_("Compared with"), widget=forms.HiddenInput, method=_read_later),
            "rfm_from_segment": _EarlierSegmentFilter(
                label=_("Segment before"), widget=forms.HiddenInput, method=_read_later
            ),
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

    def scope_note(self, data: dict[str, Any], *, user) -> str | None:
        """A team manager opening an RFM cell of 81 customers may see 47: say why."""
        if not (data.get("rfm_segment") or data.get("rfm_cell")):
            return None
        shown = self.apply(Customer.objects.visible_to(user), data).count()
        total = self.apply(Customer.objects.all(), data).count()
        if shown >= total:
            return None
        return _("%(shown)s of %(total)s: the others belong to other teams.") % {"shown": shown, "total": total}


RFM_CUSTOMER_FILTERS = RfmCustomerFilters()


# --- lifetime value ------------------------------------------------------------------------
class _FlagFilter(django_filters.BooleanFilter):
    """A drill-down set by the CLV report's links (`?clv_slipping=1`): a chip, not a field."""

    def __init__(self, *, label, chip, **kwargs):
        super().__init__(label=label, widget=forms.HiddenInput, method=_read_later, **kwargs)
        self.chip = chip

    def chip_display(self, value) -> str:
        return str(self.chip)


class _PercentFilter(django_filters.NumberFilter):
    def chip_display(self, value) -> str:
        return f"{value} %"


class ClvCustomerFilters:
    """Lifetime value (from, up to), the chance a customer is still active (at most, in %),
    and the CLV report's drill-downs: its top customers and those slipping away. They read
    the latest kept run, or the run `clv_run` names."""

    def declare(self) -> dict[str, django_filters.Filter]:
        return {
            "clv_min": django_filters.NumberFilter(label=_("Lifetime value from"), min_value=0, method=_read_later),
            "clv_max": django_filters.NumberFilter(label=_("Lifetime value up to"), min_value=0, method=_read_later),
            "p_alive_max": _PercentFilter(
                label=_("Chance still active, at most (%)"), min_value=0, max_value=100, method=_read_later
            ),
            "clv_top": _FlagFilter(label=_("Lifetime value"), chip=format_lazy(_("top {n}"), n=TOP_CUSTOMERS)),
            "clv_slipping": _FlagFilter(label=_("Lifetime value"), chip=_("slipping away")),
            "clv_run": _RunFilter(label=_("CLV run"), widget=forms.HiddenInput, method=_read_later),
        }

    def apply(self, queryset: QuerySet[Customer], data: dict[str, Any]) -> QuerySet[Customer]:
        return clv_filter_customers(
            queryset,
            run_id=data.get("clv_run"),
            clv_min=data.get("clv_min"),
            clv_max=data.get("clv_max"),
            p_alive_max=data.get("p_alive_max"),
            top=bool(data.get("clv_top")),
            slipping=bool(data.get("clv_slipping")),
        )

    def scope_note(self, data: dict[str, Any], *, user) -> str | None:
        """A team manager opening "slipping away" sees only their team's share of it.
        (Admins see everyone: no need to count the selection twice.)"""
        if not data.get("clv_slipping") or roles.is_admin(user):
            return None
        shown = self.apply(Customer.objects.visible_to(user), data).count()
        total = self.apply(Customer.objects.all(), data).count()
        if shown >= total:
            return None
        return _("%(shown)s of %(total)s: the others belong to other teams.") % {"shown": shown, "total": total}


CLV_CUSTOMER_FILTERS = ClvCustomerFilters()
