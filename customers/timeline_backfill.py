"""Fill the sentence parameters of timeline entries written before they were stored.

Old system entries kept only an English summary ("Deal “Roof” opened"). A data
migration gives each action the patterns its summaries were written in, as
regular expressions with named groups; what a pattern captures goes into `data`
("title": "Roof"), so the entry renders in the reader's language. An entry no
pattern matches keeps its summary as the fallback. Keys already in `data` win.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections

Patterns = Mapping[str, Sequence[str]]
BATCH = 2000
# Captured values that are lists of codes in `data`.
LIST_PARAMETERS = {"fields"}
NOBODY = "—"


def parse(patterns: Patterns, *, action: str, summary: str) -> dict[str, Any]:
    """The parameters an old summary holds, or {} when none of the action's patterns matches."""
    for pattern in patterns.get(action, ()):
        match = re.fullmatch(pattern, summary)
        if match:
            return {name: _value(name, value) for name, value in match.groupdict().items()}
    return {}


def _value(name: str, value: str) -> Any:
    if name in LIST_PARAMETERS:
        return [part.strip() for part in value.split(",") if part.strip()]
    return None if value == NOBODY else value


def backfill(model, patterns: Patterns, *, batch: int = BATCH) -> int:
    """Parse the summaries of `model`'s entries with these actions, in batches by primary key; return rows changed.

    Keyset batches rather than one open cursor: writing to the table being read is
    safe on SQLite too, and memory stays flat on import-sized timelines."""
    rows = model.objects.filter(action__in=list(patterns)).order_by("pk").only("pk", "action", "summary", "data")
    changed, last = 0, 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:batch])
        if not chunk:
            return changed
        last = chunk[-1].pk
        updates = []
        for entry in chunk:
            data = {**parse(patterns, action=entry.action, summary=entry.summary), **(entry.data or {})}
            if data != (entry.data or {}):
                entry.data = data
                updates.append(entry)
        _save_data(model, updates)
        changed += len(updates)


def _save_data(model, entries: list) -> None:
    """Write the entries' data in one statement: UPDATE … FROM (VALUES …) on PostgreSQL
    (bulk_update's CASE per row was about 4x slower at 100k rows), bulk_update elsewhere."""
    if not entries:
        return
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(entries, ["data"])
        return
    table = connection.ops.quote_name(model._meta.db_table)
    rows = ", ".join(["(%s, %s::jsonb)"] * len(entries))
    params = [value for entry in entries for value in (entry.pk, json.dumps(entry.data))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET data = v.data FROM (VALUES {rows}) AS v(id, data) WHERE t.id = v.id",  # noqa: S608 - quoted table name, values are parameters
            params,
        )
