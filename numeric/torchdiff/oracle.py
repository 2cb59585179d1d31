"""Exact scores for Gaussian-mixture data (a Gaussian is the one-component case).

With x_0 ~ sum_k w_k N(m_k, diag(c_k)) and the kernel q(x_t | x_0) = N(s x_0, v I), the marginal is
p_t = sum_k w_k N(s m_k, diag(s^2 c_k + v)) (the Gaussian convolution of derive.formulas
.gaussian_data_marginal, per component), so its score is available in closed form for VE, VP,
sub-VP and DDPM (s = sqrt(abar_i), v = 1 - abar_i).  Samplers can be judged against it without
training.
"""
from __future__ import annotations

import math

import torch

from diffproof.numeric.torchdiff.schedules import DiscreteSchedule, LinearSDE

Tensor = torch.Tensor


def _normalized_exp(log_weights: Tensor) -> Tensor:
    """softmax over dim 1, written out: torch.softmax is very slow on CPU for tiny K."""
    resp = torch.exp(log_weights - log_weights.max(dim=1, keepdim=True).values)
    return resp / resp.sum(dim=1, keepdim=True)


class DiagonalGaussianMixture:
    """weights (K,), means (K, d), variances (K, d) (diagonal covariances)."""

    def __init__(self, weights, means, variances, dtype=torch.float64, device=None):
        self.weights = torch.as_tensor(weights, dtype=dtype, device=device)
        self.means = torch.as_tensor(means, dtype=dtype, device=device)
        variances = torch.as_tensor(variances, dtype=dtype, device=device)
        if self.means.ndim != 2 or self.weights.shape != self.means.shape[:1]:
            raise ValueError("means must be (K, d) and weights (K,)")
        self.variances = variances.expand_as(self.means).clone()
        if not torch.all(self.variances > 0) or not torch.all(self.weights > 0):
            raise ValueError("variances and weights must be positive")
        if abs(float(self.weights.sum()) - 1) > 1e-9:
            raise ValueError("weights must sum to 1")
        self.dim = self.means.shape[1]

    @classmethod
    def gaussian(cls, mean, variance, **kw) -> "DiagonalGaussianMixture":
        dtype = kw.get("dtype", torch.float64)
        mean = torch.as_tensor(mean, dtype=dtype).reshape(1, -1)
        return cls([1.0], mean, torch.as_tensor(variance, dtype=dtype).reshape(1, -1), **kw)

    @classmethod
    def seed002(cls, normalized: bool = True, **kw) -> "DiagonalGaussianMixture":
        """Seed 002's data: (N((-2,-2), 0.01 I) + N((2,2), 0.01 I)) / 2.  The seed normalizes by
        the empirical mean and std of 1e6 draws; here by the exact ones (mean 0, per-coordinate
        variance 4 + 0.01), so the normalized data are again an exact mixture."""
        means = torch.tensor([[-2.0, -2.0], [2.0, 2.0]])
        variances = torch.full((2, 2), 0.01)
        if normalized:
            std = math.sqrt(4.01)
            means, variances = means / std, variances / std ** 2
        return cls([0.5, 0.5], means, variances, **kw)

    def to(self, dtype=None, device=None) -> "DiagonalGaussianMixture":
        return DiagonalGaussianMixture(self.weights, self.means, self.variances, dtype=dtype or self.means.dtype,
                               device=device)

    def mean(self) -> Tensor:
        return (self.weights[:, None] * self.means).sum(0)

    def variance(self) -> Tensor:
        """Per-coordinate variance of the mixture."""
        second = (self.weights[:, None] * (self.variances + self.means ** 2)).sum(0)
        return second - self.mean() ** 2

    def sample(self, n: int, generator=None) -> Tensor:
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, dtype=self.means.dtype, device=self.means.device,
                        generator=generator)
        return self.means[k] + self.variances[k].sqrt() * z

    def marginal(self, scale: Tensor, var: Tensor):
        """Means and variances of p_t: (.., K, d) each, for scale/var of shape () or (n,)."""
        scale, var = torch.as_tensor(scale), torch.as_tensor(var)
        if scale.ndim == 1:
            scale, var = scale[:, None, None], var[:, None, None]
        return scale * self.means, scale ** 2 * self.variances + var

    def _component_terms(self, x: Tensor, scale, var):
        means, variances = self.marginal(scale, var)
        diff = x[:, None, :] - means
        log_comp = -0.5 * (diff ** 2 / variances + torch.log(2 * math.pi * variances)).sum(-1)
        return diff, variances, torch.log(self.weights) + log_comp

    def log_prob(self, x: Tensor, scale, var) -> Tensor:
        """log p_t(x), x of shape (n, d)."""
        return torch.logsumexp(self._component_terms(x, scale, var)[2], dim=1)

    def score(self, x: Tensor, scale, var) -> Tensor:
        """grad log p_t(x) = -sum_k r_k(x) (x - s m_k) / (s^2 c_k + v), r_k the responsibilities."""
        scale, var = torch.as_tensor(scale), torch.as_tensor(var)
        if scale.ndim == 0 and var.ndim == 0:
            return self._score_shared_time(x, scale, var)
        diff, variances, log_joint = self._component_terms(x, scale, var)
        resp = _normalized_exp(log_joint)
        return -(resp[..., None] * diff / variances).sum(1)

    def _score_shared_time(self, x: Tensor, scale: Tensor, var: Tensor) -> Tensor:
        """The same score for one time: the quadratic forms expanded into (K, d) x (d, n) products,
        kept in (K, n) layout so the reductions over K run along contiguous rows."""
        means, variances = self.marginal(scale, var)
        precision = 1 / variances                      # (K, d)
        weighted_means = means * precision             # (K, d)
        constant = (torch.log(self.weights) - 0.5 * (means * weighted_means).sum(1)
                    - 0.5 * torch.log(2 * math.pi * variances).sum(1))
        xt = x.t()
        log_joint = weighted_means @ xt - 0.5 * (precision @ (xt * xt)) + constant[:, None]
        resp = torch.exp(log_joint - log_joint.max(dim=0, keepdim=True).values)
        resp = resp / resp.sum(dim=0, keepdim=True)    # (K, n)
        return (weighted_means.t() @ resp - xt * (precision.t() @ resp)).t()

    def denoiser(self, x: Tensor, scale, var) -> Tensor:
        """E[x_0 | x_t = x] for x_t = scale x_0 + sqrt(var) eps: per component m_k + c_k scale
        (x - scale m_k)/(scale^2 c_k + var), weighted by the responsibilities.  Defined at
        scale = 0 too (pure noise: the data mean), where Tweedie's formula divides by 0."""
        scale, var = (torch.as_tensor(v, dtype=x.dtype, device=x.device) for v in (scale, var))
        diff, variances, log_joint = self._component_terms(x, scale, var)
        resp = _normalized_exp(log_joint)
        means = self.means + self.variances * scale * diff / variances
        return (resp[..., None] * means).sum(1)

    def flow_velocity_fn(self):
        """(x, t) -> the exact velocity E[eps - x_0 | x_t] of the rectified-flow path x_t =
        (1 - t) x_0 + t eps: (x - E[x_0 | x_t]) / t (the velocity of an x-prediction,
        derive.paths), for 0 < t <= 1."""
        def fn(x: Tensor, t: Tensor) -> Tensor:
            t = float(t)
            return (x - self.denoiser(x, 1 - t, t * t)) / t
        return fn

    def score_fn(self, sde: LinearSDE):
        """(x, t) -> grad log p_t(x) for the SDE's kernel."""
        def fn(x: Tensor, t: Tensor) -> Tensor:
            t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
            return self.score(x, sde.scale(t), sde.kernel_variance(t))
        return fn

    def noise_fn(self, schedule: DiscreteSchedule):
        """(x, i) -> E[eps | x_i] = -sqrt(1 - abar_i) grad log p_i(x)  (Luo Eq. 151)."""
        def fn(x: Tensor, i) -> Tensor:
            scale, std = schedule.kernel(i, x)  # float64, cast once
            var = schedule.one_minus_alphabar[i].to(x)
            if scale.ndim == 1:
                return -std[:, None] * self.score(x, scale, var)
            return -std * self.score(x, scale, var)
        return fn
