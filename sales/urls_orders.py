"""URLs of sales/views/orders.py, inside the sales namespace (under /sales/orders/)."""

from django.urls import path

from .views import orders

urlpatterns = [
    path("", orders.OrderListView.as_view(), name="order-list"),
    path("<int:pk>/", orders.order_detail, name="order-detail"),
    path("from-deal/<int:deal_pk>/", orders.order_create_from_deal, name="order-create-from-deal"),
    path("products/", orders.ProductListView.as_view(), name="product-list"),
    path("products/new/", orders.product_create, name="product-create"),
    path("products/<int:pk>/edit/", orders.product_edit, name="product-edit"),
    path("import/", orders.order_import_upload, name="order-import"),
    path("import/check/", orders.order_import_check, name="order-import-check"),
    path("import/run/", orders.order_import_run, name="order-import-run"),
    path("import/done/", orders.order_import_result, name="order-import-result"),
    path("import/jobs/<int:pk>/", orders.order_import_status, name="order-import-status"),
]
