"""Measure a campaign end to end: outbox, batches, rendering, SMTP.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python manage.py bench_campaign --recipients 100000
    python manage.py bench_campaign --recipients 2000 --opted-out 500 --kill-after 700

Creates opted-in `bench-in-<n>@example.com` and opted-out `bench-out-<n>@example.com`
customers (set-based), a static segment of them all, a template with merge fields,
a link and the open pixel, and a campaign, through the services the pages use;
starts one worker (`-c 2`) and its own aiosmtpd sink (or mails `--smtp HOST:PORT`),
and prints enqueue time, drain time and recipients/s. Before the campaign it times a
FLOOR against the same sink: raw smtplib sending prebuilt copies of one campaign
message over one connection (one process), then over two connections at once (two
processes, as the worker's `-c 2` has), and prints the sending rate as a ratio of
the better floor, with the load average. `--kill-after K` SIGKILLs the
worker after K messages, starts another, runs `outbox_requeue_stale` as beat would,
and prints how many recipients got no message and how many got more than one.
It prints the CPU time a message cost each side (read from /proc, Linux): the
worker's processes, the sink's thread and the database's backends: on a machine
shared with other work, those are steadier than the rate.
The bench data is deleted afterwards unless `--keep`. Never in production.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from customers.models import Customer
from jobs.models import JobRun
from marketing import mime, tokens
from marketing.models import Campaign, EmailTemplate, OutboxMessage, Segment, SegmentMember, TrackingEvent
from marketing.services import campaigns, sending, templates

BATCH = 5000
# Seconds: rows the killed worker held are sent again this soon. It must outlast a batch
# (100 messages) on a busy machine, or a live batch's rows are sent a second time.
LEASE_AFTER_KILL = 30
HTML = (
    '<p>Hello {{ first_name|default:"there" }} {{ last_name }},</p>'
    "<p>Our spring offer is waiting for you.</p>"
    '<p><a href="https://example.com/offer">See the offer</a></p>'
    '<p style="font-size:12px"><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)

# The floor's client: no Django, prebuilt bytes, one connection; prints its seconds.
FLOOR_CLIENT = """
import smtplib, sys, time
host, port, path, first, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
data = open(path, "rb").read()
smtp = smtplib.SMTP(host, port)
smtp.ehlo()
started = time.monotonic()
for n in range(first, first + count):
    smtp.sendmail("bench@example.com", [f"floor-{n}@example.com"], data)
