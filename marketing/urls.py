"""Marketing's URLs under /marketing/: segments, templates, campaigns, forms,
sequences (managers and marketers), and the public tracking, unsubscribe and
form endpoints (signed tokens, no login). One block per area."""

from django.urls import path

from .views import leadforms, sequences

app_name = "marketing"

urlpatterns: list = []

# --- lead-capture forms (public: f/<slug>/ and f/confirm/<token>/) ---
urlpatterns += [
    path("forms/", leadforms.form_list, name="form-list"),
    path("forms/new/", leadforms.form_create, name="form-create"),
    path("forms/<int:pk>/", leadforms.form_edit, name="form-edit"),
    path("f/confirm/<str:token>/", leadforms.form_confirm, name="form-confirm"),
    path("f/<slug:slug>/", leadforms.form_public, name="form-public"),
]

# --- drip sequences ---
urlpatterns += [
    path("sequences/", sequences.sequence_list, name="sequence-list"),
    path("sequences/new/", sequences.sequence_create, name="sequence-create"),
    path("sequences/<int:pk>/", sequences.sequence_edit, name="sequence-edit"),
]
