"""Register a webhook endpoint from a script; the signing secret is the last line printed."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...services import endpoints


class Command(BaseCommand):
    help = "Register a webhook endpoint and print its signing secret (whsec_...) on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True)
        parser.add_argument("--events", required=True, help="Event names, comma-separated (crm_project.events)")
        parser.add_argument("--name", default="")

    def handle(self, *args, url: str, events: str, name: str, **options):
        names = [event.strip() for event in events.split(",") if event.strip()]
        try:
            endpoint = endpoints.webhook_endpoint_create(name=name or url[:100], url=url, events=names, actor=None)
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())
            ) from error
        self.stdout.write(f"Endpoint {endpoint.pk} ({endpoint.name}) receives: {', '.join(endpoint.events)}")
        self.stdout.write(endpoint.secret)
