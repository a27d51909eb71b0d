"""analytics.btyd against the papers: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers
the easy way") and Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013).

The recovery tests simulate the models' own generative stories with the parameters the papers
report for CDNOW and fit them back. How many customers that takes is a matter of sampling noise,
not of the code: over 40 seeds at 100,000 customers the fitted a and b spread by 3.2% and 3.9%
(one standard deviation; p and v of the spend model by 1.8% and 2.6% at 80,000 repeat customers),
so at 20,000 customers a 5% miss on b is an ordinary draw (1.1 sd of 8.8%). One million customers
bring those spreads to 1.0% and 1.2%: 5% is then four standard deviations away, for any seed.
The seed (2005, the papers' year) was fixed before the first run and never changed.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import hyp2f1

from analytics import btyd

CDNOW = btyd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # BG/NBD paper, section 5 (weeks)
CDNOW_SPEND = btyd.GammaGammaParams(p=6.25, q=3.74, v=15.44)  # Gamma-Gamma note, CDNOW (dollars)
CUSTOMERS = 1_000_000
SEED = 2005


def simulate_bgnbd(params: btyd.BgNbdParams, T: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(x, t_x) of customers observed for T after their first purchase, by the BG/NBD story:
    purchases arrive at a Poisson rate λ ~ Gamma(r, α); after each repeat purchase the customer
    drops out with probability p ~ Beta(a, b). One vectorised step per purchase round."""
    n = T.size
    rate = rng.gamma(shape=params.r, scale=1.0 / params.alpha, size=n)
    dropout = rng.beta(params.a, params.b, size=n)
    x, t_x, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.arange(n)
    while active.size:
        next_purchase = now[active] + rng.exponential(1.0 / rate[active])
        in_window = next_purchase <= T[active]
        active, next_purchase = active[in_window], next_purchase[in_window]
        x[active] += 1
        t_x[active] = now[active] = next_purchase
        active = active[rng.random(active.size) >= dropout[active]]
    return x, t_x


def simulate_spend(params: btyd.GammaGammaParams, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The mean of x purchase values, by the Gamma-Gamma story: each value ~ Gamma(p, ν), ν ~ Gamma(q, v)
    per customer; the sum of x of them is Gamma(p·x, ν)."""
    nu = rng.gamma(shape=params.q, scale=1.0 / params.v, size=x.size)
    return rng.gamma(shape=params.p * x, scale=1.0 / nu) / x


@pytest.fixture(scope="module")
def cdnow_like() -> dict[str, np.ndarray]:
    """A million customers like CDNOW's cohort: first purchases spread over 12 weeks, observed to week 39."""
    rng = np.random.default_rng(SEED)
    T = rng.uniform(39 - 12, 39, size=CUSTOMERS)
    x, t_x = simulate_bgnbd(CDNOW, T, rng)
    repeat = x > 0
    m = np.zeros(CUSTOMERS)
    m[repeat] = simulate_spend(CDNOW_SPEND, x[repeat], rng)
    return {"x": x, "t_x": t_x, "T": T, "m": m}


def small(sample: dict[str, np.ndarray], n: int = 20_000) -> dict[str, np.ndarray]:
    return {name: column[:n] for name, column in sample.items()}


def relative_errors(fitted: object, true: object) -> dict[str, float]:
    return {name: abs(value / getattr(true, name) - 1) for name, value in vars(fitted).items()}


# --- parameter recovery -------------------------------------------------------


def test_the_bgnbd_fit_recovers_every_cdnow_parameter_within_5_percent(cdnow_like):
    fit = btyd.fit_bgnbd(cdnow_like["x"], cdnow_like["t_x"], cdnow_like["T"])

    errors = relative_errors(fit.params, CDNOW)
    assert max(errors.values()) < 0.05, errors


def test_the_gamma_gamma_fit_recovers_every_cdnow_parameter_within_5_percent(cdnow_like):
    fit = btyd.fit_gamma_gamma(cdnow_like["x"], cdnow_like["m"])

    errors = relative_errors(fit.params, CDNOW_SPEND)
    assert max(errors.values()) < 0.05, errors


def test_a_fit_in_days_is_the_fit_in_weeks_with_alpha_times_seven(cdnow_like):
    sample = small(cdnow_like)
    weeks = btyd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"]).params
    days = btyd.fit_bgnbd(sample["x"], 7 * sample["t_x"], 7 * sample["T"]).params

    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-5)
    assert (days.r, days.a, days.b) == pytest.approx((weeks.r, weeks.a, weeks.b), rel=1e-5)


