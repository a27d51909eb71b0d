"""History of configuration: who changed a pipeline, a product, a role…, when, from what to what.

Configuration models declare `history = ConfigHistory()` (django-simple-history).
The acting user of each change comes, in this order, from:
- the admin (SimpleHistoryAdmin sets it on the saved object),
- `history_actor(actor)` around a service's writes, so commands, tasks and bulk
  writes name the user the service was given,
- the request (simple-history's HistoryRequestMiddleware).

It lives in `accounts`, the lowest app, because every app's models use it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone
from simple_history.models import HistoricalRecords

_actor: ContextVar = ContextVar("history_actor", default=None)

# The change reason of the rows a migration writes for objects that existed before history did.
BASELINE_REASON = "history-start"


@contextmanager
def history_actor(actor) -> Iterator[None]:
    """Record `actor` as the user of every history row written inside the block."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def history_user(request=None, **kwargs):
    """simple-history's `get_user`: the service's actor, else the request's logged-in user."""
    actor = _actor.get()
    if actor is not None:
        return actor
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class ConfigHistory(HistoricalRecords):
    """HistoricalRecords that write a row only when a tracked value changed.

    Saving an unchanged object (the pipeline editor saves every stage, a login
    saves the user's excluded `last_login`) would otherwise add rows that show
    no change and bury the ones that do."""

    def __init__(self, **kwargs):
        kwargs.setdefault("get_user", history_user)
        super().__init__(**kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= set(self.excluded_fields):
            return  # e.g. a login saving last_login: nothing tracked changed, no query needed
        if not created and not kwargs.get("raw", False) and self._unchanged(instance):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def _unchanged(self, instance) -> bool:
        latest = getattr(instance, self.manager_name).order_by("-history_date", "-history_id").first()
        if latest is None or latest.history_type == "-":
            return False
        return all(
            getattr(latest, field.attname) == getattr(instance, field.attname)
            for field in self.fields_included(instance)
        )


def record_history_baseline(apps, app_label: str, model_names: list[str]) -> None:
    """For migrations: one history row per existing object, so that its first change shows old → new.

    Works on the migration's model states (`apps`), copying each tracked field and
    the rows of tracked many-to-many fields."""
    now = timezone.now()
    for name in model_names:
        model = apps.get_model(app_label, name)
        history = apps.get_model(app_label, f"Historical{name}")
        fields = [field.attname for field in history._meta.concrete_fields if not field.name.startswith("history_")]
        rows = [
            history(
                **{attname: getattr(obj, attname) for attname in fields},
                history_date=now,
                history_type="+",
                history_change_reason=BASELINE_REASON,
            )
            for obj in model._default_manager.all()
        ]
        history.objects.bulk_create(rows, batch_size=500)
        for m2m in model._meta.many_to_many:
            _baseline_m2m(apps, app_label, name, m2m, history)


def _baseline_m2m(apps, app_label, name, m2m, history) -> None:
    try:
        m2m_history = apps.get_model(app_label, f"Historical{name}_{m2m.name}")
    except LookupError:  # a many-to-many field whose history is not tracked
        return
    through = m2m.remote_field.through
    source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    latest = dict(history.objects.filter(history_change_reason=BASELINE_REASON).values_list("id", "history_id"))
    m2m_history.objects.bulk_create(
        [
            m2m_history(id=pk, history_id=latest[owner], **{f"{source}_id": owner, f"{target}_id": other})
            for pk, owner, other in through.objects.values_list("pk", f"{source}_id", f"{target}_id")
            if owner in latest
        ],
        batch_size=500,
    )
