"""URLs of sales/views/deals.py, inside the sales namespace."""

from django.urls import path

from .views import deals

urlpatterns = [
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
