"""Flow matching (Lipman et al. 2023) and rectified flow (Liu et al. 2022) as Gaussian paths, and
the time shift of SD3 and Flux (Esser et al. 2024).

Lipman's conditional optimal-transport path is the Gaussian path z = t x_1 + (1 - (1 - sigma_min) t)
x_0 with data x_1 and noise x_0 ~ N(0, 1) (:data:`OT`; time runs from noise at 0 to data at 1, the
reverse of ``paths.FLOW``).  Its conditional velocity is ``OT.convert(x_1, "x", "velocity", z)``
(solved in :mod:`derive.paths`), compared in the catalog with Lipman's Theorem 3 and Eq. 21.

For Gaussian data x_1 ~ N(m, s^2) in one dimension the posterior of x_1 given z is Gaussian
(:func:`posterior`, Bayes' rule by :func:`derive.gaussian.condition`), so the marginal velocity
E[u_t(z | x_1) | z] (:func:`marginal_velocity`) and the gap between the conditional and the plain
flow-matching losses at one z (:func:`loss_gap`) are computed in closed form; the gap is free of the
model's value.

The time shift t -> s t / (1 + (s - 1) t) (:func:`time_shift`) acts on a path with alpha = 1 - t,
sigma = t (SD3's and Flux's noise level sigma = t) as a shift of lambda = log(alpha/sigma) by
-log s.
"""
from __future__ import annotations

from functools import cache

import sympy as sp

from diffproof.derive.edm import euler_step as _euler
from diffproof.derive.gaussian import Normal, condition
from diffproof.derive.paths import FLOW, GaussianPath
from diffproof.derive.symbols import m, s, sigma_min, t, x_1, z

# Lipman et al. 2023, Eq. 20: mu_t(x_1) = t x_1, sigma_t(x_1) = 1 - (1 - sigma_min) t
OT = GaussianPath("conditional OT (Lipman)", t, 1 - (1 - sigma_min) * t)
# Lipman's path with sigma_min = 0 (the rectified-flow interpolation, data at t = 1)
OT_RECTIFIED = GaussianPath("conditional OT, sigma_min = 0", t, 1 - t)

v_model = sp.Symbol("v_model", real=True)            # a model's velocity at z (any number)
shift = sp.Symbol("k", positive=True)                # SD3's shift factor (s in the paper)
mu_shift = sp.Symbol("mu_shift", real=True)          # Flux's mu (shift factor e^mu)
noise_ratio = sp.Symbol("r", positive=True)          # sigma/alpha: a VE or EDM noise level


def conditional_velocity(path: GaussianPath = OT, data: sp.Expr = x_1, at: sp.Expr = z) -> sp.Expr:
    """u_t(z | x_1): the velocity of the path through z conditioned on the data point."""
    return path.convert(data, "x", "velocity", at)


def data_law() -> Normal:
    """x_1 ~ N(m, s^2)."""
    return Normal(x_1, m, s ** 2)


def kernel(path: GaussianPath = OT) -> Normal:
    """p_t(z | x_1) = N(alpha x_1, sigma^2)."""
    return Normal(z, path.alpha * x_1, path.sigma ** 2)


@cache
def posterior(path: GaussianPath = OT) -> Normal:
    """p(x_1 | z) for Gaussian data, by Bayes' rule (completing the square)."""
    return condition(data_law(), kernel(path))


@cache
def marginal_velocity(path: GaussianPath = OT) -> sp.Expr:
    """u_t(z) = E[u_t(z | x_1) | z] (Lipman et al. 2023, Eq. 8), for Gaussian data."""
    return sp.factor(posterior(path).expect(conditional_velocity(path)))


def marginal_law(path: GaussianPath = OT) -> Normal:
    """p_t(z) = N(alpha m, alpha^2 s^2 + sigma^2) for Gaussian data."""
    return Normal(z, path.alpha * m, path.alpha ** 2 * s ** 2 + path.sigma ** 2)


def marginal_score(path: GaussianPath = OT) -> sp.Expr:
    """grad log p_t(z) for Gaussian data."""
    return sp.diff(marginal_law(path).log_density(), z)


@cache
def loss_gap(path: GaussianPath = OT) -> sp.Expr:
    """E[(v - u_t(z | x_1))^2 | z] - (v - u_t(z))^2: the conditional flow-matching loss minus the
    flow-matching loss at one z, for a model value v (Lipman et al. 2023, Theorem 2)."""
    conditional = posterior(path).expect(sp.expand((v_model - conditional_velocity(path)) ** 2))
    return sp.cancel(sp.together(conditional - (v_model - marginal_velocity(path)) ** 2))


def time_shift(time: sp.Expr = t, factor: sp.Expr = shift) -> sp.Expr:
    """t -> s t / (1 + (s - 1) t)  (Esser et al. 2024, Eq. 23 with s = sqrt(m/n), Sec. 5.3.2;
    definition)."""
    return factor * time / (1 + (factor - 1) * time)


def flux_time_shift(time: sp.Expr = t, mu: sp.Expr = mu_shift) -> sp.Expr:
    """Flux's exponential shift e^mu / (e^mu + (1/t - 1)) (its sigma = 1; definition)."""
    return sp.exp(mu) / (sp.exp(mu) + (1 / time - 1))


def time_of_noise_ratio(ratio: sp.Expr = noise_ratio) -> sp.Expr:
    """The time t of the path alpha = 1 - t, sigma = t (``paths.FLOW``) at which sigma/alpha =
    ratio, solved: a VE or EDM noise level r is the flow time r/(1 + r), and z = alpha x_VE
    there (x_VE = x0 + r eps)."""
    (solution,) = sp.solve(sp.Eq(FLOW.sigma / FLOW.alpha, ratio), t)
    return sp.factor(solution)


def euler_step(value: sp.Expr, point: sp.Expr, level: sp.Expr, level_next: sp.Expr) -> sp.Expr:
    """One Euler step of the probability-flow ODE of the flow path (alpha = 1 - t, sigma = t;
    ``paths.FLOW``) from t = level to t = level_next, with the model's velocity ``value``: the
    path's ODE dz/dt with a velocity prediction (derive.paths) stepped by derive.edm.euler_step
    (Esser et al. 2024, Sec. 2; Euler's method).  The sampling direction is level_next < level."""
    def field(z_now: sp.Expr, time: sp.Expr) -> sp.Expr:
        return FLOW.probability_flow(value, "velocity", z_now).xreplace({t: time})
    return sp.simplify(_euler(field, point, level, level_next - level))


def shifted_log_snr(time: sp.Expr) -> sp.Expr:
    """lambda = log(alpha/sigma) of the path alpha = 1 - t, sigma = t at a shifted time."""
    return FLOW.log_snr_half.subs(t, time)


__all__ = ["OT", "OT_RECTIFIED", "v_model", "shift", "mu_shift", "conditional_velocity",
           "data_law", "kernel", "posterior", "marginal_velocity", "marginal_law",
           "marginal_score", "loss_gap", "euler_step", "time_shift", "flux_time_shift",
           "noise_ratio", "time_of_noise_ratio", "shifted_log_snr"]
