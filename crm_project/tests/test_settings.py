"""Production settings refuse to start without their secrets and pass check --deploy."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm_project.settings.production",
    "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-0123456789",
    "ALLOWED_HOSTS": "crm.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_URL": "smtp+tls://crm:secret@smtp.example.com:587",
}


def run_manage(*args, env):
    # The test run's own DATABASE_URL, REDIS_URL… must not fill in what a case leaves out.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_required_variable_and_says_which_in_one_line(name):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != name}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Production settings need {name} in the environment (see .env.example)."
    ]
