"""The derived quantities of the discrete-time (VDM/DDPM) Gaussian core, computed by the algebra.

Nothing here is copied from a paper: each value is the output of :mod:`derive.gaussian` applied
to the model's definitions (the forward step q(x_t | x_{t-1}) and the induction hypothesis
q(x_{t-1} | x_0)).  The catalog compares these computed values with the formulas as the papers and
seeds write them; the torch module is tested against them.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from diffproof.derive.gaussian import Normal, condition, kl_divergence, marginalize
from diffproof.derive.symbols import (abar_t, abar_tm1, alpha_t, eps_0, m, mu_theta, s, score, x_0, x_t,
                            x_tm1, xhat)


def forward_step() -> Normal:
    """q(x_t | x_{t-1}) = N(x_t; sqrt(alpha_t) x_{t-1}, 1 - alpha_t)  (Luo Eq. 31; definition)."""
    return Normal(x_t, sp.sqrt(alpha_t) * x_tm1, 1 - alpha_t)


def marginal_hypothesis(var: sp.Symbol = x_tm1, abar: sp.Expr = abar_tm1) -> Normal:
    """q(x_{t-1} | x_0) = N(sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}): the induction hypothesis."""
    return Normal(var, sp.sqrt(abar) * x_0, 1 - abar)


@lru_cache(maxsize=None)
def forward_marginal_by_induction() -> Normal:
    """q(x_t | x_0) = int q(x_t | x_{t-1}) q(x_{t-1} | x_0) dx_{t-1}  (Luo Eqs. 61-70)."""
    return marginalize(marginal_hypothesis(), forward_step())


@lru_cache(maxsize=None)
def posterior() -> Normal:
    """q(x_{t-1} | x_t, x_0) by Bayes' rule and completing the square (Luo Eqs. 71-84)."""
    return condition(marginal_hypothesis(), forward_step())


def _tidy(expr: sp.Expr, variables=(x_t, x_0)) -> sp.Expr:
    collected = sp.collect(sp.expand(sp.cancel(sp.together(expr))), list(variables), evaluate=False)
    return sp.Add(*[sp.factor(sp.cancel(coef)) * (1 if key == 1 else key)
                    for key, coef in collected.items()])


def _in_abar_t(expr: sp.Expr) -> sp.Expr:
    """Write alpha_t abar_{t-1} as abar_t again (display only; the definition is the same)."""
    return expr.subs(alpha_t * abar_tm1, abar_t)


@lru_cache(maxsize=None)
def posterior_mean() -> sp.Expr:
    """mu_q(x_t, x_0), as computed (coefficients of x_t and x_0 factored)."""
    return _in_abar_t(_tidy(posterior().mean))


@lru_cache(maxsize=None)
def posterior_variance() -> sp.Expr:
    """Sigma_q(t), as computed."""
    return _in_abar_t(sp.factor(posterior().variance))


def snr(abar: sp.Expr) -> sp.Expr:
    """SNR = abar / (1 - abar)  (Luo Eq. 102; definition)."""
    return abar / (1 - abar)


@lru_cache(maxsize=None)
def x0_from_noise() -> sp.Expr:
    """x_0 solved from x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0  (Luo Eq. 115)."""
    (solution,) = sp.solve(sp.Eq(x_t, sp.sqrt(abar_t) * x_0 + sp.sqrt(1 - abar_t) * eps_0), x_0)
    return solution


@lru_cache(maxsize=None)
def conditional_score() -> sp.Expr:
    """grad_{x_t} log q(x_t | x_0) for q(x_t | x_0) = N(sqrt(abar_t) x_0, 1 - abar_t)."""
    return sp.diff(marginal_hypothesis(x_t, abar_t).log_density(), x_t)


@lru_cache(maxsize=None)
def gaussian_data_marginal() -> Normal:
    """p(x_t) when x_0 ~ N(m, s^2): int q(x_t | x_0) N(x_0; m, s^2) dx_0."""
    return marginalize(Normal(x_0, m, s ** 2), marginal_hypothesis(x_t, abar_t).rename(x_t))


@lru_cache(maxsize=None)
def gaussian_data_score() -> sp.Expr:
    """The exact marginal score grad log p(x_t) for Gaussian data x_0 ~ N(m, s^2)."""
    return sp.diff(gaussian_data_marginal().log_density(), x_t)


@lru_cache(maxsize=None)
def gaussian_data_posterior_mean() -> sp.Expr:
    """E[x_0 | x_t] for Gaussian data x_0 ~ N(m, s^2), by Bayes' rule."""
    likelihood = Normal(x_t, sp.sqrt(abar_t) * x_0, 1 - abar_t)
    return condition(Normal(x_0, m, s ** 2), likelihood).mean


def kl_equal_variance(mean_q: sp.Expr, mean_p: sp.Expr, variance: sp.Expr) -> sp.Expr:
    """D_KL(N(mean_q, variance) || N(mean_p, variance)), computed by the algebra."""
    return kl_divergence(Normal(x_tm1, mean_q, variance), Normal(x_tm1, mean_p, variance))


@lru_cache(maxsize=None)
def model_mean_x0() -> sp.Expr:
    """mu_theta(x_t, t): mu_q with x_0 replaced by the prediction xhat (Luo Eq. 95)."""
    return posterior_mean().subs(x_0, xhat)


__all__ = ["forward_step", "marginal_hypothesis", "forward_marginal_by_induction", "posterior",
           "posterior_mean", "posterior_variance", "snr", "x0_from_noise", "conditional_score",
           "gaussian_data_marginal", "gaussian_data_score", "gaussian_data_posterior_mean",
           "kl_equal_variance", "model_mean_x0", "mu_theta"]


def forward_sample(noise: sp.Symbol) -> sp.Expr:
    """sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise: x_t written with the noise of the forward
    marginal (Luo Eq. 69 with eps_0; DDPM Eq. 4 and Alg. 1 with eps)."""
    return sp.sqrt(abar_t) * x_0 + sp.sqrt(1 - abar_t) * noise


def tweedie_x0(score_value: sp.Expr = score) -> sp.Expr:
    """E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t): Tweedie's formula for
    q(x_t | x_0) = N(sqrt(abar_t) x_0, 1 - abar_t) (Luo Eqs. 131-133)."""
    return (x_t + (1 - abar_t) * score_value) / sp.sqrt(abar_t)


def tweedie_noise(noise: sp.Symbol, score_value: sp.Expr = score) -> sp.Expr:
    """E[noise | x_t], solved from the reparametrization with x_0 -> E[x_0 | x_t]: it is
    -sqrt(1 - abar_t) grad log p(x_t) (Luo Eq. 151 in conditional expectation)."""
    (solution,) = sp.solve(sp.Eq(forward_sample(noise).xreplace(
        {x_0: tweedie_x0(score_value)}), x_t), noise)
    return solution
