"""Samplers with the exact score: order of convergence and output distributions.

Order: with Gaussian data and the exact (affine) score every sampler is affine in its start point
and its noise draws, so running it on a batch of basis inputs (row 0: the mean path; row 1: the
start offset by one prior std; row k + 2: a unit draw at step k only) gives the output mean and
variance exactly, without Monte Carlo error.  The fitted log-log slope of the error against the
number of steps is the order: Euler-Maruyama's weak error (in the variance) about 1, Heun's on the
probability-flow ODE about 2.

Distributions: Monte Carlo tests through numeric.montecarlo.decide (false-fail rate 1e-6 per
check, power 0.999 against a relative error of 5%), and mode weights / energy distance for the
two-Gaussian mixture of seed 002 (with weights 0.3 / 0.7 so a sampler that ignores the weights is
caught).
"""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch

from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.numeric.montecarlo import MCSettings, decide
from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.torchdiff import samplers as S
from diffproof.numeric.torchdiff.ddim import ddim, ddim_sde
from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP, DiscreteSchedule, SubVP

D = torch.float64


pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py


MEAN, VAR = 0.5, 0.25
GAUSS = DiagonalGaussianMixture.gaussian([MEAN], [VAR])
SAMPLERS = {"em": S.euler_maruyama, "pc": S.predictor_corrector, "heun": S.probability_flow_heun}


def marginal(sde, t):
    tt = torch.tensor(t, dtype=D)
    scale = float(sde.scale(tt))
    return scale * MEAN, math.sqrt(float(sde.marginal_variance(tt, VAR)))


def basis_run(sampler, sde, n_steps, start_mean, start_std, **kw):
    """Exact output (mean, variance) of an affine sampler started from N(start_mean, start_std^2)."""
    x = torch.full((n_steps + 2, 1), start_mean, dtype=D)
    x[1, 0] += start_std

    def unit_noise(k, like):
        z = torch.zeros_like(like)
        z[k + 2, 0] = 1.0
        return z
    y = sampler(GAUSS.score_fn(sde), x, sde, n_steps=n_steps, noise=unit_noise, **kw)
    return float(y[0]), float(((y[1:] - y[0]) ** 2).sum())


def slope(steps, errors):
    return -float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


@pytest.mark.parametrize("sde,t_min", [(VP(), 1e-3), (SubVP(), 1e-2), (VE(0.1, 5.0), 0.05)],
                         ids=["VP", "subVP", "VE"])
def test_euler_maruyama_weak_order_is_one(sde, t_min):
    steps = [80, 160, 320, 640]
    start_mean, start_std = marginal(sde, 1.0)
    target = marginal(sde, t_min)[1] ** 2
    errors = [abs(basis_run(S.euler_maruyama, sde, n, start_mean, start_std, t_min=t_min)[1] - target)
              for n in steps]
    assert 0.85 <= slope(steps, errors) <= 1.25, errors
    assert errors[-1] < 2e-3 * target * 10


@pytest.mark.parametrize("sde", [VP(), SubVP(), VE(0.01, 3.0)], ids=["VP", "subVP", "VE"])
def test_heun_probability_flow_order_is_two(sde):
    """The exact flow for Gaussian data keeps the standardized coordinate: x_T = mean_T + std_T
    ends at mean_t + std_t."""
    t_min, steps = 1e-3, [20, 40, 80, 160]
    start_mean, start_std = marginal(sde, 1.0)
    end_mean, end_std = marginal(sde, t_min)
    errors = []
    for n in steps:
        x = torch.tensor([[start_mean + start_std]], dtype=D)
        y = S.probability_flow_heun(GAUSS.score_fn(sde), x, sde, n_steps=n, t_min=t_min)
        errors.append(abs(float(y) - (end_mean + end_std)))
    assert 1.8 <= slope(steps, errors) <= 2.2, errors


