"""diffusers 0.42.1's DPMSolverMultistepScheduler (dpmsolver++, orders 1 and 2) against
DPM-Solver++(1) = DDIM(eta = 0) and DPM-Solver++(2M) (issue 17): the multistep state fed by running
the scheduler with an exact denoiser, lower_order_final, the float32 cast of step(), and a planted
inverted ratio r caught with a readable report."""
from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("diffusers")

from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_dpmsolver import DPMSolverAdapter  # noqa: E402
from tests.conform_planted_solvers import DPMInvertedRatio, DPMTimestepsOneLow  # noqa: E402

NAME = "DPMSolverMultistepScheduler"
BASE = dict(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
            prediction_type="epsilon", algorithm_type="dpmsolver++", timestep_spacing="linspace",
            lower_order_final=True, final_sigmas_type="zero", rescale_betas_zero_snr=False,
            solver_order=2, index=0, shape=(1, 3), seed=0)
EXAMPLES = 6


def _by_hand(s_prev, s, s_next, x, eps, x0_prev):
    """DPM-Solver++(2M), Lu et al. 2022b Algorithm 2, typed in mpmath from the VE sigmas:
    alpha = 1/sqrt(1 + s^2), sigma = s alpha, lambda = -log s, x0 = (x - sigma eps)/alpha."""
    with mpmath.workdps(50):
        s_prev, s, s_next, x, eps, x0_prev = map(mpmath.mpf, (s_prev, s, s_next, x, eps, x0_prev))
        a = lambda q: 1 / mpmath.sqrt(1 + q * q)  # noqa: E731
        x0 = (x - s * a(s) * eps) / a(s)
        h, h_prev = mpmath.log(s / s_next), mpmath.log(s_prev / s)
        r = h_prev / h
        D = (1 + 1 / (2 * r)) * x0 - x0_prev / (2 * r)
        return s_next * a(s_next) / (s * a(s)) * x - a(s_next) * (mpmath.exp(-h) - 1) * D


levels = st.tuples(st.floats(0.05, 50), st.floats(1.05, 3), st.floats(1.05, 3)).map(
    lambda p: (p[0] * p[1] * p[2], p[0] * p[1], p[0]))


@settings(max_examples=30, derandomize=True, deadline=None)
@given(levels, st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_the_2m_contract_is_algorithm_2(sigmas, x, eps, x0_prev):
    got = C.get("dpmsolver++2m-epsilon").evaluate(sigma_prev=sigmas[0], sigma=sigmas[1],
                                                  sigma_next=sigmas[2], x_t=x,
                                                  model_output=eps, x0_prev=x0_prev)
    want = float(_by_hand(*sigmas, x, eps, x0_prev))
    assert float(got) == pytest.approx(want, rel=1e-11, abs=1e-11 * (1 + abs(x) + abs(eps)))


@settings(max_examples=30, derandomize=True, deadline=None)
@given(st.floats(0.01, 100), st.floats(0.0, 0.99), st.floats(-3, 3), st.floats(-3, 3))
def test_dpm_solver_pp_1_is_ddim_eta_0(sigma, ratio, x, eps):
    """Lu et al. 2022b, Sec. 4: DPM-Solver++(1) is DDIM(eta = 0); abar = 1/(1 + sigma^2)."""
    nxt = sigma * ratio
    dpm = C.get("dpmsolver++1-epsilon").evaluate(sigma=sigma, sigma_next=nxt, x_t=x,
                                                 model_output=eps)
    ddim = C.get("ddim-step-epsilon").evaluate(abar_t=1 / (1 + sigma ** 2),
                                               abar_prev=1 / (1 + nxt ** 2), eta=0.0, x_t=x,
                                               model_output=eps, noise=0.0)
    assert float(dpm) == pytest.approx(float(ddim), rel=1e-9, abs=1e-9 * (1 + abs(x) * sigma))


@pytest.mark.parametrize("order", [1, 2])
def test_the_real_scheduler_holds_in_float32_invariance_grid_endpoints(order):
    for prop in ("float32", "invariance", "grid", "endpoints"):
        row = run.search(get(NAME), prop, {"solver_order": order}, 0, EXAMPLES)
        assert row.status == "holds", row.report()


def test_every_step_of_a_run_holds_with_the_scheduler_s_own_stored_outputs():
    """n = 8: step 0 first order, 1 .. 6 DPM-Solver++(2M) against the stored previous output, the
    last first order (final sigma 0, where 2M is singular)."""
    adapter = get(NAME)
    orders = []
    for index in range(8):
        config = {**BASE, "num_inference_steps": 8, "index": index}
        assert run.replay(adapter, "float32", config) is None
        orders.append(adapter.order_at(adapter.make(config, "float32"), config, index))
    assert orders == [1, 2, 2, 2, 2, 2, 2, 1]


def test_lower_order_final_is_the_documented_choice():
    """With final_sigmas_type 'sigma_min' the last step is 2M unless lower_order_final holds and
    there are fewer than 15 steps; each case holds with the order the adapter expects."""
    adapter = get(NAME)
    for n, lower, order in ((10, True, 1), (10, False, 2), (16, True, 2)):
        config = {**BASE, "final_sigmas_type": "sigma_min", "lower_order_final": lower,
                  "num_inference_steps": n, "index": n - 1}
        sched = adapter.make(config, "float32")
        assert adapter.order_at(sched, config, n - 1) == order
        assert run.replay(adapter, "float32", config) is None


def test_real_step_casts_a_float64_sample_to_float32():
    """step() runs sample.to(torch.float32) ('Upcast to avoid precision issues'): for float64
    inputs it is a downcast, and the x_t term is computed in float32."""
    config = {**BASE, "num_inference_steps": 5, "index": 2}
    failure = run.replay(get(NAME), "step", config)
    assert failure.contract == "dpmsolver++2m-epsilon" and failure.diff > 1e3 * failure.budget
    assert any("casts the sample to float32" in n for n in failure.notes)
    assert failure.diff < 1e-5 * (1 + abs(failure.expected))


def test_planted_inverted_ratio_is_caught():
    row = run.search(DPMSolverAdapter(DPMInvertedRatio), "float32", {"solver_order": 2}, 0,
                     EXAMPLES)
    assert row.status == "fails"
    report = row.report()
    assert "DPMInvertedRatio solver_order=2: property 6 one step in float32" in report
    assert "contract: dpmsolver++2m-" in report and "Lu et al. 2022b (DPM-Solver++), Algorithm 2" in report
    assert row.failure.diff > 100 * row.failure.budget and len(report.splitlines()) <= 12
    assert run.replay(get(NAME), "float32", row.config) is None       # the real class holds there


def test_planted_timesteps_one_below_their_sigmas_are_caught_by_the_grid():
    row = run.search(DPMSolverAdapter(DPMTimestepsOneLow), "grid", {"solver_order": 2}, 0,
                     EXAMPLES)
    assert row.status == "fails"
    report = row.report()
    assert "property 4 the timestep grid: fails" in report
    assert "first timestep 499, the leading spacing starts at 500" in report
    assert "sigma 0 is 3.44296741; timestep 499's noise level sqrt((1 - abar)/abar) is 3.42413683" \
        in report


@pytest.mark.slow
def test_the_real_loop_reaches_the_mixture():
    row = run.sampling_row(get(NAME), seed=0)
    assert row.status == "holds", row.report()
