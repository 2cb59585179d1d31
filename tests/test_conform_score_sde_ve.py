"""diffusers 0.42.1's ScoreSdeVeScheduler against the VE SDE's reverse-diffusion predictor (Song et
al. 2021, App. E Eq. 47) (issue 17): the contract from derive/sde.py, the real step with its noise
recovered, the level truncation at sampling_eps = 0 (confirmed in mpmath), and a planted
sigma_t^2 + sigma_{t-1}^2 caught with a readable report."""
from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("diffusers")

from diffproof.derive.sde import VE  # noqa: E402
from diffproof.derive.symbols import t, xi  # noqa: E402
from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_score_sde_ve import ScoreSdeVeAdapter  # noqa: E402
from tests.conform_planted_solvers import VESumOfSquares  # noqa: E402

NAME = "ScoreSdeVeScheduler"
BASE = dict(sigma_min=0.01, sigma_max=50.0, sampling_eps=1e-5, index=0, shape=(1, 2), seed=0)
EXAMPLES = 8


def test_g_squared_times_the_step_is_the_smld_increment_variance():
    """The discretization behind Eq. 47: int_{t-Delta}^{t} g^2 = sigma(t)^2 - sigma(t-Delta)^2 for
    VE's g^2 = d sigma^2/dt (SymPy)."""
    step = sp.Symbol("Delta", positive=True)
    integral = sp.integrate(VE.g2(xi), (xi, t - step, t))
    assert sp.simplify(integral - VE.smld_increment_variance(t - step, step)) == 0


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.floats(0.01, 1000), st.floats(0, 0.99), st.floats(-3, 3), st.floats(-3, 3),
       st.floats(-3, 3))
def test_the_contract_is_eq_47(sigma, ratio, x, score, z):
    with mpmath.workdps(40):
        s, a = mpmath.mpf(sigma), mpmath.mpf(sigma * ratio)
        want = x + (s ** 2 - a ** 2) * score + mpmath.sqrt(s ** 2 - a ** 2) * z
    got = C.get("ve-reverse-diffusion").evaluate(sigma=sigma, sigma_next=sigma * ratio, x_t=x,
                                                 model_output=score, noise=z)
    assert float(got) == pytest.approx(float(want), rel=1e-12, abs=1e-12 * sigma ** 2)


PREDICTOR = {"update": "predictor", "sampling_eps": 1e-5}
CORRECTOR = {"update": "corrector", "sampling_eps": 1e-5}


def test_the_real_predictor_holds_with_its_noise_recovered():
    for prop in ("step", "float32", "endpoints"):
        row = run.search(get(NAME), prop, PREDICTOR, 0, EXAMPLES)
        assert row.status == "holds", row.report()
    for n in (1, 2, 7, 30):
        assert run.replay(get(NAME), "grid", {**BASE, "num_inference_steps": n}) is None


def test_real_sampling_eps_0_steps_from_the_wrong_level():
    """linspace(1, 0, n) in float32 times (n - 1) falls just below the integer and .long()
    truncates it: n = 4, t = 2/3 gives 1.9999998, level 1 instead of 2 (the step then uses levels 1
    -> 0 and level 2 is never used).  Exact (mpmath): 2/3 * 3 = 2."""
    config = {**BASE, "sampling_eps": 0.0, "num_inference_steps": 4}
    failure = run.replay(get(NAME), "grid", config)
    assert "(grid index 1) uses level 1, the grid's is 2" in failure.message
    assert "1.9999998807907104" in failure.message
    assert mpmath.mpf(2) / 3 * 3 == 2
    step = run.replay(get(NAME), "step", {**config, "index": 1})
    assert step.contract == "ve-reverse-diffusion" and step.diff > 1e6 * step.budget


def test_planted_sum_of_squares_is_caught():
    row = run.search(ScoreSdeVeAdapter(VESumOfSquares), "step", PREDICTOR, 0, EXAMPLES)
    assert row.status == "fails"
    report = row.report()
    assert "VESumOfSquares update=predictor, sampling_eps=1e-05: property 1" in report
    assert "contract: ve-reverse-diffusion: x_next = x + (sigma^2 - sigma_next^2) s" in report
    assert "Song et al. 2021, App. E Eq. 47" in report and row.failure.diff > 100 * row.failure.budget
    assert run.replay(get(NAME), "step", row.config) is None


def test_the_corrector_is_a_langevin_step_with_float32_noise():
    """step_correct (Song et al. 2021, Algorithm 4) holds in float32 and at the endpoints; in
    float64 it is float32-accurate: randn_tensor is called without a dtype, so the noise and its
    norm (in the step size) are float32."""
    for prop in ("float32", "endpoints"):
        row = run.search(get(NAME), prop, CORRECTOR, 0, EXAMPLES)
        assert row.status == "holds", row.report()
    failure = run.replay(get(NAME), "step", {**BASE, **CORRECTOR, "num_inference_steps": 1})
    assert failure.contract == "ve-langevin-corrector" and failure.diff < 1e-6
    assert any("draws its noise in float32" in n for n in failure.notes)


@pytest.mark.slow
def test_the_real_predictor_loop_reaches_the_mixture():
    """100 reverse-diffusion steps from N(0, 20^2 I) with the exact score; the last step's mean
    is the sample, as the pipeline returns it."""
    row = run.sampling_row(get(NAME), seed=0)
    assert row.status == "holds", row.report()
    assert len(row.notes) == 2 and all("false-fail 1e-06" in n for n in row.notes)
