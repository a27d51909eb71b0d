"""The sales app's URLs (namespace "sales"), one block per area, mounted at /sales/."""

from django.urls import include, path
from django.views.generic import RedirectView

from .views import deals, forecast, leads, orders, todos

app_name = "sales"

deal_patterns = [
    path("pipeline/", deals.board, name="pipeline"),
    path("pipeline/stages/<int:stage_pk>/cards/", deals.board_column, name="board-column"),
    path("pipelines/", deals.pipeline_list, name="pipeline-list"),
    path("pipelines/new/", deals.pipeline_create, name="pipeline-create"),
    path("pipelines/<int:pk>/edit/", deals.pipeline_edit, name="pipeline-edit"),
    path("deals/", deals.DealListView.as_view(), name="deal-list"),
    path("deals/new/", deals.deal_create, name="deal-create"),
    path("deals/customer-options/", deals.deal_customer_options, name="deal-customer-options"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal-edit"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal-move"),
    path("deals/<int:pk>/lines/", deals.deal_line_add, name="deal-line-add"),
    path("deals/<int:pk>/lines/<int:line_pk>/remove/", deals.deal_line_remove, name="deal-line-remove"),
]

lead_patterns = [
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

order_patterns = [
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

# The to-do entity keeps its /sales/tasks/ URLs and "task-*" names.
todo_patterns = [
    path("", todos.TaskListView.as_view(), name="task-list"),
    path("new/", todos.task_create, name="task-create"),
    path("<int:pk>/edit/", todos.task_edit, name="task-edit"),
    path("<int:pk>/complete/", todos.task_complete, name="task-complete"),
    path("<int:pk>/reopen/", todos.task_reopen, name="task-reopen"),
    path("my-day/<slug:card>/", todos.my_day_card, name="my-day-card"),
]

forecast_patterns = [
    path("", forecast.forecast, name="forecast"),
    path("export.csv", forecast.forecast_export, name="forecast-export"),
    path("targets/", forecast.target_list, name="target-list"),
    path("targets/<int:team_pk>/", forecast.target_edit, name="target-edit"),
]

urlpatterns = [
    # /sales/ itself opens the board, the app's front page.
    path("", RedirectView.as_view(pattern_name="sales:pipeline"), name="index"),
    path("", include(deal_patterns)),
    path("leads/", include(lead_patterns)),
    path("orders/", include(order_patterns)),
    path("tasks/", include(todo_patterns)),
    path("forecast/", include(forecast_patterns)),
]
