"""URLs of customers/views/imports.py, inside the customers namespace."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("import/", imports.import_upload, name="import"),
    path("import/columns/", imports.import_mapping, name="import-mapping"),
    path("import/check/", imports.import_check, name="import-check"),
    path("import/run/", imports.import_run, name="import-run"),
    path("import/done/", imports.import_result, name="import-result"),
    path("import/jobs/<int:pk>/", imports.import_status, name="import-status"),
    path("export.<str:fmt>", imports.customer_export, name="customer-export"),
]
