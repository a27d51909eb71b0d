"""Fit the CLV models and score every buyer now, in this process (the same service as the weekly job)."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics import btyd
from analytics.models import ClvRun
from analytics.services import clv


class Command(BaseCommand):
    help = (
        "Fit BG/NBD and Gamma-Gamma to the paid orders up to the calibration end, score every buyer and "
        "store the run; print the parameters (with --json, the last line is one JSON object)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--calibration-end", help="YYYY-MM-DD, inclusive (default: today).")
        parser.add_argument("--holdout-end", help="YYYY-MM-DD: also compare predictions with the orders up to it.")
        parser.add_argument("--unit", choices=ClvRun.Unit.values, default=ClvRun.Unit.WEEKS)
        parser.add_argument("--horizon", type=float, help="In the unit (default: CLV_HORIZON_MONTHS converted).")
        parser.add_argument("--penalizer", type=float, default=0.0, help="L2 penalty on the parameters.")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="End with the figures as one line of JSON."
        )

    def handle(self, *args, calibration_end, holdout_end, unit, horizon, penalizer, as_json, **options):
        if (horizon is not None and horizon <= 0) or penalizer < 0:
            raise CommandError("--horizon must be positive and --penalizer not negative.")
        try:
            run = clv.clv_fit_run(
                calibration_end=_date(calibration_end, "--calibration-end"),
                holdout_end=_date(holdout_end, "--holdout-end"),
                unit=unit,
                horizon=horizon,
                penalizer=penalizer,
                trigger=ClvRun.Trigger.COMMAND,
            )
        except (btyd.FitError, ValueError) as error:
            raise CommandError(str(error)) from error
        for line in _report(run):
            self.stdout.write(line)
        if as_json:
            self.stdout.write(_json(run))


def _date(value: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as error:
        raise CommandError(f"{option} must be a date like 2026-01-31, not {value!r}.") from error


def _report(run: ClvRun) -> list[str]:
    bgnbd, spend = run.bgnbd_params, run.gamma_gamma_params
    lines = [
        f"CLV run {run.pk} to {run.calibration_end} in {run.unit}, horizon {run.horizon:g}: {run.n_customers} "
        f"customers, {run.n_repeat} with repeat purchases, in {run.duration_ms} ms.",
        "BG/NBD: "
        + "  ".join(f"{name}={bgnbd[name]:.6g}" for name in ("r", "alpha", "a", "b"))
        + f"  (log-likelihood {run.log_likelihood:.6g})",
        "Gamma-Gamma: " + "  ".join(f"{name}={spend[name]:.6g}" for name in ("p", "q", "v")),
        f"Expected revenue over the horizon: {run.summary['expected_revenue']} "
        f"from {run.summary['expected_purchases']:.1f} purchases.",
    ]
    if run.holdout:
        lines.append(
            f"Holdout ({run.holdout['days']} days): {run.holdout['predicted']:.1f} repeat purchases predicted, "
            f"{run.holdout['actual']} made; mean absolute error per customer {run.holdout['mae']:.3f}."
        )
    return lines


def _json(run: ClvRun) -> str:
    return json.dumps(
        {
            "run": run.pk,
            **run.bgnbd_params,
            **run.gamma_gamma_params,
            "customers": run.n_customers,
            "repeat_customers": run.n_repeat,
            "log_likelihood": run.log_likelihood,
            "calibration_end": run.calibration_end.isoformat(),
            "holdout_end": run.holdout_end.isoformat() if run.holdout_end else None,
            "unit": run.unit,
            "horizon": run.horizon,
            "expected_revenue": run.summary["expected_revenue"],
            "holdout": run.holdout or None,
            "timings": run.timings,
        }
    )
