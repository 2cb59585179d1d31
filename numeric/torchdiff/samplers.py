"""Samplers driven by a score (or noise) function.

- ddpm_ancestral: x_{i-1} = mu_theta(x_i, i) + sigma_i z with sigma_i^2 = beta_i or betatilde_i
  (Ho et al. Alg. 2; mu_theta = Luo Eq. 95 with xhat from the noise prediction, Eq. 115).
- euler_maruyama: the reverse SDE dx = [f x - g^2 score] dt + g dw-bar, stepped from T down to
  t_min (Song Eq. 6; seed 002 Algorithm 3.1 with g(t_i) and the correct drift f(t) x).
- predictor_corrector: Euler-Maruyama predictor and Langevin corrector x + c score + sqrt(2c) z
  with Song's signal-to-noise step size (Song Algs. 4-5).
- probability_flow_heun: the ODE dx/dt = f x - g^2 score / 2 (Song Eq. 13) by Heun's method.

Score functions take (x, t) with t a 0-dim tensor shared by the batch.  Every sampler starts from
a given x (use prior_sample for the correct prior N(0, prior_var I), which for VE is about
sigma_max^2, not the N(0, I) of seed 002's code).  ``noise`` optionally replaces the Gaussian draws:
noise(k, x) returns the standard normal tensor of step k (tests use it for exact linear
propagation).  Coefficients are computed once per step as Python floats from the schedule tensors
in float64, and the update runs in place on the batch.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE, VE

Tensor = torch.Tensor
ScoreFn = Callable[[Tensor, Tensor], Tensor]
NoiseFn = Callable[[int, Tensor], Tensor]


def prior_sample(sde: LinearSDE, shape, data_var: float = 1.0, data_mean=0.0, generator=None,
                 dtype=torch.float32, device=None) -> Tensor:
    """x_T ~ N(scale(T) data_mean, prior_var I): the mean and per-coordinate variance of the
    marginal at T for data of that mean and variance (VE keeps the mean: it does not shrink)."""
    x = torch.randn(shape, dtype=dtype, device=device, generator=generator)
    mean = torch.as_tensor(data_mean, dtype=dtype, device=device) * float(
        sde.scale(torch.tensor(sde.T, dtype=torch.float64)))
    return x.mul_(math.sqrt(sde.prior_var(data_var))).add_(mean)


def time_grid(sde: LinearSDE, n_steps: int, t_min: float) -> list[float]:
    """n_steps + 1 equally spaced times from T down to t_min."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    sde.check_time(t_min)
    return torch.linspace(sde.T, t_min, n_steps + 1, dtype=torch.float64).tolist()


def _coefficients(sde: LinearSDE, times: list[float]):
    t = torch.tensor(times, dtype=torch.float64)
    return sde.f(t).tolist(), sde.g2(t).tolist()


def _draw(noise: NoiseFn | None, k: int, x: Tensor, buffer: Tensor, generator) -> Tensor:
    if noise is not None:
        return noise(k, x)
    return torch.randn(x.shape, dtype=x.dtype, device=x.device, generator=generator, out=buffer)


def _time(value: float, x: Tensor) -> Tensor:
    return torch.tensor(value, dtype=x.dtype, device=x.device)


def em_step(x: Tensor, score: Tensor, f: Tensor, g2: Tensor, dt: Tensor, noise: Tensor) -> Tensor:
    """One reverse Euler-Maruyama step from t to t - dt (derive.sde reverse_euler_maruyama):
    x - (f x - g^2 score) dt + g sqrt(dt) z."""
    return x - (f * x - g2 * score) * dt + torch.sqrt(g2 * dt) * noise


def _em_update(x: Tensor, score: Tensor, z: Tensor, f: float, g2: float, dt: float) -> None:
    """em_step in place with Python-float coefficients."""
    x.mul_(1 - f * dt).add_(score, alpha=g2 * dt).add_(z, alpha=math.sqrt(g2 * dt))


def pf_drift(x: Tensor, score: Tensor, f, g2) -> Tensor:
    """dx/dt of the probability-flow ODE: f x - g^2 score / 2 (derive.sde probability_flow_drift)."""
    return f * x - 0.5 * g2 * score


def tweedie(sde: LinearSDE, score_fn: ScoreFn, x: Tensor, t: float) -> Tensor:
    """E[x_0 | x_t] = (x_t + var(t) score) / scale(t) (Luo Eq. 133): the final denoising step."""
    tt = torch.tensor(t, dtype=torch.float64)
    var, scale = float(sde.var(tt)), float(sde.scale(tt))
    return (x + var * score_fn(x, _time(t, x))) / scale


def langevin_step_size(score: Tensor, z: Tensor, snr: float, alpha: float = 1.0) -> float:
    """c = 2 alpha (snr |z| / |score|)^2 with the batch-mean norms (Song Alg. 4)."""
    z_norm = z.reshape(z.shape[0], -1).norm(dim=1).mean()
    s_norm = score.reshape(score.shape[0], -1).norm(dim=1).mean().clamp_min(1e-12)
    return float(2 * alpha * (snr * z_norm / s_norm) ** 2)


