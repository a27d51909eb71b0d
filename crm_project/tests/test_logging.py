"""Quiet logs: a refused request is one line, and a command prints only what it did."""

import io
import logging
import subprocess
import sys

from django.conf import settings
from django.urls import reverse

from crm_project.log_filters import ForbiddenInOneLine


def test_a_refused_request_is_logged_in_one_line_without_a_traceback(client_for, owner):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ForbiddenInOneLine())
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)
    try:
        response = client_for(owner).get(reverse("jobs:list"))
    finally:
        request_logger.removeHandler(handler)
    assert response.status_code == 403
    assert stream.getvalue().splitlines() == ["Forbidden (Permission denied): /jobs/"]


def test_the_console_handler_uses_the_one_line_filter():
    consoles = [handler for handler in logging.getLogger().handlers if type(handler) is logging.StreamHandler]
    assert consoles
    for console in consoles:
        assert any(isinstance(log_filter, ForbiddenInOneLine) for log_filter in console.filters)


def test_a_command_prints_no_banner():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
