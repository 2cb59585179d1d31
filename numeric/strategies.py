"""Public Hypothesis strategies for the objects of diffusion-model mathematics.

Each draws from realistic ranges and reaches the hard edges: alphabar near 0 (pure noise) and
near 1 (almost clean data), VE ratios sigma_max / sigma_min up to 1e4, small and large VP betas,
times down to 1e-3.  Hypothesis shrinks a failing example towards the simple end (alphabar = 1/2,
a single Gaussian, d = 1).  Use them in your own tests::

    from hypothesis import given
    from diffproof.numeric import strategies as ds

    @given(ds.abars(), ds.gaussian_mixtures(max_dim=2))
    def test_mine(abar, data): ...
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.simulate import GaussianMixture

ABAR_EDGE = 1e-6          # alphabar ranges over [1e-6, 1 - 1e-6]
ABAR_T_MIN = 1e-12        # the smallest alphabar_T a drawn schedule reaches


@dataclass(frozen=True)
class Schedule:
    """A discrete schedule alpha_1..alpha_T in (0, 1); alphabar_t = prod_{i<=t} alpha_i."""

    alphas: tuple[float, ...]

    @property
    def T(self) -> int:
        return len(self.alphas)

    @property
    def abars(self) -> np.ndarray:
        return np.cumprod(np.asarray(self.alphas, dtype=float))

    @property
    def betas(self) -> np.ndarray:
        return 1.0 - np.asarray(self.alphas, dtype=float)


@dataclass(frozen=True)
class VEParams:
    """VE-SDE noise scales, sigma(t) = sigma_min (sigma_max / sigma_min)^t (Song et al. Eq. 30)."""

    sigma_min: float
    sigma_max: float


@dataclass(frozen=True)
class VPParams:
    """VP-SDE betas, beta(t) = beta_min + t (beta_max - beta_min) (Song et al. Eq. 32)."""

    beta_min: float
    beta_max: float


def _log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats spread evenly in log scale between lo and hi (shrinks towards lo)."""
    return st.floats(0.0, 1.0).map(lambda u: float(lo * (hi / lo) ** u))


def abars(edge: float = ABAR_EDGE) -> st.SearchStrategy[float]:
    """alphabar_t in (0, 1), including values within ``edge`` of 0 and of 1 (shrinks to 1/2)."""
    if not 0 < edge < 0.5:
        raise ValueError("edge must lie in (0, 1/2)")
    middle = st.floats(0.01, 0.99)
    near_zero = _log_uniform(edge, 0.01)
    near_one = _log_uniform(edge, 0.01).map(lambda e: 1.0 - e)
    return st.one_of(st.just(0.5), middle, near_zero, near_one)


def alphas(lo: float = 1e-4, hi: float = 1 - 1e-6) -> st.SearchStrategy[float]:
    """One step's alpha_t in (0, 1) (beta_t = 1 - alpha_t from 1e-6 up to nearly 1)."""
    return st.one_of(st.floats(lo, hi), _log_uniform(1 - hi, 1 - lo).map(lambda b: 1.0 - b))


@st.composite
def schedules(draw, min_T: int = 1, max_T: int = 1000) -> Schedule:
    """Discrete schedules: DDPM linear betas, cosine alphabar, or free alphas (any T steps).

    alphabar is strictly decreasing by construction; its last value ranges from about 1 - 1e-6
    (few tiny betas) down to ``ABAR_T_MIN`` (long or aggressive schedules are scaled in log space
    so that alphabar_T never underflows)."""
    if not 1 <= min_T <= max_T:
        raise ValueError("need 1 <= min_T <= max_T")
    T = draw(st.integers(min_T, max_T))
    kind = draw(st.sampled_from(["linear", "cosine", "free"]))
    if kind == "linear":
        beta_1 = draw(_log_uniform(1e-6, 1e-2))
        beta_T = draw(st.floats(beta_1, 0.5)) if T > 1 else beta_1
        betas = np.linspace(beta_1, beta_T, T)
    elif kind == "cosine":
        offset = 0.008
        steps = np.arange(T + 1) / T
        f = np.cos((steps + offset) / (1 + offset) * np.pi / 2) ** 2
        abar = f / f[0]
        betas = np.clip(1 - abar[1:] / abar[:-1], 1e-8, 0.999)   # Nichol & Dhariwal clip beta at 0.999
    else:
        betas = np.array(draw(st.lists(st.floats(1e-6, 0.999), min_size=T, max_size=T)))
    log_alphas = np.log1p(-betas)
    total = float(log_alphas.sum())
    if total < np.log(ABAR_T_MIN):
        log_alphas *= np.log(ABAR_T_MIN) / total
    return Schedule(tuple(float(a) for a in np.exp(log_alphas)))