def test_seed_prior_for_ve():
    """Seed 002 starts VE sampling from N(0, I) instead of the marginal at T, N(m, std_T^2) with
    std_T^2 = sigma_max^2 - sigma_min^2 + s^2.  With the exact score the reverse SDE damps a
    start error: the mean offset and the variance ratio's distance to 1 both shrink by the factor
    std_end^2 / std_T^2 (d(var/std_t^2) = (g^2/std_t^2)(1 - var/std_t^2) dtau), so Euler-Maruyama
    ends near, not at, the data law.  The probability-flow ODE only scales deviations by
    std_end / std_T, so from N(0, I) it ends with std std_end / std_T: far too narrow."""
    sde, t_min = VE(0.01, 3.0), 1e-3
    start_mean, start_std = marginal(sde, 1.0)
    end_mean, end_std = marginal(sde, t_min)
    shrink = end_std ** 2 / start_std ** 2
    right = basis_run(S.euler_maruyama, sde, 400, start_mean, start_std, t_min=t_min)
    seed = basis_run(S.euler_maruyama, sde, 400, 0.0, 1.0, t_min=t_min)
    assert abs(right[1] / end_std ** 2 - 1) < 1e-3 and abs(right[0] - end_mean) < 1e-9
    predicted_ratio = 1 + (1 / start_std ** 2 - 1) * shrink
    assert abs(seed[1] / end_std ** 2 - predicted_ratio) < 3e-3, (seed, predicted_ratio)
    assert abs(seed[0] - (end_mean - start_mean * shrink)) < 2e-3  # the offset itself is 0.0135
    assert seed[1] / end_std ** 2 < 0.98  # visible, but small: 2.4 % too narrow here

    heun = S.probability_flow_heun
    right = basis_run(heun, sde, 200, start_mean, start_std, t_min=t_min)
    seed = basis_run(heun, sde, 200, 0.0, 1.0, t_min=t_min)
    assert abs(right[1] / end_std ** 2 - 1) < 1e-3
    predicted_std = end_std / start_std
    assert abs(math.sqrt(seed[1]) / predicted_std - 1) < 1e-3
    assert abs(seed[0] - (end_mean - start_mean * end_std / start_std)) < 1e-3
    assert seed[1] < 0.2 * end_std ** 2


SETTINGS = MCSettings(rel_tol=0.05, abs_floor=0.01)


def _draws(run, centre=None):
    """A draw function for decide: seeds a torch generator from the engine's stream."""
    def draw(rng, k):
        generator = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        y = run(k, generator).reshape(-1).numpy()
        return y if centre is None else (y - centre) ** 2
    return draw


def _ddpm(variance):
    schedule = DiscreteSchedule.cosine(250)

    def run(k, generator):
        x = torch.randn(k, 1, dtype=D, generator=generator)
        return S.ddpm_ancestral(GAUSS.noise_fn(schedule), x, schedule, variance=variance,
                                generator=generator)
    return run


def _continuous(kind, sde, n_steps, start=None):
    def run(k, generator):
        x = (S.prior_sample(sde, (k, 1), VAR, MEAN, generator, D) if start is None
             else start(k, generator))
        # pc with snr 0.05: the corrector's own O(step) bias stays below 1 %
        options = {"snr": 0.05} if kind == "pc" else {}
        return SAMPLERS[kind](GAUSS.score_fn(sde), x, sde, n_steps=n_steps, denoise=True,
                              generator=generator, **options)
    return run


GAUSSIAN_SAMPLERS = {
    "ddpm-beta": _ddpm("beta"),
    "em-VE": _continuous("em", VE(), 100), "em-VP": _continuous("em", VP(), 200),
    "pc-VE": _continuous("pc", VE(), 100), "heun-VP": _continuous("heun", VP(), 50),
}


@pytest.mark.parametrize("variance", ["beta", "betatilde"])
def test_ddpm_ancestral_variance_error_is_order_one(variance):
    """DDPM with the exact noise predictor is affine too: exact output variance by basis rows.
    With sigma^2 = betatilde the variance is biased low (1.6 % at cosine T = 1000 here), so the
    Monte Carlo test below uses sigma^2 = beta only; both converge at order 1 in T."""
    steps, errors = [125, 250, 500, 1000], []
    for n in steps:
        schedule = DiscreteSchedule.cosine(n)
        x = torch.zeros(n + 2, 1, dtype=D)
        x[1, 0] = 1.0

        def unit_noise(k, like):
            z = torch.zeros_like(like)
            z[k + 2, 0] = 1.0
            return z
        y = S.ddpm_ancestral(GAUSS.noise_fn(schedule), x, schedule, variance=variance,
                             noise=unit_noise)
        assert abs(float(y[0]) - MEAN) < 1e-6
        errors.append(abs(float(((y[1:] - y[0]) ** 2).sum()) / VAR - 1))
    assert 0.85 <= slope(steps, errors) <= 1.15, errors
    assert errors[-1] < 0.02


