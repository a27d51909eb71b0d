"""SLA escalation: each active SlaRule fires once per ticket that is near its due
time or past it, and notifies, reassigns or raises the priority.

Set-based: per rule one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING into
SlaRuleFiring (the unique (ticket, rule) constraint makes a second pass, or a
concurrent one, a no-op for tickets already fired), then one statement for the
ticket events and one for the rule's action over the returned ids. No Python
loop over tickets: the statement count depends on the number of rules only.
Both PostgreSQL and SQLite (3.35+) support ON CONFLICT … RETURNING.

Reassigning or raising the priority keeps the ticket's due times: the clock
started under the old policy has already run out or nearly so, and recomputing
it per ticket would need the calendar arithmetic in Python, one ticket at a time.
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification, Team, User

from ..models import PRIORITY_ORDER, Queue, SlaRule, SlaRuleFiring, Ticket, TicketEvent

q = connection.ops.quote_name
TICKET, FIRING, EVENT = Ticket._meta.db_table, SlaRuleFiring._meta.db_table, TicketEvent._meta.db_table
# Must match the partial indexes on the due times (ticket_first_due_idx, ticket_resolution_due_idx).
RUNNING = tuple(str(status) for status in Ticket.OPEN_STATUSES)


def sla_escalate(*, now: datetime | None = None) -> dict:
    """Run every active rule once; return how many rules ran and what they did."""
    now = now or timezone.now()
    counts = {"rules": 0, "fired": 0, "notified": 0, "reassigned": 0, "raised": 0}
    for rule in SlaRule.objects.filter(is_active=True).select_related("reassign_to").order_by("pk"):
        counts["rules"] += 1
        for key, value in rule_fire(rule=rule, now=now).items():
            counts[key] += value
    return counts


@transaction.atomic
def rule_fire(*, rule: SlaRule, now: datetime) -> dict:
    """Fire `rule` for the tickets it matches and have not fired it yet; apply its action to them."""
    ticket_ids = _record_firings(rule, now)
    if not ticket_ids:
        return {"fired": 0}
    ids = _IdSet(ticket_ids)
    _write_events(rule, ids, now)
    done = {"fired": len(ticket_ids)}
    if rule.action == SlaRule.Action.NOTIFY:
        done["notified"] = _notify(rule, ids, now)
    elif rule.action == SlaRule.Action.REASSIGN:
        done["reassigned"] = _reassign(rule, ids, now)
    elif rule.action == SlaRule.Action.RAISE_PRIORITY:
        done["raised"] = _raise_priority(ids, now)
    return done


class _IdSet:
    """The fired ticket ids as one SQL parameter, whatever their number (no 32,766-variable limit)."""

    def __init__(self, ids: list[int]):
        self.param: list[int] | str
        if connection.vendor == "postgresql":
            self.sql, self.param = "= ANY(%s)", ids
        else:
            self.sql, self.param = "IN (SELECT value FROM json_each(%s))", json.dumps(ids)


def _record_firings(rule: SlaRule, now: datetime) -> list[int]:
    due = "first_response_due" if rule.target == SlaRule.Target.FIRST_RESPONSE else "resolution_due"
    where = [f"t.status IN ({', '.join(['%s'] * len(RUNNING))})", "t.sla_paused_at IS NULL"]
    params: list = [rule.pk, now, *RUNNING]
    if rule.target == SlaRule.Target.FIRST_RESPONSE:
        where.append("t.first_responded_at IS NULL")
    if rule.when == SlaRule.When.BREACH:
        where.append(f"t.{due} <= %s")
        params.append(now)
    else:
        where.append(f"t.{due} > %s AND t.{due} <= %s")
        params += [now, now + timedelta(minutes=rule.minutes_before)]
    if rule.queue_id is not None:
        where.append("t.queue_id = %s")
        params.append(rule.queue_id)
    sql = (
        f"INSERT INTO {q(FIRING)} (ticket_id, rule_id, fired_at) SELECT t.id, %s, %s FROM {q(TICKET)} t "  # noqa: S608 - our identifiers
        f"WHERE {' AND '.join(where)} ON CONFLICT (ticket_id, rule_id) DO NOTHING RETURNING ticket_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _write_events(rule: SlaRule, ids: _IdSet, now: datetime) -> None:
    """One "escalated" event per ticket, old → new for the value the action changes (before it does)."""
    old, new, params = "''", "''", []
    if rule.action == SlaRule.Action.REASSIGN:
        # As str(user) in ticket_assign: the full name, else the username.
        name = "COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username)"
        old = f"COALESCE((SELECT {name} FROM {q(User._meta.db_table)} u WHERE u.id = t.assignee_id), '')"  # noqa: S608
        new, params = "%s", [str(rule.reassign_to) if rule.reassign_to else ""]
    elif rule.action == SlaRule.Action.RAISE_PRIORITY:
        old, new = "t.priority", _raised_priority_sql("t.priority")
    data = {"rule": rule.pk, "name": rule.name, "when": rule.when, "target": rule.target, "action": rule.action}
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {q(EVENT)} (ticket_id, actor_id, action, old_value, new_value, data, created_at) "  # noqa: S608
        f"SELECT t.id, NULL, 'escalated', {old}, {new}, {json_param}, %s FROM {q(TICKET)} t WHERE t.id {ids.sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(data), now, ids.param])


def _raised_priority_sql(column: str) -> str:
    """One step up PRIORITY_ORDER; urgent stays urgent."""
    pairs = zip(PRIORITY_ORDER, PRIORITY_ORDER[1:], strict=False)
    steps = " ".join(f"WHEN '{low}' THEN '{high}'" for low, high in pairs)
    return f"(CASE {column} {steps} ELSE {column} END)"


def _raise_priority(ids: _IdSet, now: datetime) -> int:
    sql = (
        f"UPDATE {q(TICKET)} SET priority = {_raised_priority_sql('priority')}, updated_at = %s "  # noqa: S608
        f"WHERE id {ids.sql} AND priority <> %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, ids.param, PRIORITY_ORDER[-1]])
        return cursor.rowcount


def _reassign(rule: SlaRule, ids: _IdSet, now: datetime) -> int:
    """To the rule's agent; a rule without one hands the tickets back to their queue (unassigned)."""
    sql = f"UPDATE {q(TICKET)} SET assignee_id = %s, updated_at = %s WHERE id {ids.sql}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.reassign_to_id, now, ids.param])
        return cursor.rowcount


