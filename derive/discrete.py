"""Discrete DDPM schedules, and DDPM as a discretization of the VP SDE.

The schedules of Ho et al. 2020 (linear betas) and Nichol & Dhariwal 2021 (cosine alphabar), for
steps i = 1..n, and the first-order DDPM product -sum_{i=1}^{n} beta(i/n)/n whose limit is the VP
SDE's mean coefficient (Song et al. 2021 Eqs. 22-24).  The continuous-time SDEs are in
:mod:`derive.sde`.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.sde import VP, VPSDE


# -- DDPM as a discretization of VP (Song Eqs. 22-24; Ho et al. 2020) ---------------------------
def ddpm_log_alphabar_first_order(n: sp.Expr, sde: VPSDE = VP) -> sp.Expr:
    """-sum_{i=1}^{n} beta(i/n)/n in closed form (the first-order term of log prod(1 - beta_i) with
    beta_i = beta(i/n)/n), computed by ``sympy.summation``."""
    i = sp.Symbol("i", integer=True, positive=True)
    return -sp.factor(sp.summation(sde.beta(i / n) / n, (i, 1, n)))


def ddpm_alphabar_limit(sde: VPSDE = VP) -> sp.Expr:
    """lim_{n -> oo} exp(-sum beta(i/n)/n) at t = 1; the remainder of log(1 - x) = -x - r(x),
    0 <= r(x) <= x^2/(1 - x), sums to at most n (beta_max/n)^2 / (1 - beta_max/n) -> 0."""
    n = sp.Symbol("n", integer=True, positive=True)
    return sp.exp(sp.limit(ddpm_log_alphabar_first_order(n, sde), n, sp.oo))


# Discrete DDPM schedules (Ho et al. 2020; Nichol & Dhariwal 2021), i = 1..n steps.
def ddpm_linear_beta(i: sp.Expr, n: sp.Expr, beta_1: sp.Expr, beta_n: sp.Expr) -> sp.Expr:
    """beta_i linear from beta_1 to beta_n."""
    return beta_1 + (i - 1) * (beta_n - beta_1) / (n - 1)


def cosine_alphabar(i: sp.Expr, n: sp.Expr, offset: sp.Expr = sp.Rational(8, 1000)) -> sp.Expr:
    """abar_i = f(i)/f(0), f(i) = cos^2(((i/n + offset)/(1 + offset)) pi/2)  (Nichol & Dhariwal Eq. 17)."""
    def f(k):
        return sp.cos((k / n + offset) / (1 + offset) * sp.pi / 2) ** 2
    return f(i) / f(0)
