"""The buy-till-you-die models: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee 2005b).

Pure numpy/scipy, no Django: every function takes arrays over customers and
works on all of them at once, never with a Python loop per customer.

The per-customer inputs, in one time unit (days or weeks):
- x: the number of repeat purchase periods (frequency);
- t_x: the time from the first purchase to the last (recency);
- T: the time from the first purchase to the end of calibration (the customer's age);
- m: the mean value of the repeat periods (Gamma-Gamma only, customers with x > 0).

The likelihoods are the published closed forms, evaluated in log space. The fits
minimise the mean negative log-likelihood over log-parameters (so every parameter
stays positive) with BFGS and the analytic gradient, with an optional L2 penalty on
the parameters. Speed at a million customers (well under a second of CPU for both
fits) comes from: terms that depend only on x (gammaln(r+x), …) computed once per
distinct x; data rescaled so that one start suits every unit and currency and the
optimiser needs about 20 iterations; the hypergeometric function behind the
expectations evaluated once per distinct (x, T) rather than once per customer; and
no BLAS calls in the hot loop (OpenBLAS threads spin on a busy machine).
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

Array = NDArray[np.float64]
Index = NDArray[np.intp]
P = TypeVar("P")

# Average month length (365.25 / 12 days) for turning a horizon in months into the run's unit.
DAYS_PER_MONTH = 30.4375
UNIT_DAYS = {"days": 1.0, "weeks": 7.0}

# The optimiser's budget and limits. The fits take 15–40 iterations on real and simulated data.
# The gradient (of the mean log-likelihood, per log-parameter) is small enough when the parameters
# stop moving in their 6th digit. A log-parameter beyond ±LOG_BOUND after rescaling (see _fit) is
# far outside any sensible value: the parameter ran away, and the fit is refused.
MAX_ITERATIONS = 1000
GRADIENT_TOLERANCE = 1e-7
LOG_BOUND = 18.0


class FitError(Exception):
    """The data cannot be fitted (no customers, impossible values) or the optimiser did not converge."""


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


def _dot(u: Array, v: Array) -> float:
    """Σ u·v without BLAS: OpenBLAS threads its dot product on long vectors, and on a busy machine
    its spinning threads made a fit at 20,000 customers 100 times slower (2.8 s instead of 0.03 s)."""
    return float(np.einsum("i,i->", u, v))


def _sum_by(index: Index, weights: Array, size: int) -> Array:
    """The weights summed per index value (0 … size-1)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64)


def _by_value(x: Array) -> tuple[Array, Index]:
    """The distinct values of x and each element's index into them.

    Frequencies are counts, so usually x minus its minimum is the index (no sort); anything else goes through
    np.unique. Values in the range that do not occur get weight 0.
    """
    if x.size and x.min() >= 0 and x.max() - x.min() <= 1_000_000 and np.array_equal(x, np.floor(x)):
        low = int(x.min())
        return np.arange(low, int(x.max()) + 1, dtype=np.float64), (x - low).astype(np.intp)
    values, index = np.unique(x, return_inverse=True)
    return values, index.ravel()


# --- BG/NBD -----------------------------------------------------------------


