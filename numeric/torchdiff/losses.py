"""Training losses.  SymPy twins: derive.losses (dsm_term, gaussian_kl, x0_kl_weight,
noise_kl_weight).  Per-sample values are summed over the non-batch dimensions; the *_loss
functions draw t and the noise and return the batch mean.
"""
from __future__ import annotations

from typing import Callable

import torch

from diffproof.numeric.torchdiff.config import WEIGHTINGS
from diffproof.numeric.torchdiff.forward import _col, perturb
from diffproof.numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE

Tensor = torch.Tensor
ScoreFn = Callable[[Tensor, Tensor], Tensor]


def _sum(values: Tensor) -> Tensor:
    return values.reshape(values.shape[0], -1).sum(1)


def dsm_terms(score_pred: Tensor, noise: Tensor, std: Tensor, weight: Tensor) -> Tensor:
    """lambda |s_theta - grad log q|^2 with grad log q = -eps/std: the squared error of seed 002
    Eq. 3.44 (not the square root the seed's code takes), per sample."""
    return weight * _sum((score_pred + noise / _col(std, noise)) ** 2)


def dsm_weight(sde: LinearSDE, t: Tensor, weighting: str) -> Tensor:
    """lambda(t) = kernel_variance(t) (the kernel's sigma^2; Song Eq. 7 footnote) or g(t)^2
    (likelihood)."""
    if weighting == "sigma2":
        return sde.kernel_variance(t)
    if weighting == "g2":
        return sde.g2(t)
    raise ValueError(f"unknown weighting {weighting!r}; choose one of {WEIGHTINGS}")


def sample_times(n: int, t_min: float, like: Tensor, generator=None, T: float = 1.0) -> Tensor:
    """t ~ U(t_min, T), one per sample."""
    u = torch.rand(n, dtype=like.dtype, device=like.device, generator=generator)
    return t_min + (T - t_min) * u


def dsm_loss(score_fn: ScoreFn, x0: Tensor, sde: LinearSDE, weighting: str = "sigma2",
             t_min: float = 1e-3, generator=None) -> Tensor:
    """Denoising score matching E_t E_{x_0, eps}[lambda(t) |s_theta(x_t, t) + eps/std(t)|^2]
    (seed 002 Eq. 3.44 with the exact kernel variance)."""
    t = sample_times(x0.shape[0], t_min, x0, generator, sde.T)
    noise = torch.randn(x0.shape, dtype=x0.dtype, device=x0.device, generator=generator)
    std = sde.kernel_std(t)
    xt = perturb(x0, sde.scale(t), std, noise)
    return dsm_terms(score_fn(xt, t), noise, std, dsm_weight(sde, t, weighting)).mean()


def noise_terms(noise_pred: Tensor, noise: Tensor) -> Tensor:
    """|eps - eps_theta|^2 per sample: DDPM L_simple (Ho et al. Eq. 14)."""
    return _sum((noise - noise_pred) ** 2)


def x0_terms(x0_pred: Tensor, x0: Tensor) -> Tensor:
    """|x_0 - xhat|^2 per sample (Luo Eq. 99 without its weight)."""
    return _sum((x0 - x0_pred) ** 2)


def x0_kl_weight(schedule: DiscreteSchedule, i: Tensor) -> Tensor:
    """KL(q(x_{i-1}|x_i,x_0) || p_theta) / |xhat - x_0|^2 = abar_{i-1} beta_i^2 /
    (2 betatilde_i (1 - abar_i)^2) (Luo Eq. 99) = abar_{i-1} (1 - alpha_i) / (2 (1 - abar_{i-1})
    (1 - abar_{i-1} alpha_i)) as derive.losses computes it, with 1 - abar_{i-1} alpha_i written
    as the sum of positive terms (1 - abar_{i-1}) + abar_{i-1} (1 - alpha_i): no cancellation near
    abar = 1 (float64).  i >= 2."""
    s = schedule
    abar_prev, one_minus_prev, beta = s.alphabar_prev[i], s.one_minus_alphabar_prev[i], s.betas[i]
    return abar_prev * beta / (2 * one_minus_prev * (one_minus_prev + abar_prev * beta))


def noise_kl_weight(schedule: DiscreteSchedule, i: Tensor) -> Tensor:
    """KL / |epshat - eps_0|^2 = (1 - alpha_i) / (2 alpha_i (1 - abar_{i-1})) (Luo Eq. 130); i >= 2."""
    s = schedule
    return s.betas[i] / (2 * s.alphas[i] * s.one_minus_alphabar_prev[i])


def gaussian_kl(mean_q: Tensor, var_q: Tensor, mean_p: Tensor, var_p: Tensor) -> Tensor:
    """D_KL(N(mean_q, var_q) || N(mean_p, var_p)) for diagonal Gaussians, summed per sample:
    (var_q/var_p - 1 + (mean_q - mean_p)^2/var_p + log(var_p/var_q)) / 2."""
    log_ratio = torch.log(var_q) - torch.log(var_p)  # finite where var_q / var_p under/overflows
    return _sum(0.5 * (torch.exp(log_ratio) - 1 - log_ratio + (mean_q - mean_p) ** 2 / var_p))


def noise_prediction_loss(eps_fn: Callable[[Tensor, Tensor], Tensor], x0: Tensor,
                          schedule: DiscreteSchedule, generator=None) -> Tensor:
    """L_simple: i ~ U{1..n}, eps ~ N(0, I), mean |eps - eps_theta(x_i, i)|^2 (Ho et al. Alg. 1)."""
    i = torch.randint(1, schedule.n + 1, (x0.shape[0],), device=x0.device, generator=generator)
    noise = torch.randn(x0.shape, dtype=x0.dtype, device=x0.device, generator=generator)
    xi = perturb(x0, *schedule.kernel(i, x0), noise)
    return noise_terms(eps_fn(xi, i), noise).mean()
