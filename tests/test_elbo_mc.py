"""Monte Carlo on the VDM ELBO (numeric/elbo_mc.py; Luo 2022 Eqs. 37, 44, 58).

Error rates: ``RawElboCheck`` uses numeric.montecarlo's declared false-fail rate 1e-6 and power
0.999 against a discrepancy of 1% of |ELBO|; the mean tests below use |z| > 5.3 (false-alarm
rate 1.2e-7 each); the variance comparison declares "lower" only beyond 6 standard errors of
the difference (false-alarm rate < 1e-9), and a planted equal-variance pair must not pass it.
"""
import numpy as np

from diffproof.derive import logdensity as L
from diffproof.numeric.elbo_mc import (ESTIMATORS, FIRST, P_T, Q_JOINT, SECOND, RawElboCheck, p_theta, q,
                             sampler, variance_comparison)
from diffproof.numeric.montecarlo import DEFAULT, decide

x = lambda i: L.Var("x", i)  # noqa: E731


def test_raw_elbo_matches_both_decompositions():
    for node in (L.E(Q_JOINT, SECOND), L.E(Q_JOINT, FIRST)):
        verdict = RawElboCheck(node, T=3).run(0)
        assert verdict.status == "holds", verdict.reason
        assert verdict.method == "monte-carlo"


def test_planted_errors_are_detected():
    flipped = L.lin((1, L.Log(p_theta(x(0), x(1)))), (-1, L.KL(q(x(L.T), x(0)), P_T)),
                    (1, L.ISum(L.KL(q(x(L.t - 1), x(L.t), x(0)), p_theta(x(L.t - 1), x(L.t))), 2, L.T)))
    assert RawElboCheck(L.E(Q_JOINT, flipped), T=3).run(0).status == "fails"
    s = sampler(3, 0)
    target = float(s.ev.number(L.E(Q_JOINT, SECOND)))
    shifted = target + 2 * DEFAULT.delta(target)        # twice the declared detectable discrepancy
    assert decide(s.draw("raw"), shifted, seed=1).status == "fails"


def test_every_estimator_is_unbiased():
    rows = variance_comparison(3, 0, n=60_000, rng_seed=2)
    for name in ESTIMATORS:
        z = (rows[name]["mean"] - rows["closed_form"]) / rows[name]["stderr_mean"]
        assert abs(z) < 5.3, (name, z)


def _lower(a: dict, b: dict, k: float = 6.0) -> bool:
    gap = b["variance"] - a["variance"]
    return gap > k * np.hypot(a["stderr_variance"], b["stderr_variance"])


def test_second_decomposition_has_lower_variance():
    for T in (2, 4):
        rows = variance_comparison(T, 0, n=60_000, rng_seed=3)
        assert _lower(rows["second"], rows["first"]), rows
        assert _lower(rows["second"], rows["raw"]), rows
    # planted: the same estimator on independent draws must not be declared lower
    a = variance_comparison(2, 0, n=60_000, rng_seed=4)["second"]
    b = variance_comparison(2, 0, n=60_000, rng_seed=5)["second"]
    assert not _lower(a, b) and not _lower(b, a)
