"""`make lint` runs import-linter with the contracts in pyproject.toml. These tests
run it on a copy of the project, so they prove the contract catches a wrong-way
import rather than only that today's code passes."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PACKAGES = (
    "accounts",
    "crm_project",
    "jobs",
    "imports",
    "customers",
    "sales",
    "analytics",
    "support",
    "marketing",
    "api",
    "webhooks",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def project_copy(tmp_path) -> Path:
    root = Path(settings.BASE_DIR)
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(root / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    return tmp_path


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_project_keeps_the_dependency_contracts(project_copy):
    result = lint_imports(project_copy)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_customers_importing_analytics_breaks_the_direction(project_copy):
    (project_copy / "customers" / "wrong_way.py").write_text("from analytics.models import RfmRun  # noqa: F401\n")
    result = lint_imports(project_copy)
    assert result.returncode == 1
    assert "customers is not allowed to import analytics" in result.stdout
    assert "customers.wrong_way -> analytics.models" in result.stdout


def test_support_importing_marketing_breaks_their_independence(project_copy):
    (project_copy / "support" / "wrong_way.py").write_text("import marketing.models  # noqa: F401\n")
    result = lint_imports(project_copy)
    assert result.returncode == 1
    assert "Support and marketing are independent of each other BROKEN" in result.stdout


def test_a_service_importing_its_task_breaks_the_contract(project_copy):
    services = project_copy / "sales" / "services" / "orders.py"
    services.write_text(services.read_text() + "\nfrom sales.tasks import orders_import_file  # noqa: E402, F401\n")
    result = lint_imports(project_copy)
    assert result.returncode == 1
    assert "Services never import Celery tasks" in result.stdout
    assert "sales.services.orders -> sales.tasks" in result.stdout
