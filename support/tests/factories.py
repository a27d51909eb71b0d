import factory

from customers.tests.factories import CustomerFactory
from support.models import Queue, SlaPolicy, Ticket, TicketMessage


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")
    auto_acknowledge = False


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket with no SLA clock and no first message; use the services for those."""

    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=5)
    customer = factory.SubFactory(CustomerFactory)
    queue = factory.SubFactory(QueueFactory)
    team = factory.LazyAttribute(lambda t: t.queue.team)


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    body = factory.Faker("paragraph")
    from_customer = True


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = "normal"
    first_response_minutes = 60
    resolution_minutes = 480