@torch.inference_mode()
def predictor_corrector(score_fn: ScoreFn, sde: LinearSDE, x: Tensor, n_steps: int = 500,
                        t_min: float = 1e-3, snr: float = 0.16, n_corrector: int = 1,
                        denoise: bool = False, generator=None, noise: NoiseFn | None = None) -> Tensor:
    """Euler-Maruyama predictor then n_corrector Langevin steps x + c score + sqrt(2c) z at the new
    time (the sqrt(2c) scale matters: seed 001's Langevin slide leaves it unspecified).
    Returns a new tensor; x is not modified."""
    times = time_grid(sde, n_steps, t_min)
    fs, g2s = _coefficients(sde, times)
    # Langevin scale of Song's Alg. 5: 1 for VE, the step's exact alpha_i for VP and sub-VP
    alphas = [1.0] * n_steps if isinstance(sde, VE) else sde.step_alphas(times)
    x, buffer = x.clone(), torch.empty_like(x)
    for k in range(n_steps):
        dt = times[k] - times[k + 1]
        score = score_fn(x, _time(times[k], x))
        _em_update(x, score, _draw(noise, k, x, buffer, generator), fs[k], g2s[k], dt)
        if n_corrector == 0:
            continue
        t_next = _time(times[k + 1], x)
        for _ in range(n_corrector):
            score = score_fn(x, t_next)
            z = _draw(None, k, x, buffer, generator)
            c = langevin_step_size(score, z, snr, alphas[k])
            x.add_(score, alpha=c).add_(z, alpha=math.sqrt(2 * c))
    return tweedie(sde, score_fn, x, times[-1]) if denoise else x


def euler_maruyama(score_fn: ScoreFn, sde: LinearSDE, x: Tensor, n_steps: int = 500,
                   t_min: float = 1e-3, denoise: bool = False, generator=None,
                   noise: NoiseFn | None = None) -> Tensor:
    """Reverse-SDE Euler-Maruyama from x at T to t_min: the predictor alone."""
    return predictor_corrector(score_fn, sde, x, n_steps, t_min, n_corrector=0, denoise=denoise,
                               generator=generator, noise=noise)


@torch.inference_mode()
def probability_flow_heun(score_fn: ScoreFn, sde: LinearSDE, x: Tensor, n_steps: int = 100,
                          t_min: float = 1e-3, denoise: bool = False) -> Tensor:
    """Heun's method (explicit trapezoid) on the probability-flow ODE from T down to t_min."""
    times = time_grid(sde, n_steps, t_min)
    fs, g2s = _coefficients(sde, times)
    x = x.clone()
    for k in range(n_steps):
        h = times[k + 1] - times[k]  # negative
        d1 = pf_drift(x, score_fn(x, _time(times[k], x)), fs[k], g2s[k])
        x_euler = x + h * d1
        d2 = pf_drift(x_euler, score_fn(x_euler, _time(times[k + 1], x)), fs[k + 1], g2s[k + 1])
        x.add_(d1 + d2, alpha=0.5 * h)
    return tweedie(sde, score_fn, x, times[-1]) if denoise else x


def ddpm_mean(schedule: DiscreteSchedule, x: Tensor, eps: Tensor, i: int) -> Tensor:
    """mu_theta = (x_i - beta_i / sqrt(1 - abar_i) eps) / sqrt(alpha_i): Luo Eq. 95 with
    xhat = (x_i - sqrt(1 - abar_i) eps)/sqrt(abar_i) (Eq. 115), i.e. Ho et al. Eq. 11."""
    beta, alpha, one_minus = (float(schedule.betas[i]), float(schedule.alphas[i]),
                              float(schedule.one_minus_alphabar[i]))
    return (x - beta / math.sqrt(one_minus) * eps) / math.sqrt(alpha)


@torch.inference_mode()
def ddpm_ancestral(noise_fn: Callable[[Tensor, int], Tensor], schedule: DiscreteSchedule,
                   x: Tensor, variance: str = "betatilde", generator=None,
                   noise: NoiseFn | None = None) -> Tensor:
    """Ancestral sampling from x = x_n ~ N(0, I) down to x_0 (no noise at the last step)."""
    if variance not in ("beta", "betatilde"):
        raise ValueError(f"variance must be 'beta' or 'betatilde', got {variance!r}")
    sigmas2 = (schedule.betas if variance == "beta" else schedule.betatilde).tolist()
    x, buffer = x.clone(), torch.empty_like(x)
    for i in range(schedule.n, 0, -1):
        x = ddpm_mean(schedule, x, noise_fn(x, i), i)
        if i > 1:
            x.add_(_draw(noise, schedule.n - i, x, buffer, generator), alpha=math.sqrt(sigmas2[i]))
    return x
