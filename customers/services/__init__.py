"""Every write to the customer database goes through these services."""

from .customers import (
    attachment_add,
    company_create,
    company_delete,
    company_update,
    consent_record,
    customer_create,
    customer_delete,
    customer_reassign,
    customer_restore,
    customer_update,
    customers_add_tag,
    customers_assign_owner,
    interaction_log,
    timeline_record,
)

__all__ = [
    "attachment_add",
    "company_create",
    "company_delete",
    "company_update",
    "consent_record",
    "customer_create",
    "customer_delete",
    "customer_reassign",
    "customer_restore",
    "customer_update",
    "customers_add_tag",
    "customers_assign_owner",
    "interaction_log",
    "timeline_record",
]