@pytest.mark.parametrize("name", list(GAUSSIAN_SAMPLERS))
def test_gaussian_mean_and_variance(name):
    """Each sampler's bias here is below 1 % of the variance (see the exact runs above), a fifth
    of the 5 % the check detects with power 0.999, so the false-fail rate stays near 1e-4."""
    run = GAUSSIAN_SAMPLERS[name]
    mean = decide(_draws(run), MEAN, seed=1, settings=SETTINGS, what=f"{name} mean")
    var = decide(_draws(run, MEAN), VAR, seed=2, settings=SETTINGS, what=f"{name} variance")
    assert mean.status == HOLDS, mean.details
    assert var.status == HOLDS, var.details


def test_the_variance_check_has_power_against_the_seed_prior_on_the_flow():
    """Planted error: the probability-flow ODE started from seed 002's N(0, I) (VE)."""
    run = _continuous("heun", VE(), 50, start=lambda k, g: torch.randn(k, 1, dtype=D, generator=g))
    verdict = decide(_draws(run, MEAN), VAR, seed=3, settings=SETTINGS)
    assert verdict.status == FAILS, verdict.details


# --- the two-Gaussian mixture of seed 002, with unequal weights -----------------------------
F32 = torch.float32
BASE = DiagonalGaussianMixture.seed002()
MIX = DiagonalGaussianMixture([0.3, 0.7], BASE.means, BASE.variances, dtype=F32)
N_MIX = 40_000
# |w_hat - 0.3| > 0.01 with n = 40000 is 4.4 standard errors (sd 0.0023): false-fail ~1e-5.
WEIGHT_TOL = 0.01
# The energy distance of two independent 4000-point data samples is ~5e-4 in size.
ENERGY_TOL = 2.5e-3


def _mixture_run(kind, sde, n_steps, generator, start=None, oracle=MIX):
    x = (S.prior_sample(sde, (N_MIX, 2), float(MIX.variance().mean()), MIX.mean(), generator, F32)
         if start is None else start)
    return SAMPLERS[kind](oracle.score_fn(sde), x, sde, n_steps=n_steps, denoise=True,
                          generator=generator)


MIXTURE_CASES = {
    "em-VE": lambda g: _mixture_run("em", VE(), 200, g),
    "em-VP": lambda g: _mixture_run("em", VP(), 200, g),
    "pc-VE": lambda g: _mixture_run("pc", VE(), 100, g),
    "heun-VE": lambda g: _mixture_run("heun", VE(), 100, g),
    "ddpm-betatilde-cosine": lambda g: S.ddpm_ancestral(
        MIX.noise_fn(DiscreteSchedule.cosine(100)), torch.randn(N_MIX, 2, dtype=F32, generator=g),
        DiscreteSchedule.cosine(100), variance="betatilde", generator=g),
}


@pytest.mark.parametrize("name", list(MIXTURE_CASES))
def test_mixture_mode_weights_and_energy_distance(name, fresh_data):
    samples = MIXTURE_CASES[name](torch.Generator().manual_seed(7))
    weights = mode_weights(samples, MIX.means)
    assert abs(float(weights[0]) - 0.3) <= WEIGHT_TOL, weights
    assert energy_distance(samples, fresh_data) <= ENERGY_TOL


def test_mixture_checks_catch_planted_errors(fresh_data):
    """A score that ignores the weights (0.5/0.5) and the flow from seed 002's N(0, I) both fail."""
    g = torch.Generator().manual_seed(8)
    even = DiagonalGaussianMixture([0.5, 0.5], BASE.means, BASE.variances, dtype=F32)
    wrong_weights = _mixture_run("heun", VE(), 50, g, oracle=even)
    assert abs(float(mode_weights(wrong_weights, MIX.means)[0]) - 0.3) > WEIGHT_TOL
    seed_prior = _mixture_run("heun", VE(), 50, g, start=torch.randn(N_MIX, 2, generator=g))
    assert energy_distance(seed_prior, fresh_data) > 10 * ENERGY_TOL


