"""The EDM torch twins and samplers (numeric/torchdiff/edm.py) against derive/edm.py and the exact
Gaussian(-mixture) oracle.

Twins: c_skip, c_out, c_in, c_noise and lambda equal derive.edm's *derived* preconditioning (solved
from App. B.6's requirements) and the rho-levels equal derive.edm.rho_schedule, in float64 against
the SymPy expressions at 80 digits (tests.test_torch_formulas.exact), at Hypothesis-drawn sigma,
sigma_data, levels and rho: relative error <= 1e-12.

Samplers: with Gaussian data the exact denoiser is affine, so Algorithm 1 from the start mean +
one std gives the output's std exactly (the flow keeps the standardized coordinate), and
Algorithm 2 with unit draws as basis rows gives the output mean and variance exactly (as
tests/test_torch_samplers.py does): no Monte Carlo error.  Heun's fitted order is about 2 (fixed
grids; nothing random); an Euler step on the same grids, for contrast, about 1.  The mixture of
seed 002 (weights 0.3 / 0.7) checks mode weights and energy distance with the thresholds of
tests/test_torch_samplers.py (false-fail rate about 1e-5 for the weights at n = 40000).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from diffproof.derive import edm as E
from diffproof.derive.symbols import sigma, sigma_max, sigma_min
from diffproof.numeric.torchdiff import edm as T
from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.samplers import prior_sample
from diffproof.numeric.torchdiff.schedules import VE, VP, SubVP
from diffproof.proofs.cli import main
from tests.test_torch_formulas import close, exact
from tests.test_torch_samplers import ENERGY_TOL, MIX, N_MIX, WEIGHT_TOL

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

F64 = torch.float64
MEAN, VAR = 0.5, 0.25
GAUSS = DiagonalGaussianMixture.gaussian([MEAN], [VAR])
SIGMA_MIN, SIGMA_MAX = 0.002, 80.0


# --- the twins against derive.edm --------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def derived() -> dict[str, sp.Expr]:
    return {"c_skip": E.derived_c_skip(), "c_out": E.derived_c_out(), "c_in": E.derived_c_in(),
            "c_noise": E.table_c_noise(), "lambda": E.derived_loss_weight()}


levels = st.floats(1e-3, 1e3)
data_stds = st.floats(0.05, 5.0)


@settings(max_examples=40)
@given(levels, data_stds)
def test_preconditioning_is_the_derived_one(level, std):
    values = {sigma: level, E.sigma_data: std}
    c_skip, c_out, c_in, c_noise = T.preconditioning(torch.tensor([level], dtype=F64), std)
    twins = {"c_skip": c_skip, "c_out": c_out, "c_in": c_in, "c_noise": c_noise,
             "lambda": T.loss_weight(torch.tensor([level], dtype=F64), std)}
    for name, value in twins.items():
        close(value, exact(derived()[name], values), what=name)


def test_preconditioning_keeps_the_dtype_and_the_table_properties():
    level = torch.tensor([0.01, 1.0, 80.0], dtype=torch.float32)
    c_skip, c_out, c_in, c_noise = T.preconditioning(level, 0.5)
    assert all(c.dtype == torch.float32 for c in (c_skip, c_out, c_in, c_noise))
    torch.testing.assert_close(c_in ** 2 * (0.25 + level ** 2), torch.ones(3))     # unit input
    torch.testing.assert_close(T.loss_weight(level, 0.5) * c_out ** 2, torch.ones(3))
    # no overflow where sigma^2 would: hypot
    huge = T.preconditioning(torch.tensor([1e200], dtype=F64), 0.5)
    assert all(math.isfinite(float(c)) for c in huge) and abs(float(huge[1]) - 0.5) < 1e-15


def test_a_zero_network_is_the_optimal_denoiser_of_gaussian_data_of_std_sigma_data():
    """F = 0 gives D = c_skip x, E[y | x] for y ~ N(0, sigma_data^2) (derive.edm: the ideal
    F is 0)."""
    std = 0.7
    denoiser = T.precondition(lambda x, c_noise: torch.zeros_like(x), std)
    oracle = T.exact_denoiser(DiagonalGaussianMixture.gaussian([0.0], [std ** 2]))
    x = torch.linspace(-3, 3, 7, dtype=F64).reshape(-1, 1)
    for level in (0.01, 0.5, 20.0):
        torch.testing.assert_close(denoiser(x, level), oracle(x, level), rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(st.integers(2, 60), st.floats(1e-3, 1.0), st.floats(1.5, 1e3), st.floats(0.5, 10.0),
       st.data())
def test_rho_levels_are_the_sympy_schedule(n, low, ratio, rho, data):
    high = low * ratio
    levels = T.rho_sigmas(n, low, high, rho, dtype=F64)
    assert float(levels[0]) == high and float(levels[-1]) == low and len(levels) == n
    assert bool((levels[1:] < levels[:-1]).all())
    i = data.draw(st.integers(0, n - 1))
    expected = exact(E.rho_schedule(), {E.ramp: sp.Rational(i, n - 1), E.rho: rho,
                                          sigma_min: low, sigma_max: high})
    close(levels[i], expected, what=f"sigma_{i}")


def test_rho_one_is_a_uniform_grid_and_the_options():
    levels = T.rho_sigmas(11, 0.5, 10.5, 1.0, dtype=F64)
    torch.testing.assert_close(levels[:-1] - levels[1:], torch.full((10,), 1.0, dtype=F64))
    with_zero = T.rho_sigmas(5, 0.002, 80.0, append_zero=True)
    assert with_zero.dtype == torch.float32 and len(with_zero) == 6 and float(with_zero[-1]) == 0
    for args in [(1, 0.1, 1.0), (5, 1.0, 0.1), (5, 0.0, 1.0), (5, 0.1, math.inf)]:
        with pytest.raises(ValueError):
            T.rho_sigmas(*args)
    with pytest.raises(ValueError, match="rho"):
        T.rho_sigmas(5, 0.1, 1.0, 0.0)


def test_churn_gammas():
    levels = [80.0, 10.0, 1.0, 0.1, 0.002]
    assert T.churn_gammas(levels, 0.0) == [0.0] * 4
    assert T.churn_gammas(levels, 0.4) == [0.1] * 4
    assert T.churn_gammas(levels, 100.0) == [math.sqrt(2) - 1] * 4          # the cap
    assert T.churn_gammas(levels, 0.4, s_tmin=0.05, s_tmax=50.0) == [0.0, 0.1, 0.1, 0.1]
    with pytest.raises(ValueError):
        T.churn_gammas(levels, -1.0)


# --- Algorithm 1 with the exact Gaussian denoiser ------------------------------------------------
def flow_end(start: float, level: float, end: float) -> float:
    """The exact flow of Gaussian data: (x - m)/sqrt(VAR + sigma^2) is constant."""
    return MEAN + (start - MEAN) * math.sqrt((VAR + end ** 2) / (VAR + level ** 2))


def slope(steps, errors) -> float:
    return -float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


def euler(denoiser, x, levels):
    """Euler steps of dx/dsigma = (x - D)/sigma on the same levels (the contrast)."""
    for level, level_next in zip(levels[:-1], levels[1:]):
        x = x + (x - denoiser(x, level)) / level * (level_next - level)
    return x


STEPS = [8, 16, 32, 64, 128]


@pytest.mark.parametrize("rho", [7.0, 3.0])
def test_heun_is_second_order_and_euler_first(rho):
    """From sigma_max = 80 to sigma_min = 0.002 on the rho-levels: Heun's fitted order is 2.08 at
    rho = 7 and 3 (errors 0.14 -> 4.4e-4 at rho = 7); Euler's on the same levels about 1."""
    denoiser, start = T.exact_denoiser(GAUSS), MEAN + math.sqrt(VAR + SIGMA_MAX ** 2)
    target = flow_end(start, SIGMA_MAX, SIGMA_MIN)
    heun, first = [], []
    for n in STEPS:
        levels = T.rho_sigmas(n + 1, SIGMA_MIN, SIGMA_MAX, rho, dtype=F64)
        x = torch.tensor([[start]], dtype=F64)
        heun.append(abs(float(T.edm_sample(denoiser, x, levels)) - target))
        first.append(abs(float(euler(denoiser, x, levels.tolist())) - target))
    assert 1.9 <= slope(STEPS, heun) <= 2.2, heun
    assert 0.8 <= slope(STEPS, first) <= 1.2, first
    assert heun[-1] < 1e-3 and heun[-1] < first[-1] / 10