def bgnbd_log_likelihood(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """Each customer's log-likelihood, equation (6) of Fader, Hardie & Lee (2005):

    L = Γ(r+x) α^r / Γ(r) · B(a, b+x) / B(a, b) · [(α+T)^-(r+x) + 1{x>0} a/(b+x-1) (α+t_x)^-(r+x)]
    """
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xs, index = _by_value(x)
    head = (gammaln(r + xs) - gammaln(r) + r * np.log(alpha) + betaln(a, b + xs) - betaln(a, b))[index]
    log_death = (np.log(a) - np.log(b + np.maximum(xs, 1) - 1))[index]
    not_bought_since = -(r + x) * np.log(alpha + T)
    died_after_last = np.where(x > 0, log_death - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(not_bought_since, died_after_last)


def bgnbd_p_alive(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:  # noqa: N803
    """P(still active | x, t_x, T): 1 without repeat purchases, falling as time since the last one grows."""
    x, t_x, T = _arrays(x, t_x, T)
    return np.where(x > 0, expit(-_log_death_odds(params, x, t_x, T)), 1.0)


def _log_death_odds(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:  # noqa: N803
    """log[a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)], the odds that the customer became inactive after the last purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def _alive_purchases(params: BgNbdParams, t: Array | float, x: Array, T: Array) -> Array:  # noqa: N803
    """The numerator of equation (10): expected purchases in (T, T+t] of a customer known to be alive at T,

    (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z)],  z = t/(α+T+t),

    evaluated after Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) · 2F1(C-A, C-B; C; z):
    (1-z)^(r+x) · 2F1(r+x, b+x; …) = (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z). As published, the
    function overflows for loyal customers over long horizons (CDNOW's parameters in days, a 10-year
    horizon: inf or nan from x ≈ 280 repeat days); transformed, x is left only in C and it stays finite.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    shrink = np.exp((a - 1) * (np.log(alpha + T) - np.log(alpha + T + t)))  # (1-z)^(a-1)
    return (a + b + x - 1) / (a - 1) * (1.0 - shrink * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z))


def _distinct_pairs(x: Array, T: Array) -> tuple[Array, Array, Index]:  # noqa: N803
    """The distinct (x, T) rows and each customer's index into them: the expectations depend on
    t_x only through p_alive, and customers share (x, T) far more often than (x, t_x, T)."""
    (xs, Ts), _, index = compress(x, T)
    return xs, Ts, index


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
    if t.ndim == 0 and x.ndim == 1 and x.shape == T.shape:
        xs, Ts, index = _distinct_pairs(x, T)
        alive = _alive_purchases(params, t, xs, Ts)[index]
    else:
        alive = _alive_purchases(params, t, x, T)
    return alive * bgnbd_p_alive(params, x, t_x, T)


def bgnbd_expected_purchases_new(params: BgNbdParams, t: float | ArrayLike) -> Array:
    """E[X(t)] for a customer just acquired, equation (9): the population's expected repeat purchases."""
    t = np.asarray(t, dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


@dataclass(frozen=True)
class _BgNbdData:
    """A BG/NBD sample split the way the likelihood splits: customers without repeat purchases
    contribute r·log(α/(α+T)) and need only T; the others need the per-x terms."""

    T0: Array  # T of the customers with x = 0
    w0: Array
    xs: Array  # the distinct x of the repeat customers
    weight_by_x: Array  # the total weight of each distinct x
    index: Index  # each repeat customer's index into xs
    x: Array
    t_x: Array
    T: Array
    w: Array
    total: float  # the total weight, for the mean


def _bgnbd_data(x: Array, t_x: Array, T: Array, w: Array) -> _BgNbdData:  # noqa: N803
    repeat = x > 0
    xr = x[repeat]
    xs, index = _by_value(xr)
    wr = w[repeat]
    return _BgNbdData(
        T0=T[~repeat],
        w0=w[~repeat],
        xs=xs,
        weight_by_x=_sum_by(index, wr, xs.size),
        index=index,
        x=xr,
        t_x=t_x[repeat],
        T=T[repeat],
        w=wr,
        total=float(w.sum()),
    )


def _bgnbd_mean_ll(theta: Array, d: _BgNbdData) -> tuple[float, Array]:
    """The weighted mean log-likelihood and its gradient with respect to (r, α, a, b)."""
    r, alpha, a, b = theta
    # No repeat purchase: log L = r·log(α/(α+T)).
    log_share0 = np.log(alpha) - np.log(alpha + d.T0)
    ll = r * _dot(d.w0, log_share0)
    grad = np.array([_dot(d.w0, log_share0), r * _dot(d.w0, 1.0 / alpha - 1.0 / (alpha + d.T0)), 0.0, 0.0])
    if d.x.size:
        # Repeat customers: log L = head(x) - (r+x)·log(α+T) + log(1 + e^δ), with
        # δ = log a - log(b+x-1) + (r+x)·log((α+T)/(α+t_x)) the log-odds of having died after the last purchase.
        cx = d.weight_by_x
        head = gammaln(r + d.xs) - gammaln(r) + r * np.log(alpha) + betaln(a, b + d.xs) - betaln(a, b)
        log_b = np.log(b + d.xs - 1)
        rx = r + d.x
        log_T = np.log(alpha + d.T)
        gap = log_T - np.log(alpha + d.t_x)
        delta = (np.log(a) - log_b)[d.index] + rx * gap
        # log(1 + e^δ) and the logistic 1/(1 + e^-δ) from one exponential (np.logaddexp is 10 times slower).
        small = np.exp(-np.abs(delta))
        softplus = np.maximum(delta, 0.0) + np.log1p(small)
        ll += _dot(cx, head) - _dot(d.w, rx * log_T) + _dot(d.w, softplus)
        # the weight of "died after the last purchase" in each customer's likelihood
        dead = d.w * np.where(delta >= 0, 1.0, small) / (1.0 + small)
        inv_T, inv_tx = 1.0 / (alpha + d.T), 1.0 / (alpha + d.t_x)
        grad += [
            _dot(cx, digamma(r + d.xs) - digamma(r) + np.log(alpha)) - _dot(d.w, log_T) + _dot(dead, gap),
            cx.sum() * r / alpha - _dot(d.w * rx, inv_T) + _dot(dead * rx, inv_T - inv_tx),
            _dot(cx, digamma(a + b) - digamma(a + b + d.xs)) + dead.sum() / a,
            _dot(cx, digamma(b + d.xs) - digamma(a + b + d.xs) - digamma(b) + digamma(a + b))
            - _dot(_sum_by(d.index, dead, d.xs.size), 1.0 / (b + d.xs - 1)),
        ]
    return float(ll) / d.total, grad / d.total


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
    w = _weights(weights, x, what="customers")
    _check_finite(x, t_x, T, what="BG/NBD")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T) or np.any((x > 0) & (t_x <= 0)):
        # A repeat purchase at the moment of the first makes the likelihood unbounded (α → 0 wins).
        raise FitError(
            "The BG/NBD fit needs 0 ≤ recency ≤ T and a recency above 0 for every customer with repeat purchases."
        )
    if not np.any((x > 0) & (w > 0)):
        # Without a repeat purchase r and α run off and a and b are not identified at all.
        raise FitError("No customer has bought again yet: the BG/NBD fit needs repeat purchases.")
    # Time is rescaled so that the mean age is 1: α scales with the unit, r, a and b do not,
    # so the same start (all ones) suits days and weeks alike.
    scale = float(np.average(T, weights=w)) or 1.0
    data = _bgnbd_data(x, t_x / scale, T / scale, w)
    unit = np.array([1.0, scale, 1.0, 1.0])

    def mean_ll(theta: Array) -> tuple[float, Array]:
        return _bgnbd_mean_ll(theta, data)

    theta, iterations = _fit(mean_ll, start=np.ones(4), unit=unit, penalizer=penalizer, what="BG/NBD")
    params = BgNbdParams(*(float(value) for value in theta * unit))
    total = float(_dot(w, bgnbd_log_likelihood(params, x, t_x, T)))
    return Fit(params=params, log_likelihood=total, iterations=iterations)


# --- Gamma-Gamma ------------------------------------------------------------


def gamma_gamma_log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """Each repeat customer's log-likelihood of their mean value m over x periods (x > 0, m > 0)."""
    x, m = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    xs, index = _by_value(x)
    per_x = (gammaln(p * xs + q) - gammaln(p * xs) - gammaln(q) + q * np.log(v) + p * xs * np.log(xs))[index]
    return per_x + (p * x - 1) * np.log(m) - (p * x + q) * np.log(x * m + v)


def gamma_gamma_expected_value(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> Array:
    """E[value of a purchase | x, m]: a weighted mean of the population mean p·v/(q-1) and the customer's own m.

    Customers without repeat purchases (x = 0) get the population mean.
    """
    x, m = _arrays(x, m)
    p, q, v = params.p, params.q, params.v
    return (p * (v + x * m)) / (p * x + q - 1)


@dataclass(frozen=True)
class _GammaGammaData:
    xs: Array  # the distinct x
    weight_by_x: Array
    x: Array
    xm: Array  # x·m, the customer's total over the repeat periods
    w: Array
    wx: Array  # w·x
    sum_log_m: float  # Σ w·log m and Σ w·x·log m do not depend on the parameters
    sum_x_log_m: float
    total: float


def _gamma_gamma_data(x: Array, m: Array, w: Array) -> _GammaGammaData:
    xs, index = _by_value(x)
    log_m = np.log(m)
    return _GammaGammaData(
        xs=xs,
        weight_by_x=_sum_by(index, w, xs.size),
        x=x,
        xm=x * m,
        w=w,
        wx=w * x,
        sum_log_m=float(_dot(w, log_m)),
        sum_x_log_m=float(_dot(w * x, log_m)),
        total=float(w.sum()),
    )


def _gamma_gamma_mean_ll(theta: Array, d: _GammaGammaData) -> tuple[float, Array]:
    """The weighted mean log-likelihood and its gradient with respect to (p, q, v)."""
    p, q, v = theta
    cx, xs = d.weight_by_x, d.xs
    px = p * xs
    head = gammaln(px + q) - gammaln(px) + px * np.log(xs)
    log_total = np.log(d.xm + v)
    sum_log, sum_x_log = _dot(d.w, log_total), _dot(d.wx, log_total)
    ll = (
        _dot(cx, head)
        + d.total * (q * np.log(v) - gammaln(q))
        + p * d.sum_x_log_m
        - d.sum_log_m
        - p * sum_x_log
        - q * sum_log
    )
    psi_pxq = digamma(px + q)
    grad = np.array(
        [
            _dot(cx * xs, psi_pxq - digamma(px) + np.log(xs)) + d.sum_x_log_m - sum_x_log,
            _dot(cx, psi_pxq) + d.total * (np.log(v) - digamma(q)) - sum_log,
            d.total * q / v - _dot(p * d.wx + q * d.w, 1.0 / (d.xm + v)),
        ]
    )
    return float(ll) / d.total, grad / d.total


def fit_gamma_gamma(
    x: ArrayLike, m: ArrayLike, *, weights: ArrayLike | None = None, penalizer: float = 0.0
) -> Fit[GammaGammaParams]:
    """Maximum-likelihood Gamma-Gamma parameters over customers with x > 0 and m > 0 (others are ignored)."""
    x, m = _arrays(x, m)
    w = _weights(weights, x, what="customers with repeat purchases")
    _check_finite(x, m[x > 0], what="Gamma-Gamma")  # the mean value of a customer without repeat periods is moot
    keep = (x > 0) & (m > 0)
    x, m, w = x[keep], m[keep], w[keep]
    if w.sum() <= 0:
        raise FitError("There are no customers with repeat purchases to fit the spend model on.")
    # Money is rescaled so that the mean spend is 1: v scales with the currency, p and q do not.
    scale = float(np.average(m, weights=w))
    data = _gamma_gamma_data(x, m / scale, w)
    unit = np.array([1.0, 1.0, scale])

    def mean_ll(theta: Array) -> tuple[float, Array]:
        return _gamma_gamma_mean_ll(theta, data)

    # With p = 1 and q = 2 the population's mean spend p·v/(q-1) is v = 1, the rescaled sample mean.
    theta, iterations = _fit(
        mean_ll, start=np.array([1.0, 2.0, 1.0]), unit=unit, penalizer=penalizer, what="Gamma-Gamma"
    )
    params = GammaGammaParams(*(float(value) for value in theta * unit))
    total = float(_dot(w, gamma_gamma_log_likelihood(params, x, m)))
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
    Σ_i (E[purchases up to month i] − E[… up to month i−1]) · E[value] / (1 + d)^i.

    p_alive is the only factor of E[…] that depends on t_x and it does not change with i, so the
    discounted sum of the monthly increments is computed once per distinct (x, T).
    """
    x, t_x, T, value = _arrays(x, t_x, T, expected_value)
    month = DAYS_PER_MONTH / UNIT_DAYS[unit]
    xs, Ts, index = _distinct_pairs(x, T)
    discounted = np.zeros_like(xs)
    before = np.zeros_like(xs)
    for i in range(1, months + 1):  # one vectorised step per month, not per customer
        upto = _alive_purchases(bgnbd, i * month, xs, Ts)
        discounted += (upto - before) / (1.0 + discount_rate) ** i
        before = upto
    return discounted[index] * bgnbd_p_alive(bgnbd, x, t_x, T) * value


# --- helpers ----------------------------------------------------------------


def compress(*columns: ArrayLike) -> tuple[list[Array], Array, NDArray[np.intp]]:
    """The distinct rows of the columns, their counts, and each input row's index into them.

    Customers with the same (x, t_x, T) have the same likelihood and predictions, so a fit over
    the distinct rows weighted by their counts is the same fit over fewer rows. The rows come
    out sorted (first column first), as np.unique(axis=0) sorts them, but each column is
    ranked on its own and the ranks packed into one integer key: at a million rows that is
    one sort instead of a sort of rows (0.15 s instead of 18 s on a busy machine).
    """
    arrays = [array.ravel() for array in _arrays(*columns)]
    key = np.zeros(arrays[0].size, dtype=np.int64)
    span = 1  # every key is below span
    for array in arrays:
        column_values, ranks = _by_value(array)  # counts and whole days need no sort
        if span * column_values.size >= 2**62:  # re-rank the key so far before it outgrows 64 bits
            distinct, key = np.unique(key, return_inverse=True)
            span = distinct.size
        key = key * column_values.size + ranks
        span *= max(column_values.size, 1)
    unique_keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    some_row = np.empty(unique_keys.size, dtype=np.intp)
    some_row[inverse] = np.arange(key.size)  # the rows of a group are equal, so any one will do
    return [array[some_row] for array in arrays], counts.astype(np.float64), inverse


def _weights(weights: ArrayLike | None, x: Array, *, what: str) -> Array:
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise FitError(f"There are no {what} to fit.")
    return w


def _check_finite(*columns: Array, what: str) -> None:
    if not all(np.all(np.isfinite(column)) for column in columns):
        raise FitError(f"The {what} fit was given values that are not finite numbers.")


def _fit(
    mean_ll: Callable[[Array], tuple[float, Array]],
    *,
    start: Array,
    unit: Array,
    penalizer: float,
    what: str,
) -> tuple[Array, int]:
    """Minimise −mean log-likelihood + penalizer·Σθ² (θ in the caller's units) over log θ.

    Returns θ (rescaled) and the number of iterations. `unit` turns rescaled parameters back into
    the caller's units, so the penalty means the same whatever the rescaling.
    """

    def objective(log_theta: Array) -> tuple[float, Array]:
        theta = np.exp(log_theta)
        value, grad = mean_ll(theta)
        penalty = penalizer * (theta * unit) ** 2
        return -value + float(penalty.sum()), -grad * theta + 2.0 * penalty

    # BFGS rather than L-BFGS-B: with four parameters it needs no memory limit, and L-BFGS-B's
    # Fortran core calls OpenBLAS, whose threads spin on a busy machine (20 ms per iteration).
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a wild trial step is rejected, not fatal
        result = minimize(
            objective,
            np.log(start),
            jac=True,
            method="BFGS",
            options={"maxiter": MAX_ITERATIONS, "gtol": GRADIENT_TOLERANCE},
        )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitError(f"The {what} fit did not converge: the parameters are not finite numbers.")
    if not result.success and not _stalled_at_optimum(result):
        raise FitError(f"The {what} fit did not converge: {result.message}")
    if np.any(np.abs(result.x) > LOG_BOUND):
        raise FitError(f"The {what} fit did not converge: a parameter ran off to {'0' if result.x.min() < 0 else '∞'}.")
    return np.exp(result.x), int(result.nit)


def _stalled_at_optimum(result) -> bool:
    """BFGS stops with 'precision loss' when the line search cannot improve a value that is already
    optimal to machine precision; that is convergence, unless the gradient says otherwise."""
    return result.status == 2 and result.nit > 0 and float(np.max(np.abs(result.jac))) < 1e-5
