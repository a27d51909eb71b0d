"""Support's URLs: the agents' pages under /support/ and the customers' pages
(no login) under /help/. One block per area."""

from django.urls import path

from .views import csat, dashboard, help, home, inbound, kb, ticket, tickets

app_name = "support"

# --- agents: home, tickets, dashboard, knowledge base -------------------------
urlpatterns: list = []

# The agent's home, the ticket list with its bulk actions and export, New ticket.
urlpatterns += [
    path("support/", home.home, name="home"),
    path("support/tickets/", tickets.TicketListView.as_view(), name="ticket-list"),
    path("support/tickets/new/", tickets.ticket_create, name="ticket-create"),
    path("support/tickets/new/customers/", tickets.ticket_customer_matches, name="ticket-customer-matches"),
    path("support/tickets/bulk/", tickets.ticket_bulk, name="ticket-bulk"),
    path("support/tickets/export.csv", tickets.ticket_export, name="ticket-export"),
]

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

# --- agents: knowledge base and satisfaction results ---------------------------
urlpatterns += [
    path("support/kb/", kb.kb_list, name="kb-list"),
    path("support/kb/new/", kb.kb_create, name="kb-create"),
    # By slug, as the ticket page links its suggestions (support/selectors/ticket.py).
    path("support/kb/articles/<slug:slug>/", kb.kb_article, name="kb-article"),
    path("support/kb/<int:pk>/edit/", kb.kb_edit, name="kb-edit"),
    path("support/csat/", csat.csat_report, name="csat-report"),
]

# --- customers, no login: new request, ticket link, survey, public articles ----
urlpatterns += [
    path("help/", kb.help_home, name="help-home"),
    path("help/articles/<slug:slug>/", kb.help_article, name="help-article"),
    path("help/articles/<slug:slug>/vote/", kb.help_article_vote, name="help-article-vote"),
    path("help/new/", help.help_new, name="help-new"),
    path("help/new/thanks/", help.help_new_thanks, name="help-new-thanks"),
    path("help/suggest/", help.help_suggest, name="help-suggest"),
    path("help/t/<str:token>/", help.help_ticket, name="help-ticket"),
    path("help/t/<str:token>/reply/", help.help_ticket_reply, name="help-ticket-reply"),
    path("help/t/<str:token>/fresh/", help.help_ticket_fresh_link, name="help-ticket-fresh"),
    path("help/t/<str:token>/attachments/<int:pk>/", help.help_ticket_attachment, name="help-ticket-attachment"),
    path("help/csat/<str:token>/", help.help_csat, name="help-csat"),
    path("help/csat/<str:token>/thanks/", help.help_csat_thanks, name="help-csat-thanks"),
    path("help/csat/<str:token>/fresh/", help.help_csat_fresh_link, name="help-csat-fresh"),
]