def test_the_fitted_log_likelihood_is_the_sum_over_customers_and_beats_the_true_parameters(cdnow_like):
    sample = small(cdnow_like)
    fit = btyd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"])

    per_customer = btyd.bgnbd_log_likelihood(fit.params, sample["x"], sample["t_x"], sample["T"])
    assert fit.log_likelihood == pytest.approx(per_customer.sum(), rel=1e-12)
    at_truth = btyd.bgnbd_log_likelihood(CDNOW, sample["x"], sample["t_x"], sample["T"]).sum()
    assert fit.log_likelihood > at_truth


# --- the likelihoods against the published formulas ---------------------------


def published_bgnbd_likelihood(params: btyd.BgNbdParams, x: int, t_x: float, T: float) -> float:
    """Equation (6) of the BG/NBD paper, term by term: L = A1 · A2 · (A3 + δ(x>0) · A4)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    a2 = math.exp(math.lgamma(a + b) + math.lgamma(b + x) - math.lgamma(b) - math.lgamma(a + b + x))
    a3 = (1 / (alpha + T)) ** (r + x)
    a4 = a / (b + x - 1) * (1 / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return a1 * a2 * (a3 + a4)


TRIPLES = [(0, 0.0, 38.86), (0, 0.0, 0.5), (1, 2.0, 30.0), (2, 30.43, 38.86), (7, 29.43, 35.0), (40, 38.0, 39.0)]


@pytest.mark.parametrize(("x", "t_x", "T"), TRIPLES)
def test_the_bgnbd_log_likelihood_is_the_published_formula(x, t_x, T):
    computed = btyd.bgnbd_log_likelihood(CDNOW, [x], [t_x], [T])[0]

    assert computed == pytest.approx(math.log(published_bgnbd_likelihood(CDNOW, x, t_x, T)), rel=1e-11)


def test_the_bgnbd_log_likelihood_of_many_customers_is_each_customers_formula():
    x, t_x, T = (np.array(column) for column in zip(*TRIPLES, strict=True))

    computed = btyd.bgnbd_log_likelihood(CDNOW, x, t_x, T)

    expected = [math.log(published_bgnbd_likelihood(CDNOW, *triple)) for triple in TRIPLES]
    assert computed == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize(("x", "m"), [(1, 12.5), (2, 40.0), (5, 3.2), (12, 4.5)])
def test_the_gamma_gamma_log_likelihood_is_the_published_density(x, m):
    p, q, v = CDNOW_SPEND.p, CDNOW_SPEND.q, CDNOW_SPEND.v
    # f(m | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m^(px-1) · x^(px) / (γ + m·x)^(px+q)
    density = (
        math.exp(math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q))
        * v**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (v + m * x) ** (p * x + q)
    )

    computed = btyd.gamma_gamma_log_likelihood(CDNOW_SPEND, [x], [m])[0]

    assert computed == pytest.approx(math.log(density), rel=1e-11)


# --- p_alive ------------------------------------------------------------------


def test_p_alive_is_one_for_customers_without_repeat_purchases():
    T = np.array([0.0, 1.0, 20.0, 39.0, 500.0])

    p_alive = btyd.bgnbd_p_alive(CDNOW, np.zeros(5), np.zeros(5), T)

    assert p_alive.tolist() == [1.0] * 5


def test_p_alive_falls_as_the_time_since_the_last_purchase_grows():
    T = np.array([10.0, 11.0, 15.0, 20.0, 30.0, 39.0, 80.0])

    p_alive = btyd.bgnbd_p_alive(CDNOW, np.full(7, 3.0), np.full(7, 10.0), T)

    assert p_alive[0] == pytest.approx(1 / (1 + CDNOW.a / (CDNOW.b + 3 - 1)))  # bought just now
    assert np.all(np.diff(p_alive) < 0)
    assert 0 < p_alive[-1] < 0.2


def test_p_alive_is_the_published_formula():
    x, t_x, T = 4, 12.0, 35.0
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    published = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))

    assert btyd.bgnbd_p_alive(CDNOW, [x], [t_x], [T])[0] == pytest.approx(published, rel=1e-12)


# --- expected purchases and CLV ---------------------------------------------------


@pytest.mark.parametrize("T", [0.0, 1e-9])
def test_a_customer_just_acquired_expects_the_unconditional_purchases_of_equation_9(T):
    t = np.array([1.0, 13.0, 39.0, 52.0, 78.0])

    conditional = btyd.bgnbd_expected_purchases(CDNOW, t, np.zeros(5), np.zeros(5), np.full(5, T))

    assert conditional == pytest.approx(btyd.bgnbd_expected_purchases_new(CDNOW, t), rel=1e-8)


def test_a_new_customer_starts_buying_at_the_mean_rate_r_over_alpha():
    t = np.array([1e-4, 1e-3])

    rate = btyd.bgnbd_expected_purchases_new(CDNOW, t) / t

    assert rate == pytest.approx([CDNOW.r / CDNOW.alpha] * 2, rel=1e-3)


def test_expected_purchases_grow_with_the_horizon():
    t = np.array([0.0, 1.0, 4.0, 13.0, 26.0, 52.0, 104.0])

    expected = btyd.bgnbd_expected_purchases(CDNOW, t, np.full(7, 2.0), np.full(7, 30.43), np.full(7, 38.86))

    assert expected[0] == 0.0
    assert np.all(np.diff(expected) > 0)


def test_the_expectation_over_distinct_x_and_T_is_each_customers_equation_10():
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 4, size=400).astype(float)
    T = rng.integers(1, 6, size=400).astype(float) * 7  # few distinct ages, many customers each
    t_x = np.where(x > 0, np.floor(rng.uniform(0, 1, size=400) * T), 0.0)
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b

    batch = btyd.bgnbd_expected_purchases(CDNOW, 26.0, x, t_x, T)

    for i in range(400):
        n, recency, age, t = x[i], t_x[i], T[i], 26.0
        top = (a + b + n - 1) / (a - 1)
        hyper = float(hyp2f1(r + n, b + n, a + b + n - 1, t / (alpha + age + t)))
        top *= 1 - ((alpha + age) / (alpha + age + t)) ** (r + n) * hyper
        bottom = 1 + (n > 0) * a / (b + n - 1) * ((alpha + age) / (alpha + recency)) ** (r + n)
        assert batch[i] == pytest.approx(top / bottom, rel=1e-10)


def expected_purchases_by_integration(params: btyd.BgNbdParams, t: float, x: int, t_x: float, T: float) -> float:
    """Equation (10) without the hypergeometric function. A customer alive at T with rate λ and dropout
    probability p makes (1 - e^(-λpt))/p purchases in the next t on average; given alive, λ ~ Gamma(r+x, α+T)
    (integrated out in closed form) and p ~ Beta(a, b+x) (integrated numerically); times P(alive)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b

    def bought_in_t(p: float) -> float:
        if p == 0:
            return (r + x) * t / (alpha + T)  # the limit: never dropping out, buying at the mean rate
        return -math.expm1(-(r + x) * math.log1p(p * t / (alpha + T))) / p

    integral, _ = quad(bought_in_t, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsabs=0, epsrel=1e-12)
    beta = math.exp(math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x))
    p_alive = 1 / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    return integral / beta * p_alive


