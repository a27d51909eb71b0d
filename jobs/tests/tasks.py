"""Test-only jobs, registered in the real workers the tests start (CELERY_IMPORTS in test settings)."""

import os
import time

from celery import shared_task
from django.db import connection

from jobs.tasks import JobTask


@shared_task(base=JobTask, bind=True, name="jobs.tests.slow")
def slow_job(self, steps: int, seconds: float, log: str):
    """`steps` long SQL statements of `seconds` each, progress after each; each start and
    finish of the body is appended to the file `log`, to count how often it ran."""
    _note(log, "start")
    for step in range(1, steps + 1):
        _long_statement(seconds)
        self.progress(step, steps)
    _note(log, "done")
    return {"steps": steps}


def _long_statement(seconds: float) -> None:
    """One statement that keeps the database busy, with no progress reported meanwhile."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
    else:
        time.sleep(seconds)


def _note(log: str, event: str) -> None:
    with open(log, "a") as out:
        out.write(f"{event} {os.getpid()}\n")
