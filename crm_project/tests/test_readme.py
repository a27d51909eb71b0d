"""Every URL, command, make target and file the README names exists: a newcomer
following it never meets a 404 or an unknown command."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands
from django.urls import Resolver404, resolve

README = (Path(settings.BASE_DIR) / "README.md").read_text()
# Backticked paths: `/sales/pipelines/<id>/edit/`, `/search/?q=`.
URLS = sorted(set(re.findall(r"`(/[^`\s]*)`", README)))
COMMANDS = sorted(set(re.findall(r"manage\.py ([a-z_]+)", README)))
MAKE_TARGETS = sorted(set(re.findall(r"`make ([a-z]+)", README)) | set(re.findall(r"^make ([a-z]+)", README, re.M)))
# Files the README names, except those the CRM writes when it runs (var/).
FILES = sorted(
    name
    for name in set(re.findall(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|md|txt|toml|html|js|css|json))`", README))
    if not name.startswith("var/")
)


def test_the_readme_names_urls_commands_and_targets_to_check():
    assert len(URLS) > 15 and len(COMMANDS) > 5 and len(MAKE_TARGETS) > 5 and len(FILES) > 3


@pytest.mark.parametrize("url", URLS)
def test_every_url_in_the_readme_resolves(url):
    path = re.sub(r"<[^>]+>", "1", url.split("?")[0])
    assert "…" not in path, f"{url}: write the real path, with <id> for a placeholder"
    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"The README names {url}, which is not a URL of the CRM")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_manage_py_command_in_the_readme_exists(command):
    assert command in get_commands()


@pytest.mark.parametrize("target", MAKE_TARGETS)
def test_every_make_target_in_the_readme_exists(target):
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"


@pytest.mark.parametrize("name", FILES)
def test_every_file_in_the_readme_is_in_the_repository(name):
    assert (Path(settings.BASE_DIR) / name).exists() or any(Path(settings.BASE_DIR).glob(f"*/{name}")), name
