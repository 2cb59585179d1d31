"""DDIM(eta) (Song, Meng & Ermon 2021): the torch twin of derive/ddim.py.

One step from abar to abar_next (DDPM's abar; DDIM writes alpha):

    x_next = c_x x + c_eps eps_theta + sigma z,      sigma = sigma(eta)     (DDIM Eqs. 12, 16)

with c_x, c_eps the coefficients of derive.ddim.update_coefficients and sigma that of
derive.ddim.sigma_eta (tests/test_torch_ddim.py compares them in float64 at Hypothesis-drawn
points).  eta = 1 is DDPM's ancestral sampler (sigma^2 = beta-tilde), eta = 0 the deterministic
DDIM, one Euler step of d x-bar = eps_theta d sigma-bar (Sec. 4.3).

- ddim: the discrete DDPM schedule, ``model`` the noise prediction (x, i) -> eps_theta(x_i, i),
  over n_steps + 1 indices tau from n down to 0 spaced evenly (DDIM Sec. 4.2; all n by default);
- ddim_sde: a linear SDE (schedules.LinearSDE, any s(t), v(t)), ``model`` the score (x, t), on
  the time grid of the other continuous samplers.  Its kernel x_t = s x_0 + sqrt(v) eps is DDPM's
  with abar = s^2 / (s^2 + v) after dividing x by sqrt(s^2 + v), and eps_theta = -sqrt(v) score;
  so ``diffproof sample --sampler ddim`` runs the same step on the VE model.

Both follow samplers.py's signature and callback ({"i", "t", "x", "denoised"}).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.torchdiff.samplers import (Callback, NoiseFn, ScoreFn, _draw, _finish,
                                                  _report, _time, time_grid, tweedie)
from diffproof.numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE

Tensor = torch.Tensor


def sigma_eta(abar: float, abar_next: float, one_minus: float, one_minus_next: float,
              eta: float) -> float:
    """sigma(eta) = eta sqrt((1 - abar_next)/(1 - abar)) sqrt(1 - abar/abar_next)  (DDIM Eq. 16);
    1 - abar is passed on its own (DiscreteSchedule keeps it exact as abar -> 1)."""
    return eta * math.sqrt(one_minus_next / one_minus) * math.sqrt((abar_next - abar) / abar_next)


def coefficients(abar: float, abar_next: float, one_minus: float, one_minus_next: float,
                 eta: float) -> tuple[float, float, float]:
    """(c_x, c_eps, sigma) of one DDIM(eta) step: c_x = sqrt(abar_next/abar), c_eps =
    sqrt(1 - abar_next - sigma^2) - sqrt(abar_next (1 - abar)/abar)  (DDIM Eqs. 9, 12)."""
    if not (0 < abar < abar_next <= 1):
        raise ValueError(f"a DDIM step needs 0 < abar < abar_next <= 1, got {abar}, {abar_next}")
    sigma = sigma_eta(abar, abar_next, one_minus, one_minus_next, eta)
    # 1 - abar_next - sigma^2 = (1 - abar_next)(1 - eta^2 (abar_next - abar)/(abar_next (1 - abar)))
    budget = one_minus_next * (1 - eta ** 2 * (abar_next - abar) / (abar_next * one_minus))
    if budget < 0:
        raise ValueError(f"eta = {eta} gives sigma^2 > 1 - abar_next: Eq. 7 is not defined")
    c_eps = math.sqrt(budget) - math.sqrt(abar_next * one_minus / abar)
    return math.sqrt(abar_next / abar), c_eps, sigma


def index_sequence(n: int, n_steps: int | None = None) -> list[int]:
    """tau: n_steps + 1 distinct indices n = tau_S > ... > tau_0 = 0, evenly spaced (rounded);
    all of n .. 0 when n_steps is None."""
    n_steps = n if n_steps is None else n_steps
    if not 1 <= n_steps <= n:
        raise ValueError(f"n_steps must be in [1, {n}], got {n_steps}")
    grid = torch.linspace(n, 0, n_steps + 1, dtype=torch.float64).round().long()
    return grid.tolist()


def _check_eta(eta: float) -> None:
    if not (0 <= eta <= 1) or math.isnan(eta):
        raise ValueError(f"eta must lie in [0, 1] (sigma^2 <= 1 - abar_next), got {eta}")


@torch.inference_mode()
def ddim(model: Callable[[Tensor, int], Tensor], x: Tensor, schedule: DiscreteSchedule, *,
         eta: float = 0.0, n_steps: int | None = None, generator=None,
         callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """DDIM(eta) from x = x_n down to x_0 over index_sequence(n, n_steps).  The last step lands on
    abar_0 = 1, where sigma = 0: it returns f_theta(x_{tau_1}).  The callback's "t" is the index
    reached."""
    _check_eta(eta)
    taus = index_sequence(schedule.n, n_steps)
    abar, one_minus = schedule.alphabar.tolist(), schedule.one_minus_alphabar.tolist()
    for k, (i, j) in enumerate(zip(taus[:-1], taus[1:])):
        # 1. predicted noise eps_theta(x_i, i)
        eps = model(x, i)
        # 2. c_x x + c_eps eps: sqrt(abar_j) f_theta(x_i) + sqrt(1 - abar_j - sigma^2) eps (Eq. 12)
        c_x, c_eps, sigma = coefficients(abar[i], abar[j], one_minus[i], one_minus[j], eta)
        x_start, x = x, torch.add(x * c_x, eps, alpha=c_eps)
        # 3. plus sigma z, sigma = sigma(eta) (Eq. 16); none at eta = 0 or on reaching abar_0 = 1
        if sigma > 0:
            x.add_(_draw(noise, k, x, generator), alpha=sigma)
        # 4. report, with f_theta(x_i) = (x_i - sqrt(1 - abar_i) eps) / sqrt(abar_i) (Eq. 9)
        _report(callback, k, j, x,
                lambda: fw.x0_from_noise(x_start, eps, *schedule.kernel(i, x_start)))
    return x


@torch.inference_mode()
@torch.inference_mode()
def ddim_sde(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, eta: float = 0.0,
             n_steps: int = 100, t_min: float = 1e-3, denoise: bool = False, generator=None,
             callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """DDIM(eta) on a linear SDE's time grid from T down to t_min (see the module's docstring)."""
    _check_eta(eta)
    sde, times = schedule, time_grid(schedule, n_steps, t_min)
    for k in range(n_steps):
        t, t_next = times[k], times[k + 1]
        (s, v), (s2, v2) = (_kernel(sde, t), _kernel(sde, t_next))
        norm, norm_next = math.sqrt(s * s + v), math.sqrt(s2 * s2 + v2)
        # 1. score at the step's start, as a noise prediction eps_theta = -sqrt(v) score
        score = model(x, _time(t, x))
        eps = score * -math.sqrt(v)
        # 2. the DDPM-form step on x / sqrt(s^2 + v), abar = s^2 / (s^2 + v), scaled back
        c_x, c_eps, sigma = coefficients(s * s / norm ** 2, s2 * s2 / norm_next ** 2,
                                         v / norm ** 2, v2 / norm_next ** 2, eta)
        x_start, x = x, torch.add(x * (c_x * norm_next / norm), eps, alpha=c_eps * norm_next)
        if sigma > 0:
            x.add_(_draw(noise, k, x, generator), alpha=sigma * norm_next)
        # 3. report, with Tweedie's x_0 from the score of stage 1 (Luo Eq. 133)
        _report(callback, k, t_next, x, lambda: tweedie(sde, x_start, score, t))
    return _finish(model, sde, x, times[-1], denoise)


def _kernel(sde: LinearSDE, t: float) -> tuple[float, float]:
    """(s(t), v(t)) of the kernel x_t = s x_0 + sqrt(v) eps, in float64."""
    tt = torch.tensor(t, dtype=torch.float64)
    return float(sde.scale(tt)), float(sde.kernel_variance(tt))
