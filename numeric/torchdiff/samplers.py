"""Samplers driven by a score (or noise) function, in one signature (k-diffusion's style):

    sampler(model, x, schedule, *, n_steps=..., t_min=..., denoise=False, generator=None,
            callback=None, noise=None, ...)

- euler_maruyama: the reverse SDE dx = [f x - g^2 score] dt + g dw-bar, stepped from T down to
  t_min (Song et al. 2021, Eq. 6; seed 002 Algorithm 3.1 with g(t_i) and the drift f(t) x).
- predictor_corrector: Euler-Maruyama predictor and Langevin corrector x + c score + sqrt(2c) z
  (Luo Eq. 158) with Song's signal-to-noise step size (Song et al. Algs. 4-5).
- probability_flow_heun: the ODE dx/dt = f x - g^2 score / 2 (Song et al. 2021, Eq. 13) by
  Heun's method.
- ddpm_ancestral: x_{i-1} = mu_theta(x_i, i) + sigma_i z with sigma_i^2 = beta_i or betatilde_i
  (Ho et al. 2020, Algorithm 2); the discrete schedule fixes the steps, so it takes no n_steps or
  t_min.

``model`` is the score function (x, t) -> grad log p_t(x), t a 0-dim tensor shared by the batch,
or for DDPM the noise prediction (x, i) -> eps_theta(x_i, i).  ``schedule`` is the SDE
(schedules.LinearSDE, whose methods give the Euler-Maruyama step and the probability-flow drift)
or the DiscreteSchedule.  Every
sampler starts from the given x (use prior_sample for the correct prior N(s(T) m, marginal
variance at T), which for VE is about sigma_max^2, not the N(0, I) of seed 002's code) and returns
a new tensor.  ``generator`` seeds the Gaussian draws; ``noise`` optionally replaces them:
noise(k, x) returns the standard normal tensor of step k (tests use it for exact linear
propagation).  The probability-flow ODE draws nothing and ignores both.  ``callback``, if given,
is called after each step k = 0 .. n_steps - 1 with {"i": k, "t": the time reached, "x": x there,
"denoised": Tweedie's estimate of x_0 from the model evaluation at the start of the step}.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE

Tensor = torch.Tensor
ScoreFn = Callable[[Tensor, Tensor], Tensor]
NoiseFn = Callable[[int, Tensor], Tensor]
Callback = Callable[[dict], None]


def prior_sample(sde: LinearSDE, shape, data_var: float = 1.0, data_mean=0.0, generator=None,
                 dtype=torch.float32, device=None) -> Tensor:
    """x_T ~ N(s(T) data_mean, marginal_variance(T, data_var) I): the mean and per-coordinate
    variance of the marginal at T for data of that mean and variance (VE keeps the mean)."""
    x = torch.randn(shape, dtype=dtype, device=device, generator=generator)
    mean = torch.as_tensor(data_mean, dtype=dtype, device=device) * float(sde.scale(sde.T))
    return x.mul_(math.sqrt(float(sde.marginal_variance(sde.T, data_var)))).add_(mean)


def time_grid(sde: LinearSDE, n_steps: int, t_min: float) -> list[float]:
    """n_steps + 1 equally spaced times from T down to t_min."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    sde.check_time(t_min)
    return torch.linspace(sde.T, t_min, n_steps + 1, dtype=torch.float64).tolist()


def _randn(x: Tensor, generator) -> Tensor:
    return torch.randn(x.shape, dtype=x.dtype, device=x.device, generator=generator)


def _draw(noise: NoiseFn | None, k: int, x: Tensor, generator) -> Tensor:
    """The standard normal draw of step k: noise(k, x) if given, else from the generator."""
    return _randn(x, generator) if noise is None else noise(k, x)


def _time(value: float, x: Tensor) -> Tensor:
    return torch.tensor(value, dtype=x.dtype, device=x.device)


def tweedie(sde: LinearSDE, x: Tensor, score: Tensor, t: float) -> Tensor:
    """E[x_0 | x_t] = (x_t + kernel_variance(t) score) / s(t)  (Luo Eq. 133)."""
    return fw.x0_from_score(x, score, sde.scale(t).to(x), sde.kernel_variance(t).to(x))


def _report(callback: Callback | None, k: int, t, x: Tensor, denoised) -> None:
    """Call callback after step k; denoised is a function, evaluated only when there is one."""
    if callback is not None:
        callback({"i": k, "t": t, "x": x, "denoised": denoised()})


def _finish(model: ScoreFn, sde: LinearSDE, x: Tensor, t: float, denoise: bool) -> Tensor:
    """x, or with denoise its Tweedie estimate of x_0 (one more model evaluation)."""
    return tweedie(sde, x, model(x, _time(t, x)), t) if denoise else x


def langevin_step_size(score: Tensor, z: Tensor, snr: float, alpha: float = 1.0) -> float:
    """c = 2 alpha (snr |z| / |score|)^2 with the batch-mean norms (Song et al. Algs. 4-5)."""
    z_norm = z.reshape(z.shape[0], -1).norm(dim=1).mean()
    s_norm = score.reshape(score.shape[0], -1).norm(dim=1).mean().clamp_min(1e-12)
    return float(2 * alpha * (snr * z_norm / s_norm) ** 2)


def _langevin(model: ScoreFn, x: Tensor, t: float, snr: float, alpha: float, generator) -> Tensor:
    """One corrector step at time t, in place: x + c score + sqrt(2c) z (Luo Eq. 158; the sqrt(2c)
    scale matters: seed 001's Langevin slide leaves it unspecified)."""
    score = model(x, _time(t, x))
    z = _randn(x, generator)
    c = langevin_step_size(score, z, snr, alpha)
    return x.add_(score, alpha=c).add_(z, alpha=math.sqrt(2 * c))


