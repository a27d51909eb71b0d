"""What marketing adds to lower apps' pages, through their registries in settings:
"Make a segment" under the customer list's Views menu (CRM_CUSTOMER_LIST_LINKS),
"Add to a static list" among its bulk actions (CRM_CUSTOMER_BULK_ACTIONS) and
"Make a segment" on the RFM report's rows and cells (CRM_RFM_ACTIONS)."""

from django.utils.translation import gettext_lazy as _

from analytics.registry import RfmAction
from customers.registry import CustomerBulkAction, CustomerListLink

from .permissions import may_market

MAKE_SEGMENT_LINK = CustomerListLink(
    label=_("Make a segment"), url_name="marketing:segment-create", icon="people", allowed=may_market
)
ADD_TO_LIST_ACTION = CustomerBulkAction(
    key="marketing_add_to_list", label=_("Add to a static list"), url_name="marketing:segment-add", allowed=may_market
)
RFM_MAKE_SEGMENT = RfmAction(
    label=_("Make a segment"), url_name="marketing:segment-from-rfm", icon="people", allowed=may_market
)
