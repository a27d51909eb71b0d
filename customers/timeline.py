"""How a system entry on a timeline reads, in the reader's language.

A service stores an entry's action code ("deal.stage_changed") and, in `data`,
the parameters its sentence needs, as they were at the time: names and titles,
not only primary keys. A primary key stays under its key ("to": 7) and the name
goes next to it under `<key>_name` ("to_name": "Ayşe Demir"). Values that are
themselves codes (field names, statuses, stage names) are stored as codes and
turned into words when the entry is shown.

Each app declares the sentences of its own actions in `<app>/timeline.py` as
`SENTENCES = {action: [Sentence, ...]}` and lists it in
settings.CRM_TIMELINE_SENTENCES, so `customers` renders `sales` entries without
importing `sales`. Support and marketing write their entries the same way.

`sentence()` renders an entry at display time; `summary()` renders the English
sentence that services store in `summary` (for the admin, and as the fallback
when an entry cannot be rendered: an unknown action or a missing parameter).
"""

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Company, ConsentEvent, Customer

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Sentence:
    """One wording of an action: `text` with %(name)s parameters taken from the entry's data.

    `formats` turns a stored value into words (a field code into its label);
    `when` holds data values this wording needs ({"created": True})."""

    text: Promise | str
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    when: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        # The untranslated text names the parameters; a translation uses the same ones.
        with translation.override(None):
            return PLACEHOLDER.findall(str(self.text))

    def fits(self, data: Mapping[str, Any]) -> bool:
        if any(data.get(key) != value for key, value in self.when.items()):
            return False
        return all(data.get(name) not in (None, "", []) for name in self.names)

    def render(self, data: Mapping[str, Any]) -> str:
        values = {name: self.formats.get(name, str)(data[name]) for name in self.names}
        return str(self.text) % values


Sentences = Mapping[str, list[Sentence]]


def field_labels(model: type[models.Model]) -> Callable[[Any], str]:
    """A list of field codes as the model's field labels ("email, last_name" -> "email address, last name")."""

    def labels(names: Any) -> str:
        return ", ".join(_field_label(model, name) for name in names)

    return labels


def _field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:  # a field removed since the entry was written keeps its code
        return name


def choice_label(choices: type[models.Choices]) -> Callable[[Any], str]:
    """A stored choice code as its label; a code no longer offered stays as it is."""
    labels = dict(choices.choices)
    return lambda code: str(labels.get(code, code))


def translated(value: Any) -> str:
    """A name the system ships (a default stage's "Proposal") in the reader's language; others unchanged."""
    return gettext(str(value)) if value else ""


def number(value: Any) -> str:
    """An amount stored as text ("1250.00") in the reader's number format."""
    try:
        return str(localize(Decimal(str(value))))
    except ArithmeticError:
        return str(value)


def timeline_sentences() -> dict[str, list[Sentence]]:
    return _registry(tuple(settings.CRM_TIMELINE_SENTENCES))


@functools.cache
def _registry(dotted_paths: tuple[str, ...]) -> dict[str, list[Sentence]]:
    # Keyed by the setting's value, so a test that overrides it gets its own registry.
    registry: dict[str, list[Sentence]] = {}
    for dotted in dotted_paths:
        registry.update(import_string(dotted))
    return registry


def sentence(*, action: str, data: Mapping[str, Any] | None, summary: str) -> str:
    """The entry in the active language; the stored summary when no wording fits its data."""
    for wording in timeline_sentences().get(action, ()):
        if wording.fits(data or {}):
            try:
                return wording.render(data or {})
            except (KeyError, TypeError, ValueError):  # a translation that names other parameters
                return summary
    return summary


def summary(*, action: str, data: Mapping[str, Any] | None = None) -> str:
    """The English sentence a service stores as the entry's summary (cut to the field's 200 characters)."""
    with translation.override("en"):
        return sentence(action=action, data=data, summary=action)[:200]


def entry_sentence(entry: Any) -> str:
    """An Interaction's or LeadActivity's sentence (only system entries have an action)."""
    if not entry.action:
        return entry.summary
    return sentence(action=entry.action, data=entry.data, summary=entry.summary)


# --- the sentences of the customers app's own actions ---------------------------------------
# An import's one entry for all the customers it created (on no customer's own timeline rows: the
# timeline source in selectors.customers shows it on each of theirs).
IMPORT_CREATED = "customer.created_by_import"

OWNER_CHANGED = [
    Sentence(_("Owner changed from %(from_name)s to %(to_name)s")),
    Sentence(_("Owner changed to %(to_name)s")),
]

SENTENCES: Sentences = {
    "customer.created": [
        Sentence(_("Created by importing %(file)s")),
        Sentence(_("Customer created")),
    ],
    IMPORT_CREATED: [Sentence(_("Created by importing %(file)s"))],
    "customer.updated": [Sentence(_("Changed %(fields)s"), formats={"fields": field_labels(Customer)})],
    "customer.reassigned": OWNER_CHANGED,
    "customer.deleted": [Sentence(_("Customer deleted"))],
    "customer.restored": [Sentence(_("Customer restored"))],
    "customer.tagged": [Sentence(_("Tagged %(tag_name)s"))],
    "customer.imported": [
        Sentence(_("Imported (new customer)"), when={"created": True}),
        Sentence(_("Imported: changed %(fields)s"), formats={"fields": field_labels(Customer)}),
        Sentence(_("Imported: no changes"), when={"created": False}),
    ],
    "customer.merged": [Sentence(_("Merged with %(merged_name)s (#%(merged)s)"))],
    "customer.merged_away": [Sentence(_("Merged into %(merged_into_name)s (#%(merged_into)s)"))],
    "consent.changed": [
        Sentence(
            _("Email consent: %(status)s (%(source)s)"),
            formats={"status": choice_label(Customer.Consent), "source": choice_label(ConsentEvent.Source)},
        )
    ],
    "attachment.added": [Sentence(_("Attached %(file)s"))],
    "company.created": [
        Sentence(_("Company created (import)"), when={"source": "import"}),
        Sentence(_("Company created")),
    ],
    "company.updated": [Sentence(_("Changed %(fields)s"), formats={"fields": field_labels(Company)})],
    "company.deleted": [Sentence(_("Company deleted"))],
}
