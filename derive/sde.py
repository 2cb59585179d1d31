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

from diffproof.derive.gaussian import Normal
from diffproof.derive.symbols import (S_t, V_t, beta_max, beta_min, dt, f_t, g_t, m, score, sigma_max,
                            sigma_min, t, x, xi)


class LinearSDE:
    """dx = f(t) x dt + g(t) dw on t in [0, 1]."""

    name = "linear"

    def f(self, time: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    def g(self, time: sp.Expr) -> sp.Expr:
        raise NotImplementedError

    def g2(self, time: sp.Expr) -> sp.Expr:
        """g(t)^2, the variance rate of the noise term g dw; SymPy cancels the square root in g."""
        return self.g(time) ** 2

    @cached_property
    def scale(self) -> sp.Expr:
        """s(t) = exp(int_0^t f(xi) dxi)  (seed 002 Eq. 3.28)."""
        return sp.exp(sp.integrate(self.f(xi), (xi, 0, t), conds="none"))

    @cached_property
    def kernel_variance(self) -> sp.Expr:
        """s(t)^2 sigma'(t)^2, sigma'(t)^2 = int_0^t g^2 / s^2  (seed 002 Eqs. 3.27, 3.29)."""
        s_xi = self.scale.subs(t, xi)
        # powsimp (not simplify) before integrating: expanded logs make SymPy's integrator slow
        integral = sp.integrate(sp.powsimp(self.g2(xi) / s_xi ** 2), (xi, 0, t), conds="none")
        return sp.powsimp(sp.factor(sp.powsimp(sp.expand(self.scale ** 2 * integral))), combine="exp")

    def moment_ode_residuals(self) -> dict[str, sp.Expr]:
        """The kernel against the moment ODEs (Saerkkae & Solin Eqs. 5.50-5.51; Song Eq. 26):
        d mean/dt = f mean with mean(0) = x(0), d var/dt = 2 f var + g^2 with var(0) = 0.
        Every value is 0 when the computed kernel solves them (and, the ODEs being linear, is then
        their unique solution)."""
        variance = self.kernel_variance
        return {"mean ODE": sp.diff(self.scale, t) - self.f(t) * self.scale,
                "mean at 0": self.scale.subs(t, 0) - 1,
                "variance ODE": sp.diff(variance, t) - 2 * self.f(t) * variance - self.g2(t),
                "variance at 0": variance.subs(t, 0)}

    def solve_variance_ode(self) -> sp.Expr:
        """var(t) from d var/dt = 2 f var + g^2, var(0) = 0, by ``sympy.dsolve`` (an independent
        route to Eqs. 3.27-3.29).  Piecewise branches for degenerate parameters (sigma_max =
        sigma_min) are resolved by the table's orderings.  Slow for sub-VP: used by tests only."""
        var = sp.Function("var")
        solution = sp.dsolve(sp.Eq(var(t).diff(t), 2 * self.f(t) * var(t) + self.g2(t)), var(t),
                             ics={var(0): 0}).rhs
        return solution.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)

    def marginal_variance(self, data_variance: sp.Expr) -> sp.Expr:
        """Var x(t) for x(0) ~ N(m, data_variance): s(t)^2 data_variance + kernel variance."""
        return self.scale ** 2 * data_variance + self.kernel_variance

    def gaussian_data_score(self, x: sp.Expr, data_mean: sp.Expr, data_variance: sp.Expr) -> sp.Expr:
        """grad_x log p_t(x) for x(0) ~ N(data_mean, data_variance): the exact marginal score."""
        return -(x - self.scale * data_mean) / self.marginal_variance(data_variance)

    def reverse_drift(self, x: sp.Expr, score: sp.Expr, time: sp.Expr = t) -> sp.Expr:
        """Drift of the reverse-time SDE: f(t) x - g(t)^2 score  (Song Eq. 6; seed 002 Eq. 3.46)."""
        return self.f(time) * x - self.g2(time) * score

    def probability_flow_drift(self, x: sp.Expr, score: sp.Expr, time: sp.Expr = t) -> sp.Expr:
        """Drift of the probability-flow ODE: f(t) x - g(t)^2 score / 2  (Song Eq. 13)."""
        return self.f(time) * x - self.g2(time) * score / 2

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

    # -- the SMLD chain and its limit (seed 002 Eqs. 3.5-3.24; Song Eqs. 20-21) ----------------
    def smld_increment_variance(self, time: sp.Expr = t, step: sp.Expr | None = None) -> sp.Expr:
        """Var(x(t + dt) - x(t)) of the SMLD step: sigma(t + dt)^2 - sigma(t)^2  (seed 002 Eq. 3.7)."""
        step = dt if step is None else step
        return self.sigma(time + step) ** 2 - self.sigma(time) ** 2

    def smld_limit_g_squared(self) -> sp.Expr:
        """lim_{dt -> 0} (sigma(t + dt)^2 - sigma(t)^2) / dt: the increment vanishes at dt = 0, so
        the limit is its dt-derivative at dt = 0 (the first-order expansion of seed 002 Eq. 3.9)."""
        increment = self.smld_increment_variance(t, dt)
        if sp.simplify(increment.subs(dt, 0)) != 0:  # pragma: no cover - a sigma(t) of this class
            raise ValueError("the SMLD increment does not vanish at dt = 0")
        return sp.diff(increment, dt).subs(dt, 0)

    # -- the sigma(0) convention (seed 002 Eq. 3.34; Song Eq. 29 vs score_sde code) -------------
    def sigma_at_zero(self) -> sp.Expr:
        """lim_{t -> 0+} sigma(t) = sigma_min: the formula's own value at t = 0."""
        return sp.limit(self.sigma(t), t, 0, "+")

    def code_variance(self, time: sp.Expr = t) -> sp.Expr:
        """The variance common code (and seed 002's marginal_prob_statistics) uses: sigma(t)^2."""
        return self.sigma(time) ** 2

    def variance_relative_error(self, time: sp.Expr = t) -> sp.Expr:
        """(code variance - exact variance) / exact variance = sigma_min^2 / (sigma(t)^2 -
        sigma_min^2) = 1 / ((sigma_max/sigma_min)^(2t) - 1), computed from the two variances."""
        exact = self.kernel_variance.subs(t, time)
        return sp.simplify(sp.powsimp((self.code_variance(time) - exact) / exact))


