"""How the sales app's system entries read on a timeline (see customers.timeline).

Registered in settings.CRM_TIMELINE_SENTENCES. Stage names are stored as they
were and shown through the catalogue, so the default pipeline's stages read in
the reader's language while a team's own stage names stay as typed.
"""

from django.utils.translation import gettext_lazy as _

from customers.timeline import OWNER_CHANGED, Sentence, Sentences, choice_label, field_labels, number, translated

from .models import Deal, Lead, Order, Task

STAGE_MOVED = [
    Sentence(
        _("Deal “%(title)s”: %(from_name)s → %(to_name)s"), formats={"from_name": translated, "to_name": translated}
    )
]
LEAD_STATUS = {"from": choice_label(Lead.Status), "to": choice_label(Lead.Status)}

SENTENCES: Sentences = {
    "deal.created": [Sentence(_("Deal “%(title)s” opened"))],
    "deal.updated": [Sentence(_("Deal “%(title)s”: changed %(fields)s"), formats={"fields": field_labels(Deal)})],
    "deal.stage_changed": STAGE_MOVED,
    "deal.won": STAGE_MOVED,
    "deal.lost": STAGE_MOVED,
    "deal.product_added": [Sentence(_("Deal “%(title)s”: added %(line)s"))],
    "deal.product_removed": [Sentence(_("Deal “%(title)s”: removed %(line)s"))],
    "order.created": [
        Sentence(
            _("Order %(ref)s created from the won deal “%(title)s”: %(total)s %(currency)s"),
            formats={"total": number},
        ),
        # An order recorded through the API (a shop, an ERP) has no deal.
        Sentence(_("Order %(ref)s recorded: %(total)s %(currency)s"), formats={"total": number}),
    ],
    "order.updated": [
        Sentence(
            _("Order %(ref)s: changed %(fields)s (%(total)s %(currency)s)"),
            formats={"total": number, "fields": field_labels(Order)},
        )
    ],
    "lead.created": [Sentence(_("Lead created"))],
    "lead.updated": [Sentence(_("Changed %(fields)s"), formats={"fields": field_labels(Lead)})],
    "lead.status_changed": [
        Sentence(_("Status: %(from)s → %(to)s (%(reason)s)"), formats=LEAD_STATUS),
        Sentence(_("Status: %(from)s → %(to)s"), formats=LEAD_STATUS),
    ],
    "lead.assigned": [
        Sentence(_("Assigned to %(to_name)s by the rule “%(rule_name)s”")),
        Sentence(_("Assigned to %(to_name)s (no rule matched)")),
    ],
    "lead.reassigned": OWNER_CHANGED,
    # The customer's entry names the lead it came from, the lead's entry the customer it became.
    "lead.converted": [
        Sentence(_("Converted from lead %(lead_name)s")),
        Sentence(_("Converted to %(customer_name)s")),
    ],
    "task.created": [Sentence(_("Task “%(title)s” created"))],
    "task.updated": [Sentence(_("Task “%(title)s”: changed %(fields)s"), formats={"fields": field_labels(Task)})],
    "task.completed": [Sentence(_("Task “%(title)s” done"))],
    "task.reopened": [Sentence(_("Task “%(title)s” reopened"))],
}
