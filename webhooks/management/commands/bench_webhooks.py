"""Time a burst of events through the webhook outbox to a local receiver, with one worker.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python manage.py bench_webhooks --events 10000

Registers an endpoint ("bench-webhooks") for a local receiver (webhooks.receiver, in
this process, HTTP/1.1 keep-alive), starts ONE Celery worker process (solo pool) on
a queue of its own (CRM_WEBHOOKS_QUEUE), emits N `customer.updated` events in one
transaction through the event bus (the sink writes the outbox rows and enqueues
their batches on commit), and times from the commit until every delivery has
succeeded. Prints the emit time, the drained seconds, deliveries per second, the
receiver's request count and the load average. Goal on PostgreSQL, 2 cores:
10,000 deliveries drained in under 60 s. The bench rows are deleted afterwards.
Figures, not assertions. Never in production.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from crm_project.celery import app as celery_app
from crm_project.events import event_emit
from customers.models import Customer

from ...models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from ...receiver import Receiver

NAME = "bench-webhooks"
QUEUE = "bench-webhooks"
EVENT = "customer.updated"


class Command(BaseCommand):
    help = "Time N webhook deliveries drained by one worker to a local receiver."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--wait", type=int, default=600, help="Give up after this many seconds (default 600).")

    def handle(self, *args, events: int, wait: int, **options):
        customer = Customer.objects.order_by("pk").first()
        if customer is None:
            raise CommandError("No customer to emit events for: run seed_demo first.")
        self._clean()
        with (
            Receiver(record=False) as receiver,
            override_settings(CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=True, CRM_WEBHOOKS_QUEUE=QUEUE),
        ):
            endpoint = WebhookEndpoint.objects.create(name=NAME, url=receiver.url, events=[EVENT])
            worker = self._start_worker()
            try:
                emitted = self._emit(customer, events)
                drained = self._drain(endpoint, events, wait)
            finally:
                self._stop_worker(worker)
            attempts = WebhookAttempt.objects.filter(delivery__endpoint=endpoint).count()
            self._report(events, emitted, drained, receiver.count, attempts)
        self._clean()

    def _emit(self, customer: Customer, events: int) -> float:
        start = time.perf_counter()
        with transaction.atomic():
            for _n in range(events):
                event_emit(EVENT, instance=customer)
        return time.perf_counter() - start

    def _drain(self, endpoint: WebhookEndpoint, events: int, wait: int) -> float | None:
        """Seconds from the commit until every delivery succeeded (None: not within `wait`)."""
        start = time.perf_counter()
        open_rows = WebhookDelivery.objects.filter(endpoint=endpoint).exclude(status=WebhookDelivery.Status.SUCCEEDED)
        while time.perf_counter() - start < wait:
            if not open_rows.exists():
                return time.perf_counter() - start
            time.sleep(0.25)
        return None

    def _report(self, events: int, emitted: float, drained: float | None, received: int, attempts: int) -> None:
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(f"bench_webhooks: {events} events emitted in one transaction in {emitted:.1f} s")
        if drained is None:
            self.stdout.write(self.style.ERROR(f"not drained: {received} requests received"))
        else:
            self.stdout.write(
                f"drained {events} deliveries in {drained:.1f} s with one worker: {events / drained:.0f}/s "
                f"({received} requests received, {attempts} attempts recorded; goal under 60 s)"
            )
        self.stdout.write(f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, load average {load}")

    def _start_worker(self) -> subprocess.Popen:
        hostname = f"{NAME}-{os.getpid()}@%h"
        command = [sys.executable, "-m", "celery", "-A", "crm_project", "worker", "--pool=solo", "-Q", QUEUE]
        command += ["--loglevel=WARNING", "--without-gossip", "--without-mingle", f"--hostname={hostname}"]
        env = {**os.environ, "CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "1", "CRM_WEBHOOKS_QUEUE": QUEUE}
        worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)  # noqa: S603 - our own argv
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise CommandError("The Celery worker exited at start.")
            replies = celery_app.control.ping(timeout=0.5)
            if any(host.startswith(f"{NAME}-{os.getpid()}@") for reply in replies for host in reply):
                return worker
        self._stop_worker(worker)
        raise CommandError("The Celery worker did not answer a ping within 60 s.")

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def _clean(self) -> None:
        endpoints = WebhookEndpoint.objects.filter(name=NAME)
        WebhookEvent.objects.filter(deliveries__endpoint__in=endpoints).delete()
        endpoints.delete()