def test_the_mean_path_is_exact_and_a_last_step_to_zero_returns_the_denoiser():
    denoiser = T.exact_denoiser(GAUSS)
    levels = T.rho_sigmas(10, SIGMA_MIN, SIGMA_MAX, append_zero=True, dtype=F64)
    x = torch.tensor([[MEAN], [MEAN + 30.0]], dtype=F64)
    calls = []
    y = T.edm_sample(denoiser, x, levels, callback=calls.append)
    assert abs(float(y[0]) - MEAN) < 1e-12
    # the last step is Euler from sigma_{N-1} to 0: x + (0 - sigma)(x - D)/sigma = D
    before = calls[-2]["x"]
    torch.testing.assert_close(y, denoiser(before, float(levels[-2])), rtol=1e-12, atol=1e-12)
    assert [c["t"] for c in calls] == levels[1:].tolist() and calls[-1]["x"] is y


@pytest.mark.parametrize("sde", [VE(0.01, 3.0), VP(), SubVP()], ids=["VE", "VP", "subVP"])
def test_edm_heun_on_each_sde_is_second_order(sde):
    """edm_heun on the SDE's own kernel (sigma(t) = sqrt(v)/s, the ODE run on x/s): from the
    start mean + one std at T it ends at mean + std at t_min; fitted order 2.06-2.11."""
    t_min, steps, errors = 1e-3, STEPS[:4], []
    start = torch.tensor(1.0, dtype=F64)
    end = torch.tensor(t_min, dtype=F64)
    x_start = float(sde.scale(start)) * MEAN + math.sqrt(float(sde.marginal_variance(start, VAR)))
    x_end = float(sde.scale(end)) * MEAN + math.sqrt(float(sde.marginal_variance(end, VAR)))
    for n in steps:
        y = T.edm_heun(GAUSS.score_fn(sde), torch.tensor([[x_start]], dtype=F64), sde,
                       n_steps=n, t_min=t_min)
        errors.append(abs(float(y) - x_end))
    assert 1.9 <= slope(steps, errors) <= 2.25, errors


