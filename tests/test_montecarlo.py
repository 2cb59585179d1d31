"""The Monte Carlo decision: calibrated verdicts, variance reduction, replay, clear errors.

Error rates of these tests: every decision runs at false-fail rate 1e-6 (default) or as stated;
planted errors are 1.5 times the minimum detectable discrepancy delta, where the miss probability
is Phi(z_reject - 1.5 (z_reject + z_power)) < 1e-12 at the default settings.  All seeds are
fixed and Hypothesis runs derandomized, so every run draws the same numbers.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED
from diffproof.numeric.montecarlo import (MCSettings, MonteCarloCheck, PairedCheck, antithetic, compare,
                                decide, with_control_variates)

FAST = MCSettings(rel_tol=0.02)          # power 0.999 against 2% discrepancies, n ~ 1/4 of default
PLANT = 1.5                              # planted error, in units of the minimum detectable delta


def per_draw_sd(verdict) -> float:
    """The standard deviation of one draw behind a verdict (its standard error times sqrt(n)): what
    variance reduction lowers.  (n itself may be set by the skewness check, not by the variance.)"""
    return verdict.details["stderr"] * math.sqrt(verdict.details["n"])


def normal_draw(mu: float, sd: float):
    return lambda rng, k: mu + sd * rng.standard_normal(k)


@settings(max_examples=15)
@given(mu=st.floats(-5, 5).filter(lambda v: abs(v) > 0.1), sd=st.floats(0.01, 3))
def test_true_mean_holds_and_planted_error_fails(mu, sd):
    scale = max(abs(mu), sd)             # the tolerance refers to the size of the summand
    held = decide(normal_draw(mu, sd), mu, seed=1, settings=FAST, scale=scale,
                  params={"mu": mu, "sd": sd})
    assert held.status == HOLDS, held.reason
    delta = held.details["delta"]
    planted = decide(normal_draw(mu, sd), mu + PLANT * delta, seed=1, settings=FAST, scale=scale)
    assert planted.status == FAILS, planted.details


def test_report_has_estimate_stderr_z_n_and_replays():
    first = decide(normal_draw(1.0, 1.0), 1.2, seed=7, params={"mu": 1.0})
    again = decide(normal_draw(1.0, 1.0), 1.2, seed=7, params={"mu": 1.0})
    assert first.status == FAILS and first.method == "monte-carlo"
    for key in ("estimate", "stderr", "z", "n", "seed"):
        assert key in first.counterexample
    assert first.counterexample["seed"] == 7 and first.counterexample["mu"] == 1.0
    assert "seed 7" in first.reason
    assert first.counterexample == again.counterexample       # the same seed replays exactly
    other = decide(normal_draw(1.0, 1.0), 1.2, seed=8)
    assert other.details["estimate"] != first.details["estimate"]


def test_vector_draw_bonferroni_catches_one_wrong_coordinate():
    target = np.array([0.0, 1.0, -2.0])

    def draw(rng, k):
        return target + rng.standard_normal((k, 3))

    ok = decide(draw, target, seed=3, settings=FAST, scale=1.0)
    assert ok.status == HOLDS and ok.details["coordinates"] == 3
    wrong = target.copy()
    wrong[2] += PLANT * ok.details["delta"]
    bad = decide(draw, wrong, seed=3, settings=FAST, scale=1.0)
    assert bad.status == FAILS and bad.counterexample["coordinate"] == 2
    # each coordinate is tested at false_fail / 3, so the check keeps the declared rate
    assert abs(ok.details["z"][0]) < MCSettings(false_fail=FAST.false_fail / 3).z_reject


def test_common_random_numbers_cut_the_sample_size():
    """E[exp(z/2) + z] = E[exp(z/2)]: the paired difference is z alone, the unpaired one is not."""
    def paired(rng, k):
        z = rng.standard_normal(k)
        return np.exp(z / 2) + z, np.exp(z / 2)

    def unpaired(rng, k):
        return np.exp(rng.standard_normal(k) / 2) + rng.standard_normal(k), np.exp(rng.standard_normal(k) / 2)

    with_crn = compare(paired, seed=2, settings=FAST, scale=1.0)
    without = compare(unpaired, seed=2, settings=FAST, scale=1.0)
    assert with_crn.status == HOLDS and without.status == HOLDS
    assert with_crn.details["n"] < 0.7 * without.details["n"]
    assert with_crn.details["paired"] == "common random numbers"
    assert math.isclose(with_crn.details["left_mean"] - with_crn.details["right_mean"],
                        with_crn.details["estimate"], abs_tol=1e-9)
    planted = compare(paired, seed=2, settings=FAST, scale=1.0,
                      offset=PLANT * with_crn.details["delta"])
    assert planted.status == FAILS


def test_antithetic_pairs_are_unbiased_and_cheaper_for_monotone_f():
    target = math.exp(0.125)                                  # E[exp(z/2)], z ~ N(0, 1)
    f = lambda z: np.exp(z[:, 0] / 2)                         # noqa: E731
    plain = decide(lambda rng, k: f(rng.standard_normal((k, 1))), target, seed=4, settings=FAST)
    pairs = decide(antithetic(f, 1), target, seed=4, settings=FAST)
    assert plain.status == HOLDS and pairs.status == HOLDS
    assert per_draw_sd(pairs) < 0.45 * per_draw_sd(plain)          # variance ratio < 0.2
    assert decide(antithetic(f, 1), target * (1 + PLANT * FAST.rel_tol), seed=4,
                  settings=FAST).status == FAILS


def test_control_variates_with_known_moments():
    """E[exp(z)] = e^(1/2) with controls z and z^2 - 1 (known means 0)."""
    def draw_fg(rng, k):
        z = rng.standard_normal(k)
        return np.exp(z), np.stack([z, z ** 2 - 1], axis=1)

    draw, coef = with_control_variates(draw_fg, [0.0, 0.0], seed=5)
    plain = decide(lambda rng, k: draw_fg(rng, k)[0], math.exp(0.5), seed=5, settings=FAST)
    reduced = decide(draw, math.exp(0.5), seed=5, settings=FAST)
    assert reduced.status == HOLDS and coef.shape == (2,)
    assert per_draw_sd(reduced) < 0.7 * per_draw_sd(plain)         # variance ratio < 0.5
    assert decide(draw, math.exp(0.5) * (1 + PLANT * FAST.rel_tol), seed=5,
                  settings=FAST).status == FAILS
    with pytest.raises(ValueError, match="known means"):
        with_control_variates(draw_fg, [0.0], seed=5)


def test_exactly_cancelling_noise_is_not_read_as_a_discrepancy():
    """An antithetic estimate of a linear function has zero variance up to round-off."""
    verdict = decide(antithetic(lambda z: 0.1 + 3.0 * z[:, 0], 1), 0.1, seed=0)
    assert verdict.status == HOLDS
    assert decide(antithetic(lambda z: 0.1 + 3.0 * z[:, 0], 1), 0.1 + 1e-3, seed=0).status == FAILS


def test_sample_cap_gives_undecided_not_holds():
    capped = MCSettings(max_n=5000, pilot=1000)
    verdict = decide(normal_draw(0.0, 10.0), 0.0, seed=0, settings=capped)
    assert verdict.status == UNDECIDED and "sample cap" in verdict.reason
    assert verdict.details["power"] < capped.power < 1
    assert verdict.details["detectable"] > verdict.details["delta"]


def test_checks_are_step_checks():
    check = MonteCarloCheck("E[z] = 0", normal_draw(0.0, 1.0), 0.0, scale=1.0, settings=FAST,
                            params={"sd": 1.0})
    verdict = check.run(11)
    assert check.name == "monte-carlo" and verdict.details["params"] == {"sd": 1.0}
    paired = PairedCheck("z - z = 0", lambda rng, k: (lambda z: (z, z))(rng.standard_normal(k)),
                         settings=FAST)
    assert paired.run(0).status == HOLDS


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="false_fail"):
        MCSettings(false_fail=0)
    with pytest.raises(ValueError, match="pilot"):
        MCSettings(pilot=1)
    with pytest.raises(FloatingPointError, match="non-finite"):
        decide(lambda rng, k: np.full(k, np.nan), 0.0)
    with pytest.raises(ValueError, match="shape"):
        decide(lambda rng, k: np.zeros(k + 1), 0.0)
    with pytest.raises(FloatingPointError, match="closed form"):
        decide(normal_draw(0.0, 1.0), float("inf"))
    with pytest.raises(ValueError, match="width"):
        antithetic(lambda z: z, 0)
