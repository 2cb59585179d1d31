"""diffusers 0.42.1's HeunDiscreteScheduler against Algorithm 1 of Karras et al. 2022 (two step()
calls checked as one combined step), a real cancellation on the last step, and a planted wrong
noise level in the second stage, caught with a readable report."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("diffusers")
import mpmath  # noqa: E402

from diffproof.derive import edm  # noqa: E402
from diffproof.derive import sigma_steps as S  # noqa: E402
from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_heun import HeunAdapter  # noqa: E402
from tests.conform_planted_sigma import HeunSecondStageAtSigma  # noqa: E402

EXAMPLES = 8
FAMILY = {"timestep_spacing": "leading", "use_karras_sigmas": False}


def test_the_heun_contract_is_algorithm_1_by_hand():
    """Lines 5-8 typed in mpmath with D_1 = x - sigma eps_1, D_2 = x' - sigma_next eps_2."""
    with mpmath.workdps(40):
        s, n, x, e1, e2 = map(mpmath.mpf, ("2.5", "1.1", "0.3", "-0.7", "0.4"))
        d1 = (x - (x - s * e1)) / s
        xp = x + (n - s) * d1
        d2 = (xp - (xp - n * e2)) / n
        want = x + (n - s) * (d1 + d2) / 2
    got = C.get("heun-step-epsilon").evaluate(sigma=2.5, sigma_next=1.1, x=0.3, model_output=-0.7,
                                              model_output_2=0.4)
    assert float(got) == pytest.approx(float(want), rel=1e-14)
    assert S.heun_step("eps").has(S.value_2) and not sp.simplify(
        S.heun_step("x") - edm.heun_step(lambda p, l: (p - (S.value if l == edm.sigma else S.value_2)) / l,
                                         S.point, edm.sigma, S.sigma_next - edm.sigma))


@pytest.mark.parametrize("family", [{"timestep_spacing": "trailing", "use_karras_sigmas": True},
                                    {**FAMILY, "prediction_type": "v_prediction"}])
def test_real_heun_holds_in_float64_and_on_its_grid(family):
    _rows = [run.search(get("HeunDiscreteScheduler"), p, family, 0, EXAMPLES)
             for p in ("step", "invariance", "grid", "endpoints")]
    assert all(r.status == "holds" for r in _rows), "\n\n".join(r.report() for r in _rows)


def test_real_last_step_to_zero_holds_within_the_rounding_of_its_intermediates():
    """At sigma_next = 0 the step is D itself (x + (0 - sigma)(x - D)/sigma = D, mpmath below),
    but Algorithm 1 computes x + (0 - sigma) d, which cancels to D with an error of order u |x|:
    the budget counts the rounding of every intermediate (|v df/dv|), so a faithful float32
    implementation holds there (an input-condition-only budget, u |D|, called it 1.05 times over:
    a false alarm).  EulerDiscreteScheduler computes the same there."""
    config = dict(beta_schedule="scaled_linear", num_train_timesteps=1000, beta_start=8.5e-4,
                  beta_end=0.012, prediction_type="sample", steps_offset=0, num_inference_steps=1,
                  index=0, shape=(1, 3, 4, 4), seed=0, call="step", **FAMILY)
    for name in ("HeunDiscreteScheduler", "EulerDiscreteScheduler"):
        assert run.replay(get(name), "float32", config) is None
    assert run.replay(get("HeunDiscreteScheduler"), "step", config) is None   # float64 holds
    contract = C.get("euler-sigma-step-sample")
    x, d, sigma = 30.0, 1.0, 14.6
    with mpmath.workdps(40):
        assert mpmath.mpf(x) + (0 - mpmath.mpf(sigma)) * (x - d) / mpmath.mpf(sigma) == d
    budget = contract.budget("float32", sigma=sigma, sigma_next=0.0, x=x, model_output=d)
    assert budget >= 2.0 ** -24 * x                     # the cancellation's u |x| is in it


def test_planted_second_stage_at_sigma_is_caught():
    """eps predictions hide it (the slope is eps at any level); v_prediction shows it."""
    family = {**FAMILY, "prediction_type": "v_prediction"}
    row = run.search(HeunAdapter(HeunSecondStageAtSigma), "step", family, 0, EXAMPLES)
    report = row.report()
    assert row.status == "fails" and "contract: heun-step-v_prediction" in report
    assert "Algorithm 1 (lines 5-8)" in report and row.failure.diff > 0.1
    assert len(report.splitlines()) <= 12
    eps = run.search(HeunAdapter(HeunSecondStageAtSigma), "step",
                     {**FAMILY, "prediction_type": "epsilon"}, 0, EXAMPLES)
    assert eps.status == "holds"
    inv = run.search(HeunAdapter(HeunSecondStageAtSigma), "invariance", FAMILY, 0, EXAMPLES)
    assert inv.status == "fails" and "heun-step-" in inv.report()
    np.testing.assert_array_less(0.0, inv.failure.diff)
