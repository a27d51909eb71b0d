"""Support's URLs: the agents' pages under /support/ and the customers' pages
(no login) under /help/. One block per area."""

from django.urls import path

from .views import dashboard, inbound, ticket

app_name = "support"

# --- agents: home, tickets, dashboard, knowledge base -------------------------
urlpatterns: list = []

# The managers' dashboard.
urlpatterns += [path("support/dashboard/", dashboard.dashboard, name="dashboard")]

# The ticket page and its small endpoints (support/views/ticket.py).
urlpatterns += [
    path("support/tickets/<int:pk>/", ticket.ticket_detail, name="ticket-detail"),
    path("support/tickets/<int:pk>/messages/", ticket.ticket_message, name="ticket-message"),
    path("support/tickets/<int:pk>/status/", ticket.ticket_status, name="ticket-status"),
    path("support/tickets/<int:pk>/assignee/", ticket.ticket_assign, name="ticket-assign"),
    path("support/tickets/<int:pk>/priority/", ticket.ticket_priority, name="ticket-priority"),
    path("support/tickets/<int:pk>/queue/", ticket.ticket_queue, name="ticket-queue"),
    path("support/tickets/<int:pk>/tags/", ticket.ticket_tags, name="ticket-tags"),
    path("support/tickets/<int:pk>/macros/<int:macro_pk>/", ticket.ticket_macro, name="ticket-macro"),
    path("support/tickets/<int:pk>/presence/", ticket.ticket_presence, name="ticket-presence"),
    path("support/tickets/<int:pk>/merge/", ticket.ticket_merge, name="ticket-merge"),
    path("support/attachments/<int:pk>/", ticket.attachment_download, name="attachment"),
    path("support/outbound/<int:pk>/retry/", ticket.outbound_retry, name="outbound-retry"),
]

# The admins' .eml upload into the support inbox (support/views/inbound.py).
urlpatterns += [path("support/inbound/upload/", inbound.inbound_upload, name="inbound-upload")]

# --- customers, no login: new request, ticket link, survey, public articles ----
urlpatterns += []
