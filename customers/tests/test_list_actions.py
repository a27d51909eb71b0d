"""The company list offers each role only the actions it may use, and the server refuses the others
(the customer list's own checks are in test_views.py)."""

import pytest
from django.urls import reverse

from customers.models import Company
from customers.tests.factories import CompanyFactory


@pytest.mark.parametrize("persona", ["owner", "outsider", "manager", "admin_user"])
def test_those_who_add_customers_see_new_company_on_the_company_list(client_for, persona, request):
    response = client_for(request.getfixturevalue(persona)).get(reverse("customers:company-list"))
    assert f'href="{reverse("customers:company-create")}"' in response.content.decode()


def test_a_support_agent_reads_companies_but_gets_no_new_company_and_is_refused_it(client_for, agent, owner):
    CompanyFactory(name="Acme", owner=owner)
    client = client_for(agent)
    html = client.get(reverse("customers:company-list")).content.decode()
    assert "Acme" in html
    assert reverse("customers:company-create") not in html
    assert client.get(reverse("customers:company-create")).status_code == 403
    assert client.post(reverse("customers:company-create"), {"name": "Sneaky Ltd"}).status_code == 403
    assert list(Company.objects.values_list("name", flat=True)) == ["Acme"]
