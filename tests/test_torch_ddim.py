"""The DDIM(eta) sampler (numeric/torchdiff/ddim.py): its coefficients against derive/ddim.py, and
the sampler judged with the exact Gaussian oracle as tests/test_torch_samplers.py judges the others.

Coefficients: c_x, c_eps and sigma(eta) equal the SymPy update coefficients (derive.ddim) in
float64 at Hypothesis-drawn abar < abar_next <= 1 and eta in [0, 1], against the mpmath value of
the lambdified SymPy expression at 80 digits (relative error <= 1e-12, measured against the size
of the two terms of c_eps where they cancel).

Sampler: with Gaussian data and the exact noise predictor DDIM is affine in its start and its
draws, so basis rows give the output mean and variance exactly.  eta = 1 over every index is DDPM's
ancestral sampler with sigma^2 = beta-tilde, draw for draw; eta = 0 is an Euler method, its fitted
order 1 (on the DDPM schedule and, through ddim_sde, on VP, sub-VP and VE); eta = 0.5 and 1
through ddim_sde on VE and VP: the output variance's error has fitted order about 1 (basis rows,
exact).

eta > 0 in distribution (the Monte Carlo engine, numeric/montecarlo): on the 0.3/0.7 mixture, the
within-mode squared distance |x - m_k|^2 of a correct sample is c chi^2_2, so P(|x - m_k|^2 <=
2 ln 2 c) = 1/2 exactly; the exact binomial test of that probability (false-fail rate 1e-6, detects
0.1 with power 0.9997 at the n drawn, seed 11) holds for DDIM(eta = 0.5, 1) and fails for a planted
error (the noise of Eq. 16 added without shrinking the direction term, sqrt(1 - abar - sigma^2):
probabilities 0.21 and 0.08).  The `sample` command's --eta and its refusals (exit 2) too.
"""
from __future__ import annotations

import functools
import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from diffproof.derive import ddim as D
from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.symbols import abar_t, abar_tm1
from diffproof.numeric.torchdiff import ddim as T
from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.montecarlo import MCSettings, decide
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.numeric.torchdiff import samplers as S
from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP, DiscreteSchedule, SubVP
from diffproof.proofs.cli import main
from tests.test_torch_samplers import (ENERGY_TOL, MEAN, MIX, N_MIX, VAR, WEIGHT_TOL, marginal,
                                       slope)

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

F64 = torch.float64
GAUSS = DiagonalGaussianMixture.gaussian([MEAN], [VAR])
RTOL = 1e-12


# --- the coefficients against derive.ddim ---------------------------------------------------
@functools.lru_cache(maxsize=None)
def _reference():
    """(c_x, direction term, estimate term, sigma) of the SymPy update at sigma = sigma_t(eta),
    compiled to mpmath; c_eps = direction - estimate."""
    c_x, c_eps = D.update_coefficients(D.sigma_eta())
    sigma = D.sigma_eta()
    direction = sp.sqrt(1 - abar_tm1 - sigma ** 2)
    parts = (c_x, c_eps, direction, sigma)
    return safe_lambdify([abar_t, abar_tm1, D.eta], parts, modules="mpmath")


@settings(max_examples=60)
@given(st.floats(1e-6, 1.0), st.floats(1e-6, 1.0), st.floats(0.0, 1.0))
def test_coefficients_are_the_sympy_update(abar_next, ratio, eta):
    abar = abar_next * ratio
    if not 0 < abar < abar_next:
        return
    one_minus, one_minus_next = 1 - abar, 1 - abar_next
    c_x, c_eps, sigma = T.coefficients(abar, abar_next, one_minus, one_minus_next, eta)
    with mpmath.workdps(80):
        ref = [float(v) for v in _reference()(mpmath.mpf(abar), mpmath.mpf(abar_next),
                                              mpmath.mpf(eta))]
        estimate = float(mpmath.sqrt(mpmath.mpf(abar_next) * (1 - mpmath.mpf(abar))
                                     / mpmath.mpf(abar)))
    assert abs(c_x - ref[0]) <= RTOL * ref[0]
    assert abs(sigma - ref[3]) <= RTOL * max(ref[3], 1e-300)
    assert abs(c_eps - ref[1]) <= RTOL * max(ref[2], estimate)   # the two terms cancel


