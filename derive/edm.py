"""EDM (Karras, Aittala, Aila & Laine 2022): the sampling ODE in the denoiser's terms, the
preconditioning of Table 1 derived from its design principles, the rho-schedule of the noise
levels, Heun's second-order step (Algorithm 1) and the churn of the stochastic sampler
(Algorithm 2).

Everything builds on :mod:`derive.paths`: EDM's path x = s(t) (y + sigma(t) n) is
``paths.EDM`` (alpha = s, sigma_path = s sigma), so the ODE (Karras Sec. 2; its equation numbers
were not verified) is the path's probability flow, and the score of a denoiser D (Eq. 3) is the
path's conversion of an x-prediction into a score.  The optimal denoiser for Gaussian data is E[y | x], computed by
:func:`derive.gaussian.condition`.  The preconditioning is *derived* here from App. B.6's
requirements (unit input variance, unit target variance, c_skip minimizing c_out, lambda c_out^2
= 1); Table 1 states the results, which the catalog compares with these.  Table 1's VP, VE and
iDDPM columns are their (sigma(t), s(t)) pairs as paths.

Nothing here runs algebra at import time (the catalog's import test counts it): the derived
quantities are functions.  The torch twin is numeric/torchdiff/edm.py.
"""
from __future__ import annotations

from functools import cache
from typing import Callable

import sympy as sp

from diffproof.derive.gaussian import Normal, condition, sum_of_independent
from diffproof.derive.paths import EDM, GaussianPath, s_dot, sigma_dot
from diffproof.derive.symbols import (S_t, beta_max, beta_min, m, sigma, sigma_max, sigma_min, t, x,
                                      z)

# -- the symbols of EDM ----------------------------------------------------------------------------
sigma_data = sp.Symbol("sigma_data", positive=True)   # the data's standard deviation
y = sp.Symbol("y", real=True)                         # a clean data point
n = sp.Symbol("n", real=True)                         # noise n ~ N(0, sigma^2) (EDM's n has std sigma)
D = sp.Symbol("D", real=True)                         # a denoiser's output D(x; sigma)
F = sp.Symbol("F_theta", real=True)                   # the raw network's output
c = sp.Symbol("kappa", real=True)                     # a free skip weight
h = sp.Symbol("h", real=True)                         # a step in sigma
rho = sp.Symbol("rho", positive=True)                 # the schedule's exponent
ramp = sp.Symbol("u", nonnegative=True)              # i/(N - 1) in [0, 1]
gamma = sp.Symbol("gamma", nonnegative=True)          # the churn factor of Algorithm 2
sigma_hat = sp.Symbol("hat_sigma", positive=True)     # the raised noise level sigma (1 + gamma)
x_hat = sp.Symbol("hat_x", real=True)                 # the point after adding noise


# -- the ODE (Sec. 2) ------------------------------------------------------------------------------
def ode_drift(score: sp.Expr, point: sp.Expr = x) -> sp.Expr:
    """dx/dt = s'/s x - s^2 sigma' sigma score: the probability flow of paths.EDM (Sec. 2), with
    ``score`` = grad_x log p(x/s; sigma)."""
    return EDM.probability_flow_drift(point, score)


UNSCALED = {S_t: 1, s_dot: 0}          # s(t) = 1: the unscaled ODE of Sec. 2


def score_of_denoiser(value: sp.Expr = D, point: sp.Expr = x, path: GaussianPath = EDM) -> sp.Expr:
    """grad_x log p at ``point`` from a denoiser's output: the path's conversion of an
    x-prediction (E[y | x], Tweedie) into the score.  For s = 1 this is (D - x)/sigma^2 (Eq. 3)."""
    return path.convert(value, "x", "score", point)


def denoiser_drift(value: sp.Expr = D, point: sp.Expr = x) -> sp.Expr:
    """The ODE with the score of a denoiser D(x/s; sigma): the path's probability flow in its
    x-prediction form, (sigma'/sigma + s'/s) x - s sigma'/sigma D."""
    return EDM.probability_flow(value, "x", point)


