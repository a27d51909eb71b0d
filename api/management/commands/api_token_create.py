"""Create a personal access token for scripts; the token is printed on the last line.

    python manage.py api_token_create --user alice --scopes read,write --apps customers,sales \
        --name "Shop sync" --days 30
    TOKEN=$(python manage.py api_token_create --user alice | tail -n 1)

Only the last line carries the token; the line before says what it allows, so a log
of the command's output (minus the last line) holds nothing secret.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

from ...models import READ
from ...services import tokens


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create a personal access token for a user and print it on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument("--scopes", default=READ, help="read, or read,write (default: read).")
        parser.add_argument("--apps", default="", help="Limit to these apps, e.g. customers,sales (default: all).")
        parser.add_argument("--name", default="Command line", help="What uses the token.")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires (default from settings).")

    def handle(self, *args, user, scopes, apps, name, days, **options):
        try:
            owner = User.objects.get(username=user, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user {user!r}.") from None
        try:
            token, raw = tokens.api_token_create(
                user=owner, name=name, scopes=_csv(scopes), apps=_csv(apps), expires_in_days=days, actor=None
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        expiry = token.expiry.date().isoformat() if token.expiry else "never"
        self.stdout.write(
            f"Token {token.name!r} for {owner.username}: scopes {','.join(token.scopes)}, "
            f"apps {','.join(token.apps) or 'all'}, expires {expiry}."
        )
        self.stdout.write(raw)