@st.composite
def ve_params(draw, max_ratio: float = 1e4) -> VEParams:
    """sigma_min in [1e-3, 1], sigma_max / sigma_min in (1, max_ratio] (log-uniform)."""
    sigma_min = draw(_log_uniform(1e-3, 1.0))
    ratio = draw(_log_uniform(1.0 + 1e-3, max_ratio))
    return VEParams(sigma_min, sigma_min * ratio)


@st.composite
def vp_params(draw) -> VPParams:
    """beta_min in [1e-3, 1], beta_max in (beta_min, 50] (Song et al. use 0.1 and 20)."""
    beta_min = draw(_log_uniform(1e-3, 1.0))
    beta_max = draw(_log_uniform(beta_min * 1.001, 50.0))
    return VPParams(beta_min, beta_max)


def times(t_min: float = 1e-3) -> st.SearchStrategy[float]:
    """t in (0, 1], down to ``t_min`` (the usual epsilon of SDE samplers) and including 1."""
    if not 0 < t_min < 1:
        raise ValueError("t_min must lie in (0, 1)")
    return st.one_of(st.just(1.0), st.floats(t_min, 1.0), _log_uniform(t_min, 0.05))


def dimensions(max_dim: int = 8) -> st.SearchStrategy[int]:
    """Data dimension d in [1, max_dim] (shrinks to 1)."""
    return st.integers(1, max_dim)


def _coordinates(d: int, scale: float) -> st.SearchStrategy[tuple[float, ...]]:
    return st.lists(st.floats(-scale, scale), min_size=d, max_size=d).map(tuple)


@st.composite
def gaussians(draw, dim: int | None = None, max_dim: int = 4, mean_scale: float = 3.0,
              sd_range: tuple[float, float] = (0.05, 5.0)) -> GaussianMixture:
    """Gaussian data N(m, s^2 I): means in [-mean_scale, mean_scale], s log-uniform in sd_range."""
    d = dim if dim is not None else draw(dimensions(max_dim))
    mean = draw(_coordinates(d, mean_scale))
    sd = draw(st.one_of(st.just(1.0), _log_uniform(*sd_range)))
    return GaussianMixture((1.0,), (mean,), (sd,))


@st.composite
def gaussian_mixtures(draw, dim: int | None = None, max_dim: int = 4, max_components: int = 4,
                      mean_scale: float = 3.0,
                      sd_range: tuple[float, float] = (0.05, 5.0)) -> GaussianMixture:
    """Isotropic Gaussian mixtures: 1..max_components components, weights >= 0.05 normalized."""
    d = dim if dim is not None else draw(dimensions(max_dim))
    k = draw(st.integers(1, max_components))
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))
    weights = tuple(float(w) / sum(raw) for w in raw)
    # re-normalize exactly so the weights sum to 1 in float64
    weights = weights[:-1] + (1.0 - sum(weights[:-1]),)
    means = tuple(draw(_coordinates(d, mean_scale)) for _ in range(k))
    sds = tuple(draw(st.lists(st.one_of(st.just(1.0), _log_uniform(*sd_range)),
                              min_size=k, max_size=k)))
    return GaussianMixture(weights, means, sds)


def points(dim: int, scale: float = 3.0) -> st.SearchStrategy[np.ndarray]:
    """A point x in [-scale, scale]^dim (for x_t or x_0)."""
    return _coordinates(dim, scale).map(lambda c: np.asarray(c, dtype=float))


__all__ = ["Schedule", "VEParams", "VPParams", "abars", "alphas", "schedules", "ve_params",
           "vp_params", "times", "dimensions", "gaussians", "gaussian_mixtures", "points"]
