"""The statuses of leads, deals and orders as coloured badges: one definition for the lists'
cells and the pages (the `status_badge` filter)."""

from crm_project.lists import ChoiceBadge

from .models import Deal, Lead, Order

LEAD_STATUS = ChoiceBadge(
    Lead.Status,
    colors={
        Lead.Status.QUALIFIED: "success",
        Lead.Status.UNQUALIFIED: "secondary",
        Lead.Status.CONVERTED: "primary",
        Lead.Status.CONTACTED: "info",
    },
    default="warning",
    testid="lead-status",
)
DEAL_STATUS = ChoiceBadge(
    Deal.Status, colors={Deal.Status.WON: "success", Deal.Status.LOST: "danger"}, default="primary"
)
ORDER_STATUS = ChoiceBadge(
    Order.Status, colors={Order.Status.PAID: "success", Order.Status.REFUNDED: "warning"}, default="secondary"
)
STATUS_BADGES: dict[type, ChoiceBadge] = {Lead: LEAD_STATUS, Deal: DEAL_STATUS, Order: ORDER_STATUS}
