"""Numpy simulations of the discrete forward process and of noised data (float64, vectorized).

The closed forms used here are the SymPy formulas of :mod:`derive.formulas`, lambdified once
(never retyped): q(x_t | x_0), the posterior q(x_{t-1} | x_t, x_0), the conditional score, and
the marginal p(x_t) and its score for Gaussian data, extended to isotropic Gaussian mixtures
through the responsibilities.  What is simulated:

- the forward chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(1 - alpha_t) eps_t, step by step;
- the triple (x_0, x_{t-1}, x_t) from data, one step at a time (Luo Eqs. 61-84);
- E[x_0 | x_t] and E[eps_0 | x_t] by self-normalized importance weights, with a defensive
  proposal (half data distribution, half the likelihood in x_0 widened by 2) whose weights are
  bounded, so a pilot estimate of their variance is reliable even for abar_t near 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from diffproof.derive import formulas as F
from diffproof.derive.gaussian import Normal
from diffproof.derive.symbols import abar_t, abar_tm1, alpha_t, m, s, x_0, x_t
from diffproof.derive.codegen import safe_lambdify
from diffproof.numeric.montecarlo import DEFAULT, MonteCarloCheck


# -- closed forms, lambdified from diffproof.derive.formulas -------------------------------------------------
@lru_cache(maxsize=None)
def closed_forms() -> dict:
    """Numpy functions of the computed formulas (argument order in each docstring key)."""
    q_t = F.marginal_hypothesis(x_t, abar_t)
    abar_def = {abar_t: alpha_t * abar_tm1}
    marg = F.gaussian_data_marginal()

    def fn(args, expr):
        return safe_lambdify(args, expr, modules="numpy")

    return {
        # q(x_t | x_0): mean, variance and log-density in (x_t, x_0, abar_t)
        "forward_mean": fn((x_0, abar_t), q_t.mean),
        "forward_variance": fn((abar_t,), q_t.variance),
        "forward_log_density": fn((x_t, x_0, abar_t), q_t.log_density()),
        # q(x_{t-1} | x_t, x_0) in (x_t, x_0, alpha_t, abar_tm1); the factored forms, because the
        # expanded mean cancels catastrophically in float64 as alpha_t, abar_{t-1} -> 1
        "posterior_mean": fn((x_t, x_0, alpha_t, abar_tm1), F.posterior_mean().xreplace(abar_def)),
        "posterior_variance": fn((alpha_t, abar_tm1), F.posterior_variance().xreplace(abar_def)),
        # grad_{x_t} log q(x_t | x_0) in (x_t, x_0, abar_t)
        "conditional_score": fn((x_t, x_0, abar_t), F.conditional_score()),
        # Gaussian data x_0 ~ N(m, s^2): p(x_t) and its score in (x_t, m, s, abar_t)
        "data_log_density": fn((x_0, m, s), Normal(x_0, m, s ** 2).log_density()),
        "marginal_log_density": fn((x_t, m, s, abar_t), marg.log_density()),
        "marginal_score": fn((x_t, m, s, abar_t), F.gaussian_data_score()),
    }


def _check_abar(abar: float) -> float:
    abar = float(abar)
    if not 0.0 < abar < 1.0:
        raise ValueError(f"abar_t must lie in (0, 1), got {abar!r}")
    return abar


# -- data distributions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianMixture:
    """p(x_0) = sum_k w_k N(x_0; m_k, s_k^2 I) in d dimensions (K = 1: Gaussian data)."""

    weights: tuple[float, ...]
    means: tuple[tuple[float, ...], ...]      # K rows of d coordinates
    sds: tuple[float, ...]

    def __post_init__(self) -> None:
        # plain Python floats, so the repr in a failure report replays as written
        object.__setattr__(self, "weights", tuple(float(v) for v in np.ravel(self.weights)))
        object.__setattr__(self, "means", tuple(tuple(float(v) for v in np.ravel(row)) for row in self.means))
        object.__setattr__(self, "sds", tuple(float(v) for v in np.ravel(self.sds)))
        w = np.asarray(self.weights, dtype=float)
        if w.ndim != 1 or w.size == 0 or np.any(w <= 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"mixture weights must be positive and sum to 1, got {self.weights}")
        means = np.asarray(self.means, dtype=float)
        if means.ndim != 2 or means.shape[0] != w.size or means.shape[1] < 1:
            raise ValueError(f"means must be {w.size} rows of d >= 1 coordinates")
        sds = np.asarray(self.sds, dtype=float)
        if sds.shape != w.shape or np.any(~np.isfinite(sds)) or np.any(sds <= 0):
            raise ValueError(f"component standard deviations must be positive, got {self.sds}")
        if not np.all(np.isfinite(means)):
            raise ValueError("component means must be finite")

    @classmethod
    def gaussian(cls, mean, sd: float) -> "GaussianMixture":
        return cls((1.0,), (tuple(np.atleast_1d(np.asarray(mean, dtype=float))),), (float(sd),))

    @property
    def dim(self) -> int:
        return len(self.means[0])

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.asarray(self.weights, dtype=float), np.asarray(self.means, dtype=float),
                np.asarray(self.sds, dtype=float))

    def rms(self) -> float:
        """sqrt(E|x_0|^2 / d): the data's size per coordinate."""
        w, mu, sd = self.arrays
        return float(np.sqrt(np.sum(w * (np.mean(mu ** 2, axis=1) + sd ** 2))))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w, mu, sd = self.arrays
        k = (np.minimum(np.searchsorted(np.cumsum(w), rng.random(n)), w.size - 1) if w.size > 1
             else np.zeros(n, dtype=int))
        return mu[k] + sd[k, None] * rng.standard_normal((n, self.dim))

    def log_density(self, x0: np.ndarray) -> np.ndarray:
        """log p(x_0) for rows x0 of shape (n, d)."""
        cf = closed_forms()
        w, mu, sd = self.arrays
        parts = np.stack([np.log(w[k]) + cf["data_log_density"](x0, mu[k], sd[k]).sum(axis=1)
                          for k in range(w.size)], axis=1)
        return _logsumexp(parts)

    def _component_terms(self, xt: np.ndarray, abar: float):
        cf = closed_forms()
        w, mu, sd = self.arrays
        logs = np.stack([np.log(w[k]) + cf["marginal_log_density"](xt, mu[k], sd[k], abar).sum(axis=1)
                         for k in range(w.size)], axis=1)
        scores = np.stack([cf["marginal_score"](xt, mu[k], sd[k], abar) for k in range(w.size)], axis=1)
        return logs, scores

    def marginal_log_density(self, xt, abar: float) -> np.ndarray:
        """log p(x_t) = log sum_k w_k N(x_t; sqrt(abar) m_k, (abar s_k^2 + 1 - abar) I)."""
        xt = np.atleast_2d(np.asarray(xt, dtype=float))
        logs, _ = self._component_terms(xt, _check_abar(abar))
        return _logsumexp(logs)

    def marginal_score(self, xt, abar: float) -> np.ndarray:
        """The exact marginal score grad log p(x_t): the responsibility-weighted component scores."""
        xt = np.atleast_2d(np.asarray(xt, dtype=float))
        logs, scores = self._component_terms(xt, _check_abar(abar))
        if logs.shape[1] == 1:
            return scores[:, 0, :]
        resp = np.exp(logs - _logsumexp(logs)[:, None])
        return (resp[:, :, None] * scores).sum(axis=1)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))


