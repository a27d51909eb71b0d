"""bench_campaign's CPU meter: the worker's process tree and this database's backends, read from /proc."""

import subprocess
import sys
from pathlib import Path

import pytest

from marketing.management.commands.bench_campaign import CpuMeter, _backend_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("title", "mine"),
    [
        ("postgres: 15/main: postgres crm_h14 127.0.0.1(33810) idle", True),
        ("postgres: postgres crm_h14 127.0.0.1(33810) UPDATE", True),
        ("postgres: 15/main: postgres crm_other 127.0.0.1(33810) idle", False),
        ("postgres: 15/main: checkpointer", False),
        ("/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main", False),
        ("", False),
    ],
)
def test_a_backend_is_told_from_its_process_title(title, mine):
    assert _backend_of(title, "crm_h14") is mine


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_meter_counts_the_cpu_time_of_a_worker_and_its_children():
    burn = "import subprocess, sys, time\nend = time.process_time() + {}\nwhile time.process_time() < end: pass\n"
    parent = burn.format(0.1) + "subprocess.run([sys.executable, '-c', sys.argv[1]])"
    worker = subprocess.Popen([sys.executable, "-c", parent, burn.format(0.6)])  # noqa: S603 - this interpreter
    meter = CpuMeter(workers=[worker], sink=None)
    worker.wait(timeout=30)
    used = meter.stop()
    # Both ended before the last sample: the meter has each one's CPU time up to its last
    # quarter second (the child's 0.6 s spans several samples), and never more than all of it.
    assert set(used) == {"worker", "database"} and 0.3 <= used["worker"] <= 2.0
