"""Noise schedules: DDPM discrete betas and the VE / VP / sub-VP linear SDEs.

SymPy twins: derive.sde (VESDE, VPSDE, SubVPSDE) and derive.discrete (ddpm_linear_beta,
cosine_alphabar).  The SDE classes use derive.sde's member names (f, g, g2, scale,
kernel_variance, marginal_variance, probability_flow_drift, reverse_euler_maruyama; VE sigma; VP
beta and integrated_beta); the torch-only helpers are kernel_std, step_alphas and check_time
(tests/test_torch_formulas.py enumerates the members and compares each with SymPy).  The kernel
q(x_t | x_0) = N(scale(t) x_0, kernel_variance(t) I) uses the variance *computed* from f and g in
derive.sde (seed 002 Eqs. 3.27-3.29): for VE that is sigma(t)^2 - sigma_min^2, not the seed's
sigma(t)^2 (erratum of seed 002 Eq. 3.39).  Differences like that are evaluated with expm1 / log1p
so they stay accurate for t near 0 and alphabar near 1.

Precision: every schedule value is computed in float64 (from t converted to float64) and cast to
the dtype of t once, at the end.  The float64 results are within 1e-12 relative error of the
exact value at the same inputs; the float32 results within 2^-24 ~ 6e-8 (one rounding of the
float64 value), and finite wherever the exact value is within float32's range.
"""
from __future__ import annotations

import functools
import math

import torch

Tensor = torch.Tensor


def _float64(method):
    """Evaluate a schedule method on float64 t and cast the result to t's dtype at the end."""
    @functools.wraps(method)
    def wrapper(self, t, *args):
        if not isinstance(t, Tensor):
            t = torch.tensor(t, dtype=torch.float64)
        dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
        return method(self, t.to(torch.float64), *args).to(dtype)
    return wrapper


class LinearSDE:
    """dx = f(t) x dt + g(t) dw on t in [0, T], T = 1.  Schedule methods accept a float or a
    tensor t (any shape); the drifts and the Euler-Maruyama step take one time for the batch."""

    name = "linear"
    T = 1.0

    def f(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def g2(self, t: Tensor) -> Tensor:
        """g(t)^2, computed as such (squaring a computed g would round twice)."""
        raise NotImplementedError

    @_float64
    def g(self, t: Tensor) -> Tensor:
        return torch.sqrt(self.g2(t))

    def scale(self, t: Tensor) -> Tensor:
        """s(t) = exp(int_0^t f)  (seed 002 Eq. 3.28)."""
        raise NotImplementedError

    def kernel_variance(self, t: Tensor) -> Tensor:
        """Kernel variance s(t)^2 int_0^t g^2 / s^2  (seed 002 Eqs. 3.27, 3.29)."""
        raise NotImplementedError

    @_float64
    def kernel_std(self, t: Tensor) -> Tensor:
        """Torch-only: sqrt(kernel_variance(t)), the std of q(x_t | x_0) that perturbs data."""
        return torch.sqrt(self.kernel_variance(t))

    @_float64
    def marginal_variance(self, t: Tensor, data_variance: float) -> Tensor:
        """Var x(t) for data of per-coordinate variance data_variance: s(t)^2 data_variance +
        kernel_variance(t).  At t = T it is the variance of the prior N(., . I) of the samplers."""
        return self.scale(t) ** 2 * data_variance + self.kernel_variance(t)

    def _f_g2(self, t) -> tuple[float, float]:
        return float(self.f(t)), float(self.g2(t))

    def probability_flow_drift(self, x: Tensor, score: Tensor, t) -> Tensor:
        """f(t) x - g(t)^2 score / 2: dx/dt of the probability-flow ODE (Song et al. 2021,
        Eq. 13)."""
        f, g2 = self._f_g2(t)
        return x * f - score * (0.5 * g2)

    def reverse_euler_maruyama(self, x: Tensor, score: Tensor, t, step, noise: Tensor) -> Tensor:
        """One reverse Euler-Maruyama step from t to t - step: x - (f x - g^2 score) step +
        g sqrt(step) z, the drift that of the reverse SDE (Song et al. 2021, Eq. 6; seed 002
        Algorithm 3.1 with the drift f(t) x).  Evaluated as (1 - f step) x + g^2 step score +
        sqrt(g^2 step) z in three passes; the reverse drift has no torch method of its own."""
        f, g2 = self._f_g2(t)
        step = float(step)
        x = (x * (1 - f * step)).add_(score, alpha=g2 * step)
        return x.add_(noise, alpha=math.sqrt(g2 * step))

    def step_alphas(self, times: list[float]) -> list[float]:
        """Torch-only: alpha_k = s(t_k)^2 / s(t_{k+1})^2 of each step of a decreasing grid, the
        Langevin scale of Song et al.'s corrector (Algs. 4-5); 1 for VE, whose scale is 1."""
        s = self.scale(torch.tensor(times, dtype=torch.float64))
        return ((s[:-1] / s[1:]) ** 2).tolist()

    def check_time(self, t_min: float) -> None:
        """Torch-only: a sampler's end time must lie in (0, T)."""
        if not 0.0 < t_min < self.T:
            raise ValueError(f"t_min must lie in (0, {self.T}), got {t_min}")


class VE(LinearSDE):
    """Variance exploding: sigma(t) = sigma_min (sigma_max/sigma_min)^t, f = 0,
    g = sqrt(d sigma^2/dt) = sigma(t) sqrt(2 log(sigma_max/sigma_min))  (Song Eq. 30; seed 002
    Eqs. 3.34-3.38)."""

    name = "VE"

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 3.0):
        if not (math.isfinite(sigma_min) and math.isfinite(sigma_max)) or not 0 < sigma_min < sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self.log_sigma_min = math.log(self.sigma_min)
        self.log_ratio = math.log(self.sigma_max) - self.log_sigma_min  # no overflow of the ratio

    def _log_sigma(self, t: Tensor) -> Tensor:
        return self.log_sigma_min + self.log_ratio * t

    @_float64
    def sigma(self, t: Tensor) -> Tensor:
        return torch.exp(self._log_sigma(t))

    @_float64
    def f(self, t):
        return torch.zeros_like(t)

    @_float64
    def g2(self, t):
        return 2 * self.log_ratio * torch.exp(2 * self._log_sigma(t))

    @_float64
    def g(self, t):
        """sigma(t) sqrt(2 log(sigma_max/sigma_min)) (no underflow of g^2 for tiny sigma)."""
        return torch.exp(self._log_sigma(t)) * math.sqrt(2 * self.log_ratio)

    @_float64
    def scale(self, t):
        return torch.ones_like(t)

    @_float64
    def kernel_variance(self, t):
        """sigma(t)^2 - sigma_min^2 = sigma(t)^2 (1 - exp(-2 t log(sigma_max/sigma_min))): accurate
        near t = 0 (expm1) and free of the overflow of sigma_min^2 expm1(...) for tiny sigma_min."""
        return torch.exp(2 * self._log_sigma(t)) * -torch.expm1(-2 * self.log_ratio * t)

    @_float64
    def kernel_std(self, t):
        """sigma(t) sqrt(1 - exp(-2 t log(sigma_max/sigma_min))) (finite wherever it is exactly)."""
        return torch.exp(self._log_sigma(t)) * torch.sqrt(-torch.expm1(-2 * self.log_ratio * t))