print(time.monotonic() - started)
smtp.quit()
"""


class Command(BaseCommand):
    help = "Send a campaign to N bench recipients through a real worker and an SMTP sink; print the rates."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=100_000, help="Opted-in recipients (default 100,000).")
        parser.add_argument("--opted-out", type=int, default=0, help="Opted-out customers in the segment too.")
        parser.add_argument("--smtp", default="", help="HOST:PORT of an SMTP server instead of the built-in sink.")
        parser.add_argument("--kill-after", type=int, default=0, help="SIGKILL the worker after K messages.")
        parser.add_argument("--keep", action="store_true", help="Keep the bench customers and the campaign.")
        parser.add_argument(
            "--floor-messages", type=int, default=20_000, help="Messages the SMTP floor sends (default 20,000)."
        )

    def handle(self, *args, recipients, opted_out, smtp, kill_after, keep, floor_messages, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if recipients <= 0:
            raise CommandError("--recipients must be positive.")
        _delete_bench_data()
        started = time.monotonic()
        campaign = self._setup(recipients, opted_out)
        _analyze()
        self.stdout.write(f"Set up {recipients:,} + {opted_out:,} customers in {time.monotonic() - started:.1f} s.")
        sink = None
        if not smtp:
            from crm_project.smtp_sink import Sink, SinkHandler

            sink = Sink(SinkHandler(keep_raw=False)).start()
        url = sink.url if sink else f"smtp://{smtp}"
        self.floor = self._floor(campaign, url, floor_messages, sink) if floor_messages > 0 else 0.0
        # The worker as in production, without DEBUG's record of every query (unless the
        # environment says otherwise); this command itself needs the local settings.
        env = {"DJANGO_DEBUG": "False", **os.environ, "MARKETING_EMAIL_URL": url}
        if kill_after:
            env["MARKETING_SEND_LEASE_S"] = str(LEASE_AFTER_KILL)
            settings.MARKETING_SEND_LEASE_S = LEASE_AFTER_KILL
        self.workers = [_start_worker(env)]
        try:
            self._run(campaign, recipients, env, self.workers[0], kill_after, sink)
        finally:
            for process in self.workers:
                _stop(process)
            if sink:
                sink.stop()
            if not keep:
                _delete_bench_data()

    def _run(self, campaign, recipients, env, worker, kill_after, sink):
        meter = CpuMeter(workers=self.workers, sink=sink)
        started = time.monotonic()
        campaigns.campaign_start(campaign=campaign, actor=None)
        inserted = time.monotonic()
        job = JobRun.objects.filter(name="marketing.campaign_send").latest("pk")
        _wait(lambda: JobRun.objects.filter(pk=job.pk, status=JobRun.Status.SUCCEEDED).exists(), 600)
        enqueued = time.monotonic()
        self.stdout.write(
            f"Enqueue: {enqueued - started:.2f} s (outbox INSERT … SELECT {inserted - started:.2f} s, "
            f"batches {enqueued - inserted:.2f} s)."
        )
        if kill_after:
            sent = OutboxMessage.objects.filter(campaign=campaign, status=OutboxMessage.Status.SENT)
            _wait(lambda: sent.count() >= kill_after, 600)
            os.killpg(worker.pid, signal.SIGKILL)  # the worker's own process group: it and its pool
            worker.wait()
            self.stdout.write(f"Killed the worker after {sent.count():,} messages; starting another.")
            self.workers.append(_start_worker(env))

        def done():
            if kill_after:
                sending.outbox_requeue_stale()  # as beat would, every minute
            return Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENT).exists()

        if not _wait(done, 3600, every=1 if kill_after else 0.2):
            raise CommandError("The campaign did not finish within an hour.")
        drained = time.monotonic()
        used = meter.stop()
        total = drained - started
        self.stdout.write(f"Drain: {drained - enqueued:.2f} s; end to end {total:.2f} s.")
        rate = recipients / total
        self.stdout.write(f"Recipients/s: {rate:,.0f} (goal: 2,000); load average {_load()}.")
        if self.floor:
            self.stdout.write(f"Ratio to the SMTP floor: {rate / self.floor:.2f} (floor {self.floor:,.0f} messages/s).")
        if used:
            parts = ", ".join(f"{name} {seconds * 1000 / recipients:.3f}" for name, seconds in used.items())
            total_ms = sum(used.values()) * 1000 / recipients
            self.stdout.write(f"CPU ms per recipient: {parts}; together {total_ms:.3f} (load average {_load()}).")
        if sink:
            got = Counter(sink.addresses())
            missing = recipients - sum(1 for email in got if email.startswith("bench-in-"))
            duplicates = sum(1 for count in got.values() if count > 1)
            stray = sum(1 for email in got if email.startswith("bench-out-"))
            self.stdout.write(f"Missing: {missing}; duplicates: {duplicates}; opted-out mailed: {stray}.")
        self.stdout.write(f"Report: /marketing/campaigns/{campaign.pk}/report/")

    def _floor(self, campaign: Campaign, url: str, count: int, sink) -> float:
        """Messages/s of raw smtplib against the same server: one connection, then two at once."""
        import tempfile

        host, port = url.removeprefix("smtp://").rsplit(":", 1)
        with tempfile.NamedTemporaryFile(suffix=".eml") as sample:
            sample.write(_sample_message(campaign))
            sample.flush()
            best = 0.0
            for connections in (1, 2):
                share = count // connections
                command = [sys.executable, "-c", FLOOR_CLIENT, host, port, sample.name]
                clients = [
                    subprocess.Popen([*command, str(n * share), str(share)], stdout=subprocess.PIPE, text=True)  # noqa: S603
                    for n in range(connections)
                ]
                seconds = max(float(client.communicate()[0]) for client in clients)
                rate = share * connections / seconds
                best = max(best, rate)
                self.stdout.write(
                    f"Floor, raw smtplib, {connections} connection(s): {rate:,.0f} messages/s "
                    f"({share * connections:,} messages, load average {_load()})."
                )
        if sink:
            with sink.handler.lock:
                sink.handler.received.clear()
        return best

    @transaction.atomic
    def _setup(self, recipients: int, opted_out: int) -> Campaign:
        for prefix, count, consent in (
            ("bench-in", recipients, Customer.Consent.OPTED_IN),
            ("bench-out", opted_out, Customer.Consent.OPTED_OUT),
        ):
            for first in range(0, count, BATCH):
                Customer.objects.bulk_create(
                    Customer(
                        first_name=f"Bench{n}",
                        last_name="Recipient",
                        email=f"{prefix}-{n}@example.com",
                        email_consent=consent,
                    )  # fmt: skip
                    for n in range(first, min(first + BATCH, count))
                )
        segment = Segment.objects.create(name="Bench campaign audience", kind=Segment.Kind.STATIC)
        members, customers = SegmentMember._meta.db_table, Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {members} (segment_id, customer_id, joined_at)"  # noqa: S608 - model table names
                f" SELECT %s, id, %s FROM {customers} WHERE email LIKE 'bench-%%@example.com'",
                [segment.pk, segment.created_at],
            )
        template = templates.template_create(
            name="Bench template", subject="Hello {{ first_name }}", html=HTML, actor=None
        )
        campaign = Campaign.objects.create(
            name="Bench campaign", template=template, throttle_per_minute=max(recipients, 1) * 10
        )
        campaign.include_segments.set([segment])
        return campaign


def _sample_message(campaign: Campaign) -> bytes:
    """One campaign message as the worker builds it (merge fields, tracked link, pixel, headers)."""
    links = {url: n for n, url in enumerate(templates.template_links(campaign.template.html), start=1)}
    prepared = templates.prepare(template=campaign.template, links=links)
    unsubscribe = tokens.unsubscribe_url(1)
    context: dict[str, object] = {"first_name": "Bench1", "last_name": "Recipient", "full_name": "Bench1 Recipient"}
    context |= {"email": "bench-in-1@example.com", "company": "", "unsubscribe_url": unsubscribe}
    context["open_pixel_url"] = tokens.open_pixel_url(1)
    context |= {f"link_{n}": tokens.click_url(1, link) for n, link in enumerate(prepared.link_ids)}
    subject, html, text = prepared.render(context)
    headers = {
        "Message-ID": f"<mkt-1-{campaign.pk}@{settings.MARKETING_EMAIL_DOMAIN}>",
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return mime.build(
        from_email=settings.MARKETING_FROM_EMAIL, to="bench-in-1@example.com", subject=subject, text=text,
        html=html, headers=headers,
    )  # fmt: skip


class CpuMeter:
    """CPU seconds spent from now on by the worker's processes (every process under the
    workers started, restarts too), the sink's thread, and the PostgreSQL backends of this
    database other than this process's own, sampled from /proc every quarter second (a
    backend that lives shorter than that is missed). Empty where /proc cannot be read."""

    def __init__(self, *, workers: list[subprocess.Popen], sink):
        self.workers = workers  # the bench appends a restarted worker to the same list
        self.sink_thread = sink._controller._thread.native_id if sink else None
        self.database = connection.settings_dict["NAME"]
        self.own_backend = _backend_pid()
        self.start: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.readable = Path("/proc/self/stat").exists()
        self._done = threading.Event()
        if self.readable:
            self.start = self._sample()
            self.last = dict(self.start)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def stop(self) -> dict[str, float]:
        """Seconds per side: worker, sink, database."""
        if not self.readable:
            return {}
        self._done.set()
        self._thread.join()
        self.last.update(self._sample())
        used = {"worker": 0.0, "sink": 0.0, "database": 0.0}
        for key, seconds in self.last.items():
            used[key[0]] += seconds - self.start.get(key, 0.0)
        if self.sink_thread is None:
            del used["sink"]
        return used

    def _run(self) -> None:
        while not self._done.wait(0.25):
            self.last.update(self._sample())

    def _sample(self) -> dict[tuple[str, int], float]:
        found: dict[tuple[str, int], float] = {}
        parents: dict[int, int] = {}
        titles: dict[int, str] = {}
        seconds: dict[int, float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            stat = _stat(entry / "stat")
            if stat is None:
                continue
            pid = int(entry.name)
            parents[pid], seconds[pid] = int(stat[1]), (int(stat[11]) + int(stat[12])) / _TICKS
            if stat[0] == "(postgres)":
                with open(entry / "cmdline", "rb") as cmdline:
                    titles[pid] = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        roots = {worker.pid for worker in self.workers}
        for pid in seconds:
            if _descends(pid, roots, parents):
                found[("worker", pid)] = seconds[pid]
            elif pid != self.own_backend and _backend_of(titles.get(pid, ""), self.database):
                found[("database", pid)] = seconds[pid]
        if self.sink_thread is not None:
            stat = _stat(Path(f"/proc/self/task/{self.sink_thread}/stat"))
            if stat is not None:
                found[("sink", 0)] = (int(stat[11]) + int(stat[12])) / _TICKS
        return found


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(path: Path) -> list[str] | None:
    """/proc's stat fields from the name in parentheses on (the name may hold spaces)."""
    try:
        text = path.read_text()
    except OSError:  # the process ended meanwhile
        return None
    name_end = text.rindex(")")
    return [text[text.index("(") : name_end + 1], *text[name_end + 1 :].split()[1:]]


