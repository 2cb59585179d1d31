"""float32 error budget of the torch formulas, and the predictor-corrector at coarse grids.

Budget (numeric/torchdiff/schedules.py and forward.py docstrings, docs/torch.md): schedule values are
computed in float64 and rounded once, so in float32 they are within 2^-24 (+ the 1e-12 of the
float64 value) of exact; formulas that combine them with float32 data (the DDPM posterior mean,
q(x_i | x_0) draws, the DDPM model mean) are within 8 * 2^-24 ~ 4.8e-7 relative to the size of
their terms.  The reference is the SymPy twin at 80 digits, at the same float32 inputs and the
schedule's exact alpha_i, abar_i (tests/test_torch_formulas.py).
"""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from diffproof.derive.symbols import beta_max, beta_min, eps_0, epshat, sigma_max, sigma_min, t, x_0, x_t, xhat
from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.torchdiff import samplers as S
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP, DiscreteSchedule, SubVP
from tests.test_torch_formulas import (EDGE_TIMES, _schedule_twins, beta_firsts, exact,
                                       formulas_model_mean_x0, formulas_posterior_mean,
                                       formulas_x0_from_noise, schedule_values, ve_params, vp_params)

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

U = 2.0 ** -24
F32 = torch.float32
F32_TINY, F32_MAX = 1.2e-38, 3.4e38
EXAMPLES = settings(max_examples=40)
floats32 = st.floats(-10, 10, width=32)
times32 = st.sampled_from(EDGE_TIMES + [1e-30, 2.0 ** -20]) | st.floats(0, 1, width=32)


def t32(value: float) -> torch.Tensor:
    return torch.tensor([value], dtype=F32)


def within(actual: torch.Tensor, expected: float, size: float, ulps: float) -> None:
    assert actual.dtype == F32
    actual = float(actual)
    assert math.isfinite(actual), (actual, expected)
    assert abs(actual - expected) <= ulps * U * size + 1e-12 * abs(expected), \
        (actual, expected, abs(actual - expected) / (U * size))


@EXAMPLES
@given(st.sampled_from(["VE", "VP", "subVP"]), st.data(), times32)
def test_float32_schedules_are_one_rounding_from_exact(kind, data, time):
    """float32 t in, float32 out: within one rounding of the exact value at that t."""
    if kind == "VE":
        params = data.draw(ve_params)
        sde, values = VE(*params), {sigma_min: params[0], sigma_max: params[1]}
    else:
        params = data.draw(vp_params)
        sde = (VP if kind == "VP" else SubVP)(*params)
        values = {beta_min: params[0], beta_max: params[1]}
    tt = t32(time)
    values[t] = float(tt)
    for name, expr in _schedule_twins(kind):
        expected = exact(expr, values)
        if expected == 0 or F32_TINY < abs(expected) < F32_MAX:
            within(getattr(sde, name)(tt), expected, abs(expected), 1.0)


def _schedule(data):
    n = data.draw(st.integers(2, 1000))
    sched = DiscreteSchedule.linear(n, data.draw(beta_firsts), data.draw(st.floats(0.01, 0.05)))
    return sched, data.draw(st.sampled_from([1, 2, n]) | st.integers(1, n))


@EXAMPLES
@given(st.data(), floats32, floats32, floats32)
def test_float32_ddpm_formulas_within_budget(data, xt_value, x0_value, noise_value):
    """Posterior mean, q(x_i | x_0) draw and model mean in float32, including beta_1 = 1e-8, where
    casting abar to float32 before 1 - abar once gave NaN (1.7e-4 at the default schedule)."""
    sched, i = _schedule(data)
    values = schedule_values(sched, i)
    values.update({x_t: xt_value, x_0: x0_value, eps_0: noise_value, epshat: noise_value})
    idx = torch.tensor([i])
    xt, x0, noise = t32(xt_value), t32(x0_value), t32(noise_value)
    coef_x0 = float(sched.alphabar_prev[i].sqrt() * sched.betas[i] / sched.one_minus_alphabar[i])
    coef_xt = float(sched.alphas[i].sqrt() * sched.one_minus_alphabar_prev[i]
                    / sched.one_minus_alphabar[i])
    within(fw.posterior_mean(sched, xt, x0, idx), exact(formulas_posterior_mean(), values),
           abs(coef_x0 * x0_value) + abs(coef_xt * xt_value), 8)
    scale, std = (float(v) for v in sched.kernel(idx))
    within(fw.q_sample_discrete(sched, x0, idx, noise), scale * x0_value + std * noise_value,
           abs(scale * x0_value) + abs(std * noise_value), 8)
    mean_eps = formulas_model_mean_x0().subs(xhat, formulas_x0_from_noise().subs(eps_0, epshat))
    coef = float(sched.betas[i]) / std
    within(S.ddpm_mean(sched, xt, noise, i), exact(mean_eps, values),
           (abs(xt_value) + abs(coef * noise_value)) / math.sqrt(float(sched.alphas[i])), 8)


GAUSS = DiagonalGaussianMixture.gaussian([0.5], [0.25])


@pytest.mark.parametrize("sde", [VP(), SubVP(), VE()], ids=["VP", "subVP", "VE"])
def test_predictor_corrector_at_1_to_25_steps(sde):
    """With VP / sub-VP and fewer than 20 steps Song's Langevin scale 1 - beta(t) dt is negative
    (math domain error in sqrt(2c)); the step's exact alpha = scale(t)^2 / scale(t_next)^2 is in
    (0, 1] for every grid."""
    for n_steps in range(1, 26):
        times = S.time_grid(sde, n_steps, 1e-3)
        alphas = sde.step_alphas(times)  # VE: exactly 1
        scales = sde.scale(torch.tensor(times, dtype=torch.float64))
        ratios = (scales[:-1] / scales[1:]) ** 2
        assert all(0 < a <= 1 for a in alphas)
        torch.testing.assert_close(torch.tensor(alphas, dtype=torch.float64), ratios,
                                   rtol=1e-12, atol=0)
        x = S.prior_sample(sde, (64, 1), 0.25, 0.5, torch.Generator().manual_seed(n_steps),
                           torch.float64)
        y = S.predictor_corrector(GAUSS.score_fn(sde), x, sde, n_steps=n_steps, denoise=True,
                                  generator=torch.Generator().manual_seed(n_steps))
        assert torch.isfinite(y).all(), n_steps
