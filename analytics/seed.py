"""Demo analytics runs for seed_demo.

RFM: one run as of 90 days ago and one as of today, so movement shows. CLV: a fit to
13 weeks ago checked against the orders since (the calibration/holdout chart), then the
fit to today, so the report has a previous run to find customers slipping away.
"""

from datetime import timedelta

from sales.models import Order

from .db import crm_today
from .models import ClvRun, RfmRun
from .services import clv, rfm_score_run

CLV_HOLDOUT_DAYS = 91
# Below this many buyers a demo is too small to fit the CLV models to (seed_demo's default,
# 2,000 customers, gives about 1,200; 200 customers about 120).
CLV_MIN_BUYERS = 100


def seed_demo(*, customers: int, stdout) -> None:
    _seed_rfm(stdout)
    _seed_clv(stdout)


def _seed_rfm(stdout) -> None:
    if RfmRun.objects.exists():
        return
    today = crm_today()
    for as_of in (today - timedelta(days=90), today):
        run = rfm_score_run(as_of=as_of, trigger=RfmRun.Trigger.COMMAND)
        stdout.write(f"RFM run as of {as_of}: {run.n_scored} customers scored.")


def _seed_clv(stdout) -> None:
    """With enough buyers the fit must converge: a FitError here is a bug in the demo data
    (sales.seed.orders), not something to hide."""
    if ClvRun.objects.exists():
        return
    buyers = Order.objects.filter(status=Order.Status.PAID).values("customer_id").distinct().count()
    if buyers < CLV_MIN_BUYERS:
        if buyers:
            stdout.write(f"Only {buyers} buyers: too few for a CLV fit (seed 200 customers or more).")
        return
    today = crm_today()
    for end, holdout_end in ((today - timedelta(days=CLV_HOLDOUT_DAYS), today), (today, None)):
        run = clv.clv_fit_run(calibration_end=end, holdout_end=holdout_end, trigger=ClvRun.Trigger.COMMAND)
        stdout.write(
            f"CLV fit to {end}: {run.n_customers} customers scored, "
            f"{run.summary['expected_revenue']} expected over {run.horizon:.0f} {run.unit}."
        )