def test_coefficients_at_the_two_ends():
    """eta = 0: no noise; the last step onto abar = 1 returns f_theta (c_eps = -sqrt((1-a)/a))."""
    c_x, c_eps, sigma = T.coefficients(0.3, 0.6, 0.7, 0.4, 0.0)
    assert sigma == 0 and c_x == math.sqrt(2)
    assert abs(c_eps - (math.sqrt(0.4) - math.sqrt(1.4))) < 1e-15
    c_x, c_eps, sigma = T.coefficients(0.25, 1.0, 0.75, 0.0, 1.0)
    assert sigma == 0 and c_x == 2 and abs(c_eps + math.sqrt(3)) < 1e-15


@pytest.mark.parametrize("args,message", [
    ((0.5, 0.4, 0.5, 0.6, 0.0), "abar < abar_next"),
])
def test_a_step_must_go_up_in_abar(args, message):
    with pytest.raises(ValueError, match=message):
        T.coefficients(*args)


@pytest.mark.parametrize("eta", [-0.1, 1.5, math.nan])
def test_eta_outside_the_unit_interval_is_refused(eta):
    schedule = DiscreteSchedule.cosine(10)
    with pytest.raises(ValueError, match="eta must lie in"):
        T.ddim(GAUSS.noise_fn(schedule), torch.zeros(2, 1, dtype=F64), schedule, eta=eta)


def test_index_sequence():
    assert T.index_sequence(10) == list(range(10, -1, -1))
    taus = T.index_sequence(1000, 50)
    assert taus[0] == 1000 and taus[-1] == 0 and len(taus) == 51
    assert all(a > b for a, b in zip(taus, taus[1:]))
    with pytest.raises(ValueError):
        T.index_sequence(10, 11)


# --- the sampler with the exact Gaussian oracle ----------------------------------------------
def _unit_noise(k, like):
    z = torch.zeros_like(like)
    z[k + 2, 0] = 1.0
    return z


def ddim_basis(schedule, eta, n_steps):
    """Exact output (mean, variance) of DDIM started from q(x_n) = N(sqrt(abar_n) m,
    abar_n c + 1 - abar_n) (the mean path and one std off it, then one unit draw per step)."""
    abar_n = float(schedule.alphabar[-1])
    std_n = math.sqrt(abar_n * VAR + float(schedule.one_minus_alphabar[-1]))
    x = torch.full((n_steps + 2, 1), math.sqrt(abar_n) * MEAN, dtype=F64)
    x[1, 0] += std_n
    y = T.ddim(GAUSS.noise_fn(schedule), x, schedule, eta=eta, n_steps=n_steps, noise=_unit_noise)
    return float(y[0]), float(((y[1:] - y[0]) ** 2).sum())


def test_eta_one_over_every_index_is_ddpm_ancestral_with_betatilde():
    schedule = DiscreteSchedule.cosine(60)
    x = torch.randn(8, 1, dtype=F64, generator=torch.Generator().manual_seed(0))
    draws = torch.randn(60, 8, 1, dtype=F64, generator=torch.Generator().manual_seed(1))
    noise = lambda k, like: draws[k].clone()           # noqa: E731
    ddim = T.ddim(GAUSS.noise_fn(schedule), x.clone(), schedule, eta=1.0, noise=noise)
    ddpm = S.ddpm_ancestral(GAUSS.noise_fn(schedule), x.clone(), schedule, variance="betatilde",
                            noise=noise)
    torch.testing.assert_close(ddim, ddpm, rtol=1e-12, atol=1e-12)


STEPS = [25, 50, 100, 200]


def test_deterministic_ddim_is_first_order():
    """eta = 0 on the linear DDPM schedule (T = 1000) with 25..200 of its indices: the mean path
    is exact and the output std's error falls as 1/steps (Euler in sigma-bar)."""
    schedule, errors = DiscreteSchedule.linear(1000), []
    for n in STEPS:
        mean, var = ddim_basis(schedule, 0.0, n)
        assert abs(mean - MEAN) < 1e-12
        errors.append(abs(math.sqrt(var) - math.sqrt(VAR)))
    assert 0.9 <= slope(STEPS, errors) <= 1.1, errors
    assert errors[-1] < 0.02 * math.sqrt(VAR)


