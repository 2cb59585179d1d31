"""The forward process q(x_t | x_0), the DDPM posterior, and conversions between predictions.

SymPy twins: derive.formulas (posterior_mean, posterior_variance, x0_from_noise,
conditional_score) and derive.sde (scale, kernel_variance).  Discrete and continuous time share one
form: x_t = scale x_0 + std eps with (scale, std) = (sqrt(abar_t), sqrt(1 - abar_t)) for DDPM and
(s(t), kernel_std(t)) for an SDE.

Precision: schedule coefficients (of DDPM or of an SDE) are computed in float64 and cast to the
working dtype once, so a float32 result carries only the float32 roundings of the final
arithmetic: within 8 * 2^-24 ~ 4.8e-7 relative to the size of its terms (|c_0 x_0| + |c_t x_t| for
the posterior mean), against the exact value at the same float32 inputs (tested with Hypothesis
on schedules down to beta_1 = 1e-8).  Casting abar to float32 before forming 1 - abar, as this
module once did, gave 1.7e-4 on the default DDPM schedule and NaN at beta_1 = 1e-8.
"""
from __future__ import annotations

import torch

from diffproof.numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE

Tensor = torch.Tensor


def _col(values: Tensor, like: Tensor) -> Tensor:
    """Reshape per-sample values (batch,) to broadcast against like (batch, ...)."""
    return values.reshape(values.shape + (1,) * (like.ndim - values.ndim))


def perturb(x0: Tensor, scale: Tensor, std: Tensor, noise: Tensor) -> Tensor:
    """x_t = scale x_0 + std eps  (Luo Eq. 69; seed 002 Eq. 3.27)."""
    return _col(scale, x0) * x0 + _col(std, x0) * noise


def q_sample(sde: LinearSDE, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
    """A draw of x_t ~ q(x_t | x_0) for a continuous-time SDE (t per sample)."""
    return perturb(x0, sde.scale(t), sde.kernel_std(t), noise)


def q_sample_discrete(schedule: DiscreteSchedule, x0: Tensor, i: Tensor, noise: Tensor) -> Tensor:
    """A draw of x_i ~ q(x_i | x_0) = N(sqrt(abar_i) x_0, (1 - abar_i) I), i an integer tensor."""
    return perturb(x0, *schedule.kernel(i, x0), noise)


def log_q(x: Tensor, x0: Tensor, scale: Tensor, var: Tensor) -> Tensor:
    """log N(x; scale x_0, var I) summed over the non-batch dimensions."""
    scale, var = _col(scale, x0), _col(var, x0)
    term = -(x - scale * x0) ** 2 / (2 * var) - 0.5 * torch.log(2 * torch.pi * var)
    return term.reshape(x.shape[0], -1).sum(1)


def conditional_score(x: Tensor, x0: Tensor, scale: Tensor, var: Tensor) -> Tensor:
    """grad_x log q(x_t | x_0) = -(x_t - scale x_0) / var  (seed 002 Eq. 3.42 with the exact var)."""
    return -(x - _col(scale, x0) * x0) / _col(var, x0)


def posterior_mean(schedule: DiscreteSchedule, xt: Tensor, x0: Tensor, i: Tensor) -> Tensor:
    """mu_q(x_t, x_0) = sqrt(abar_{i-1}) beta_i/(1 - abar_i) x_0
    + sqrt(alpha_i)(1 - abar_{i-1})/(1 - abar_i) x_t  (Luo Eq. 84; Ho Eq. 7)."""
    s = schedule
    one_minus = s.one_minus_alphabar[i]  # float64 throughout, cast once below
    coef_x0 = (s.alphabar_prev[i].sqrt() * s.betas[i] / one_minus).to(x0)
    coef_xt = (s.alphas[i].sqrt() * s.one_minus_alphabar_prev[i] / one_minus).to(xt)
    return _col(coef_x0, x0) * x0 + _col(coef_xt, xt) * xt


def posterior_variance(schedule: DiscreteSchedule, i: Tensor) -> Tensor:
    """Sigma_q(i) = betatilde_i = (1 - abar_{i-1}) beta_i / (1 - abar_i)  (Luo Eq. 85)."""
    return schedule.betatilde[i]


def x0_from_noise(xt: Tensor, noise: Tensor, scale: Tensor, std: Tensor) -> Tensor:
    """x_0 = (x_t - std eps) / scale  (Luo Eq. 115)."""
    return (xt - _col(std, xt) * noise) / _col(scale, xt)


def noise_from_x0(xt: Tensor, x0: Tensor, scale: Tensor, std: Tensor) -> Tensor:
    """eps = (x_t - scale x_0) / std, the inverse of x0_from_noise."""
    return (xt - _col(scale, xt) * x0) / _col(std, xt)


def score_from_noise(noise: Tensor, std: Tensor) -> Tensor:
    """score = -eps / std  (Luo Eq. 151 in conditional expectation)."""
    return -noise / _col(std, noise)


def noise_from_score(score: Tensor, std: Tensor) -> Tensor:
    """eps = -std score, the inverse of score_from_noise."""
    return -_col(std, score) * score


def x0_from_score(xt: Tensor, score: Tensor, scale: Tensor, var: Tensor) -> Tensor:
    """Tweedie: E[x_0 | x_t] = (x_t + var score) / scale  (Luo Eq. 133)."""
    return (xt + _col(var, xt) * score) / _col(scale, xt)