IN_DAYS = btyd.BgNbdParams(r=CDNOW.r, alpha=7 * CDNOW.alpha, a=CDNOW.a, b=CDNOW.b)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [(0, 0, 0, 365.0), (3, 100, 200, 365.0), (150, 200, 210, 365.0), (200, 1000, 1095, 30.4), (300, 299, 300, 3652.5)],
)
def test_expected_purchases_agree_with_integrating_over_the_customers_rate_and_dropout(x, t_x, T, t):
    # The last case, a daily buyer over ten years, is inf in the closed form as published (see _alive_purchases).
    computed = btyd.bgnbd_expected_purchases(IN_DAYS, t, [x], [t_x], [T])[0]

    assert computed == pytest.approx(expected_purchases_by_integration(IN_DAYS, t, x, t_x, T), rel=1e-8)


def clv_inputs() -> tuple[np.ndarray, ...]:
    x = np.array([0.0, 1.0, 2.0, 7.0, 7.0])
    t_x = np.array([0.0, 5.0, 30.0, 35.0, 10.0])
    T = np.array([20.0, 38.0, 38.0, 38.0, 38.0])
    value = np.array([30.0, 25.0, 40.0, 55.0, 55.0])
    return x, t_x, T, value


def test_clv_without_discount_is_the_expected_purchases_over_the_horizon_times_the_expected_value():
    x, t_x, T, value = clv_inputs()

    clv = btyd.customer_lifetime_value(CDNOW, x, t_x, T, value, months=12, unit="weeks", discount_rate=0.0)

    year = 12 * btyd.DAYS_PER_MONTH / 7
    assert clv == pytest.approx(btyd.bgnbd_expected_purchases(CDNOW, year, x, t_x, T) * value, rel=1e-10)