def sigma_ode(value: sp.Expr, point: sp.Expr, level: sp.Expr) -> sp.Expr:
    """dx/dsigma for EDM's choice s(t) = 1, sigma(t) = t: (x - D)/sigma (Algorithm 1's d_i)."""
    value_, point_ = sp.Dummy("D"), sp.Dummy("x")
    drift = denoiser_drift(value_, point_).subs(UNSCALED).subs(sigma_dot, 1)
    return drift.xreplace({value_: value, point_: point, sigma: level})


def gaussian_denoiser(point: sp.Expr = x, level: sp.Expr = sigma, mean: sp.Expr = m,
                      std: sp.Expr = sigma_data) -> sp.Expr:
    """The optimal denoiser E[y | y + n = point] for y ~ N(mean, std^2), n ~ N(0, level^2):
    the posterior mean, computed by Bayes' rule (derive.gaussian.condition)."""
    posterior = condition(Normal(y, mean, std ** 2), Normal(x, y, level ** 2))
    return posterior.mean.subs(x, point)


def gaussian_marginal(level: sp.Expr = sigma, mean: sp.Expr = m, std: sp.Expr = sigma_data) -> Normal:
    """p(x; sigma) for y ~ N(mean, std^2): the law of y + n, computed as a sum of independents."""
    return sum_of_independent(Normal(x, mean, std ** 2), Normal(x, sp.Integer(0), level ** 2), x)


# -- the preconditioning (Sec. 5, App. B.6) --------------------------------------------------------
# Table 1's formulas as the paper states them: the catalog compares the derived ones with these.
def table_c_skip(level=sigma, std=sigma_data):
    return std ** 2 / (level ** 2 + std ** 2)


def table_c_out(level=sigma, std=sigma_data):
    return level * std / sp.sqrt(level ** 2 + std ** 2)


def table_c_in(level=sigma, std=sigma_data):
    return 1 / sp.sqrt(level ** 2 + std ** 2)


def table_c_noise(level=sigma):
    return sp.log(level) / 4


def table_loss_weight(level=sigma, std=sigma_data):
    return (level ** 2 + std ** 2) / (level * std) ** 2


def preconditioned(raw: sp.Expr = F, point: sp.Expr = x, skip=None, out=None) -> sp.Expr:
    """D_theta(x; sigma) = c_skip x + c_out F_theta(c_in x; c_noise)  (Sec. 5)."""
    skip = table_c_skip() if skip is None else skip
    out = table_c_out() if out is None else out
    return skip * point + out * raw


def variance_of(expr: sp.Expr) -> sp.Expr:
    """Var of an expression linear in y ~ N(0, sigma_data^2) and n ~ N(0, sigma^2), independent
    (the data's mean is taken as 0, as App. B.6 does)."""
    second = Normal(n, sp.Integer(0), sigma ** 2).expect(
        Normal(y, sp.Integer(0), sigma_data ** 2).expect(sp.expand(expr ** 2)))
    return sp.factor(sp.expand(second))


def input_variance(scale: sp.Expr) -> sp.Expr:
    """Var(c_in (y + n)) for c_in = ``scale``."""
    return variance_of(scale * (y + n))


def target_variance_numerator(skip: sp.Expr = c) -> sp.Expr:
    """Var(y - c_skip (y + n)): c_out^2 times the variance of the effective target
    F_target = (y - c_skip (y + n))/c_out."""
    return variance_of(y - skip * (y + n))


def effective_target(skip=None, out=None) -> sp.Expr:
    """F_target = (y - c_skip (y + n))/c_out: what F must output for D = y  (App. B.6)."""
    skip = table_c_skip() if skip is None else skip
    out = table_c_out() if out is None else out
    return (y - skip * (y + n)) / out