@torch.inference_mode()
def predictor_corrector(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 500,
                        t_min: float = 1e-3, snr: float = 0.16, n_corrector: int = 1,
                        denoise: bool = False, generator=None, callback: Callback | None = None,
                        noise: NoiseFn | None = None) -> Tensor:
    """Euler-Maruyama predictor, then n_corrector Langevin steps at the new time."""
    sde, times = schedule, time_grid(schedule, n_steps, t_min)
    # Langevin scale of Song's Alg. 5: the step's exact alpha_i (1 for VE, Alg. 4)
    alphas = sde.step_alphas(times)
    for k in range(n_steps):
        t, t_next = times[k], times[k + 1]
        # 1. score at the step's start: s_theta(x, t)
        score = model(x, _time(t, x))
        # 2. predictor: reverse-SDE drift f x - g^2 score (Song et al. 2021, Eq. 6) and one
        #    Euler-Maruyama step to t_next (seed 002 Algorithm 3.1)
        x_start = x
        x = sde.reverse_euler_maruyama(x, score, t, t - t_next, _draw(noise, k, x, generator))
        # 3. corrector: Langevin steps x + c score + sqrt(2c) z at t_next (Luo Eq. 158) with c
        #    from the signal-to-noise ratio (Song et al. Algs. 4-5)
        for _ in range(n_corrector):
            x = _langevin(model, x, t_next, snr, alphas[k], generator)
        # 4. report, with Tweedie's x_0 from the score of stage 1 (Luo Eq. 133)
        _report(callback, k, t_next, x, lambda: tweedie(sde, x_start, score, t))
    return _finish(model, sde, x, times[-1], denoise)


def euler_maruyama(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 500,
                   t_min: float = 1e-3, denoise: bool = False, generator=None,
                   callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """Reverse-SDE Euler-Maruyama from x at T to t_min: the predictor alone."""
    return predictor_corrector(model, x, schedule, n_steps=n_steps, t_min=t_min, n_corrector=0,
                               denoise=denoise, generator=generator, callback=callback, noise=noise)


@torch.inference_mode()
def probability_flow_heun(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 100,
                          t_min: float = 1e-3, denoise: bool = False, generator=None,
                          callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """Heun's method (explicit trapezoid) on the probability-flow ODE from T down to t_min."""
    del generator, noise  # the ODE draws no noise
    sde, times = schedule, time_grid(schedule, n_steps, t_min)
    for k in range(n_steps):
        t, t_next = times[k], times[k + 1]
        h = t_next - t  # negative
        # 1. score at the step's start: s_theta(x, t)
        score = model(x, _time(t, x))
        # 2. probability-flow drift d1 = f x - g^2 score / 2 (Song et al. 2021, Eq. 13)
        d1 = sde.probability_flow_drift(x, score, t)
        # 3. Euler predictor x + h d1 and the drift d2 there, at t_next
        x_euler = x + h * d1
        d2 = sde.probability_flow_drift(x_euler, model(x_euler, _time(t_next, x)), t_next)
        # 4. trapezoid: x + h (d1 + d2) / 2
        x_start, x = x, torch.add(x, d1 + d2, alpha=0.5 * h)
        # 5. report, with Tweedie's x_0 from the score of stage 1 (Luo Eq. 133)
        _report(callback, k, t_next, x, lambda: tweedie(sde, x_start, score, t))
    return _finish(model, sde, x, times[-1], denoise)


def ddpm_mean(schedule: DiscreteSchedule, x: Tensor, eps: Tensor, i: int) -> Tensor:
    """mu_theta = (x_i - beta_i / sqrt(1 - abar_i) eps) / sqrt(alpha_i): the posterior mean in
    noise form (Luo Eqs. 116-124) with eps_0 replaced by the prediction."""
    beta, alpha, one_minus = (float(schedule.betas[i]), float(schedule.alphas[i]),
                              float(schedule.one_minus_alphabar[i]))
    return (x - beta / math.sqrt(one_minus) * eps) / math.sqrt(alpha)


@torch.inference_mode()
def ddpm_ancestral(model: Callable[[Tensor, int], Tensor], x: Tensor, schedule: DiscreteSchedule,
                   *, variance: str = "betatilde", generator=None,
                   callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """Ancestral sampling from x = x_n ~ N(0, I) down to x_0 (no noise at the last step).  The
    callback's "t" is the index i - 1 reached by step k = n - i."""
    if variance not in ("beta", "betatilde"):
        raise ValueError(f"variance must be 'beta' or 'betatilde', got {variance!r}")
    sigmas2 = (schedule.betas if variance == "beta" else schedule.betatilde).tolist()
    for i in range(schedule.n, 0, -1):
        k = schedule.n - i
        # 1. predicted noise eps_theta(x_i, i)
        eps = model(x, i)
        # 2. model mean mu_theta(x_i, i) (Luo Eqs. 116-124; Ho et al. 2020, Algorithm 2)
        x_start, x = x, ddpm_mean(schedule, x, eps, i)
        # 3. add sigma_i z, sigma_i^2 = beta_i or betatilde_i, except at the last step (Algorithm 2)
        if i > 1:
            x.add_(_draw(noise, k, x, generator), alpha=math.sqrt(sigmas2[i]))
        # 4. report, with x_0 = (x_i - sqrt(1 - abar_i) eps) / sqrt(abar_i) (Luo Eq. 115)
        _report(callback, k, i - 1, x,
                lambda: fw.x0_from_noise(x_start, eps, *schedule.kernel(i, x_start)))
    return x
