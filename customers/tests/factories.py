import factory

from accounts.selectors import team_for_owner
from crm_project.helpers import normalize_phone
from customers.models import Company, Customer, Interaction, Tag


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Faker("domain_name")
    industry = factory.Faker("bs")
    country = "DE"
    owner = None
    team = factory.LazyAttribute(lambda c: team_for_owner(c.owner))


class CustomerFactory(factory.django.DjangoModelFactory):
    """Pass owner=... to place the customer in a persona's scope; team follows the owner."""

    class Meta:
        model = Customer

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    phone = factory.Sequence(lambda n: f"+49 30 {1000000 + n}")
    phone_normalized = factory.LazyAttribute(lambda c: normalize_phone(c.phone))
    country = "DE"
    owner = None
    team = factory.LazyAttribute(lambda c: team_for_owner(c.owner))


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    kind = Interaction.Kind.CALL
    summary = factory.Faker("sentence", nb_words=5)
