"""Small helpers that every app's services share."""

from django.db import models


def apply_changes(instance: models.Model, fields: dict) -> list[str]:
    """Set the fields whose value differs; return their names, for the audit entry."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    return changed
