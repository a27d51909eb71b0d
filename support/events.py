"""How a ticket's events read in its "History": the service stores an action
code with old → new values; the sentence is made in the reader's language.
An action without a sentence here (added by a later feature) still reads as
"code: old → new" rather than disappearing."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from .models import Priority, Ticket, TicketEvent

STATUS_LABELS = dict(Ticket.Status.choices)
PRIORITY_LABELS = dict(Priority.choices)


def _status(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


def _priority(value: str) -> str:
    return str(PRIORITY_LABELS.get(value, value))


def _created(event: TicketEvent) -> str:
    return _("Ticket opened (%(status)s)") % {"status": _status(event.new_value)}


def _status_changed(event: TicketEvent) -> str:
    return _("Status changed from %(old)s to %(new)s") % {
        "old": _status(event.old_value),
        "new": _status(event.new_value),
    }


def _assignee(event: TicketEvent) -> str:
    if not event.new_value:
        return _("Unassigned (was %(old)s)") % {"old": event.old_value}
    if not event.old_value:
        return _("Assigned to %(new)s") % {"new": event.new_value}
    return _("Reassigned from %(old)s to %(new)s") % {"old": event.old_value, "new": event.new_value}


def _priority_changed(event: TicketEvent) -> str:
    return _("Priority changed from %(old)s to %(new)s") % {
        "old": _priority(event.old_value),
        "new": _priority(event.new_value),
    }


def _queue(event: TicketEvent) -> str:
    return _("Moved from queue %(old)s to %(new)s") % {"old": event.old_value, "new": event.new_value}


SENTENCES: dict[str, Callable[[TicketEvent], str]] = {
    "created": _created,
    "status": _status_changed,
    "assignee": _assignee,
    "priority": _priority_changed,
    "queue": _queue,
    "replied": lambda e: _("Replied to the customer"),
    "note_added": lambda e: _("Added an internal note"),
    "customer_replied": lambda e: _("The customer replied"),
    "tag_added": lambda e: _("Tag %(tag)s added") % {"tag": e.new_value},
    "tag_removed": lambda e: _("Tag %(tag)s removed") % {"tag": e.old_value},
    "merged_into": lambda e: _("Merged into ticket #%(ticket)s") % {"ticket": e.new_value},
    "merged_from": lambda e: _("Ticket #%(ticket)s was merged into this one") % {"ticket": e.old_value},
    "macro_applied": lambda e: _("Macro “%(macro)s” applied") % {"macro": e.new_value},
    "mail_retried": lambda e: _("Sending of an undelivered mail retried"),
}


def event_sentence(event: TicketEvent) -> str:
    sentence = SENTENCES.get(event.action)
    if sentence is not None:
        return sentence(event)
    if event.old_value or event.new_value:
        return f"{event.action}: {event.old_value or '—'} → {event.new_value or '—'}"
    return event.action
