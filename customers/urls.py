"""The customers app's URLs (namespace "customers"), mounted at /customers/."""

from django.urls import path

from .views import companies, customers, duplicates, imports

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
    path("import/", imports.import_upload, name="import"),
    path("import/columns/", imports.import_mapping, name="import-mapping"),
    path("import/check/", imports.import_check, name="import-check"),
    path("import/run/", imports.import_run, name="import-run"),
    path("import/done/", imports.import_result, name="import-result"),
    path("import/jobs/<int:pk>/", imports.import_status, name="import-status"),
    path("export.<str:fmt>", imports.customer_export, name="customer-export"),
    path("duplicates/", duplicates.duplicate_list, name="duplicate-list"),
    path("duplicates/merge/<int:a>/<int:b>/", duplicates.customer_merge, name="customer-merge"),
]