# -- the forward process --------------------------------------------------------------------------
def forward_chain(x0, alphas, rng: np.random.Generator, n: int) -> np.ndarray:
    """n independent runs of the chain from x_0 through every alpha_t; returns x_T, shape (n, d).
    Cost: n * T * d normal draws (about 0.1 s for 10^6 runs of 10 steps, d = 1)."""
    alphas = np.asarray(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size == 0 or np.any(alphas <= 0) or np.any(alphas >= 1):
        raise ValueError("alphas must be a non-empty sequence in (0, 1)")
    x = np.broadcast_to(np.atleast_1d(np.asarray(x0, dtype=float)), (n, np.size(x0))).copy()
    for a in alphas:
        x *= np.sqrt(a)
        x += np.sqrt(1.0 - a) * rng.standard_normal(x.shape)
    return x


def joint_triple(data: GaussianMixture, alpha: float, abar_prev: float, rng: np.random.Generator,
                 n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_0, x_{t-1}, x_t): x_0 ~ data, x_{t-1} ~ q(x_{t-1} | x_0), x_t ~ q(x_t | x_{t-1})."""
    x0 = data.sample(rng, n)
    xprev = forward_chain_from(x0, abar_prev, rng)
    xt = np.sqrt(alpha) * xprev + np.sqrt(1.0 - alpha) * rng.standard_normal(x0.shape)
    return x0, xprev, xt


def forward_chain_from(x0: np.ndarray, abar: float, rng: np.random.Generator) -> np.ndarray:
    """One draw of x_t ~ q(x_t | x_0) per row of x0 (the closed-form kernel)."""
    cf = closed_forms()
    abar = _check_abar(abar)
    return cf["forward_mean"](x0, abar) + np.sqrt(cf["forward_variance"](abar)) * rng.standard_normal(x0.shape)


# -- posterior expectations given x_t by importance weights ------------------------------------------
def weighted_posterior_draws(data: GaussianMixture, xt, abar: float, rng: np.random.Generator,
                             n: int) -> tuple[np.ndarray, np.ndarray]:
    """x_0 draws from the defensive proposal r and their weights w = p(x_0) q(x_t|x_0) / (r(x_0) p(x_t)).

    E_r[w] = 1 and E_r[w h(x_0)] = E[h(x_0) | x_t] for every h: the self-normalized estimate is
    sum w h / sum w.  Returns (x0 of shape (n, d), w of shape (n,))."""
    cf = closed_forms()
    abar = _check_abar(abar)
    xt = np.atleast_1d(np.asarray(xt, dtype=float)).reshape(1, -1)
    center = xt / np.sqrt(abar)                        # the likelihood's mode in x_0
    width = np.sqrt(2.0 * (1.0 - abar) / abar)          # its sd, widened by sqrt(2)
    half = rng.random(n) < 0.5
    x0 = data.sample(rng, n)
    x0[half] = center + width * rng.standard_normal((int(half.sum()), data.dim))
    log_wide = cf["data_log_density"](x0, center, width).sum(axis=1)
    log_p = data.log_density(x0)
    log_r = np.logaddexp(np.log(0.5) + log_p, np.log(0.5) + log_wide)
    log_q = cf["forward_log_density"](xt, x0, abar).sum(axis=1)
    log_w = log_p + log_q - log_r - data.marginal_log_density(xt, abar)[0]
    return x0, np.exp(log_w)


def noise_of(xt, x0: np.ndarray, abar: float) -> np.ndarray:
    """eps_0 = (x_t - sqrt(abar) x_0) / sqrt(1 - abar), from the forward kernel's mean and variance."""
    cf = closed_forms()
    return (np.asarray(xt, dtype=float) - cf["forward_mean"](x0, abar)) / np.sqrt(cf["forward_variance"](abar))


def posterior_mean_snis(data: GaussianMixture, xt, abar: float, rng: np.random.Generator,
                        n: int = 100_000) -> np.ndarray:
    """The self-normalized importance estimate of E[x_0 | x_t] (shape (d,))."""
    x0, w = weighted_posterior_draws(data, xt, abar, rng, n)
    return (w[:, None] * x0).sum(axis=0) / w.sum()


__all__ = ["closed_forms", "GaussianMixture", "forward_chain", "forward_chain_from", "joint_triple",
           "posterior_expectation_check", "posterior_mean_check",
           "weighted_posterior_draws", "noise_of", "posterior_mean_snis"]


# -- Monte Carlo checks built on these simulations ----------------------------------------------------
def posterior_expectation_check(data: GaussianMixture, xt, abar: float, h, claimed, what: str,
                                scale: float | None = None, settings=None, params: dict | None = None):
    """A check of E[h(x_0) | x_t] == claimed, through the numerator of the self-normalized estimate:
    E_r[w (h(x_0) - claimed)] = 0 with E_r[w] = 1, so a discrepancy of c in the conditional mean is
    a discrepancy of c in this mean.  ``h(x0)`` maps rows (n, d) to (n, d).  ``scale`` defaults to
    the data's RMS per coordinate."""
    xt = np.atleast_1d(np.asarray(xt, dtype=float))
    claimed = np.broadcast_to(np.asarray(claimed, dtype=float), (data.dim,)).copy()

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        x0, w = weighted_posterior_draws(data, xt, abar, rng, k)
        return w[:, None] * (h(x0) - claimed)

    params = {**(params or {}), "claimed": [float(v) for v in claimed]}
    return MonteCarloCheck(what + " (estimate: E[w (h - claimed)], 0 when the claim holds)", draw,
                           0.0, scale=data.rms() if scale is None else scale,
                           settings=settings or DEFAULT, params=params)


def posterior_mean_check(data: GaussianMixture, xt, abar: float, claimed, settings=None,
                         params: dict | None = None):
    """Check a claimed E[x_0 | x_t] (d numbers) by simulation: a MonteCarloCheck; ``.run(seed)``."""
    return posterior_expectation_check(
        data, xt, abar, lambda x0: x0, claimed, "E[x_0 | x_t] by importance weights",
        settings=settings,
        params=params or {"abar_t": abar, "x_t": [float(v) for v in np.atleast_1d(xt)]})
