"""Demo RFM runs for seed_demo: one as of 90 days ago and one as of today, so movement shows."""

from datetime import timedelta

from .db import crm_today
from .models import RfmRun
from .services import rfm_score_run


def seed_demo(*, customers: int, stdout) -> None:
    if RfmRun.objects.exists():
        return
    today = crm_today()
    for as_of in (today - timedelta(days=90), today):
        run = rfm_score_run(as_of=as_of, trigger=RfmRun.Trigger.COMMAND)
        stdout.write(f"RFM run as of {as_of}: {run.n_scored} customers scored.")
