"""Linear SDEs dx = f(t) x dt + g(t) dw of score-based diffusion (Song et al. 2021; seed 002).

One small abstract class, VE / VP / sub-VP as short subclasses, in the manner of score_sde's
sde_lib: each subclass states only its drift coefficient f(t) and diffusion g(t) (VE derives g
from sigma(t)).  The transition kernel is *computed* from f and g (seed 002 Eqs. 3.27-3.29):
mean s(t) x(0) with s(t) = exp(int_0^t f), variance s(t)^2 int_0^t g^2 / s^2.  The closed forms the
papers state are claims the catalog checks against these.
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from derive.symbols import beta_max, beta_min, sigma_max, sigma_min, t, xi


class LinearSDE:
    """dx = f(t) x dt + g(t) dw on t in [0, 1]."""

    name = "linear"

    def f(self, time: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    def g(self, time: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    @cached_property
    def scale(self) -> sp.Expr:
        """s(t) = exp(int_0^t f(xi) dxi)  (seed 002 Eq. 3.28)."""
        return sp.exp(sp.integrate(self.f(xi), (xi, 0, t), conds="none"))

    @cached_property
    def kernel_variance(self) -> sp.Expr:
        """s(t)^2 sigma'(t)^2, sigma'(t)^2 = int_0^t g^2 / s^2  (seed 002 Eqs. 3.27, 3.29)."""
        s_xi = self.scale.subs(t, xi)
        return sp.simplify(self.scale ** 2 * sp.integrate(sp.simplify(self.g(xi) ** 2 / s_xi ** 2),
                                                          (xi, 0, t), conds="none"))

    def reverse_drift(self, x: sp.Expr, score: sp.Expr, time: sp.Expr = t) -> sp.Expr:
        """Drift of the reverse-time SDE: f(t) x - g(t)^2 score  (Song Eq. 6; seed 002 Eq. 3.46)."""
        return self.f(time) * x - self.g(time) ** 2 * score

    def probability_flow_drift(self, x: sp.Expr, score: sp.Expr, time: sp.Expr = t) -> sp.Expr:
        """Drift of the probability-flow ODE: f(t) x - g(t)^2 score / 2  (Song Eq. 13)."""
        return self.f(time) * x - self.g(time) ** 2 * score / 2

    def reverse_euler_maruyama(self, x, score, time, step, noise) -> sp.Expr:
        """One reverse Euler-Maruyama step from time to time - step (seed 002 Algorithm 3.1)."""
        return x - self.reverse_drift(x, score, time) * step + self.g(time) * sp.sqrt(step) * noise


class VESDE(LinearSDE):
    """Variance exploding: f = 0, g = sqrt(d sigma(t)^2 / dt) with geometric sigma(t)."""

    name = "VE"

    def sigma(self, time: sp.Expr = t) -> sp.Expr:
        """sigma(t) = sigma_min (sigma_max / sigma_min)^t  (Song Eq. 30; seed 002 Eq. 3.34)."""
        return sigma_min * (sigma_max / sigma_min) ** time

    def f(self, time):
        return sp.Integer(0)

    def g(self, time):
        """g(t) = sqrt(d[sigma(t)^2]/dt)  (seed 002 Eq. 3.24), computed by differentiation."""
        return sp.sqrt(sp.diff(self.sigma(t) ** 2, t)).subs(t, time)


class VPSDE(LinearSDE):
    """Variance preserving: f = -beta(t)/2, g = sqrt(beta(t)), linear beta(t)."""

    name = "VP"

    def beta(self, time: sp.Expr = t) -> sp.Expr:
        """beta(t) = beta_min + t (beta_max - beta_min)  (Song Eq. 33)."""
        return beta_min + time * (beta_max - beta_min)

    def integrated_beta(self, time: sp.Expr = t) -> sp.Expr:
        """int_0^t beta(xi) dxi, computed."""
        return sp.integrate(self.beta(xi), (xi, 0, time))

    def f(self, time):
        return -self.beta(time) / 2

    def g(self, time):
        return sp.sqrt(self.beta(time))


class SubVPSDE(VPSDE):
    """sub-VP: f = -beta(t)/2, g = sqrt(beta(t) (1 - exp(-2 int_0^t beta)))  (Song Eq. 28)."""

    name = "subVP"

    def g(self, time):
        return sp.sqrt(self.beta(time) * (1 - sp.exp(-2 * self.integrated_beta(time))))


VE, VP, SUBVP = VESDE(), VPSDE(), SubVPSDE()


# Discrete DDPM schedules (Ho et al. 2020; Nichol & Dhariwal 2021), i = 1..n steps.
def ddpm_linear_beta(i: sp.Expr, n: sp.Expr, beta_1: sp.Expr, beta_n: sp.Expr) -> sp.Expr:
    """beta_i linear from beta_1 to beta_n."""
    return beta_1 + (i - 1) * (beta_n - beta_1) / (n - 1)


def cosine_alphabar(i: sp.Expr, n: sp.Expr, offset: sp.Expr = sp.Rational(8, 1000)) -> sp.Expr:
    """abar_i = f(i)/f(0), f(i) = cos^2(((i/n + offset)/(1 + offset)) pi/2)  (Nichol & Dhariwal Eq. 17)."""
    def f(k):
        return sp.cos((k / n + offset) / (1 + offset) * sp.pi / 2) ** 2
    return f(i) / f(0)
