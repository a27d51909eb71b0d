from django.urls import include, path

from .views import companies, customers

app_name = "customers"
urlpatterns = [
    path("", customers.CustomerListView.as_view(), name="customer-list"),
    path("new/", customers.customer_create, name="customer-create"),
    path("bulk/", customers.customer_bulk, name="customer-bulk"),
    path("<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("<int:pk>/edit/", customers.customer_edit, name="customer-edit"),
    path("<int:pk>/reassign/", customers.customer_reassign, name="customer-reassign"),
    path("<int:pk>/delete/", customers.customer_delete, name="customer-delete"),
    path("<int:pk>/timeline/", customers.customer_timeline, name="customer-timeline"),
    path("<int:pk>/log/", customers.interaction_create, name="interaction-create"),
    path("<int:pk>/consent/", customers.consent_update, name="consent-update"),
    path("<int:pk>/attachments/", customers.attachment_upload, name="attachment-upload"),
    path("attachments/<int:pk>/", customers.attachment_download, name="attachment-download"),
    path("companies/", companies.CompanyListView.as_view(), name="company-list"),
    path("companies/new/", companies.company_create, name="company-create"),
    path("companies/suggest/", companies.company_suggest, name="company-suggest"),
    path("companies/<int:pk>/", companies.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", companies.company_edit, name="company-edit"),
    path("companies/<int:pk>/delete/", companies.company_delete, name="company-delete"),
    path("companies/<int:pk>/attachments/", companies.company_attachment_upload, name="company-attachment-upload"),
    # Import and export (customers/views/imports.py) and duplicates (customers/views/duplicates.py).
    path("", include("customers.urls_imports")),
    path("duplicates/", include("customers.urls_duplicates")),
]
