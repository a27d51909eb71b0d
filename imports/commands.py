"""What the apps' import commands (`import_customers`, `import_orders`) share:
the common arguments, the acting user, and the file to read."""

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User


class ImportCommand(BaseCommand):
    may_import: Callable[[User], bool]
    who_may: str  # e.g. "managers and admins may", for the refusal

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file to import.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument("--skip-errors", action="store_true", help="Import the good rows, report the bad ones.")
        parser.add_argument(
            "--as", dest="username", help="Import as this user, with their access (default: no user, full access)."
        )

    def actor(self, username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {username!r}.")
        if not self.may_import(actor):
            raise CommandError(f"{username} may not import here ({self.who_may}).")
        return actor

    def existing_file(self, file: str) -> Path:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        return path
