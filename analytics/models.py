"""RFM scoring: the segment rules, each scoring run, and one score row per customer and run."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.history import ConfigHistory
from customers.models import Customer

SCORES = range(1, 6)
# Every R+F pair a rule can match: "11" … "55".
RF_CELLS = tuple(f"{r}{f}" for r in SCORES for f in SCORES)


def validate_rf_pattern(value: str) -> None:
    try:
        compiled = re.compile(value)
    except re.error as error:
        raise ValidationError(_("Not a valid pattern: %(error)s"), params={"error": error}) from error
    if not any(compiled.fullmatch(cell) for cell in RF_CELLS):
        raise ValidationError(_("The pattern matches no R+F pair from 11 to 55."))


class RfmSegment(models.Model):
    """A named group of R+F cells, chosen by a pattern; later rules override earlier ones."""

    position = models.PositiveSmallIntegerField(
        _("position"), help_text=_("Rules are applied in this order; a later rule overrides an earlier one.")
    )
    pattern = models.CharField(
        _("R+F pattern"),
        max_length=60,
        validators=[validate_rf_pattern],
        help_text=_("A regular expression matched against the two digits R and F, e.g. [1-2][3-4] or 33."),
    )
    name = models.CharField(_("name"), max_length=60, unique=True)
    meaning = models.CharField(_("what it means"), max_length=200, blank=True)
    action = models.CharField(_("suggested action"), max_length=200, blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d", help_text=_("Hex colour, e.g. #198754."))

    history = ConfigHistory()

    class Meta:
        verbose_name = _("RFM segment")
        verbose_name_plural = _("RFM segments")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.display_name

    # The default segments' texts are in the translation catalogue; admins' own texts show as typed.
    @property
    def display_name(self) -> str:
        return gettext(self.name)

    @property
    def display_meaning(self) -> str:
        return gettext(self.meaning) if self.meaning else ""

    @property
    def display_action(self) -> str:
        return gettext(self.action) if self.action else ""

    def matches(self, cell: str) -> bool:
        return re.fullmatch(self.pattern, cell) is not None


class RfmRun(models.Model):
    """One scoring run. Its summary is kept for ever; its score rows only for the latest runs."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        USER = "user", _("User")
        COMMAND = "command", _("Command")

    as_of = models.DateField(_("as of"))
    window_days = models.PositiveIntegerField(_("window (days)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    trigger = models.CharField(_("started by"), max_length=16, choices=Trigger, default=Trigger.SCHEDULE)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    n_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    # {"segments": {segment id: {...figures}}, "cells": {"RF": count}, "cell_segments": {"RF": id}, ...}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    scores_kept = models.BooleanField(_("scores kept"), default=True)

    class Meta:
        verbose_name = _("RFM run")
        verbose_name_plural = _("RFM runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return _("RFM run %(id)s as of %(as_of)s") % {"id": self.pk, "as_of": self.as_of.isoformat()}


class RfmScore(models.Model):
    """One customer's scores in one run, written only by the set-based scoring statement.

    No foreign-key constraints in the database: the rows are written by one
    INSERT … SELECT from existing orders and runs, and the checks would cost a
    trigger call per row (a million per run). The composite primary key
    (run, customer) is the only index; it serves drill-downs (one run) and a
    customer's history (one probe per kept run).
    """

    pk = models.CompositePrimaryKey("run", "customer")
    run = models.ForeignKey(RfmRun, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    recency_days = models.PositiveIntegerField(_("recency (days)"))
    frequency = models.PositiveIntegerField(_("frequency"))
    monetary = models.DecimalField(_("monetary"), max_digits=16, decimal_places=2)
    r_score = models.PositiveSmallIntegerField("R")
    f_score = models.PositiveSmallIntegerField("F")
    m_score = models.PositiveSmallIntegerField("M")
    segment = models.ForeignKey(
        RfmSegment, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")

    def __str__(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"


class ClvRun(models.Model):
    """One fit of the buy-till-you-die models (BG/NBD and Gamma-Gamma) and its scoring.

    The fitted parameters, the calibration/holdout figures and the timings are kept
    for ever; the per-customer ClvScore rows only for the latest runs, as for RFM.
    """

    class Unit(models.TextChoices):
        DAYS = "days", _("days")
        WEEKS = "weeks", _("weeks")

    Trigger = RfmRun.Trigger

    calibration_end = models.DateField(_("calibration end"))
    holdout_end = models.DateField(_("holdout end"), null=True, blank=True)
    unit = models.CharField(_("time unit"), max_length=5, choices=Unit, default=Unit.WEEKS)
    horizon = models.FloatField(_("horizon (in the unit)"))
    discount_rate = models.FloatField(_("monthly discount rate"))
    penalizer = models.FloatField(_("L2 penalty"), default=0.0)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    trigger = models.CharField(_("started by"), max_length=16, choices=RfmRun.Trigger, default=RfmRun.Trigger.SCHEDULE)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # {"r": …, "alpha": …, "a": …, "b": …} and {"p": …, "q": …, "v": …}
    bgnbd_params = models.JSONField(_("BG/NBD parameters"), default=dict, blank=True)
    gamma_gamma_params = models.JSONField(_("Gamma-Gamma parameters"), default=dict, blank=True)
    log_likelihood = models.FloatField(_("log-likelihood"), null=True, blank=True)
    n_customers = models.PositiveIntegerField(_("customers fitted"), default=0)
    n_repeat = models.PositiveIntegerField(_("customers with repeat purchases"), default=0)
    # {"predicted": …, "actual": …, "mae": …, "by_frequency": [{"frequency": 0, "customers": …,
    #  "predicted": …, "actual": …}, …]} when the run has a holdout end; {} otherwise.
    holdout = models.JSONField(_("holdout check"), default=dict, blank=True)
    # {"summary_s": …, "bgnbd_s": …, "gamma_gamma_s": …, "scores_s": …, "peak_mb": …}
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    # Totals for the report page, so it never scans the scores: expected revenue over the
    # horizon, the CLV distribution's buckets, counts by p_alive band.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    scores_kept = models.BooleanField(_("scores kept"), default=True)

    class Meta:
        verbose_name = _("CLV run")
        verbose_name_plural = _("CLV runs")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return _("CLV run %(id)s to %(end)s") % {"id": self.pk, "end": self.calibration_end.isoformat()}


class ClvScore(models.Model):
    """One customer's summary and predictions in one CLV run, written set-based.

    No foreign-key constraints, as for RfmScore: a million rows per run are
    written in bulk from existing customers. Recency and T are in the run's unit.
    """

    pk = models.CompositePrimaryKey("run", "customer")
    run = models.ForeignKey(ClvRun, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    # No reverse accessor on Customer, but a query name: the customer list sorts by CLV
    # with a join on one run's scores (the (run, -clv) index), not a subquery per customer.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        related_query_name="clv_scores",
    )
    frequency = models.PositiveIntegerField(_("repeat purchase periods"))
    recency = models.FloatField(_("recency"))
    T = models.FloatField(_("age (T)"))  # noqa: N815 - the literature's name for the customer's age
    monetary_value = models.DecimalField(_("mean repeat value"), max_digits=16, decimal_places=2)
    p_alive = models.FloatField(_("probability still active"))
    expected_purchases = models.FloatField(_("expected purchases"))
    expected_average_value = models.DecimalField(_("expected average value"), max_digits=16, decimal_places=2)
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("CLV score")
        verbose_name_plural = _("CLV scores")
        indexes = [
            # The report's top customers and the list's CLV sort, within one run.
            models.Index(fields=["run", "-clv"], name="clvscore_run_clv_idx"),
            models.Index(fields=["run", "p_alive"], name="clvscore_run_palive_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.clv}"
