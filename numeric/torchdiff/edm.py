"""EDM (Karras et al. 2022): the torch twin of derive/edm.py.

- preconditioning(sigma, sigma_data) -> (c_skip, c_out, c_in, c_noise) and loss_weight: Table 1's
  EDM column (derive.edm.table_c_*; tests/test_torch_edm.py compares them in float64 with the
  SymPy expressions at 80 digits, on Hypothesis-drawn sigma and sigma_data);
- rho_sigmas: the noise levels of Eq. 5 (derive.edm.rho_schedule);
- edm_sample: Algorithm 2 on a decreasing list of noise levels with a denoiser D(x; sigma) in
  EDM's coordinates (s = 1, sigma(t) = t): optional churn (sigma_hat = sigma (1 + gamma), noise of
  std sqrt(sigma_hat^2 - sigma^2) S_noise), an Euler step of dx/dsigma = (x - D)/sigma and Heun's
  correction, except on a last step to sigma = 0 (Euler).  All gammas 0 is Algorithm 1;
- edm_heun / edm_stochastic: the same on a linear SDE (schedules.LinearSDE) with a score model
  (x, t) -> grad log p_t(x), in the samplers' common signature (samplers.py).  The SDE's kernel
  x_t = s(t) x_0 + sqrt(v(t)) eps is EDM's x = s (y + sigma n) with sigma(t) = sqrt(v)/s; the
  sampler runs on x / s over the rho-levels from sigma(T) to sigma(t_min), with the denoiser
  D(x~; sigma) = x~ + sigma^2 s score(s x~, t(sigma)) (the chain rule through x = s x~; t(sigma)
  by bisection, sigma(t) being increasing) and returns s(t_min) x~.

Schedule values are computed in float64 and cast once at the end.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from diffproof.numeric.torchdiff.samplers import (Callback, NoiseFn, ScoreFn, _draw, _report,
                                                  _time)
from diffproof.numeric.torchdiff.schedules import LinearSDE

Tensor = torch.Tensor
F64 = torch.float64
DenoiserFn = Callable[[Tensor, float], Tensor]
MAX_GAMMA = math.sqrt(2) - 1          # Algorithm 2's cap: sigma_hat <= sqrt(2) sigma


def _as64(sigma) -> tuple[Tensor, torch.dtype]:
    sigma = torch.as_tensor(sigma)
    dtype = sigma.dtype if sigma.is_floating_point() else torch.get_default_dtype()
    return sigma.to(F64), dtype


def preconditioning(sigma, sigma_data: float = 0.5) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(c_skip, c_out, c_in, c_noise) = (sigma_data^2/(sigma^2 + sigma_data^2), sigma sigma_data /
    sqrt(sigma^2 + sigma_data^2), 1/sqrt(sigma^2 + sigma_data^2), ln(sigma)/4)  (Table 1, EDM),
    with sqrt(sigma^2 + sigma_data^2) as hypot (no overflow)."""
    s64, dtype = _as64(sigma)
    norm = torch.hypot(s64, torch.tensor(float(sigma_data), dtype=F64))
    c_skip = (sigma_data / norm) ** 2
    c_out = s64 * (sigma_data / norm)
    c_in = 1 / norm
    c_noise = torch.log(s64) / 4
    return tuple(c.to(dtype) for c in (c_skip, c_out, c_in, c_noise))


def loss_weight(sigma, sigma_data: float = 0.5) -> Tensor:
    """lambda(sigma) = (sigma^2 + sigma_data^2)/(sigma sigma_data)^2 = 1/c_out^2  (Table 1)."""
    s64, dtype = _as64(sigma)
    norm = torch.hypot(s64, torch.tensor(float(sigma_data), dtype=F64))
    return (norm / (s64 * sigma_data)).pow(2).to(dtype)


def precondition(network: Callable[[Tensor, Tensor], Tensor], sigma_data: float = 0.5) -> DenoiserFn:
    """D(x; sigma) = c_skip x + c_out F(c_in x; c_noise) for a raw network F(x, c_noise)  (Sec. 5)."""
    def denoiser(x: Tensor, sigma: float) -> Tensor:
        c_skip, c_out, c_in, c_noise = preconditioning(torch.tensor(sigma, dtype=F64), sigma_data)
        out = network(x * float(c_in), c_noise.to(x))
        return x * float(c_skip) + out * float(c_out)
    return denoiser