# --- one signature: sampler(model, x, schedule, *, ..., generator=None, callback=None) ----------
CONTINUOUS = [S.euler_maruyama, S.predictor_corrector, S.probability_flow_heun]


@pytest.mark.parametrize("sampler", CONTINUOUS + [S.ddpm_ancestral, ddim, ddim_sde],
                         ids=lambda f: f.__name__)
def test_every_sampler_has_the_common_signature(sampler):
    """(model, x, schedule) positional, the options keyword-only; the continuous-time ones share
    every keyword (the ODE accepts generator and noise and draws nothing)."""
    parameters = inspect.signature(sampler).parameters
    positional = [p.name for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = {p.name for p in parameters.values() if p.kind is p.KEYWORD_ONLY}
    assert positional == ["model", "x", "schedule"]
    common = {"generator", "callback", "noise"}
    if sampler in CONTINUOUS + [ddim_sde]:
        common |= {"n_steps", "t_min", "denoise"}
    assert keywords >= common


def _recording_callback(calls):
    def callback(info):
        calls.append((dict(info), info["x"].clone()))
    return callback


CALLBACK_STEPS = 7


@pytest.mark.parametrize("sampler", CONTINUOUS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sde", [VE(), VP()], ids=["VE", "VP"])
def test_callback_after_every_continuous_step(sampler, sde):
    """n_steps calls: i = 0..n-1, the time reached, x there (never changed afterwards; the last is
    the output) and Tweedie's x_0 from the score at the step's start (Luo Eq. 133)."""
    score_fn, calls = GAUSS.score_fn(sde), []
    x = S.prior_sample(sde, (16, 1), VAR, MEAN, torch.Generator().manual_seed(0), D)
    start = x.clone()
    y = sampler(score_fn, x, sde, n_steps=CALLBACK_STEPS, t_min=0.01,
                callback=_recording_callback(calls), generator=torch.Generator().manual_seed(1))
    assert torch.equal(x, start)
    times = S.time_grid(sde, CALLBACK_STEPS, 0.01)
    assert [info["i"] for info, _ in calls] == list(range(CALLBACK_STEPS))
    assert [info["t"] for info, _ in calls] == times[1:]
    previous = x
    for (info, snapshot), t_start in zip(calls, times):
        assert set(info) == {"i", "t", "x", "denoised"}
        assert torch.equal(info["x"], snapshot)
        score = score_fn(previous, torch.tensor(t_start, dtype=D))
        expected = S.tweedie(sde, previous, score, t_start)
        torch.testing.assert_close(info["denoised"], expected, rtol=1e-12, atol=1e-12)
        previous = info["x"]
    assert torch.equal(calls[-1][0]["x"], y)


def test_callback_after_every_ddpm_step():
    """n calls for n steps: i = 0..n-1, "t" the index reached (n-1..0), and x_0 from the noise
    prediction at the step's start (Luo Eq. 115)."""
    schedule, calls = DiscreteSchedule.cosine(CALLBACK_STEPS), []
    noise_fn = GAUSS.noise_fn(schedule)
    x = torch.randn(16, 1, dtype=D, generator=torch.Generator().manual_seed(0))
    y = S.ddpm_ancestral(noise_fn, x, schedule, callback=_recording_callback(calls),
                         generator=torch.Generator().manual_seed(1))
    assert [info["i"] for info, _ in calls] == list(range(CALLBACK_STEPS))
    assert [info["t"] for info, _ in calls] == list(range(CALLBACK_STEPS - 1, -1, -1))
    previous = x
    for (info, snapshot), i in zip(calls, range(CALLBACK_STEPS, 0, -1)):
        assert set(info) == {"i", "t", "x", "denoised"} and torch.equal(info["x"], snapshot)
        expected = fw.x0_from_noise(previous, noise_fn(previous, i), *schedule.kernel(i, previous))
        torch.testing.assert_close(info["denoised"], expected, rtol=1e-12, atol=1e-12)
        previous = info["x"]
    assert torch.equal(calls[-1][0]["x"], y)
