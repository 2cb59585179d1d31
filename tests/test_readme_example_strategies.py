"""The docs example (docs/monte-carlo.md, "Strategies for your own tests"): a user tests their own posterior-mean function
with diffproof's strategies and Monte Carlo check.

Error rates: each decision has false-fail rate 1e-6 and detects a discrepancy of 1% of the data's
RMS with probability 0.999; the planted bug below is several times that size.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from diffproof.numeric import strategies as ds
from diffproof.numeric.simulate import GaussianMixture, posterior_mean_check


def my_posterior_mean(data, x_t, abar):
    """The user's E[x_0 | x_t] for Gaussian data N(m, s^2 I) under q(x_t | x_0)."""
    m, s2 = np.asarray(data.means[0]), data.sds[0] ** 2
    gain = np.sqrt(abar) * s2 / (abar * s2 + 1 - abar)
    return m + gain * (x_t - np.sqrt(abar) * m)


@settings(max_examples=5)
@given(data=ds.gaussians(max_dim=3), abar=ds.abars(), x=st.floats(-3, 3))
def test_my_posterior_mean(data, abar, x):
    x_t = np.full(data.dim, x)
    check = posterior_mean_check(data, x_t, abar, my_posterior_mean(data, x_t, abar))
    verdict = check.run(seed=0)
    # undecided is honest when the sample cap keeps the power below the declared one
    assert verdict.status != "fails", verdict.reason


def test_the_correct_posterior_mean_holds_where_the_sample_suffices():
    """At these parameters the check reaches its declared power: holds, not just 'not fails'."""
    data, x_t, abar = GaussianMixture.gaussian([0.5], 1.2), np.array([1.1]), 0.4
    verdict = posterior_mean_check(data, x_t, abar, my_posterior_mean(data, x_t, abar)).run(seed=0)
    assert verdict.status == "holds", verdict.reason


def test_the_check_catches_a_buggy_posterior_mean():
    """abar where sqrt(abar) belongs: off by about 0.22 at these parameters (delta = 0.013)."""
    def buggy(data, x_t, abar):
        m, s2 = np.asarray(data.means[0]), data.sds[0] ** 2
        return m + abar * s2 / (abar * s2 + 1 - abar) * (x_t - np.sqrt(abar) * m)

    data, x_t, abar = GaussianMixture.gaussian([0.5], 1.2), np.array([1.1]), 0.4
    verdict = posterior_mean_check(data, x_t, abar, buggy(data, x_t, abar)).run(seed=0)
    assert verdict.status == "fails" and verdict.counterexample["seed"] == 0
