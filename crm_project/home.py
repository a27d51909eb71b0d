"""The role homes' cards: each app registers a provider in settings.CRM_HOME_CARDS.

A provider is `cards(*, request, role) -> list[HomeCard]`; it reads what its
cards need once (cards may share one context) and returns nothing for roles it
has nothing for. The home page shows the cards in the order settings list them.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class HomeCard:
    template: str
    context: dict
    width: str = "col-lg-6"  # the card's Bootstrap column classes


def home_cards(*, request: HttpRequest, role: str | None) -> list[tuple[str, SafeString]]:
    """(column classes, rendered card) for every registered card of this role."""
    cards = [card for dotted in settings.CRM_HOME_CARDS for card in import_string(dotted)(request=request, role=role)]
    return [(card.width, render_to_string(card.template, card.context, request=request)) for card in cards]
