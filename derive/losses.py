"""Training objectives, computed by the algebra (one coordinate; sums over coordinates are implied).

These are the SymPy twins of numeric/torchdiff/losses.py:

- denoising score matching, lambda(t) |s_theta - grad_{x_t} log q(x_t | x_0)|^2 with x_t =
  a x_0 + sqrt(v) eps (seed 002 Eqs. 3.41, 3.44; Vincent 2011), the score obtained by
  differentiating the kernel's log-density;
- the KL divergence between two Gaussians (Luo Eq. 87 generalized to unequal variances);
- the per-step ELBO term for an x0-prediction and for a noise-prediction model (Luo Eqs. 99, 130),
  each the KL between the posterior q(x_{t-1} | x_t, x_0) and the model mean built from the
  prediction; their ratio to |xhat - x_0|^2 (resp. |epshat - eps_0|^2) is the weight the
  "simple" losses drop (Ho et al. Eq. 14).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.formulas import (kl_equal_variance, posterior_mean, posterior_variance,
                             x0_from_noise)
from diffproof.derive.gaussian import Normal, kl_divergence
from diffproof.derive.symbols import (a, abar_t, abar_tm1, alpha_t, eps, eps_0, epshat, lam, mu_1, mu_2,
                            s_theta, v, v_1, v_2, x, x_0, x_t, xhat)


def kernel_score() -> sp.Expr:
    """grad_{x_t} log N(x_t; a x_0, v) at x_t = a x_0 + sqrt(v) eps, by differentiation."""
    derivative = sp.diff(Normal(x_t, a * x_0, v).log_density(), x_t)
    return sp.simplify(derivative.subs(x_t, a * x_0 + sp.sqrt(v) * eps))


def dsm_term() -> sp.Expr:
    """lambda (s_theta - grad log q(x_t | x_0))^2 (squared error, seed 002 Eq. 3.41)."""
    return lam * (s_theta - kernel_score()) ** 2


def gaussian_kl() -> sp.Expr:
    """D_KL(N(mu_1, v_1) || N(mu_2, v_2)), by the Gaussian algebra."""
    return kl_divergence(Normal(x, mu_1, v_1), Normal(x, mu_2, v_2))


def _per_step_kl(predicted_x0: sp.Expr, true_x0: sp.Expr) -> sp.Expr:
    mean_q = posterior_mean().subs(abar_t, alpha_t * abar_tm1)
    variance = posterior_variance().subs(abar_t, alpha_t * abar_tm1)
    return kl_equal_variance(mean_q.subs(x_0, true_x0), mean_q.subs(x_0, predicted_x0), variance)


def x0_prediction_kl() -> sp.Expr:
    """D_KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)) with mu_theta from xhat (Luo Eq. 99)."""
    return _per_step_kl(xhat, x_0)


def noise_prediction_kl() -> sp.Expr:
    """The same KL with x_0 and xhat written through eps_0 and epshat (Luo Eq. 130)."""
    true_x0 = x0_from_noise().subs(abar_t, alpha_t * abar_tm1)
    return _per_step_kl(true_x0.subs(eps_0, epshat), true_x0)


def x0_kl_weight() -> sp.Expr:
    """x0_prediction_kl / (xhat - x_0)^2, a function of the schedule only."""
    return sp.factor(sp.cancel(x0_prediction_kl() / (xhat - x_0) ** 2))


def noise_kl_weight() -> sp.Expr:
    """noise_prediction_kl / (epshat - eps_0)^2, a function of the schedule only."""
    return sp.factor(sp.cancel(noise_prediction_kl() / (epshat - eps_0) ** 2))


__all__ = ["kernel_score", "dsm_term", "gaussian_kl", "x0_prediction_kl", "noise_prediction_kl",
           "x0_kl_weight", "noise_kl_weight"]