def rho_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0, *,
               append_zero: bool = False, dtype=torch.float32, device=None) -> Tensor:
    """sigma_i = (sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho for
    i = 0 .. n - 1  (Eq. 5); the two ends are set to sigma_max and sigma_min exactly; with
    append_zero, sigma_n = 0 follows (Algorithm 1's t_N = 0)."""
    if n < 2:
        raise ValueError(f"the rho-schedule needs n >= 2 levels, got {n}")
    if not (math.isfinite(sigma_min) and math.isfinite(sigma_max)) or not 0 < sigma_min < sigma_max:
        raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
    if not (rho > 0 and math.isfinite(rho)):
        raise ValueError(f"rho must be positive, got {rho}")
    ramp = torch.arange(n, dtype=F64) / (n - 1)
    top, bottom = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    sigmas = (top + ramp * (bottom - top)) ** rho
    sigmas[0], sigmas[-1] = sigma_max, sigma_min
    if append_zero:
        sigmas = torch.cat([sigmas, sigmas.new_zeros(1)])
    return sigmas.to(dtype=dtype, device=device)


def churn_gammas(sigmas: list[float], s_churn: float, s_tmin: float = 0.0,
                 s_tmax: float = math.inf) -> list[float]:
    """gamma_i = min(S_churn/N, sqrt(2) - 1) where S_tmin <= sigma_i <= S_tmax, else 0, for the N
    steps of the levels ``sigmas`` (N + 1 of them)  (Algorithm 2)."""
    if not s_churn >= 0:
        raise ValueError(f"S_churn must be >= 0, got {s_churn}")
    steps = len(sigmas) - 1
    gamma = min(s_churn / steps, MAX_GAMMA)
    return [gamma if s_tmin <= level <= s_tmax else 0.0 for level in sigmas[:-1]]


@torch.inference_mode()
def edm_sample(denoiser: DenoiserFn, x: Tensor, sigmas, *, gammas: list[float] | None = None,
               s_noise: float = 1.0, generator=None, noise: NoiseFn | None = None,
               callback: Callback | None = None) -> Tensor:
    """Algorithm 2 (Algorithm 1 when ``gammas`` is None or all 0) from x at sigmas[0] down the
    decreasing levels ``sigmas``; a last level 0 takes an Euler step.  The callback's "t" is the
    level reached, "denoised" the denoiser's output at the step's start."""
    sigmas = [float(s) for s in sigmas]
    if len(sigmas) < 2 or any(a <= b for a, b in zip(sigmas, sigmas[1:])) or sigmas[-1] < 0:
        raise ValueError("sigmas must decrease strictly and end at a level >= 0")
    gammas = [0.0] * (len(sigmas) - 1) if gammas is None else list(gammas)
    if len(gammas) != len(sigmas) - 1 or any(not 0 <= g <= MAX_GAMMA for g in gammas):
        raise ValueError(f"one gamma per step, each in [0, sqrt(2) - 1], got {gammas}")
    for k, (level, level_next) in enumerate(zip(sigmas[:-1], sigmas[1:])):
        # 1. churn: raise the level to sigma_hat = sigma (1 + gamma) with fresh noise
        raised = level * (1 + gammas[k])
        if raised > level:
            x = x + _draw(noise, k, x, generator) * (math.sqrt(raised ** 2 - level ** 2) * s_noise)
        # 2. Euler step of dx/dsigma = (x - D(x; sigma))/sigma from sigma_hat to the next level
        denoised = denoiser(x, raised)
        slope = (x - denoised) / raised
        x_next = x + slope * (level_next - raised)
        # 3. Heun's correction with the slope at the Euler point, unless the next level is 0
        if level_next > 0:
            slope_next = (x_next - denoiser(x_next, level_next)) / level_next
            x_next = x + (slope + slope_next) * (0.5 * (level_next - raised))
        x = x_next
        _report(callback, k, level_next, x, lambda: denoised)
    return x


def exact_denoiser(mixture) -> DenoiserFn:
    """D(x; sigma) = x + sigma^2 grad log p(x; sigma) for data from ``mixture`` (an
    oracle.DiagonalGaussianMixture): E[y | x] by Tweedie, in EDM's coordinates (s = 1)."""
    def denoiser(x: Tensor, sigma: float) -> Tensor:
        var = torch.tensor(sigma * sigma, dtype=x.dtype, device=x.device)
        return x + mixture.score(x, torch.ones((), dtype=x.dtype, device=x.device), var) * (sigma * sigma)
    return denoiser


