"""diffusers 0.42.1's EulerDiscreteScheduler against the Euler step in sigma (Karras et al. 2022),
the sigma formulas of derive/sigma_steps.py against independent evaluations, the real
discrepancies (each confirmed independently) and planted bugs, each caught with a readable
report.  Skipped when diffusers is not installed."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

pytest.importorskip("diffusers")
import mpmath  # noqa: E402
import torch  # noqa: E402

from diffproof.derive import edm  # noqa: E402
from diffproof.derive import sigma_steps as S  # noqa: E402
from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_euler import EulerAdapter  # noqa: E402
from tests.conform_planted_sigma import (EulerFloat64, EulerKarrasLastTwice,  # noqa: E402
                                         EulerScaleBySigma)

BASE = dict(beta_schedule="scaled_linear", num_train_timesteps=1000, beta_start=8.5e-4,
            beta_end=0.012, prediction_type="epsilon", steps_offset=0, index=0, shape=(1, 2),
            seed=0, call="step", timestep_spacing="leading", use_karras_sigmas=False)
EXAMPLES = 8


def _holds(adapter, props, family, examples=EXAMPLES):
    rows = [run.search(adapter, p, family, 0, examples) for p in props]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


# -- the formulas --------------------------------------------------------------------------------
def test_the_sigma_formulas_are_the_papers():
    """sigma = sqrt((1 - abar)/abar) and s = 1/sqrt(1 + sigma^2) agree with Table 1's VP column
    (sigma(t), s(t)) eliminated in t; eps, x_0 and v give D = x - sigma eps, x_0 and
    x/(1 + sigma^2) - sigma v/sqrt(1 + sigma^2) (typed here from Salimans & Ho 2022)."""
    t = sp.Symbol("t", positive=True)
    assert sp.simplify(S.input_scale(edm.vp_sigma(t)) - edm.vp_scale(t)) == 0
    x, v, sig = S.point, S.value, edm.sigma
    assert sp.simplify(S.denoiser("eps") - (x - sig * v)) == 0
    assert sp.simplify(S.denoiser("v") - (x / (1 + sig ** 2) - sig * v / sp.sqrt(1 + sig ** 2))) == 0
    for a in (0.3, 0.9, 1e-3):
        with mpmath.workdps(40):
            want = mpmath.sqrt((1 - mpmath.mpf(a)) / a)
        assert float(C.get("sigma-of-abar").evaluate(abar_t=a)) == pytest.approx(float(want), 1e-14)


def test_the_ancestral_split_is_the_posterior_of_the_ve_chain():
    """sigma_up^2 = sigma_next^2 (sigma^2 - sigma_next^2)/sigma^2 (Bayes' rule in derive), and the
    posterior mean is the Euler step to sigma_down with D = y."""
    sig, nxt = edm.sigma, S.sigma_next
    assert sp.simplify(S.sigma_up() ** 2 - nxt ** 2 * (sig ** 2 - nxt ** 2) / sig ** 2) == 0
    y = sp.Symbol("y", real=True)
    mean = S.ve_posterior().mean
    euler = S.euler_step("x", sig, S.sigma_down()).xreplace({S.value: y})
    assert sp.simplify(mean - euler) == 0


@pytest.mark.parametrize("kind", ["epsilon", "v_prediction"])
def test_the_euler_contract_against_mpmath(kind):
    rng = np.random.default_rng(1)
    for sigma, nxt in ((14.6, 9.0), (0.5, 0.0), (3.0, 2.9)):
        x, out = rng.standard_normal(2)
        with mpmath.workdps(40):
            s, n_, xm, om = map(mpmath.mpf, (sigma, nxt, x, out))
            d = xm - s * om if kind == "epsilon" else \
                om * (-s / mpmath.sqrt(s ** 2 + 1)) + xm / (s ** 2 + 1)
            want = xm + (n_ - s) * (xm - d) / s
        got = C.get(f"euler-sigma-step-{kind}").evaluate(sigma=sigma, sigma_next=nxt, x=x,
                                                          model_output=out)
        assert float(got) == pytest.approx(float(want), rel=1e-13, abs=1e-14)


# -- what holds ------------------------------------------------------------------------------
@pytest.mark.parametrize("family", [{"timestep_spacing": "leading", "use_karras_sigmas": False},
                                    {"timestep_spacing": "trailing", "use_karras_sigmas": True}])
def test_real_euler_holds_in_float32_on_its_grid(family):
    _holds(get("EulerDiscreteScheduler"), ["float32", "grid", "endpoints"], family)


def test_euler_with_its_sample_left_in_float64_holds_in_float64():
    """The formula and the parametrizations hold to the float64 budget once the step keeps the
    float64 sample (tests/conform_planted_sigma.py: keep_float64 changes no formula)."""
    _holds(EulerAdapter(EulerFloat64), ["step", "invariance"],
           {"timestep_spacing": "linspace", "use_karras_sigmas": True})


def test_real_euler_reaches_the_data_law():
    row = run.sampling_row(get("EulerDiscreteScheduler"))
    assert row.status == "holds", row.report()


# -- real discrepancies of diffusers 0.42.1 ----------------------------------------------------
def test_real_euler_computes_a_float64_step_in_float32():
    """step() casts the sample to float32 ("upcast", for float16): a float64 sample's step is the
    step of the sample rounded to float32, off the float64 formula by ~1e-8."""
    failure = run.replay(get("EulerDiscreteScheduler"), "step", {**BASE, "num_inference_steps": 4})
    assert failure is not None and failure.diff > 1e5 * failure.budget
    from diffusers import EulerDiscreteScheduler
    s = EulerDiscreteScheduler()
    s.set_timesteps(4)
    x = torch.tensor([[0.1234567890123456789]], dtype=torch.float64)
    e = torch.zeros_like(x)
    a = s.step(e, s.timesteps[0], x).prev_sample
    s.set_timesteps(4)
    b = s.step(e, s.timesteps[0], x.float().double()).prev_sample
    assert a.dtype == torch.float64 and float(a) == float(b) and float(a) != float(x)


def test_real_linspace_grid_of_one_step_starts_at_the_data_end():
    """np.linspace(0, T - 1, 1) is [0]: one step from sigma_0 = 0.029, not from sigma_max."""
    failure = run.replay(get("EulerDiscreteScheduler"), "grid",
                         {**BASE, "timestep_spacing": "linspace", "num_inference_steps": 1})
    assert failure.message == "first timestep 0, the linspace spacing starts at 999"


# -- planted bugs ------------------------------------------------------------------------------
def test_planted_last_karras_level_twice_is_caught():
    row = run.search(EulerAdapter(EulerKarrasLastTwice), "grid",
                     {"timestep_spacing": "leading", "use_karras_sigmas": True}, 0, EXAMPLES)
    report = row.report()
    assert row.status == "fails" and "property 4 the timestep grid: fails" in report
    assert "sigmas not strictly decreasing: [1.61828, 1.61828, 0.0]" in report
    assert "rho-schedule gives 0.0291675332" in report and "replay:" in report


def test_planted_scale_model_input_by_sigma_is_caught():
    row = run.search(EulerAdapter(EulerScaleBySigma), "float32",
                     {"timestep_spacing": "leading", "use_karras_sigmas": False}, 0, EXAMPLES)
    report = row.report()
    assert row.status == "fails" and "call='scale_model_input'" in report
    assert "contract: scale-model-input: x_t = x / sqrt(sigma^2 + 1)" in report
    assert "Table 1" in report and row.failure.diff > 1e3 * row.failure.budget
    assert len(report.splitlines()) <= 12


def test_real_trailing_grid_of_61_steps_has_62_and_a_timestep_minus_one():
    """As for DDIM/DDPM (np.arange(1000, 0, -1000/61) has 62 elements; exact count 61 by mpmath):
    the sigma schedulers get timesteps ..., 15, -1 and 63 levels; np.interp clamps t = -1 to
    sigma_0, so the extra step goes 0.1195 -> 0.0292 before the final 0."""
    with mpmath.workdps(50):
        assert sum(mpmath.mpf(1000) - k * mpmath.mpf(1000) / 61 > 0 for k in range(100)) == 61
    config = {**BASE, "timestep_spacing": "trailing", "num_inference_steps": 61}
    for name in ("EulerDiscreteScheduler", "HeunDiscreteScheduler"):
        failure = run.replay(get(name), "grid", config)
        assert failure.message == "63 levels for num_inference_steps = 61 (n and a final 0)"
        assert failure.notes == ["timesteps outside [0, 999]: [-1.0]"]
