"""The guard against server-side request forgery: where a webhook may be sent.

Only http(s) URLs whose host resolves to public addresses, unless
settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS. The form checks the URL when an
endpoint is saved; the sender checks it again when it sends and connects to the
address it checked (not to a second lookup's answer), so a name that resolves to
a public address at save time and to 127.0.0.1 later (DNS rebinding) is refused.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why, in the reader's language."""


class HostNotFound(UnsafeUrl):
    """The name did not resolve (perhaps for now: the sender retries)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, host and port, and the address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def url_target(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve and check `url`; raise UnsafeUrl, or return the address to connect to."""
    if allow_private is None:
        allow_private = settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(_("Only http:// and https:// URLs can receive webhooks."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeUrl(_("The URL's port is not a number.")) from error
    addresses = _resolve(parts.hostname, port)
    if not allow_private:
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            # Every answer must be public: a client may connect to any of them.
            raise UnsafeUrl(
                _("%(host)s resolves to %(address)s, a private, loopback or reserved address.")
                % {"host": parts.hostname, "address": refused[0]}
            )
    return Target(scheme=parts.scheme, host=parts.hostname, port=port, address=str(addresses[0]))


def url_check(url: str) -> None:
    """For forms: raise UnsafeUrl unless `url` may receive webhooks now."""
    url_target(url)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostNotFound(_("The host %(host)s could not be found.") % {"host": host}) from error
    # Scope ids ("fe80::1%eth0") are dropped: the address itself decides.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise HostNotFound(_("The host %(host)s could not be found.") % {"host": host})
    return addresses