def test_discounting_lowers_the_clv_of_every_customer():
    x, t_x, T, value = clv_inputs()
    kwargs = {"months": 12, "unit": "weeks"}

    plain = btyd.customer_lifetime_value(CDNOW, x, t_x, T, value, discount_rate=0.0, **kwargs)
    discounted = btyd.customer_lifetime_value(CDNOW, x, t_x, T, value, discount_rate=0.01, **kwargs)
    steeper = btyd.customer_lifetime_value(CDNOW, x, t_x, T, value, discount_rate=0.05, **kwargs)

    assert np.all(discounted > 0)
    assert np.all(discounted < plain)
    assert np.all(steeper < discounted)


def test_clv_in_days_is_clv_in_weeks():
    x, t_x, T, value = clv_inputs()
    in_days = btyd.BgNbdParams(r=CDNOW.r, alpha=7 * CDNOW.alpha, a=CDNOW.a, b=CDNOW.b)

    weeks = btyd.customer_lifetime_value(CDNOW, x, t_x, T, value, months=12, unit="weeks", discount_rate=0.01)
    days = btyd.customer_lifetime_value(in_days, x, 7 * t_x, 7 * T, value, months=12, unit="days", discount_rate=0.01)

    assert days == pytest.approx(weeks, rel=1e-10)


def test_the_expected_value_of_a_customer_without_repeat_purchases_is_the_population_mean():
    p, q, v = CDNOW_SPEND.p, CDNOW_SPEND.q, CDNOW_SPEND.v

    values = btyd.gamma_gamma_expected_value(CDNOW_SPEND, [0.0, 1.0, 50.0], [0.0, 100.0, 100.0])

    assert values[0] == pytest.approx(p * v / (q - 1))
    assert p * v / (q - 1) < values[1] < values[2] < 100.0  # more purchases, more weight on the customer's own mean


# --- failures -------------------------------------------------------------------


def test_a_fit_without_customers_is_refused():
    with pytest.raises(btyd.FitError, match="no customers"):
        btyd.fit_bgnbd([], [], [])
    with pytest.raises(btyd.FitError, match="no customers"):
        btyd.fit_bgnbd([1.0, 2.0], [3.0, 4.0], [5.0, 6.0], weights=[0.0, 0.0])


def test_a_fit_without_repeat_purchases_is_refused():
    with pytest.raises(btyd.FitError, match="bought again"):
        btyd.fit_bgnbd(np.zeros(100), np.zeros(100), np.linspace(1, 39, 100))
    with pytest.raises(btyd.FitError, match="no customers with repeat purchases"):
        btyd.fit_gamma_gamma(np.zeros(100), np.zeros(100))


