"""DPM-Solver(-1, ++1, ++2M) coefficients and the time shift against derive/, and the samplers
DPM-Solver++(2M) and flow-matching Euler judged with the exact Gaussian(-mixture) oracle.

Coefficients: numeric/torchdiff/dpm_solver.py in float64 against derive.dpm_solver's expressions
evaluated with mpmath at 80 digits at Hypothesis-drawn (alpha, sigma) pairs (relative error
<= 1e-12 of the size of the terms).  Samplers: Gaussian data N(0.5, 0.25) with the exact score (or
velocity) makes both samplers affine, so the exact flow maps the start mean + std to the end mean +
std; the fitted log-log slope of the error against the number of steps is the order (2M about 2,
Euler about 1).  Deterministic: no draws, no seeds needed; the mixture checks use fixed seeds.

Flow-matching Euler (``diffproof sample --sampler flow-euler``): the flow time of a noise level,
r/(1 + r), against derive.flow_matching.time_of_noise_ratio; the shifted time grid keeps its ends
and is SD3's shift (derive.flow_matching.time_shift) of a uniform grid; flow_euler_sde's velocity,
built from an SDE's exact score, is the oracle's exact velocity E[eps - x_0 | z]; fitted orders
0.97-0.99 with the oracle's velocity (shifts 1, 3, 0.3) and on VE, VP and sub-VP (shifts 1, 3).
"""
from __future__ import annotations

import functools
import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from diffproof.derive import dpm_solver as D
from diffproof.derive import flow_matching as FM
from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.symbols import t as t_sym
from diffproof.numeric.torchdiff import dpm_solver as T
from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP, SubVP
from tests.test_torch_samplers import (ENERGY_TOL, MEAN, MIX, N_MIX, VAR, WEIGHT_TOL, marginal,
                                       slope)

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

F64 = torch.float64
GAUSS = DiagonalGaussianMixture.gaussian([MEAN], [VAR])
RTOL = 1e-12
pair = st.tuples(st.floats(1e-3, 1e2), st.floats(1e-3, 1e2))


@functools.lru_cache(maxsize=None)
def _first_order(kind):
    symbols = [D.alpha_s, D.sigma_s, D.alpha_e, D.sigma_e]
    return safe_lambdify(symbols, D.coefficients(kind), modules="mpmath")


@functools.lru_cache(maxsize=None)
def _multistep():
    update = sp.expand(D.multistep_2m())
    parts = [sp.diff(update, v) for v in (D.x_s, D.x0_now, D.x0_prev)]
    symbols = [D.alpha_s, D.lam_s, D.alpha_e, D.lam_e, D.lam_p]
    return safe_lambdify(symbols, parts, modules="mpmath")


def _close(value, exact, size):
    assert abs(value - float(exact)) <= RTOL * max(size, 1e-300), (value, exact)


@settings(max_examples=50)
@given(pair, pair, st.sampled_from(D.KINDS))
def test_first_order_coefficients_equal_derive(start, end, kind):
    (a_s, s_s), (a_e, s_e) = start, end
    c_x, c_pred = T.first_order(kind, a_s, s_s, a_e, s_e)
    with mpmath.workdps(80):
        ref = _first_order(kind)(*(mpmath.mpf(v) for v in (a_s, s_s, a_e, s_e)))
        # c_pred is a difference of two terms: measured against their size
        size = (a_e * s_s / a_s + s_e) if kind == "eps" else (s_e * a_s / s_s + a_e)
    _close(c_x, ref[0], abs(float(ref[0])))
    _close(c_pred, ref[1], size)


