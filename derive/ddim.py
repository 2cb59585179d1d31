"""DDIM (Song, Meng & Ermon 2021), written in DDPM's notation: DDIM's alpha_t is DDPM's abar_t.

The generalized posterior q_sigma(x_{t-1} | x_t, x_0) of Eq. 7 is the one definition here; its
marginal (Lemma 1), the model's x_0 estimate (Eq. 9, solved from the forward relation), the update
(Eq. 12: the posterior mean at that estimate plus sigma_t z) and its coefficients are computed
from it by :mod:`derive.gaussian` and SymPy.  sigma_t(eta) is Eq. 16 as the paper defines it, and
x-bar, sigma-bar are the rescaled variables of the ODE form (Sec. 4.3).  The torch twin
(numeric/torchdiff/ddim.py) is tested against :func:`update_coefficients` and :func:`sigma_eta`.

sigma_t and eta are symbols of this module, not of the shared table: a claim's ``\\sigma_t`` and
``\\eta`` keep the readings the claim reader gives them.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.gaussian import Normal, marginalize
from diffproof.derive.symbols import abar_t, abar_tm1, eps_0, epshat, x_0, x_t, x_tm1, z

sqrt = sp.sqrt

sigma_t = sp.Symbol("sigma_t", nonnegative=True)      # the standard deviation of Eq. 7
eta = sp.Symbol("eta", nonnegative=True)              # Eq. 16's interpolation parameter
# the rescaled variables of the ODE form: x-bar = x / sqrt(abar), sigma-bar = sqrt((1 - abar)/abar)
xbar_t = sp.Symbol("bar_x_t", real=True)
sigmabar_t = sp.Symbol("bar_sigma_t", positive=True)
sigmabar_tm1 = sp.Symbol("bar_sigma_t-1", nonnegative=True)


def generalized_posterior(sigma: sp.Expr = sigma_t, x0: sp.Expr = x_0) -> Normal:
    """q_sigma(x_{t-1} | x_t, x_0) = N(sqrt(abar_{t-1}) x_0 + sqrt(1 - abar_{t-1} - sigma^2)
    (x_t - sqrt(abar_t) x_0) / sqrt(1 - abar_t), sigma^2)  (DDIM Eq. 7; definition)."""
    direction = (x_t - sqrt(abar_t) * x0) / sqrt(1 - abar_t)
    return Normal(x_tm1, sqrt(abar_tm1) * x0 + sqrt(1 - abar_tm1 - sigma ** 2) * direction,
                  sigma ** 2)


def marginal(sigma: sp.Expr = sigma_t) -> Normal:
    """q_sigma(x_{t-1} | x_0) = int q_sigma(x_{t-1} | x_t, x_0) q(x_t | x_0) dx_t, computed by
    marginalizing the linear-Gaussian conditional (DDIM Lemma 1, one step of its induction)."""
    return marginalize(F.marginal_hypothesis(x_t, abar_t), generalized_posterior(sigma))


@lru_cache(maxsize=None)
def x0_estimate() -> sp.Expr:
    """f_theta(x_t) = (x_t - sqrt(1 - abar_t) eps_theta) / sqrt(abar_t): x_0 solved from
    x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with the prediction for eps (DDIM Eq. 9)."""
    return F.x0_from_noise().xreplace({eps_0: epshat})


def update_mean(sigma: sp.Expr = sigma_t) -> sp.Expr:
    """The mean of q_sigma(x_{t-1} | x_t, f_theta(x_t)): Eq. 12 without its noise term."""
    return generalized_posterior(sigma, x0_estimate()).mean


def update(sigma: sp.Expr = sigma_t, noise: sp.Symbol = z) -> sp.Expr:
    """x_{t-1} = update_mean + sigma_t z, z standard normal (DDIM Eq. 12)."""
    return update_mean(sigma) + sigma * noise


def sigma_eta(value: sp.Expr = eta) -> sp.Expr:
    """sigma_t(eta) = eta sqrt((1 - abar_{t-1})/(1 - abar_t)) sqrt(1 - abar_t/abar_{t-1})
    (DDIM Eq. 16; definition)."""
    return value * sqrt((1 - abar_tm1) / (1 - abar_t)) * sqrt(1 - abar_t / abar_tm1)


def update_coefficients(sigma: sp.Expr = sigma_t) -> tuple[sp.Expr, sp.Expr]:
    """(c_x, c_eps) with update_mean = c_x x_t + c_eps eps_theta, read off the computed mean."""
    mean = sp.expand(update_mean(sigma))
    c_x, c_eps = sp.diff(mean, x_t), sp.diff(mean, epshat)
    if sp.expand(mean - c_x * x_t - c_eps * epshat) != 0:          # pragma: no cover - a bug
        raise ValueError("the DDIM update is not linear in (x_t, eps_theta)")
    return c_x, c_eps


def xbar(x: sp.Expr, abar: sp.Expr) -> sp.Expr:
    """x-bar = x / sqrt(abar)  (DDIM Sec. 4.3)."""
    return x / sqrt(abar)


def sigmabar(abar: sp.Expr) -> sp.Expr:
    """sigma-bar = sqrt((1 - abar) / abar)  (DDIM Sec. 4.3)."""
    return sqrt((1 - abar) / abar)


__all__ = ["sigma_t", "eta", "xbar_t", "sigmabar_t", "sigmabar_tm1",
           "generalized_posterior", "marginal", "x0_estimate", "update_mean", "update",
           "sigma_eta", "update_coefficients", "xbar", "sigmabar"]