def test_time_of_sigma_inverts_the_noise_level():
    for sde in (VE(0.01, 3.0), VP(), SubVP()):
        times = torch.tensor([1e-3, 0.1, 0.5, 1.0, 1.5], dtype=F64)   # 1.5: beyond T (a churn)
        torch.testing.assert_close(T.time_of_sigma(sde, T.edm_sigma(sde, times)), times,
                                   rtol=1e-10, atol=1e-12)


# --- Algorithm 2: the churn ------------------------------------------------------------------------
def basis_run(n_steps: int, s_churn: float):
    """Exact output (mean, variance) of Algorithm 2 from N(MEAN, VAR + sigma_max^2): row 0 the
    mean path, row 1 one std off it, row k + 2 a unit draw at step k only."""
    levels = T.rho_sigmas(n_steps + 1, SIGMA_MIN, SIGMA_MAX, dtype=F64).tolist()
    x = torch.full((n_steps + 2, 1), MEAN, dtype=F64)
    x[1, 0] += math.sqrt(VAR + SIGMA_MAX ** 2)

    def unit(k, like):
        z = torch.zeros_like(like)
        z[k + 2, 0] = 1.0
        return z
    y = T.edm_sample(T.exact_denoiser(GAUSS), x, levels, gammas=T.churn_gammas(levels, s_churn),
                     noise=unit)
    return float(y[0]), float(((y[1:] - y[0]) ** 2).sum())


def test_one_churn_step_raises_the_variance_to_sigma_hat():
    """x ~ N(MEAN, VAR + sigma^2) plus sqrt(sigma_hat^2 - sigma^2) z is N(MEAN, VAR + sigma_hat^2):
    the churned point's exact variance, read off the denoiser's input at the raised level."""
    seen = []

    def spy(x, level):
        seen.append((x.clone(), level))
        return T.exact_denoiser(GAUSS)(x, level)
    level, gamma = 2.0, 0.3
    x = torch.tensor([[MEAN], [MEAN + math.sqrt(VAR + level ** 2)], [MEAN]], dtype=F64)
    unit = lambda k, like: torch.tensor([[0.0], [0.0], [1.0]], dtype=F64)    # noqa: E731
    T.edm_sample(spy, x, [level, 1.0], gammas=[gamma], noise=unit)
    churned, raised = seen[0]
    assert raised == level * (1 + gamma)
    variance = float(((churned[1:] - churned[0]) ** 2).sum())
    assert abs(variance - (VAR + raised ** 2)) < 1e-12 and float(churned[0]) == MEAN