def _descends(pid: int, roots: set[int], parents: dict[int, int]) -> bool:
    for _depth in range(8):
        if pid in roots:
            return True
        pid = parents.get(pid, 0)
        if pid <= 1:
            return False
    return False


def _backend_of(title: str, database: str) -> bool:
    """A PostgreSQL backend's process title: `postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE`."""
    words = title.split()
    if words[:1] != ["postgres:"]:
        return False
    words = words[2:] if len(words) > 1 and words[1].endswith(":") else words[1:]
    return len(words) > 2 and words[1] == database


def _backend_pid() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _analyze() -> None:
    """Statistics for the rows just written, as autovacuum keeps them on a live database: on a
    fresh one the outbox's INSERT … SELECT planned over empty tables took 6 s for 20,000 rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Customer._meta.db_table}, {SegmentMember._meta.db_table}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _start_worker(env) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "crm_project", "worker", "-c", "2", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", f"--hostname=bench-{os.getpid()}-{time.time_ns()}@%h"]
    # Its own session, so that --kill-after can SIGKILL the pool's processes with it.
    worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True)  # noqa: S603
    time.sleep(3)  # let it connect before the first task
    return worker


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _wait(predicate, seconds: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def _delete_bench_data() -> None:
    """Set-based: the collector would load every bench row (and their cascades) into memory."""
    bench = Campaign.objects.filter(name="Bench campaign")
    outbox = OutboxMessage.objects.filter(campaign__in=bench)
    TrackingEvent.objects.filter(message__in=outbox)._raw_delete(using="default")
    outbox._raw_delete(using="default")
    bench.delete()
    EmailTemplate.objects.filter(name="Bench template").delete()
    segments = Segment.objects.filter(name="Bench campaign audience")
    SegmentMember.objects.filter(segment__in=segments)._raw_delete(using="default")
    segments.delete()
    customers = Customer.all_objects.filter(email__startswith="bench-", email__endswith="@example.com")
    customers._raw_delete(using="default")