@settings(max_examples=50)
@given(pair, pair, st.floats(0.01, 3.0), st.floats(0.01, 3.0))
def test_multistep_coefficients_equal_derive(start, end, h, h_prev):
    """Instants drawn by lambda: start at lambda_s, end at lambda_s + h, previous at
    lambda_s - h_prev (both steps toward the data, as in sampling)."""
    (a_s, lam_s), (a_e, _) = start, end
    lam_s = math.log(lam_s)
    lam_e, lam_p = lam_s + h, lam_s - h_prev
    s_s, s_e = a_s * math.exp(-lam_s), a_e * math.exp(-lam_e)
    got = T.multistep_2m(a_s, s_s, a_e, s_e, h_prev)
    with mpmath.workdps(80):
        ref = _multistep()(*(mpmath.mpf(v) for v in (a_s, lam_s, a_e, lam_e, lam_p)))
    size = a_e * (1 + h / (2 * h_prev)) * 2
    _close(got[0], ref[0], abs(float(ref[0])))
    _close(got[1], ref[1], size)
    _close(got[2], ref[2], size)


def test_multistep_with_one_prediction_is_first_order():
    c_x, c_now, c_prev = T.multistep_2m(0.8, 0.6, 0.9, 0.3, 0.4)
    c_x1, c_pred = T.first_order("x", 0.8, 0.6, 0.9, 0.3)
    assert c_x == c_x1 and abs(c_now + c_prev - c_pred) < 1e-15


@settings(max_examples=50)
@given(st.floats(1e-6, 1 - 1e-6), st.floats(0.05, 20.0))
def test_time_shift_equals_derive(t, shift):
    got = float(T.time_shift(torch.tensor(t, dtype=F64), shift))
    exact = sp.N(FM.time_shift().subs({t_sym: sp.Float(t, 30), FM.shift: sp.Float(shift, 30)}), 30)
    assert abs(got - float(exact)) <= RTOL * float(exact)
    assert T.time_shift(torch.tensor(t, dtype=torch.float32), shift).dtype == torch.float32


def test_first_order_refuses_a_zero_sigma():
    with pytest.raises(ValueError, match="alpha, sigma > 0"):
        T.first_order("x", 1.0, 0.0, 1.0, 0.5)


# --- samplers with the exact Gaussian oracle --------------------------------------------------
@pytest.mark.parametrize("sde", [VP(), VE(0.01, 3.0)], ids=["VP", "VE"])
def test_dpm_solver_pp_2m_is_second_order(sde):
    """Fitted on 40..320 steps (VP's slope is still 1.81 on 20..160: pre-asymptotic)."""
    t_min, steps = 1e-3, [40, 80, 160, 320]
    start_mean, start_std = marginal(sde, 1.0)
    end_mean, end_std = marginal(sde, t_min)
    errors = []
    for n in steps:
        y = T.dpm_solver_pp_2m(GAUSS.score_fn(sde), torch.tensor([[start_mean + start_std]],
                                                                 dtype=F64), sde, n_steps=n,
                               t_min=t_min)
        errors.append(abs(float(y) - (end_mean + end_std)))
    assert 1.8 <= slope(steps, errors) <= 2.3, errors


def test_flow_euler_is_first_order():
    """From t = 1 (pure noise N(0, 1)) to t = 0: x = 1 ends at MEAN + sqrt(VAR)."""
    steps, errors = [20, 40, 80, 160], []
    for n in steps:
        y = T.flow_euler(GAUSS.flow_velocity_fn(), torch.tensor([[1.0]], dtype=F64), n_steps=n)
        errors.append(abs(float(y) - (MEAN + math.sqrt(VAR))))
    assert 0.9 <= slope(steps, errors) <= 1.1, errors