@pytest.mark.parametrize("s_churn,last", [(10.0, 0.01), (40.0, 0.03)])
def test_stochastic_sampler_variance_converges(s_churn, last):
    """The output variance error shrinks with the steps (still pre-asymptotic at 128 steps: the
    churn's own error goes with S_churn/N; 0.0049 at S_churn = 10, 0.015 at 40); the mean path
    is exact."""
    target, errors = VAR + SIGMA_MIN ** 2, []
    for n in STEPS:
        mean, var = basis_run(n, s_churn)
        assert abs(mean - MEAN) < 1e-12
        errors.append(abs(var / target - 1))
    assert all(a > b for a, b in zip(errors, errors[1:])) and slope(STEPS, errors) > 1.3, errors
    assert errors[-1] < last


@pytest.mark.parametrize("bad", [[0.5], [-0.1, 0.0], [0.0]])
def test_bad_gammas_and_levels_are_refused(bad):
    denoiser, x = T.exact_denoiser(GAUSS), torch.zeros(1, 1, dtype=F64)
    with pytest.raises(ValueError):
        T.edm_sample(denoiser, x, [2.0, 1.0, 0.5], gammas=bad)
    with pytest.raises(ValueError):
        T.edm_sample(denoiser, x, [1.0, 2.0])


# --- the seed 002 mixture with weights 0.3 / 0.7 ---------------------------------------------------
def _prior(g):
    return prior_sample(VE(), (N_MIX, 2), float(MIX.variance().mean()), MIX.mean(), g)


MIXTURE_CASES = {
    "edm_heun-VE-40": lambda g: T.edm_heun(MIX.score_fn(VE()), _prior(g), VE(), n_steps=40,
                                          denoise=True),
    "edm_stochastic-VE-40": lambda g: T.edm_stochastic(MIX.score_fn(VE()), _prior(g), VE(),
                                                      n_steps=40, s_churn=10.0, denoise=True,
                                                      generator=g),
}


def test_mixture_mode_weights_and_energy_distance(fresh_data):
    """Both samplers with the exact mixture score on VE, 40 steps, from the same prior draws."""
    for name, run in MIXTURE_CASES.items():
        samples = run(torch.Generator().manual_seed(7))
        weight = float(mode_weights(samples, MIX.means)[0])
        distance = energy_distance(samples, fresh_data)
        assert abs(weight - 0.3) <= WEIGHT_TOL and distance <= ENERGY_TOL, (name, weight, distance)


def test_callback_on_an_sde_reports_times_and_scaled_points():
    sde, calls = VP(), []
    x = torch.randn(4, 1, dtype=F64, generator=torch.Generator().manual_seed(0))
    y = T.edm_heun(GAUSS.score_fn(sde), x, sde, n_steps=5, t_min=0.01,
                   callback=lambda info: calls.append(dict(info)))
    assert [c["i"] for c in calls] == list(range(5))
    assert abs(calls[-1]["t"] - 0.01) < 1e-9 and abs(calls[0]["t"] - 1.0) > 1e-3
    torch.testing.assert_close(calls[-1]["x"], y, rtol=1e-12, atol=1e-12)


def test_sample_command_offers_the_edm_samplers(tmp_path, capsys):
    """One small checkpoint, sampled with each EDM sampler by `diffproof sample`."""
    checkpoint = str(tmp_path / "model.pt")
    assert main(["train", "--out", checkpoint, "--steps", "20", "--hidden", "16", "--depth", "2",
                 "--batch", "64", "--quiet", "--threads", "1"]) == 0
    for sampler in ("edm", "edm-sde"):
        figure = str(tmp_path / f"{sampler}.png")
        assert main(["sample", "--checkpoint", checkpoint, "--sampler", sampler, "-n", "300",
                     "--steps", "10", "--png", figure, "--threads", "1", "--json"]) == 0
        printed = capsys.readouterr().out
        assert f'"png": "{figure}"' in printed and '"exact score"' in printed
