"""Domain events: what happened, for whoever listens outside the app that did it.

A service calls `event_emit(name, instance=..., actor=...)` inside its own
transaction, after the change. Each sink named in `settings.CRM_EVENT_SINKS`
is called at once, in that transaction: the webhook outbox writes its rows
there, so a change that rolls back sends nothing and one that commits is never
lost. A lower app names its events here and emits them; the app that listens
registers a sink (the way CRM_TIMELINE_SOURCES lets a higher app extend a lower
one). Sinks must be cheap when nobody listens: they run on every change.

An event goes out once per change: a save that changes nothing emits nothing.
Set-based writes emit nothing per row (the customer and order imports, the
customer list's bulk owner and tag actions, deals following a stage's won/lost
flags): a file of a million rows must not become a million webhook calls.
"""

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Every event the CRM emits, with what it means to the person choosing them.
EVENTS: "dict[str, StrOrPromise]" = {
    "customer.created": _("A customer was created"),
    "customer.updated": _("A customer was changed"),
    "customer.merged": _("Two customers were merged"),
    "consent.changed": _("A customer's e-mail consent changed"),
    "lead.created": _("A lead was created"),
    "lead.converted": _("A lead was converted"),
    "deal.created": _("A deal was created"),
    "deal.stage_changed": _("A deal moved to another stage"),
    "deal.won": _("A deal was won"),
    "deal.lost": _("A deal was lost"),
    "order.created": _("An order was created"),
    "task.completed": _("A task was completed"),
    "rfm.run_completed": _("An RFM scoring run finished"),
    "ticket.created": _("A ticket was opened"),
    "ticket.solved": _("A ticket was solved"),
    "csat.answered": _("A customer answered a satisfaction survey"),
    "campaign.sent": _("A campaign finished sending"),
    "email.unsubscribed": _("A customer unsubscribed from e-mail"),
}

Sink = Callable[..., None]


@cache
def _sinks() -> list[Sink]:
    return [import_string(path) for path in settings.CRM_EVENT_SINKS]


@receiver(setting_changed)
def _forget_sinks(*, setting: str, **kwargs) -> None:
    if setting == "CRM_EVENT_SINKS":
        _sinks.cache_clear()


def event_emit(name: str, *, instance: models.Model, actor=None, data: dict | None = None) -> None:
    """Tell every sink that `name` happened to `instance` (call it inside the change's transaction).

    `data` carries what the instance alone does not say (a deal's previous stage).
    """
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}: add it to crm_project.events.EVENTS")
    for sink in _sinks():
        sink(name=name, instance=instance, actor=actor, data=data or {})
