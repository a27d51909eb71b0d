"""How support's entries read on a customer's timeline (never a message body)."""

from django.utils.translation import gettext_lazy as _

from customers.timeline import Sentence

SENTENCES = {
    "ticket.opened": [Sentence(_("Ticket #%(ticket)s opened: %(subject)s"))],
    "ticket.solved": [Sentence(_("Ticket #%(ticket)s solved: %(subject)s"))],
}
