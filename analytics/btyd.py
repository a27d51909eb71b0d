"""The buy-till-you-die models: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee 2005b).

Pure numpy/scipy, no Django: every function takes arrays over customers and
works on all of them at once, never with a Python loop per customer.

The per-customer inputs, in one time unit (days or weeks):
- x: the number of repeat purchase periods (frequency);
- t_x: the time from the first purchase to the last (recency);
- T: the time from the first purchase to the end of calibration (the customer's age);
- m: the mean value of the repeat periods (Gamma-Gamma only, customers with x > 0).

The likelihoods are the published closed forms, evaluated in log space; the fit
minimises the mean negative log-likelihood over log-parameters (so every
parameter stays positive) with an optional L2 penalty on the parameters.
"""

from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

Array = NDArray[np.float64]
P = TypeVar("P")

# Average month length (365.25 / 12 days) for turning a horizon in months into the run's unit.
DAYS_PER_MONTH = 30.4375
UNIT_DAYS = {"days": 1.0, "weeks": 7.0}


class FitError(Exception):
    """The optimiser did not converge, or converged to parameters that are not finite."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Fit(Generic[P]):
    params: P
    log_likelihood: float  # the sum over customers, without the penalty
    iterations: int


def _arrays(*values: ArrayLike) -> list[Array]:
    return [np.asarray(value, dtype=np.float64) for value in values]


# --- BG/NBD -----------------------------------------------------------------


def bgnbd_log_likelihood(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """Each customer's log-likelihood, equation (6) of Fader, Hardie & Lee (2005):

    L = Γ(r+x) α^r / Γ(r) · B(a, b+x) / B(a, b) · [(α+T)^-(r+x) + 1{x>0} a/(b+x-1) (α+t_x)^-(r+x)]
    """
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    not_bought_since = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    died_after_last = np.full_like(x, -np.inf)
    died_after_last[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    return head + np.logaddexp(not_bought_since, died_after_last)


def bgnbd_p_alive(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """P(still active | x, t_x, T): 1 without repeat purchases, falling as time since the last one grows."""
    x, t_x, T = _arrays(x, t_x, T)
    odds = _log_death_odds(params, x, t_x, T)
    return np.where(x > 0, 1.0 / (1.0 + np.exp(odds)), 1.0)


def _log_death_odds(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:  # noqa: N803
    """log[a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)], the odds that the customer became inactive after the last purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def bgnbd_expected_purchases(
    params: BgNbdParams,
    t: float | ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> Array:
    """E[purchases in (T, T+t] | x, t_x, T], equation (10) of Fader, Hardie & Lee (2005)."""
    x, t_x, T = _arrays(x, t_x, T)
    t = np.asarray(t, dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    # (α+T)/(α+T+t) raised to r+x, in log space: r+x can be large for loyal customers.
    shrink = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    alive_part = (a + b + x - 1) / (a - 1) * (1.0 - shrink * hyp2f1(r + x, b + x, a + b + x - 1, z))
    odds = np.where(x > 0, np.exp(_log_death_odds(params, x, t_x, T)), 0.0)
    return alive_part / (1.0 + odds)


def bgnbd_expected_purchases_new(params: BgNbdParams, t: float | ArrayLike) -> Array:
    """E[X(t)] for a customer just acquired, equation (9): the population's expected repeat purchases."""
    t = np.asarray(t, dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
    *,
    weights: ArrayLike | None = None,
    penalizer: float = 0.0,
) -> Fit[BgNbdParams]:
    """Maximum-likelihood BG/NBD parameters. `weights` counts identical customers (see `compress`)."""
    x, t_x, T = _arrays(x, t_x, T)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.sum() == 0:
        raise FitError("There are no customers to fit.")

    def objective(log_params: Array) -> float:
        params = BgNbdParams(*np.exp(log_params))
        mean_ll = np.dot(w, bgnbd_log_likelihood(params, x, t_x, T)) / w.sum()
        return -mean_ll + penalizer * float(np.sum(np.exp(log_params) ** 2))

    start = np.log([1.0, max(float(np.average(T, weights=w)), 1e-3), 1.0, 1.0])
    log_params, iterations = _minimise(objective, start, what="BG/NBD")
    params = BgNbdParams(*(float(value) for value in np.exp(log_params)))
    total = float(np.dot(w, bgnbd_log_likelihood(params, x, t_x, T)))
    return Fit(params=params, log_likelihood=total, iterations=iterations)


# --- Gamma-Gamma ------------------------------------------------------------


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """Each repeat customer's log-likelihood of their mean value m over x periods (x > 0, m > 0)."""
    x, m = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


def gamma_gamma_expected_value(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """E[value of a purchase | x, m]: a weighted mean of the population mean p·v/(q-1) and the customer's own m.

    Customers without repeat purchases (x = 0) get the population mean.
    """
    x, m = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    return (p * (v + x * m)) / (p * x + q - 1)


def fit_gamma_gamma(
    x: ArrayLike, m: ArrayLike, *, weights: ArrayLike | None = None, penalizer: float = 0.0
) -> Fit[GammaGammaParams]:
    """Maximum-likelihood Gamma-Gamma parameters over customers with x > 0 and m > 0 (others are ignored)."""
    x, m = _arrays(x, m)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    x, m, w = x[keep], m[keep], w[keep]
    if w.sum() == 0:
        raise FitError("There are no customers with repeat purchases to fit the spend model on.")

    def objective(log_params: Array) -> float:
        params = GammaGammaParams(*np.exp(log_params))
        mean_ll = np.dot(w, gamma_gamma_log_likelihood(params, x, m)) / w.sum()
        return -mean_ll + penalizer * float(np.sum(np.exp(log_params) ** 2))

    start = np.log([1.0, 2.0, max(float(np.average(m, weights=w)), 1e-3)])
    log_params, iterations = _minimise(objective, start, what="Gamma-Gamma")
    params = GammaGammaParams(*(float(value) for value in np.exp(log_params)))
    total = float(np.dot(w, gamma_gamma_log_likelihood(params, x, m)))
    return Fit(params=params, log_likelihood=total, iterations=iterations)


# --- CLV --------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,  # noqa: N803
    expected_value: ArrayLike,
    *,
    months: int,
    unit: str,
    discount_rate: float,
) -> Array:
    """The discounted value of each customer's expected purchases over the next `months` months:
    Σ_i (E[purchases up to month i] − E[… up to month i−1]) · E[value] / (1 + d)^i."""
    x, t_x, T, value = _arrays(x, t_x, T, expected_value)
    month = DAYS_PER_MONTH / UNIT_DAYS[unit]
    total = np.zeros_like(x)
    before = np.zeros_like(x)
    for i in range(1, months + 1):  # one vectorised step per month, not per customer
        upto = bgnbd_expected_purchases(bgnbd, i * month, x, t_x, T)
        total += (upto - before) * value / (1.0 + discount_rate) ** i
        before = upto
    return total


# --- helpers ----------------------------------------------------------------


def compress(*columns: ArrayLike) -> tuple[list[Array], Array, NDArray[np.intp]]:
    """The distinct rows of the columns, their counts, and each input row's index into them.

    Customers with the same (x, t_x, T) have the same likelihood and predictions, so a fit over
    the distinct rows weighted by their counts is the same fit over fewer rows.
    """
    stacked = np.column_stack(_arrays(*columns))
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64), inverse.ravel()


def _minimise(objective, start: Array, *, what: str) -> tuple[Array, int]:
    result = minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-10, "adaptive": True},
    )
    if not result.success or not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitError(f"The {what} fit did not converge: {result.message}")
    return result.x, int(result.nit)