def _notify(rule: SlaRule, ids: _IdSet, now: datetime) -> int:
    """One notification per ticket for its assignee and for its queue team's manager (once if
    they are the same person), in each recipient's language (blank: LANGUAGE_CODE)."""
    before, after, text_params = _text_sql(rule)
    url_before, url_after = _ticket_url_parts()
    recipients = (
        f"SELECT t.id AS ticket_id, t.assignee_id AS user_id FROM {q(TICKET)} t "  # noqa: S608
        f"WHERE t.id {ids.sql} AND t.assignee_id IS NOT NULL "
        f"UNION SELECT t.id, tm.manager_id FROM {q(TICKET)} t "
        f"JOIN {q(Queue._meta.db_table)} qu ON qu.id = t.queue_id "
        f"JOIN {q(Team._meta.db_table)} tm ON tm.id = qu.team_id "
        f"WHERE t.id {ids.sql} AND tm.manager_id IS NOT NULL"
    )
    ticket_text = "'#' || CAST(t.id AS TEXT) || ' ' || t.subject"
    sql = (
        f"INSERT INTO {q(Notification._meta.db_table)} (user_id, text, url, created_at) "  # noqa: S608
        f"SELECT r.user_id, SUBSTR({before} || {ticket_text} || {after}, 1, 500), "
        f"CAST(%s AS TEXT) || CAST(t.id AS TEXT) || CAST(%s AS TEXT), %s "
        f"FROM ({recipients}) r JOIN {q(TICKET)} t ON t.id = r.ticket_id "
        f"JOIN {q(User._meta.db_table)} u ON u.id = r.user_id WHERE u.is_active"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*text_params, url_before, url_after, now, ids.param, ids.param])
        return cursor.rowcount


TICKET_MARK = "\x00ticket\x00"


def _text_sql(rule: SlaRule) -> tuple[str, str, list[str]]:
    """SQL for the text before and after "#<id> <subject>", chosen by the recipient's language."""
    parts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            parts[code] = _notification_text(rule).split(TICKET_MARK, 1)
    default = parts.get(settings.LANGUAGE_CODE) or next(iter(parts.values()))
    params: list[str] = []
    expressions = []
    for index in (0, 1):
        cases = []
        for code, texts in parts.items():
            cases.append("WHEN u.language = %s THEN CAST(%s AS TEXT)")
            params += [code, texts[index]]
        expressions.append(f"(CASE {' '.join(cases)} ELSE CAST(%s AS TEXT) END)")
        params.append(default[index])
    # The "before" CASE comes first in the statement, so its parameters do too.
    return expressions[0], expressions[1], params


def _notification_text(rule: SlaRule) -> str:
    values = {"ticket": TICKET_MARK, "rule": rule.name}
    if rule.target == SlaRule.Target.FIRST_RESPONSE:
        if rule.when == SlaRule.When.BREACH:
            return _("First response overdue on ticket %(ticket)s (rule “%(rule)s”)") % values
        return _("First response due soon on ticket %(ticket)s (rule “%(rule)s”)") % values
    if rule.when == SlaRule.When.BREACH:
        return _("Resolution overdue on ticket %(ticket)s (rule “%(rule)s”)") % values
    return _("Resolution due soon on ticket %(ticket)s (rule “%(rule)s”)") % values


def _ticket_url_parts() -> tuple[str, str]:
    """The ticket page's URL around its id; /support/tickets/<id>/ until the page's route exists."""
    try:
        url = reverse("support:ticket-detail", args=[987654321])
    except NoReverseMatch:
        url = "/support/tickets/987654321/"
    before, _sep, after = url.partition("987654321")
    return before, after
