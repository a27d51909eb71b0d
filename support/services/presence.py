"""Who has a ticket open ("also viewing / replying"): each open ticket page
polls, and each poll refreshes the viewer's row."""

from django.utils import timezone

from accounts.models import User

from ..models import Ticket, TicketPresence


def presence_touch(*, ticket: Ticket, user: User, replying: bool) -> TicketPresence:
    presence, _created = TicketPresence.objects.update_or_create(
        ticket=ticket, user=user, defaults={"replying": replying, "seen_at": timezone.now()}
    )
    return presence
