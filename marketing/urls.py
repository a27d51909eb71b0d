"""Marketing's URLs under /marketing/: segments, templates, campaigns, forms,
sequences (managers and marketers), and the public tracking, unsubscribe and
form endpoints (signed tokens, no login). One block per area."""

from django.urls import path

from .views import campaigns, home, leadforms, reports, sequences, templates, tracking
from .views import segments as segment_views

app_name = "marketing"

urlpatterns: list = [
    path("", home.home, name="home"),
]

# --- segments ---------------------------------------------------------------------------
urlpatterns += [
    path("segments/", segment_views.SegmentListView.as_view(), name="segment-list"),
    path("segments/new/", segment_views.segment_create, name="segment-create"),
    path("segments/preview/", segment_views.segment_preview, name="segment-preview"),
    path("segments/from-rfm/", segment_views.segment_from_rfm, name="segment-from-rfm"),
    path("segments/add/", segment_views.segment_add, name="segment-add"),
    path("segments/<int:pk>/", segment_views.segment_detail, name="segment-detail"),
    path("segments/<int:pk>/edit/", segment_views.segment_edit, name="segment-edit"),
    path("segments/<int:pk>/refresh/", segment_views.segment_refresh, name="segment-refresh"),
    path("segments/<int:pk>/freeze/", segment_views.segment_freeze, name="segment-freeze"),
    path("segments/<int:pk>/delete/", segment_views.segment_delete, name="segment-delete"),
    path("segments/<int:pk>/export/", segment_views.segment_export, name="segment-export"),
    path("segments/<int:pk>/import/", segment_views.segment_import_emails, name="segment-import"),
]

# --- lead-capture forms (public: f/<slug>/ and f/confirm/<token>/) ---
urlpatterns += [
    path("forms/", leadforms.form_list, name="form-list"),
    path("forms/new/", leadforms.form_create, name="form-create"),
    path("forms/<int:pk>/", leadforms.form_edit, name="form-edit"),
    path("f/confirm/<str:token>/", leadforms.form_confirm, name="form-confirm"),
    path("f/<slug:slug>/", leadforms.form_public, name="form-public"),
    path("f/<slug:slug>/token/", leadforms.form_token, name="form-token"),
]

# --- drip sequences ---
urlpatterns += [
    path("sequences/", sequences.sequence_list, name="sequence-list"),
    path("sequences/new/", sequences.sequence_create, name="sequence-create"),
    path("sequences/<int:pk>/", sequences.sequence_edit, name="sequence-edit"),
]

# --- templates and campaigns ---
urlpatterns += [
    path("templates/", templates.TemplateListView.as_view(), name="template-list"),
    path("templates/new/", templates.template_create, name="template-create"),
    path("templates/<int:pk>/", templates.template_edit, name="template-edit"),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/schedule/", campaigns.campaign_schedule, name="campaign-schedule"),
    path("campaigns/<int:pk>/unschedule/", campaigns.campaign_unschedule, name="campaign-unschedule"),
    path("campaigns/<int:pk>/send/", campaigns.campaign_send_now, name="campaign-send"),
    path("campaigns/<int:pk>/pause/", campaigns.campaign_pause, name="campaign-pause"),
    path("campaigns/<int:pk>/resume/", campaigns.campaign_resume, name="campaign-resume"),
    path("campaigns/<int:pk>/test/", campaigns.campaign_send_test, name="campaign-test"),
]

# --- tracking: public, signed tokens, no login ---
urlpatterns += [
    path("u/<str:token>/", tracking.unsubscribe, name="unsubscribe"),
    path("t/o/<str:token>.gif", tracking.track_open, name="track-open"),
    path("t/c/<str:token>/", tracking.track_click, name="track-click"),
]

# --- campaign reports (managers and marketers) ---
urlpatterns += [
    path("campaigns/<int:pk>/report/", reports.campaign_report, name="campaign-report"),
]
