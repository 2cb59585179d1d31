"""numeric.montecarlo.binomial (the exact binomial test's tails, without SciPy) against SciPy's
binom, an independent implementation (Boost's incomplete beta), over random n up to 4 million."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from diffproof.numeric.montecarlo import binomial


def _cases(count: int, seed: int = 20261130):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(10 ** rng.uniform(0.3, 6.61))
        yield int(rng.integers(-1, n + 2)), n, float(rng.uniform(1e-4, 1 - 1e-4))


def test_both_tails_match_scipy_to_relative_1e_8():
    """Relative error below 1e-8 for every tail above 1e-250 (the test compares tails with
    alpha/2 >= 1e-12; lgamma's rounding at n = 4e6 limits the accuracy to about 1e-9)."""
    worst = 0.0
    for k, n, p in _cases(1500):
        for mine, ref in ((binomial.cdf(k, n, p), binom.cdf(k, n, p)),
                          (binomial.sf(k, n, p), binom.sf(k, n, p))):
            assert 0.0 <= mine <= 1.0
            if ref > 1e-250:
                worst = max(worst, abs(mine - ref) / ref)
            else:
                assert mine < 1e-240
    assert worst < 1e-8


@pytest.mark.parametrize("q", [1e-9, 1e-3, 0.025, 0.5, 0.975])
@pytest.mark.parametrize("n, p", [(1, 0.5), (50, 0.3), (1000, 0.999), (10 ** 6, 0.01), (4_000_000, 0.5)])
def test_quantiles_match_scipy(q, n, p):
    assert binomial.ppf(q, n, p) == binom.ppf(q, n, p)
    assert binomial.isf(q, n, p) == binom.isf(q, n, p)


def test_the_edges():
    assert binomial.cdf(-1, 10, 0.3) == 0.0 and binomial.sf(-1, 10, 0.3) == 1.0
    assert binomial.cdf(10, 10, 0.3) == 1.0 and binomial.sf(10, 10, 0.3) == 0.0
    assert binomial.sf(0, 10, 0.0) == 0.0 and binomial.cdf(3, 10, 1.0) == 0.0
    assert binomial.regularized_beta(2.0, 3.0, 0.0) == 0.0 and binomial.regularized_beta(2.0, 3.0, 1.0) == 1.0
    assert binomial.cdf(3, 10, 0.3) + binomial.sf(3, 10, 0.3) == pytest.approx(1.0, abs=1e-15)
