"""The SSRF guard: only http(s) to public addresses, unless private networks are allowed."""

import ipaddress
import socket

import pytest
from django.db import transaction

from crm_project.events import event_emit
from customers.tests.factories import CustomerFactory
from webhooks import security
from webhooks.models import WebhookDelivery
from webhooks.security import UnsafeUrl, url_target

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",  # noqa: S104 - refused, not bound
        "100.64.0.1",
        "224.0.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    ],
)  # fmt: skip
def test_loopback_private_link_local_reserved_multicast_and_mapped_addresses_are_not_public(address):
    assert not security.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_public(address):
    assert security.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_only_http_and_https_urls_are_accepted(url):
    with pytest.raises(UnsafeUrl):
        url_target(url, allow_private=True)


def _resolving_to(monkeypatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        security.socket, "getaddrinfo", lambda host, port, **kw: [(family, socket.SOCK_STREAM, 6, "", (address, port))]
    )


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    _resolving_to(monkeypatch, "10.0.0.5")
    with pytest.raises(UnsafeUrl, match="10.0.0.5"):
        url_target("https://intranet.example.com/hook", allow_private=False)


def test_a_name_resolving_to_a_public_address_is_connected_to_that_address(monkeypatch):
    _resolving_to(monkeypatch, "93.184.215.14")
    target = url_target("https://shop.example.com:8443/hook", allow_private=False)
    assert (target.host, target.port, target.address) == ("shop.example.com", 8443, "93.184.215.14")


def test_private_addresses_are_allowed_with_the_setting_on(settings):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    assert url_target("http://127.0.0.1:9/hook").address == "127.0.0.1"


def test_a_private_url_is_refused_at_send_time_and_not_retried(settings, receiver, make_endpoint):
    """The endpoint was saved while allowed (or its name resolved elsewhere then): the send checks again."""
    make_endpoint(receiver.url)
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    row = WebhookDelivery.objects.get()

    from webhooks.services import delivery

    delivery.deliveries_send(ids=[row.pk])

    row.refresh_from_db()
    assert row.status == WebhookDelivery.Status.FAILED
    assert "127.0.0.1" in row.attempts.get().error
    assert receiver.received == []


def test_dns_rebinding_after_the_check_still_connects_to_the_checked_address(
    monkeypatch, settings, receiver, make_endpoint
):
    """The name resolves to the receiver when checked; a second lookup (the HTTP client's own)
    would get another address. The request goes to the checked one."""
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    port = receiver.url.split(":")[2].split("/")[0]
    make_endpoint(f"http://hooks.example.test:{port}/hook")
    answers = iter(["127.0.0.1"])

    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "10.9.9.9"), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)
    from webhooks.services import delivery

    delivery.deliveries_send(ids=list(WebhookDelivery.objects.values_list("pk", flat=True)))

    [request] = receiver.received
    assert request.headers["host"] == f"hooks.example.test:{port}"
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
