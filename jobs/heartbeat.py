"""A running job's sign of life, sent from a thread of the worker process.

A thread, not the task's own progress calls, so that a job stuck in one long SQL
statement or a slow file still counts as alive (the database driver releases the
GIL while it waits). It stops when the job ends or the process dies; a run whose
heartbeat stopped is sent again by housekeeping (jobs.services.jobs_restart_stale).
"""

import logging
import threading

from django.db import DatabaseError, connection

from . import services

logger = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, *, run_id: int, worker: str, every: float):
        self.run_id, self.worker, self.every = run_id, worker, every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{run_id}", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        # A beat waiting for a locked SQLite file may take a while; never hold the job up for it.
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(self.every):
                try:
                    if not services.job_heartbeat(run_id=self.run_id, worker=self.worker):
                        logger.warning("Job run %s is no longer run by this worker; heartbeat stopped.", self.run_id)
                        return
                except DatabaseError:
                    logger.warning("Job run %s: heartbeat not recorded", self.run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection
