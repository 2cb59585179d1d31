"""Binomial tail probabilities for the exact binomial test (mean_tests.BinomialTest), without SciPy
(the core install is SymPy, mpmath, NumPy and Hypothesis; mpmath's betainc does not converge at the
sample sizes used, up to 4 million).

P(K <= k) for K ~ Bin(n, p) is the regularized incomplete beta I_{1-p}(n - k, k + 1), and
P(K > k) = I_p(k + 1, n - k) (Abramowitz & Stegun 26.5.24 / 6.6.4).  I_x(a, b) is evaluated by its
continued fraction (A&S 26.5.8) with the modified Lentz method, on the side where it converges
quickly; the other side is 1 minus it, which there is the larger number, so both tails keep their
relative accuracy.  tests/test_binomial.py compares every function with SciPy.
"""
from __future__ import annotations

import math

_EPS = 1e-15
_TINY = 1e-300


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (A&S 26.5.8), by modified Lentz; converges fast for
    x < (a + 1) / (a + b + 2), in O(sqrt(max(a, b))) terms."""
    def guard(value: float) -> float:
        return value if abs(value) > _TINY else _TINY

    c, d = 1.0, 1.0 / guard(1.0 - (a + b) * x / (a + 1.0))
    h = d
    for m in range(1, 100 + 20 * int(math.sqrt(max(a, b)))):
        even = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        d, c = 1.0 / guard(1.0 + even * d), guard(1.0 + even / c)
        h *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        d, c = 1.0 / guard(1.0 + odd * d), guard(1.0 + odd / c)
        h *= d * c
        if abs(d * c - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"the incomplete beta fraction did not converge (a={a}, b={b}, x={x})")


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _continued_fraction(b, a, 1.0 - x) / b


def cdf(k: int, n: int, p: float) -> float:
    """P(K <= k), K ~ Bin(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return regularized_beta(n - k, k + 1, 1.0 - p) if p > 0 else 1.0


def sf(k: int, n: int, p: float) -> float:
    """P(K > k), K ~ Bin(n, p)."""
    if k < 0:
        return 1.0
    if k >= n:
        return 0.0
    return regularized_beta(k + 1, n - k, p) if p < 1 else 1.0


def _first(holds, n: int) -> int:
    """The smallest k in [0, n] with holds(k), for a holds that is monotone in k (n if none)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if holds(mid) else (mid + 1, hi)
    return lo


def ppf(q: float, n: int, p: float) -> int:
    """The smallest k with P(K <= k) >= q."""
    return _first(lambda k: cdf(k, n, p) >= q, n)


def isf(q: float, n: int, p: float) -> int:
    """The smallest k with P(K > k) <= q."""
    return _first(lambda k: sf(k, n, p) <= q, n)