class StepAveragedVE(LinearSDE):
    """VE over one step from noise level ``level`` down to ``level_next`` (taking time ``step``),
    with g^2 = d sigma^2/dt replaced by its average over the step: (1/step) int g^2 dt =
    (level^2 - level_next^2)/step, the SMLD increment variance of :meth:`VESDE.smld_increment_variance`
    (the integral is exact because g^2 is the derivative of sigma^2; tests check it by SymPy)."""

    name = "VE, one step"

    def __init__(self, level: sp.Expr, level_next: sp.Expr, step: sp.Expr):
        self.level, self.level_next, self.step = level, level_next, step

    def f(self, time):
        return sp.Integer(0)

    def g(self, time):
        return sp.sqrt((self.level ** 2 - self.level_next ** 2) / self.step)


def reverse_diffusion_step(x: sp.Expr, score: sp.Expr, level: sp.Expr, level_next: sp.Expr,
                           noise: sp.Expr) -> sp.Expr:
    """The reverse-diffusion predictor of Song et al. 2021 (App. E, Eq. 47, for SMLD/VE):
    x + (sigma_i^2 - sigma_{i-1}^2) score + sqrt(sigma_i^2 - sigma_{i-1}^2) z, obtained as the
    reverse Euler-Maruyama step (:meth:`LinearSDE.reverse_euler_maruyama`) of
    :class:`StepAveragedVE`; the step length cancels."""
    step = sp.Symbol("Delta_t", positive=True)
    sde = StepAveragedVE(level, level_next, step)
    return sp.simplify(sde.reverse_euler_maruyama(x, score, t, step, noise))


def langevin_corrector_step(x: sp.Expr, score: sp.Expr, noise: sp.Expr, snr: sp.Expr,
                            noise_norm: sp.Expr, score_norm: sp.Expr) -> sp.Expr:
    """One corrector step of Song et al. 2021, Algorithm 4 (PC sampling, VE; alpha_i = 1):
    a Langevin MCMC step x + eps s + sqrt(2 eps) z (Welling & Teh 2011; the Euler-Maruyama step of
    dx = s dt + sqrt(2) dw) with the step size eps = 2 (r ||z|| / ||s||)^2 set by the target
    signal-to-noise ratio r (``snr``); the norms are given (score_sde's code takes the batch mean
    of the per-sample norms)."""
    step = 2 * (snr * noise_norm / score_norm) ** 2
    return x + step * score + sp.sqrt(2 * step) * noise


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


def gaussian_fokker_planck_residual(drift: sp.Expr, diffusion_sign: int) -> sp.Expr:
    """For p_t = N(x; s(t) m, V(t)) with s' = f s and V' = 2 f V + g^2 (the moment ODEs, which every
    linear SDE's marginal satisfies for Gaussian data N(m, V(0))): the Fokker-Planck residual

        (d p/dt + d/dx (drift p) - diffusion_sign g^2/2 d^2 p/dx^2) / p

    in the symbols f_t, g_t, S_t, V_t, x, m.  Forward SDE: drift f x, sign +1.  The reverse SDE
    (drift f x - g^2 score, Song Eq. 6) run backwards in t has sign -1, the probability-flow ODE
    (drift f x - g^2 score / 2, Song Eq. 13) sign 0; zero residual means the process has the
    marginals p_t.  ``drift`` may use the symbol ``score``, replaced by d/dx log p_t.
    """
    density = Normal(x, S_t * m, V_t).density()
    exact_score = sp.diff(sp.log(density), x)
    drift = sp.sympify(drift).subs(score, exact_score)
    time_derivative = sp.diff(density, S_t) * f_t * S_t + sp.diff(density, V_t) * (2 * f_t * V_t + g_t ** 2)
    residual = (time_derivative + sp.diff(drift * density, x)
                - diffusion_sign * g_t ** 2 / 2 * sp.diff(density, x, 2)) / density
    return sp.cancel(sp.expand(sp.powsimp(sp.expand(residual))))