@cache
def derived_c_skip() -> sp.Expr:
    """The c_skip minimizing c_out^2 = Var(y - c_skip (y + n)): the root of its derivative in
    c_skip (a convex quadratic)."""
    (root,) = sp.solve(sp.diff(target_variance_numerator(c), c), c)
    return sp.factor(root)


def derived_c_out() -> sp.Expr:
    """c_out = sqrt(Var(y - c_skip (y + n))) at the minimizing c_skip: unit target variance."""
    return sp.sqrt(sp.factor(target_variance_numerator(derived_c_skip())))


def derived_c_in() -> sp.Expr:
    """c_in = 1/sqrt(Var(y + n)): unit input variance."""
    return 1 / sp.sqrt(input_variance(sp.Integer(1)))


def derived_loss_weight() -> sp.Expr:
    """lambda = 1/c_out^2: the effective weight lambda c_out^2 of ||F - F_target||^2 is 1."""
    return sp.cancel(1 / derived_c_out() ** 2)


def weighted_loss(weight: sp.Expr, skip=None, out=None) -> sp.Expr:
    """lambda ||D_theta(y + n) - y||^2 for one coordinate  (Eq. 2 weighted, Sec. 5)."""
    return weight * (preconditioned(F, y + n, skip, out) - y) ** 2


# -- Table 1's columns as paths --------------------------------------------------------------------
def vp_exponent(time: sp.Expr = t) -> sp.Expr:
    """beta_d t^2/2 + beta_min t with beta_d = beta_max - beta_min (Table 1, VP)."""
    return (beta_max - beta_min) * time ** 2 / 2 + beta_min * time


def vp_sigma(time: sp.Expr = t) -> sp.Expr:
    """sigma(t) = sqrt(e^{beta_d t^2/2 + beta_min t} - 1)  (Table 1, VP)."""
    return sp.sqrt(sp.exp(vp_exponent(time)) - 1)


def vp_scale(time: sp.Expr = t) -> sp.Expr:
    """s(t) = 1/sqrt(e^{beta_d t^2/2 + beta_min t})  (Table 1, VP)."""
    return 1 / sp.sqrt(sp.exp(vp_exponent(time)))


def ve_sigma(time: sp.Expr = t) -> sp.Expr:
    """sigma(t) = sqrt(t), s(t) = 1  (Table 1, VE)."""
    return sp.sqrt(time)


def column_path(name: str, scale: sp.Expr, noise: sp.Expr) -> GaussianPath:
    """A Table 1 column as a Gaussian path: alpha = s(t), sigma_path = s(t) sigma(t)."""
    return GaussianPath(f"EDM {name}", scale, scale * noise)


VP_COLUMN = ("VP", vp_scale, vp_sigma)
VE_COLUMN = ("VE", lambda time=t: sp.Integer(1), ve_sigma)
LINEAR_COLUMN = ("iDDPM / EDM", lambda time=t: sp.Integer(1), lambda time=t: time)


# -- the rho-schedule (Eq. 5) ----------------------------------------------------------------------
def rho_schedule(position: sp.Expr = ramp, exponent: sp.Expr = rho) -> sp.Expr:
    """sigma at ramp position u = i/(N - 1): (sigma_max^(1/rho) + u (sigma_min^(1/rho) -
    sigma_max^(1/rho)))^rho  (Eq. 5)."""
    top, bottom = sigma_max ** (1 / exponent), sigma_min ** (1 / exponent)
    return (top + position * (bottom - top)) ** exponent


def rho_schedule_at(i: sp.Expr, count: sp.Expr, exponent: sp.Expr = rho) -> sp.Expr:
    """sigma_i for i = 0 .. N - 1 (``count`` = N)."""
    return rho_schedule(i / (count - 1), exponent)


# -- Heun's method (Algorithm 1) -------------------------------------------------------------------
Field = Callable[[sp.Expr, sp.Expr], sp.Expr]


