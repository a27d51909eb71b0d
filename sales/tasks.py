"""Celery discovers sales.tasks; the tasks live in one module per area."""

from .tasks_orders import *  # noqa: F403
from .tasks_reminders import *  # noqa: F403