# -- on a linear SDE ---------------------------------------------------------------------------------
def edm_sigma(sde: LinearSDE, t) -> Tensor:
    """sigma(t) = sqrt(v(t))/s(t): the SDE's kernel in EDM's noise level (float64)."""
    t = torch.as_tensor(t, dtype=F64)
    return sde.kernel_std(t) / sde.scale(t)


def time_of_sigma(sde: LinearSDE, levels, iterations: int = 200) -> Tensor:
    """t with edm_sigma(sde, t) = level, by bisection (sigma(t) is increasing); levels above
    sigma(T) (a churned first level) are found beyond T by doubling the bracket."""
    levels = torch.as_tensor(levels, dtype=F64)
    hi = torch.full_like(levels, sde.T)
    for _ in range(64):
        low = edm_sigma(sde, hi) < levels
        if not bool(low.any()):
            break
        hi = torch.where(low, 2 * hi, hi)
    lo = torch.zeros_like(levels)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        below = edm_sigma(sde, mid) < levels
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
        if bool(((hi - lo) <= 1e-15 * hi).all()):
            break
    return (lo + hi) / 2


def score_denoiser(model: ScoreFn, sde: LinearSDE) -> DenoiserFn:
    """D(x~; sigma) = x~ + sigma^2 s score(s x~, t) at t = t(sigma), s = s(t): the denoiser in
    EDM's coordinates x~ = x/s of a score model of the SDE's x (p(x~; sigma) = s^d p_t(s x~))."""
    at: dict[float, tuple[float, float]] = {}        # sigma -> (t, s(t)), each found once

    def denoiser(x: Tensor, sigma: float) -> Tensor:
        if sigma not in at:
            t = time_of_sigma(sde, sigma)
            at[sigma] = float(t), float(sde.scale(t))
        t, s = at[sigma]
        return x + model(x * s, _time(t, x)) * (sigma * sigma * s)
    return denoiser


def _on_sde(model: ScoreFn, x: Tensor, sde: LinearSDE, n_steps: int, t_min: float, rho: float,
            churn: tuple[float, float, float, float] | None, denoise: bool, generator,
            callback: Callback | None, noise: NoiseFn | None) -> Tensor:
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    sde.check_time(t_min)
    top, bottom = float(edm_sigma(sde, sde.T)), float(edm_sigma(sde, t_min))
    sigmas = rho_sigmas(n_steps + 1, bottom, top, rho, dtype=F64).tolist()
    gammas = churn_gammas(sigmas, *churn[:3]) if churn else None
    s_noise = churn[3] if churn else 1.0
    denoiser = score_denoiser(model, sde)
    times = time_of_sigma(sde, sigmas).tolist()
    scales = sde.scale(torch.tensor(times, dtype=F64)).tolist()

    def report(info: dict) -> None:
        k = info["i"]
        callback({**info, "t": times[k + 1], "x": info["x"] * scales[k + 1]})
    y = edm_sample(denoiser, x / scales[0], sigmas, gammas=gammas, s_noise=s_noise,
                   generator=generator, noise=noise, callback=report if callback else None)
    if denoise:
        return denoiser(y, sigmas[-1])
    return y * scales[-1]


def edm_heun(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 18,
             t_min: float = 1e-3, rho: float = 7.0, denoise: bool = False, generator=None,
             callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """EDM's deterministic sampler (Algorithm 1) over the rho-levels (Eq. 5) from sigma(T) to
    sigma(t_min): 2 n_steps score evaluations (see the module's docstring).  "denoised" in the
    callback is in EDM's coordinates x/s; with denoise, the output is D at sigma(t_min), the
    estimate of x_0."""
    del generator, noise  # the ODE draws no noise
    return _on_sde(model, x, schedule, n_steps, t_min, rho, None, denoise, None, callback, None)


def edm_stochastic(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 18,
                   t_min: float = 1e-3, rho: float = 7.0, s_churn: float = 40.0,
                   s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0,
                   denoise: bool = False, generator=None, callback: Callback | None = None,
                   noise: NoiseFn | None = None) -> Tensor:
    """EDM's stochastic sampler (Algorithm 2): edm_heun with churn gamma_i = min(S_churn/N,
    sqrt(2) - 1) on the levels in [S_tmin, S_tmax] and noise inflation S_noise."""
    return _on_sde(model, x, schedule, n_steps, t_min, rho, (s_churn, s_tmin, s_tmax, s_noise),
                   denoise, generator, callback, noise)