def test_flow_velocity_is_the_score_converted():
    """The oracle's velocity (from E[x_0 | x_t]) equals derive.paths' conversion of the exact
    score on the rectified-flow path: u = -(z + t score)/(1 - t)."""
    x = torch.stack([torch.linspace(-2, 2, 9, dtype=F64), torch.linspace(1, -1.5, 9, dtype=F64)], 1)
    for t in (0.2, 0.5, 0.9):
        score = MIX.to(F64).score(x, torch.tensor(1 - t, dtype=F64), torch.tensor(t * t, dtype=F64))
        expected = -(x + t * score) / (1 - t)
        got = MIX.to(F64).flow_velocity_fn()(x, torch.tensor(t, dtype=F64))
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_samplers_on_the_mixture():
    """Seed 002's mixture with weights 0.3/0.7, fixed seeds: both samplers keep the weights and
    match fresh data in energy distance (the tolerances of tests/test_torch_samplers.py)."""
    fresh = MIX.sample(4000, torch.Generator().manual_seed(123))
    g = torch.Generator().manual_seed(7)
    sde = VE()
    from diffproof.numeric.torchdiff.samplers import prior_sample
    x = prior_sample(sde, (N_MIX, 2), float(MIX.variance().mean()), MIX.mean(), g)
    runs = {"2M": T.dpm_solver_pp_2m(MIX.score_fn(sde), x, sde, n_steps=30, denoise=True),
            "euler": T.flow_euler(MIX.flow_velocity_fn(), torch.randn(N_MIX, 2, generator=g,
                                                                      dtype=MIX.means.dtype),
                                  n_steps=100)}
    for name, samples in runs.items():
        assert abs(float(mode_weights(samples, MIX.means)[0]) - 0.3) <= WEIGHT_TOL, name
        assert energy_distance(samples, fresh) <= ENERGY_TOL, name


def test_sample_command_offers_dpm2m():
    from diffproof.numeric.torchdiff.sample import SAMPLERS
    from diffproof.proofs.cli import build_parser
    assert SAMPLERS["dpm2m"] is T.dpm_solver_pp_2m
    args = build_parser().parse_args(["sample", "--sampler", "dpm2m"])
    assert args.sampler == "dpm2m"


# --- flow-matching Euler on an SDE's score model, and the time shift --------------------------
@settings(max_examples=40)
@given(st.floats(1e-4, 1e4))
def test_flow_time_of_a_noise_level_equals_derive(ratio):
    got = float(T.time_of_noise_ratio(ratio))
    exact = sp.N(FM.time_of_noise_ratio().subs(FM.noise_ratio, sp.Float(ratio, 30)), 30)
    assert abs(got - float(exact)) <= RTOL * float(exact)


def test_the_shift_by_one_over_s_inverts_the_shift():
    """flow_times maps a uniform grid between the preimages: the preimage is the shift by 1/s."""
    k = FM.shift
    assert sp.simplify(FM.time_shift(FM.time_shift(t_sym, k), 1 / k) - t_sym) == 0


@pytest.mark.parametrize("shift", [1.0, 3.0, 0.3])
def test_flow_times_keep_the_ends_and_are_the_shifted_uniform_grid(shift):
    times = T.flow_times(10, 0.9, 0.01, shift)
    assert times[0] == 0.9 and times[-1] == 0.01 and len(times) == 11
    assert all(a > b for a, b in zip(times, times[1:]))
    back = T.time_shift(torch.tensor(times, dtype=F64), 1 / shift)
    gaps = back[:-1] - back[1:]
    torch.testing.assert_close(gaps, gaps.mean().expand_as(gaps), rtol=1e-10, atol=0.0)
    if shift > 1:                                    # more of the steps near the noise
        assert times[5] > (0.9 + 0.01) / 2


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_a_bad_shift_is_refused(bad):
    with pytest.raises(ValueError, match="time shift"):
        T.flow_times(10, 1.0, 0.0, bad)


@pytest.mark.parametrize("shift", [1.0, 3.0, 0.3])
def test_flow_euler_with_a_shift_is_first_order(shift):
    """The oracle's exact velocity from t = 1 to 0 over shifted times: fitted order 0.97-0.99."""
    steps, errors = [20, 40, 80, 160], []
    for n in steps:
        y = T.flow_euler(GAUSS.flow_velocity_fn(), torch.tensor([[1.0]], dtype=F64), n_steps=n,
                         shift=shift)
        errors.append(abs(float(y) - (MEAN + math.sqrt(VAR))))
    assert 0.9 <= slope(steps, errors) <= 1.1, errors