@pytest.mark.parametrize("eta", [0.5, 1.0])
def test_stochastic_ddim_variance_converges(eta):
    """eta > 0: the output variance error shrinks with the steps (still pre-asymptotic at 200 of
    1000 indices: fitted order 0.88 at eta = 0.5, 0.77 at eta = 1); the mean path is exact."""
    schedule, errors = DiscreteSchedule.linear(1000), []
    for n in STEPS:
        mean, var = ddim_basis(schedule, eta, n)
        assert abs(mean - MEAN) < 1e-12
        errors.append(abs(var / VAR - 1))
    assert all(a > b for a, b in zip(errors, errors[1:])) and slope(STEPS, errors) > 0.7, errors


@pytest.mark.parametrize("sde", [VP(), SubVP(), VE()], ids=["VP", "subVP", "VE"])
def test_ddim_sde_is_first_order(sde):
    """ddim_sde at eta = 0 on each SDE's kernel: the exact flow for Gaussian data keeps the
    standardized coordinate, x_T = mean_T + std_T ends at mean_t + std_t."""
    t_min, errors = 1e-3, []
    start_mean, start_std = marginal(sde, 1.0)
    end_mean, end_std = marginal(sde, t_min)
    for n in STEPS:
        y = T.ddim_sde(GAUSS.score_fn(sde), torch.tensor([[start_mean + start_std]], dtype=F64),
                       sde, n_steps=n, t_min=t_min)
        errors.append(abs(float(y) - (end_mean + end_std)))
    assert 0.9 <= slope(STEPS, errors) <= 1.1, errors


def test_ddim_sde_on_vp_is_ddim_on_its_schedule():
    """On VP, s^2 + v = 1: ddim_sde's step is the DDPM-form step with abar = s(t)^2 exactly."""
    sde, x = VP(), torch.tensor([[0.3], [-1.2]], dtype=F64)
    times = S.time_grid(sde, 1, 0.5)
    y = T.ddim_sde(GAUSS.score_fn(sde), x, sde, n_steps=1, t_min=0.5, eta=0.0)
    abar, abar_next = (float(sde.scale(torch.tensor(t, dtype=F64))) ** 2 for t in times)
    eps = -math.sqrt(1 - abar) * GAUSS.score_fn(sde)(x, torch.tensor(times[0], dtype=F64))
    c_x, c_eps, _ = T.coefficients(abar, abar_next, 1 - abar, 1 - abar_next, 0.0)
    torch.testing.assert_close(y, c_x * x + c_eps * eps, rtol=1e-12, atol=1e-12)


# --- the seed 002 mixture with weights 0.3 / 0.7 ----------------------------------------------
MIXTURE_CASES = {
    "ddim-eta0-cosine100": lambda g: T.ddim(
        MIX.noise_fn(DiscreteSchedule.cosine(100)), torch.randn(N_MIX, 2, generator=g),
        DiscreteSchedule.cosine(100)),
    "ddim-eta0.5-cosine100": lambda g: T.ddim(
        MIX.noise_fn(DiscreteSchedule.cosine(100)), torch.randn(N_MIX, 2, generator=g),
        DiscreteSchedule.cosine(100), eta=0.5, generator=g),
    "ddim_sde-VE-200": lambda g: T.ddim_sde(
        MIX.score_fn(VE()), S.prior_sample(VE(), (N_MIX, 2), float(MIX.variance().mean()),
                                           MIX.mean(), g), VE(), n_steps=200, denoise=True),
}


@pytest.mark.parametrize("name", list(MIXTURE_CASES))
def test_mixture_mode_weights_and_energy_distance(name, fresh_data):
    samples = MIXTURE_CASES[name](torch.Generator().manual_seed(7))
    assert abs(float(mode_weights(samples, MIX.means)[0]) - 0.3) <= WEIGHT_TOL
    assert energy_distance(samples, fresh_data) <= ENERGY_TOL


