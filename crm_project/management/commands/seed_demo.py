"""Fill the database with realistic demo data. Safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.seed import seed_users

# Each app that has demo data adds "app.seed.seed_demo(*, customers, stdout)" here.
SEED_STEPS: tuple[str, ...] = (
    "customers.seed.seed_demo",
    "sales.seed.deals.seed_demo",
    "sales.seed.leads.seed_demo",
    "sales.seed.orders.seed_demo",
    "sales.seed.todos.seed_demo",
    "analytics.seed.seed_demo",
    "support.seed.seed_demo",
    "marketing.seed.seed_demo",
)

LOGINS_FILE = Path(settings.BASE_DIR) / "var" / "demo_logins.txt"


class Command(BaseCommand):
    help = "Create demo teams, users per role and sample records (idempotent; never in production)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000, help="How many demo customers to create.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database has users.")

    def handle(self, *args, customers, if_empty, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled in these settings (production?). Refusing to seed.")
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has users; not seeding demo data.")
            return
        new_logins = seed_users()
        for dotted in SEED_STEPS:
            import_string(dotted)(customers=customers, stdout=self.stdout)
        self._enqueue_first_job()
        self._report_logins(new_logins)

    def _enqueue_first_job(self):
        # So that the job log shows a real run as soon as the worker starts.
        from jobs.services import job_enqueue
        from jobs.tasks import housekeeping

        job_enqueue(task=housekeeping)

    def _report_logins(self, new_logins: dict[str, str]) -> None:
        if not new_logins:
            self.stdout.write("Demo users already existed; their passwords are unchanged.")
            return
        lines = [f"{username:<8} {password}" for username, password in new_logins.items()]
        LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOGINS_FILE.write_text("username password\n" + "\n".join(lines) + "\n")
        LOGINS_FILE.chmod(0o600)
        self.stdout.write(self.style.SUCCESS("Demo logins (also saved to var/demo_logins.txt):"))
        for line in lines:
            self.stdout.write("  " + line)