def test_flow_euler_sde_velocity_is_the_oracle_velocity():
    """The velocity flow_euler_sde builds from VE's exact mixture score (z = x/(1 + r), score
    times 1 + r, converted; r the kernel's std, sqrt(sigma(t)^2 - sigma(0)^2)) is the oracle's
    E[eps - x_0 | z] at the flow time r/(1 + r): each Euler step agrees with a step of the
    oracle's flow."""
    mix, sde = MIX.to(F64), VE(0.01, 3.0)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(64, 2, dtype=F64, generator=g) * 3
    calls = []
    y = T.flow_euler_sde(mix.score_fn(sde), x, sde, n_steps=4, t_min=0.5,
                         callback=lambda info: calls.append(info))
    ratios = sde.kernel_std(torch.tensor([1.0, 0.5], dtype=F64))
    taus = T.flow_times(4, *T.time_of_noise_ratio(ratios).tolist())
    z = x / (1 + float(ratios[0]))
    for k in range(4):
        u = mix.flow_velocity_fn()(z, torch.tensor(taus[k], dtype=F64))
        z = z + (taus[k + 1] - taus[k]) * u
        torch.testing.assert_close(calls[k]["x"], z / (1 - taus[k + 1]), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(y, calls[-1]["x"], rtol=0, atol=0)
    assert abs(calls[-1]["t"] - 0.5) < 1e-9


@pytest.mark.parametrize("shift", [1.0, 3.0])
@pytest.mark.parametrize("sde", [VE(0.01, 3.0), VP(), SubVP()], ids=["VE", "VP", "subVP"])
def test_flow_euler_sde_is_first_order(sde, shift):
    """From the start mean + std at T to t_min = 1e-3: the exact flow ends at mean + std;
    fitted order 0.97-0.99."""
    t_min, steps, errors = 1e-3, [20, 40, 80, 160], []
    start_mean, start_std = marginal(sde, 1.0)
    end_mean, end_std = marginal(sde, t_min)
    for n in steps:
        y = T.flow_euler_sde(GAUSS.score_fn(sde), torch.tensor([[start_mean + start_std]],
                                                               dtype=F64), sde, n_steps=n,
                             t_min=t_min, shift=shift)
        errors.append(abs(float(y) - (end_mean + end_std)))
    assert 0.9 <= slope(steps, errors) <= 1.1, errors
    assert errors[-1] < 0.01


def test_flow_euler_sde_on_the_mixture(fresh_data):
    """The exact mixture score on VE, 100 steps, shift 3, denoised: weights and energy distance
    within the tolerances of tests/test_torch_samplers.py; a shift that is not applied (the
    same run with shift 1) must give other samples."""
    sde, g = VE(), torch.Generator().manual_seed(7)
    from diffproof.numeric.torchdiff.samplers import prior_sample
    x = prior_sample(sde, (N_MIX, 2), float(MIX.variance().mean()), MIX.mean(), g)
    samples = T.flow_euler_sde(MIX.score_fn(sde), x, sde, n_steps=100, shift=3.0, denoise=True)
    assert abs(float(mode_weights(samples, MIX.means)[0]) - 0.3) <= WEIGHT_TOL
    assert energy_distance(samples, fresh_data) <= ENERGY_TOL
    unshifted = T.flow_euler_sde(MIX.score_fn(sde), x, sde, n_steps=100, denoise=True)
    assert not torch.equal(samples, unshifted)


def test_the_torch_flow_path_is_derive_paths_flow():
    """numeric.torchdiff.paths.flow_matching (alpha, sigma and their t-derivatives) is
    derive.paths.FLOW evaluated, at a few times in float64."""
    from diffproof.derive.paths import FLOW
    from diffproof.numeric.torchdiff.paths import flow_matching
    times = [0.0, 0.125, 0.5, 0.9, 1.0]
    path = flow_matching(torch.tensor(times, dtype=F64))
    for name, got in zip(("alpha", "sigma", "alpha_dot", "sigma_dot"), path):
        expected = [float(getattr(FLOW, name).subs(t_sym, sp.Rational(str(v)))) for v in times]
        torch.testing.assert_close(got, torch.tensor(expected, dtype=F64), rtol=1e-15,
                                   atol=1e-16, msg=name)