def test_a_fit_on_values_that_are_not_numbers_is_refused(cdnow_like):
    sample = small(cdnow_like, 1000)
    T = sample["T"].copy()
    T[17] = np.nan
    m = sample["m"].copy()
    m[np.flatnonzero(sample["x"])[0]] = np.inf

    with pytest.raises(btyd.FitError, match="not finite"):
        btyd.fit_bgnbd(sample["x"], sample["t_x"], T)
    with pytest.raises(btyd.FitError, match="not finite"):
        btyd.fit_gamma_gamma(sample["x"], m)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [([1.0, 0.0], [0.0, 0.0], [5.0, 5.0]), ([1.0, 0.0], [6.0, 0.0], [5.0, 5.0]), ([-1.0, 1.0], [0.0, 2.0], [5.0, 5.0])],
    ids=["repeat purchase at time 0", "recency after T", "negative frequency"],
)
def test_a_fit_on_impossible_customers_is_refused(x, t_x, T):
    with pytest.raises(btyd.FitError, match="recency"):
        btyd.fit_bgnbd(x, t_x, T)


def test_a_fit_that_runs_out_of_iterations_is_refused(cdnow_like, monkeypatch):
    sample = small(cdnow_like)
    monkeypatch.setattr(btyd, "MAX_ITERATIONS", 2)

    with pytest.raises(btyd.FitError, match="BG/NBD fit did not converge"):
        btyd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"])
    with pytest.raises(btyd.FitError, match="Gamma-Gamma fit did not converge"):
        btyd.fit_gamma_gamma(sample["x"], sample["m"])


# --- penalty and compression ----------------------------------------------------


def test_the_penalty_shrinks_the_parameters(cdnow_like):
    sample = small(cdnow_like)
    plain = btyd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"])
    penalised = btyd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"], penalizer=0.01)
    spend = btyd.fit_gamma_gamma(sample["x"], sample["m"])
    spend_penalised = btyd.fit_gamma_gamma(sample["x"], sample["m"], penalizer=0.01)

    def norm(params: object) -> float:
        return math.fsum(value**2 for value in vars(params).values())

    assert norm(penalised.params) < 0.9 * norm(plain.params)
    assert penalised.log_likelihood < plain.log_likelihood
    assert norm(spend_penalised.params) < 0.9 * norm(spend.params)
    assert spend_penalised.log_likelihood < spend.log_likelihood


def test_compress_round_trips_and_counts_each_distinct_row():
    x = np.array([2.0, 0.0, 2.0, 1.0, 0.0, 2.0])
    t_x = np.array([5.0, 0.0, 5.0, 3.0, 0.0, 6.0])
    T = np.array([9.0, 4.0, 9.0, 9.0, 4.0, 9.0])

    (ux, ut, uT), counts, inverse = btyd.compress(x, t_x, T)

    assert list(zip(ux, ut, uT, counts, strict=True)) == [(0, 0, 4, 2), (1, 3, 9, 1), (2, 5, 9, 2), (2, 6, 9, 1)]
    assert (ux[inverse] == x).all() and (ut[inverse] == t_x).all() and (uT[inverse] == T).all()


def test_a_fit_on_compressed_rows_is_the_fit_on_every_customer(cdnow_like):
    sample = small(cdnow_like)
    days = {name: np.ceil(sample[name] * 7) for name in ("t_x", "T")}  # whole days, so customers share rows
    (x, t_x, T), counts, _ = btyd.compress(sample["x"], days["t_x"], days["T"])

    compressed = btyd.fit_bgnbd(x, t_x, T, weights=counts)
    every = btyd.fit_bgnbd(sample["x"], days["t_x"], days["T"])

    assert x.size < sample["x"].size / 2
    assert vars(compressed.params) == pytest.approx(vars(every.params), rel=1e-6)
    assert compressed.log_likelihood == pytest.approx(every.log_likelihood, rel=1e-12)