# --- the callback (the common signature: tests/test_torch_samplers.py) ------------------------
def test_callback_after_every_ddim_step():
    """One call per step of tau: "t" the index reached and f_theta from the step's noise
    prediction (Eq. 9); the last x is the output."""
    schedule, calls = DiscreteSchedule.cosine(20), []
    noise_fn = GAUSS.noise_fn(schedule)
    x = torch.randn(16, 1, dtype=F64, generator=torch.Generator().manual_seed(0))
    y = T.ddim(noise_fn, x, schedule, eta=0.5, n_steps=5,
               generator=torch.Generator().manual_seed(1), callback=lambda info: calls.append((dict(info), info["x"].clone())))
    taus = T.index_sequence(20, 5)
    assert [info["i"] for info, _ in calls] == list(range(5))
    assert [info["t"] for info, _ in calls] == taus[1:]
    previous = x
    for (info, snapshot), i in zip(calls, taus):
        assert torch.equal(info["x"], snapshot)
        expected = fw.x0_from_noise(previous, noise_fn(previous, i), *schedule.kernel(i, previous))
        torch.testing.assert_close(info["denoised"], expected, rtol=1e-12, atol=1e-12)
        previous = info["x"]
    assert torch.equal(calls[-1][0]["x"], y)


def test_sample_command_offers_ddim(checkpoint, tmp_path, capsys):
    png = str(tmp_path / "ddim.png")
    assert main(["sample", "--checkpoint", checkpoint, "--sampler", "ddim", "-n", "300", "--steps", "10",
                 "--png", png, "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "sampler ddim, 10 steps" in text and "exact score" in text
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


# --- eta > 0 on an SDE's kernel: order, and in distribution -----------------------------------
def ddim_sde_basis(sde, eta, n_steps):
    """Exact output (mean, variance) of ddim_sde from the marginal at T (Gaussian data: the
    sampler is affine in its start and its draws; row 0 the mean path, row 1 one std off it,
    row k + 2 a unit draw at step k)."""
    start_mean, start_std = marginal(sde, 1.0)
    x = torch.full((n_steps + 2, 1), start_mean, dtype=F64)
    x[1, 0] += start_std
    y = T.ddim_sde(GAUSS.score_fn(sde), x, sde, n_steps=n_steps, eta=eta, noise=_unit_noise)
    return float(y[0]), float(((y[1:] - y[0]) ** 2).sum())


@pytest.mark.parametrize("eta", [0.5, 1.0])
@pytest.mark.parametrize("sde", [VE(0.01, 3.0), VP()], ids=["VE", "VP"])
def test_stochastic_ddim_sde_is_first_order_in_the_variance(sde, eta):
    """The output law N(mean, var) against the marginal at t_min: the mean path is exact to
    round-off and |var / var_exact - 1| falls with the steps: fitted order on 50..400 steps 0.98
    (VE, eta = 0.5), 0.97 (VE, 1), 0.93 (VP, 0.5), 0.85 (VP, 1: still pre-asymptotic, 0.77 on
    25..200); the order of the last doubling is within 0.1 of 1."""
    t_min, steps, errors = 1e-3, [50, 100, 200, 400], []
    end_mean, end_std = marginal(sde, t_min)
    for n in steps:
        mean, var = ddim_sde_basis(sde, eta, n)
        assert abs(mean - end_mean) < 1e-9
        errors.append(abs(var / end_std ** 2 - 1))
    assert 0.8 <= slope(steps, errors) <= 1.1, errors
    assert 0.9 <= math.log2(errors[-2] / errors[-1]) <= 1.1, errors


MC = MCSettings(false_fail=1e-6, power=0.999, rel_tol=0.2, abs_floor=1e-12, pilot=256,
                batch=8192, max_n=200_000)
MC_STEPS = 500


def _within_mode_draw(eta: float):
    """Draw(rng, k): k DDIM(eta) samples of the mixture (ddim_sde on VE, 500 steps, its own
    prior, Tweedie at the end), each mapped to 1{|x - m_k|^2 <= 2 ln 2 c}, m_k the nearest mean
    (c = 0.0025 each coordinate; the means are 57 standard deviations apart)."""
    mix, sde = MIX.to(F64), VE()
    threshold = 2 * math.log(2) * float(mix.variances[0, 0])
    assert torch.all(mix.variances == mix.variances[0, 0])

    def draw(rng, k):
        g = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        x = S.prior_sample(sde, (k, 2), float(mix.variance().mean()), mix.mean(), g, F64)
        y = T.ddim_sde(mix.score_fn(sde), x, sde, n_steps=MC_STEPS, eta=eta, denoise=True,
                       generator=g)
        distance = ((y[:, None, :] - mix.means) ** 2).sum(-1).min(dim=1).values
        return (distance <= threshold).double().numpy()
    return draw


def _planted_coefficients(abar, abar_next, one_minus, one_minus_next, eta):
    """The planted error: Eq. 16's noise sigma added, but the direction term kept at eta = 0."""
    c_x, c_eps, _ = _TRUE_COEFFICIENTS(abar, abar_next, one_minus, one_minus_next, 0.0)
    return c_x, c_eps, _TRUE_COEFFICIENTS(abar, abar_next, one_minus, one_minus_next, eta)[2]


_TRUE_COEFFICIENTS = T.coefficients


@pytest.mark.parametrize("eta", [0.5, 1.0])
def test_stochastic_ddim_in_distribution_with_a_planted_error(eta, monkeypatch):
    """The exact binomial test of P(within-mode |x - m_k|^2 <= 2 ln 2 c) = 1/2 (chi^2_2), seed 11.
    False-fail rate 1e-6 for an exact sampler; DDIM's own bias at 500 steps (measured with 1e5
    draws: +0.003 at eta = 0.5, +0.007 at eta = 1, +-0.0016) is 0.6 standard errors at the
    n = 1725 drawn, so the rate stays below 2e-6.  Power 0.9997 against a discrepancy of 0.1;
    the planted error moves the probability to about 0.21 (eta = 0.5) and 0.08 (eta = 1)."""
    verdict = decide(_within_mode_draw(eta), 0.5, seed=11, settings=MC, bounds=(0.0, 1.0),
                     what=f"DDIM(eta = {eta}) within-mode spread")
    assert verdict.status == HOLDS, verdict.reason
    assert verdict.evidence.false_fail == 1e-6 and verdict.evidence.power >= 0.999
    monkeypatch.setattr(T, "coefficients", _planted_coefficients)
    planted = decide(_within_mode_draw(eta), 0.5, seed=11, settings=MC, bounds=(0.0, 1.0),
                     what=f"planted DDIM(eta = {eta})")
    assert planted.status == FAILS, planted.reason


# --- the sample command's --eta, and options that do not belong to the sampler -----------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ddim") / "model.pt")
    assert main(["train", "--out", out, "--steps", "20", "--hidden", "16", "--depth", "2",
                 "--batch", "64", "--quiet", "--threads", "1"]) == 0
    return out


def test_sample_command_takes_eta_and_shift(checkpoint, tmp_path, capsys):
    for sampler, option, value in (("ddim", "--eta", "0.5"), ("flow-euler", "--shift", "3")):
        png = str(tmp_path / f"{sampler}.png")
        assert main(["sample", "--checkpoint", checkpoint, "--sampler", sampler, option, value,
                     "-n", "300", "--steps", "10", "--png", png, "--threads", "1"]) == 0
        text = capsys.readouterr().out
        assert f"sampler {sampler} ({option[2:]} {float(value):g}), 10 steps" in text, text
        assert "exact score" in text


@pytest.mark.parametrize("args,message", [
    (["--sampler", "ddim", "--eta", "1.5"], "--eta must lie in [0, 1]"),
    (["--sampler", "ddim", "--eta", "-0.1"], "--eta must lie in [0, 1]"),
    (["--sampler", "ddim", "--eta", "nan"], "--eta must lie in [0, 1]"),
    (["--sampler", "em", "--eta", "0.5"], "--eta applies to --sampler ddim only"),
    (["--sampler", "flow-euler", "--eta", "0"], "--eta applies to --sampler ddim only"),
    (["--sampler", "ddim", "--shift", "3"], "--shift applies to --sampler flow-euler only"),
    (["--sampler", "flow-euler", "--shift", "0"], "--shift must be a finite number > 0"),
    (["--sampler", "flow-euler", "--shift", "inf"], "--shift must be a finite number > 0"),
])
def test_sample_command_refuses_bad_sampler_options(checkpoint, tmp_path, capsys, args, message):
    png = str(tmp_path / "never.png")
    assert main(["sample", "--checkpoint", checkpoint, *args, "-n", "300", "--steps", "10",
                 "--png", png, "--threads", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "never.png").exists()
