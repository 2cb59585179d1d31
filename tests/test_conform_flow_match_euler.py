"""diffusers 0.42.1's FlowMatchEulerDiscreteScheduler against the flow path (issue 17): the Euler
and stochastic steps and the time-shifted grid; the real double shift of issue 13243 and the
float32 cast of step(), each confirmed independently; planted bugs caught with readable reports."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("diffusers")

from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_flow_match_euler import \
    FlowMatchEulerAdapter  # noqa: E402
from tests.conform_planted_solvers import FlowShiftOnce, FlowShiftTwice  # noqa: E402

NAME = "FlowMatchEulerDiscreteScheduler"
STATIC = {"use_dynamic_shifting": False, "stochastic_sampling": False}
DYNAMIC = {"use_dynamic_shifting": True, "stochastic_sampling": False}
BASE = dict(num_train_timesteps=1000, **STATIC, index=0, shape=(1, 2), seed=0)
EXAMPLES = 8


def _sd3(t, k):
    """Esser et al. 2024, Sec. 5.3.2, typed in mpmath."""
    t, k = mpmath.mpf(t), mpmath.mpf(k)
    return k * t / (1 + (k - 1) * t)


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.floats(1e-4, 1.0), st.floats(0.2, 8.0), st.floats(-2.0, 2.0), st.floats(-3, 3),
       st.floats(-3, 3), st.floats(-3, 3))
def test_the_flow_contracts_are_the_papers_formulas(t, k, mu, x, v, z):
    with mpmath.workdps(40):
        assert float(C.get("time-shift").evaluate(t=t, shift=k)) == pytest.approx(
            float(_sd3(t, k)), rel=1e-13)
        flux = mpmath.e ** mu / (mpmath.e ** mu + 1 / mpmath.mpf(t) - 1)
        assert float(C.get("flux-time-shift").evaluate(t=t, mu=mu)) == pytest.approx(
            float(flux), rel=1e-12)
        s, s_next = t, t / 2
        got = C.get("flow-euler-step").evaluate(sigma=s, sigma_next=s_next, x_t=x, model_output=v)
        assert float(got) == pytest.approx(x + (s_next - s) * v, abs=1e-14)
        x0 = mpmath.mpf(x) - mpmath.mpf(s) * v
        got = C.get("flow-stochastic-step").evaluate(sigma=s, sigma_next=s_next, x_t=x,
                                                     model_output=v, noise=z)
        assert float(got) == pytest.approx(float((1 - s_next) * x0 + s_next * z), abs=1e-13)


@pytest.mark.parametrize("family", [STATIC, DYNAMIC,
                                    {"use_dynamic_shifting": False, "stochastic_sampling": True}])
def test_the_real_steps_hold_in_float32_and_at_the_endpoints(family):
    for prop in ("float32", "endpoints"):
        row = run.search(get(NAME), prop, family, 0, EXAMPLES)
        assert row.status == "holds", row.report()


def test_the_dynamic_shift_grid_holds():
    row = run.search(get(NAME), "grid", DYNAMIC, 0, EXAMPLES)
    assert row.status == "holds", row.report()


def test_real_static_shift_is_applied_twice_at_the_last_sigma():
    """diffusers issue 13243 (open): __init__ stores sigma_min after the shift, set_timesteps
    shifts the linspace between the stored ends again: the last sigma is S(S(1/T))."""
    failure = run.replay(get(NAME), "grid", {**BASE, "shift": 3.0, "num_inference_steps": 2})
    assert failure.message.startswith("sigma 1 of 2 is 0.00892857")
    assert "time-shift of the uniform grid's 0.001 is 0.00299401198" in failure.message
    assert failure.message.endswith("is the shift applied twice")
    with mpmath.workdps(30):                       # by hand: S(1/T) and S(S(1/T)), k = 3
        once = _sd3(mpmath.mpf(1) / 1000, 3)
        assert float(once) == pytest.approx(0.00299401198, rel=1e-8)
        assert float(_sd3(once, 3)) == pytest.approx(0.00892857183, rel=1e-7)
    assert run.replay(get(NAME), "grid", {**BASE, "shift": 1.0, "num_inference_steps": 5}) is None


def test_the_fix_of_issue_13243_holds_and_a_grid_shifted_twice_is_caught():
    row = run.search(FlowMatchEulerAdapter(FlowShiftOnce), "grid", STATIC, 0, EXAMPLES)
    assert row.status == "holds", row.report()
    row = run.search(FlowMatchEulerAdapter(FlowShiftTwice), "grid", DYNAMIC, 0, EXAMPLES)
    assert row.status == "fails"
    report = row.report()
    assert "FlowShiftTwice use_dynamic_shifting=True, stochastic_sampling=False: property 4" in report
    assert "flux-time-shift of the uniform grid's 0.001 is" in report
    assert "is the shift applied twice" in report and "replay:" in report


def test_real_step_casts_a_float64_sample_to_float32():
    """step() runs sample.to(torch.float32) before x + (sigma_next - sigma) v: a float64 step is
    float32-accurate.  By hand: the output is float32(x) + dt v, not x + dt v."""
    failure = run.replay(get(NAME), "step", {**BASE, "num_inference_steps": 1})
    assert failure.contract == "flow-euler-step" and failure.diff > 1e4 * failure.budget
    assert any("casts the sample to float32" in n for n in failure.notes)
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler
    s = FlowMatchEulerDiscreteScheduler()
    s.set_timesteps(1)
    x = torch.tensor([[0.1 + 1e-12]], dtype=torch.float64)
    v = torch.tensor([[0.5]], dtype=torch.float64)
    out = float(s.step(v, s.timesteps[0], x).prev_sample)
    assert out == float(np.float64(np.float32(0.1 + 1e-12)) - 0.5)
    assert run.replay(get(NAME), "float32", {**BASE, "num_inference_steps": 1}) is None


@pytest.mark.slow
def test_the_real_loop_reaches_the_mixture():
    row = run.sampling_row(get(NAME), seed=0)
    assert row.status == "holds", row.report()
    assert len(row.notes) == 2 and all("false-fail 1e-06" in n for n in row.notes)
