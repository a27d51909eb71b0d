from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from standardwebhooks import Webhook

from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_the_command_registers_an_endpoint_and_prints_its_secret_last(settings):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    out = StringIO()
    call_command(
        "webhook_endpoint_create",
        "--url",
        "http://127.0.0.1:9/hook",
        "--events",
        "deal.won,deal.lost",
        "--name",
        "ERP",
        stdout=out,
    )

    endpoint = WebhookEndpoint.objects.get()
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret == endpoint.secret and secret.startswith("whsec_")
    Webhook(secret)  # a key the package accepts
    assert (endpoint.name, endpoint.events) == ("ERP", ["deal.lost", "deal.won"])


def test_the_command_refuses_a_private_url_and_an_unknown_event():
    with pytest.raises(CommandError, match="url") as refused:
        call_command("webhook_endpoint_create", "--url", "http://127.0.0.1:9/hook", "--events", "deal.won,deal.eaten")
    assert "deal.eaten" in str(refused.value)
    assert not WebhookEndpoint.objects.exists()