class VP(LinearSDE):
    """Variance preserving: beta(t) = beta_min + t (beta_max - beta_min), f = -beta/2,
    g = sqrt(beta)  (Song Eqs. 11, 33)."""

    name = "VP"

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        if not (math.isfinite(beta_min) and math.isfinite(beta_max)) or not 0 < beta_min < beta_max:
            raise ValueError(f"need 0 < beta_min < beta_max, got {beta_min}, {beta_max}")
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)

    @_float64
    def beta(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    @_float64
    def integrated_beta(self, t):
        """B(t) = int_0^t beta = beta_min t + (beta_max - beta_min) t^2 / 2."""
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t ** 2

    def step_alphas(self, times: list[float]) -> list[float]:
        """s(t_k)^2 / s(t_{k+1})^2 = exp(-(B(t_k) - B(t_{k+1}))) for a decreasing grid:
        the exact alpha_i = abar_i / abar_{i-1} = 1 - beta_i of each step, in (0, 1].  Song's
        1 - beta(t) dt is its first-order form, which turns negative once beta(t) dt > 1 (VP,
        fewer than 20 steps)."""
        b = self.integrated_beta(torch.tensor(times, dtype=torch.float64))
        return torch.exp(-(b[:-1] - b[1:])).tolist()

    @_float64
    def f(self, t):
        return -0.5 * self.beta(t)

    @_float64
    def g2(self, t):
        return self.beta(t)

    @_float64
    def scale(self, t):
        return torch.exp(-0.5 * self.integrated_beta(t))

    @_float64
    def kernel_variance(self, t):
        """1 - exp(-B(t))."""
        return -torch.expm1(-self.integrated_beta(t))


class SubVP(VP):
    """sub-VP: f = -beta/2, g^2 = beta(t) (1 - exp(-2 B(t)))  (Song Eq. 28)."""

    name = "subVP"

    @_float64
    def g2(self, t):
        return -self.beta(t) * torch.expm1(-2 * self.integrated_beta(t))

    @_float64
    def kernel_variance(self, t):
        """(1 - exp(-B(t)))^2."""
        return torch.expm1(-self.integrated_beta(t)) ** 2

    @_float64
    def kernel_std(self, t):
        """1 - exp(-B(t)) (no square root of a square that may underflow)."""
        return -torch.expm1(-self.integrated_beta(t))


def make_sde(kind: str, **params) -> LinearSDE:
    kinds = {"ve": VE, "vp": VP, "subvp": SubVP}
    try:
        return kinds[kind.lower()](**params)
    except KeyError:
        raise ValueError(f"unknown SDE {kind!r}; choose one of {sorted(kinds)}") from None


class DiscreteSchedule:
    """DDPM betas for steps i = 1..n with alpha_i = 1 - beta_i, abar_i = prod_{j<=i} alpha_j,
    abar_0 = 1 and betatilde_i = (1 - abar_{i-1}) beta_i / (1 - abar_i)  (Ho et al. Eqs. 4, 7).
    Tensors are indexed by i (index 0 holds the i = 0 values: beta_0 = 0, abar_0 = 1) and stay
    float64.  1 - abar is kept as its own tensor, -expm1(sum_j log1p(-beta_j)), because 1 - abar
    formed from a rounded abar loses its digits as abar -> 1 (all of them at beta_1 = 1e-8 in
    float32); formulas take 1 - abar from it and abar from alphabar."""

    def __init__(self, betas: Tensor):
        betas = torch.as_tensor(betas, dtype=torch.float64)
        if betas.ndim != 1 or betas.numel() < 1:
            raise ValueError("betas must be a non-empty 1-D tensor")
        if not torch.all((betas > 0) & (betas < 1)):
            raise ValueError("every beta must lie in (0, 1)")
        self.n = betas.numel()
        zero = betas.new_zeros(1)
        self.betas = torch.cat([zero, betas])
        self.alphas = 1 - self.betas
        self.alphabar = torch.cumprod(self.alphas, 0)  # relative error <= i ulp
        self.one_minus_alphabar = -torch.expm1(torch.cumsum(torch.log1p(-self.betas), 0))
        self.alphabar_prev = torch.cat([betas.new_ones(1), self.alphabar[:-1]])
        self.one_minus_alphabar_prev = torch.cat([zero, self.one_minus_alphabar[:-1]])
        tilde = self.one_minus_alphabar_prev[1:] * betas / self.one_minus_alphabar[1:]
        self.betatilde = torch.cat([zero, tilde])

    @classmethod
    def linear(cls, n: int = 1000, beta_1: float = 1e-4, beta_n: float = 0.02) -> "DiscreteSchedule":
        """beta_i = beta_1 + (i - 1)(beta_n - beta_1)/(n - 1)  (Ho et al. Sec. 4)."""
        if n < 2:
            raise ValueError("a linear schedule needs n >= 2 steps")
        i = torch.arange(1, n + 1, dtype=torch.float64)
        return cls(beta_1 + (i - 1) * (beta_n - beta_1) / (n - 1))

    @classmethod
    def cosine(cls, n: int = 1000, offset: float = 0.008, max_beta: float = 0.999) -> "DiscreteSchedule":
        """abar_i = f(i)/f(0), f(i) = cos^2(((i/n + offset)/(1 + offset)) pi/2); beta_i =
        1 - abar_i/abar_{i-1} clipped at max_beta  (Nichol & Dhariwal Eq. 17)."""
        abar = cosine_alphabar(torch.arange(0, n + 1, dtype=torch.float64), n, offset)
        betas = 1 - abar[1:] / abar[:-1]
        return cls(betas.clamp(max=max_beta))

    FIELDS = ("betas", "alphas", "alphabar", "one_minus_alphabar", "alphabar_prev",
              "one_minus_alphabar_prev", "betatilde")

    def to(self, device=None) -> "DiscreteSchedule":
        """Move the tensors to device; they stay float64 (formulas cast their results)."""
        for key in self.FIELDS:
            setattr(self, key, getattr(self, key).to(device=device))
        return self

    def kernel(self, i, like: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(scale, std) = (sqrt(abar_i), sqrt(1 - abar_i)) of q(x_i | x_0), computed in float64
        and cast to like's dtype and device at the end."""
        scale, std = self.alphabar[i].sqrt(), self.one_minus_alphabar[i].sqrt()
        if like is None:
            return scale, std
        return scale.to(like), std.to(like)


def cosine_alphabar(i: Tensor, n: int, offset: float = 0.008) -> Tensor:
    def f(k):
        return torch.cos((k / n + offset) / (1 + offset) * math.pi / 2) ** 2
    return f(i) / f(torch.zeros_like(i))
