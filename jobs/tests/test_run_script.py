"""`make run` (bin/run) stops the web server and the worker within 10 seconds of SIGTERM."""

import os
import signal
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection

from conftest import skip_or_fail
from jobs.tests.worker import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def process_table() -> dict[int, int]:
    """Living processes (zombies left out) and their parents, from ps."""
    rows = subprocess.run(["ps", "-eo", "pid=,ppid=,stat="], capture_output=True, text=True, check=True).stdout
    return {int(pid): int(ppid) for pid, ppid, stat in (row.split() for row in rows.splitlines()) if stat[0] != "Z"}


def processes_started_by(pid: int) -> set[int]:
    table = process_table()
    found, grew = {pid}, True
    while grew:
        new = {child for child, parent in table.items() if parent in found} - found
        found, grew = found | new, bool(new)
    return found & set(table)


def still_running(pids: set[int]) -> set[int]:
    return pids & set(process_table())


def test_sigterm_stops_the_web_server_and_the_worker_within_ten_seconds(tmp_path):
    if connection.vendor == "sqlite":
        skip_or_fail("the worker and the web server need a database a second process can open (PostgreSQL).")
    port = free_port()
    log = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm_project.settings.test", "PORT": str(port), "REDIS_URL": ""}
    env |= {"CRM_TEST_DB_NAME": connection.settings_dict["NAME"], "CELERY_BROKER_DIR": str(tmp_path / "broker")}
    env |= {"WORKER_LOG": str(log), "BIN": str(settings.BASE_DIR / ".venv" / "bin")}
    run = subprocess.Popen(
        [str(settings.BASE_DIR / "bin" / "run")], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_for(lambda: serving(port) and " ready." in log.read_text(), seconds=60), log.read_text()
        started = processes_started_by(run.pid)
        assert len(started) >= 5  # the script, runserver and its reloader, the worker, its pool and beat

        began = time.monotonic()
        run.send_signal(signal.SIGTERM)
        assert wait_for(lambda: not still_running(started), seconds=12, every=0.1)
        stopped_after = time.monotonic() - began
    finally:
        for pid in processes_started_by(run.pid):
            os.kill(pid, signal.SIGKILL)
        run.wait()
    assert stopped_after < 10
    assert not serving(port)
