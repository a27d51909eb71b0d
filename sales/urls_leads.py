"""URLs of sales/views/leads.py, inside the sales namespace (mounted at /sales/leads/)."""

from django.urls import path

from .views import leads

urlpatterns = [
    path("", leads.LeadListView.as_view(), name="lead-list"),
    path("new/", leads.lead_create, name="lead-create"),
    path("bulk/", leads.lead_bulk, name="lead-bulk"),
    path("<int:pk>/", leads.lead_detail, name="lead-detail"),
    path("<int:pk>/edit/", leads.lead_edit, name="lead-edit"),
    path("<int:pk>/status/", leads.lead_status, name="lead-status"),
    path("<int:pk>/activities/", leads.lead_activity_create, name="lead-activity-create"),
    path("<int:pk>/timeline/", leads.lead_timeline, name="lead-timeline"),
    path("<int:pk>/convert/", leads.lead_convert, name="lead-convert"),
    path("rules/", leads.assignment_rule_list, name="assignment-rule-list"),
    path("rules/new/", leads.assignment_rule_create, name="assignment-rule-create"),
    path("rules/<int:pk>/edit/", leads.assignment_rule_edit, name="assignment-rule-edit"),
    path("rules/<int:pk>/delete/", leads.assignment_rule_delete, name="assignment-rule-delete"),
]
