"""The API's representation of a record, for whoever needs it outside a request
(webhook payloads carry exactly what GET /api/v1/<resource>/<id>/ returns)."""

from django.db.models import Model
from rest_framework.serializers import Serializer

from analytics.models import ClvRun, RfmRun
from customers.models import Company, ConsentEvent, Customer, Interaction
from marketing.models import Campaign, Segment
from sales.models import Deal, Lead, Order, Pipeline, Product, Stage, Task
from support.models import CsatSurvey, Ticket, TicketMessage

from .serializers import analytics, marketing, support
from .serializers.customers import CompanySerializer, ConsentEventSerializer, CustomerSerializer, InteractionSerializer
from .serializers.deals import DealSerializer, PipelineSerializer, StageSerializer
from .serializers.leads import LeadSerializer
from .serializers.orders import OrderSerializer, ProductSerializer
from .serializers.todos import TaskSerializer

# model -> its serializer. Each resource registers its model here.
SERIALIZERS: dict[type[Model], type[Serializer]] = {
    Customer: CustomerSerializer,
    Company: CompanySerializer,
    Interaction: InteractionSerializer,
    ConsentEvent: ConsentEventSerializer,
    RfmRun: analytics.RfmRunSerializer,
    ClvRun: analytics.ClvRunSerializer,
    Ticket: support.TicketSerializer,
    CsatSurvey: support.CsatSurveySerializer,
    TicketMessage: support.TicketMessageSerializer,
    Campaign: marketing.CampaignSerializer,
    Segment: marketing.SegmentSerializer,
    Deal: DealSerializer,
    Lead: LeadSerializer,
    Task: TaskSerializer,
    Order: OrderSerializer,
    Product: ProductSerializer,
    Pipeline: PipelineSerializer,
    Stage: StageSerializer,
}


def represent(instance: Model) -> dict:
    serializer_class = SERIALIZERS.get(type(instance))
    if serializer_class is None:
        return {"id": instance.pk, "object": instance._meta.label_lower}
    return dict(serializer_class(instance).data)
