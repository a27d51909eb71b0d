"""/api/v1/ resources, /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authentication import SessionAuthentication
from rest_framework.routers import SimpleRouter

from .authentication import ApiTokenAuthentication
from .views import (
    analytics,
    companies,
    customers,
    deals,
    interactions,
    leads,
    marketing,
    orders,
    support,
    todos,
    tokens,
)

app_name = "api"

router = SimpleRouter()
router.register("customers", customers.CustomerViewSet, basename="customer")
router.register("companies", companies.CompanyViewSet, basename="company")
router.register("interactions", interactions.InteractionViewSet, basename="interaction")
router.register("rfm/scores", analytics.RfmScoreViewSet, basename="rfm-score")
router.register("rfm/segments", analytics.RfmSegmentViewSet, basename="rfm-segment")
router.register("rfm/runs", analytics.RfmRunViewSet, basename="rfm-run")
router.register("clv/scores", analytics.ClvScoreViewSet, basename="clv-score")
router.register("clv/runs", analytics.ClvRunViewSet, basename="clv-run")
router.register("tickets", support.TicketViewSet, basename="ticket")
router.register("campaigns", marketing.CampaignViewSet, basename="campaign")
router.register("segments", marketing.SegmentViewSet, basename="segment")
router.register("deals", deals.DealViewSet, basename="deal")
router.register("leads", leads.LeadViewSet, basename="lead")
router.register("tasks", todos.TaskViewSet, basename="task")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("products", orders.ProductViewSet, basename="product")
router.register("pipelines", deals.PipelineViewSet, basename="pipeline")
router.register("stages", deals.StageViewSet, basename="stage")

# The docs are the only views that take the browser's session (DRF's SessionAuthentication
# enforces CSRF); the resources take tokens only.
DOCS_AUTHENTICATION = [SessionAuthentication, ApiTokenAuthentication]

urlpatterns = [
    path("v1/", include(router.urls)),
    # Pages (session): create and revoke personal access tokens, the admins' list.
    path("tokens/", tokens.token_admin_list, name="token-list"),
    path("tokens/new/", tokens.token_create, name="token-create"),
    path("tokens/<str:pk>/revoke/", tokens.token_revoke, name="token-revoke"),
    path("schema/", SpectacularAPIView.as_view(authentication_classes=DOCS_AUTHENTICATION), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", authentication_classes=DOCS_AUTHENTICATION),
        name="docs",
    ),
]