def euler_step(field: Field, point: sp.Expr, level: sp.Expr, step: sp.Expr = h) -> sp.Expr:
    """x + h d(x, sigma): one Euler step of dx/dsigma = d."""
    return point + step * field(point, level)


def heun_step(field: Field, point: sp.Expr, level: sp.Expr, step: sp.Expr = h) -> sp.Expr:
    """Algorithm 1's step from sigma to sigma + h: d_i at the start, the Euler point x', d' there,
    and x + h (d_i + d')/2 (the explicit trapezoid)."""
    slope = field(point, level)
    predicted = point + step * slope
    return point + step * (slope + field(predicted, level + step)) / 2


def gaussian_field(point: sp.Expr, level: sp.Expr) -> sp.Expr:
    """dx/dsigma = (x - D(x; sigma))/sigma with the optimal denoiser for y ~ N(0, sigma_data^2):
    the linear test problem."""
    return sigma_ode(gaussian_denoiser(point, level, sp.Integer(0)), point, level)


def gaussian_flow(start: sp.Expr, level: sp.Expr, target: sp.Expr) -> sp.Expr:
    """The exact solution of the Gaussian ODE from (level, start) to target: the standardized
    coordinate x/sqrt(sigma_data^2 + sigma^2) is constant along the flow."""
    return start * sp.sqrt((sigma_data ** 2 + target ** 2) / (sigma_data ** 2 + level ** 2))


def taylor_coefficient(expr: sp.Expr, order: int, variable: sp.Symbol = h) -> sp.Expr:
    """The h^order coefficient of expr's Taylor series at h = 0."""
    return sp.diff(expr, variable, order).subs(variable, 0) / sp.factorial(order)


# -- the churn of Algorithm 2 -----------------------------------------------------------------------
def churned_level(level: sp.Expr = sigma, factor: sp.Expr = gamma) -> sp.Expr:
    """sigma_hat = sigma + gamma sigma  (Algorithm 2)."""
    return level + factor * level


def churn_noise_scale(level: sp.Expr = sigma, raised: sp.Expr = sigma_hat) -> sp.Expr:
    """sqrt(sigma_hat^2 - sigma^2), the std of the noise added in Algorithm 2."""
    return sp.sqrt(raised ** 2 - level ** 2)


def churned_law(start: Normal | None = None, level: sp.Expr = sigma,
                raised: sp.Expr = sigma_hat) -> Normal:
    """The law of x_hat = x + sqrt(sigma_hat^2 - sigma^2) z for x ~ ``start`` (by default
    N(y, sigma^2): a clean y plus noise of std sigma) and z ~ N(0, 1) independent: a sum of
    independent Gaussians."""
    start = Normal(x_hat, y, level ** 2) if start is None else start.rename(x_hat)
    added = Normal(z, sp.Integer(0), sp.Integer(1)).affine(churn_noise_scale(level, raised),
                                                            sp.Integer(0), x_hat)
    return sum_of_independent(start, added, x_hat)


__all__ = ["sigma_data", "y", "n", "x", "D", "F", "c", "h", "rho", "ramp", "gamma", "sigma_hat",
           "x_hat", "z", "ode_drift", "UNSCALED", "score_of_denoiser", "denoiser_drift",
           "sigma_ode", "gaussian_denoiser", "gaussian_marginal", "table_c_skip", "table_c_out",
           "table_c_in", "table_c_noise", "table_loss_weight", "preconditioned", "input_variance",
           "variance_of", "target_variance_numerator", "effective_target", "derived_c_skip",
           "derived_c_out", "derived_c_in", "derived_loss_weight", "weighted_loss", "vp_exponent", "vp_sigma",
           "vp_scale", "ve_sigma", "column_path", "VP_COLUMN", "VE_COLUMN", "LINEAR_COLUMN",
           "rho_schedule", "rho_schedule_at", "euler_step", "heun_step", "gaussian_field",
           "gaussian_flow", "taylor_coefficient", "churned_level", "churn_noise_scale",
           "churned_law"]
