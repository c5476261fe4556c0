"""The survey scores with their uncertainty, from counts the database has already aggregated (never from the
answers themselves): NPS with its 95 % margin of error, a top-box share (CSAT's top-2-box) with its Wilson interval,
a mean (CES) with its t-interval, and whether two scores differ by more than chance.

- NPS = 100 · (p − d), p and d the shares of promoters (9–10) and detractors (0–6); its variance is
  100² · [(p + d) − (p − d)²] / n. When the audience is small (N invited, n answered), the finite-population
  correction (N − n) / (N − 1) multiplies the variance: answers from most of a small audience leave little doubt.
- A share k/n: the Wilson score interval, right also at 0 % and 100 % (where the normal one collapses to a point).
- A mean: x̄ ± t(0.975, n − 1) · s / √n, with the same correction when the audience is known.
- Two scores (two months, two segments): their difference with SE = √(SE₁² + SE₂²), significant at the 5 % level
  when |difference| > 1.96 · SE (a two-sided z-test of independent samples).

Below MIN_ANSWERS answers a score is marked `too_few`: pages say "too few answers" instead of a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile
MIN_ANSWERS = 10  # fewer answers than this: "too few answers" rather than a score


@dataclass(frozen=True)
class Estimate:
    """A score, its standard error and its 95 % interval, from n answers (value None when n is 0)."""

    value: float | None
    n: int
    standard_error: float | None
    low: float | None
    high: float | None

    @property
    def margin(self) -> float | None:
        """Half the interval's width (for a Wilson interval, which is not symmetric, the larger side)."""
        if self.value is None or self.low is None or self.high is None:
            return None
        return max(self.value - self.low, self.high - self.value)

    @property
    def too_few(self) -> bool:
        return self.n < MIN_ANSWERS


def _correction(n: int, population: int | None) -> float:
    """The finite-population correction of a variance, (N − n) / (N − 1): 1 when the audience is not known, 0 when
    every one of it answered (the score is then exact)."""
    if not population:
        return 1.0
    if n >= population:
        return 0.0
    return (population - n) / (population - 1)


def nps(*, promoters: int, passives: int, detractors: int, population: int | None = None) -> Estimate:
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, 0, None, None, None)
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    variance = 100**2 * ((p + d) - (p - d) ** 2) / n * _correction(n, population)
    se = math.sqrt(max(variance, 0.0))
    return Estimate(value, n, se, max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se))


def share(*, successes: int, n: int) -> Estimate:
    """k of n as a percentage with its Wilson score interval (CSAT's top-2-box: the 4s and 5s of 1–5)."""
    if n == 0:
        return Estimate(None, 0, None, None, None)
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    se = math.sqrt(p * (1 - p) / n)
    return Estimate(100 * p, n, 100 * se, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def mean(*, n: int, total: float, total_of_squares: float, population: int | None = None) -> Estimate:
    """The mean of n answers from their sum and sum of squares (what SQL's SUM gives), with its t-interval."""
    if n == 0:
        return Estimate(None, 0, None, None, None)
    value = total / n
    if n == 1:
        return Estimate(value, 1, None, None, None)
    variance = max(total_of_squares - n * value * value, 0.0) / (n - 1)
    se = math.sqrt(variance / n * _correction(n, population))
    half = t_quantile(0.975, n - 1) * se
    return Estimate(value, n, se, value - half, value + half)


@dataclass(frozen=True)
class Comparison:
    """Whether `later` differs from `earlier` by more than chance: the difference, its SE and the z it gives."""

    difference: float
    standard_error: float
    z: float
    significant: bool
    test: str = "difference of two independent estimates, SE = √(SE₁² + SE₂²), two-sided z-test at 5 %"


def compare(earlier: Estimate, later: Estimate) -> Comparison | None:
    """None when either score has no value or no standard error (no answers, one answer)."""
    if earlier.value is None or later.value is None or earlier.standard_error is None:
        return None
    if later.standard_error is None:
        return None
    difference = later.value - earlier.value
    se = math.sqrt(earlier.standard_error**2 + later.standard_error**2)
    if se == 0:
        return Comparison(difference, 0.0, math.inf if difference else 0.0, difference != 0)
    z = difference / se
    return Comparison(difference, se, z, abs(z) > Z95)


# --- Student's t, without a statistics library ----------------------------------------------------------------


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * result


def t_cdf(t: float, df: int) -> float:
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(probability: float, df: int) -> float:
    """The t value below which `probability` of Student's t with df degrees of freedom lies (bisection)."""
    low, high = -1e3, 1e3
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2
