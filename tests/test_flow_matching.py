"""The Monte Carlo entry mc-cfm-fm has teeth: with fixed seeds its checks hold as built and fail
for a wrong constant or a wrong marginal velocity.

Each check is the calibrated engine's (numeric.montecarlo: false-fail rate 1e-6 per check, a
discrepancy of 1% of the summand's RMS detected with probability >= 0.999).  The planted errors
are far beyond that: the constant off by 10% (about 0.2, against a detectable 0.04-0.05), and the
marginal velocity replaced by the conditional velocity at the data mean (the loss gap then depends
on the model).  So each ``fails`` below has probability >= 0.999 and each ``holds`` >= 1 - 1e-6;
the seeds are fixed, so the outcomes replay.
"""
from __future__ import annotations

import numpy as np

from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.numeric.montecarlo import PairedCheck
from diffproof.proofs.catalog import flow_matching as C


def test_gaussian_checks_hold_and_a_wrong_constant_fails():
    for check in C.cfm_checks():
        assert check.run(3).status == HOLDS
        wrong = PairedCheck(check.what, check.draw_pair, offset=1.1 * check.offset)
        assert wrong.run(3).status == FAILS


def test_a_wrong_marginal_velocity_makes_the_gap_depend_on_the_model():
    data = C.MIXTURE_1D
    draw = C._draws(data)
    _, _, conditional, _, _ = C._numeric()
    (_, mu, _) = data.arrays
    mean = float(np.sum(np.asarray(data.weights) * mu[:, 0]))

    def wrong(rng, k):
        zz, cond, _ = draw(rng, k)
        return zz, cond, conditional(zz, np.full_like(zz, mean))

    model, reference = C._model("affine", -1.0, 0.5), C._model("affine", 0.0, 0.0)

    def pair(rng, k):
        zz, cond, marg = wrong(rng, k)
        v, v0 = model(zz), reference(zz)
        return (v - cond) ** 2 - (v - marg) ** 2, (v0 - cond) ** 2 - (v0 - marg) ** 2

    assert PairedCheck("wrong marginal velocity", pair).run(3).status == FAILS
    assert all(check.run(3).status == HOLDS for check in C.cfm_independence_checks())
