"""The variance-exploding SDE (seed 002 Eqs. 3.1-3.46 and Algorithm 3.1; Song et al. 2021).

From the SMLD chain to dx = sqrt(d[sigma^2]/dt) dw, the transition kernel computed from f and g
and checked against the moment ODEs, the sigma(0) convention, the denoising score-matching target,
the reverse-time SDE and the probability-flow ODE (checked through the Fokker-Planck equation for
Gaussian data), and Euler-Maruyama simulations of the forward and reverse processes.
Every closed form a seed or paper writes is a claim compared with the value derive.sde computes.
"""
from __future__ import annotations

from functools import cache

import sympy as sp

from diffproof.derive.derivation import Step
from diffproof.derive.source import paper, seed
from diffproof.derive.gaussian import Normal, condition, marginalize, sum_of_independent
from diffproof.derive.sde import VE, LinearSDE, gaussian_fokker_planck_residual
from diffproof.derive.symbols import (dt, eps, f_t, g_t, lam, m, s, s_theta, score, sigma_max, sigma_min, t,
                            v, x, x_0, x_t, xi, z)
from diffproof.numeric import sde_sim
from diffproof.proofs.catalog.index._papers import song as _song
from diffproof.proofs.catalog.registry import builds

r = sigma_max / sigma_min                      # the geometric ratio of VE noise scales
sigma_t = VE.sigma(t)


class _GenericLinearSDE(LinearSDE):
    """dx = f(t) x dt + g(t) dw with f(t), g(t) left as the symbols f_t, g_t."""

    name = "generic"

    def f(self, time):
        return f_t

    def g(self, time):
        return g_t


GENERIC = _GenericLinearSDE()

# ----------------------------------------------------------------------------------------------
_f, _g = sp.Function("f", real=True), sp.Function("g", positive=True)
_S = sp.exp(sp.Integral(_f(xi), (xi, 0, t)))                               # (3.28)
_V = _S ** 2 * sp.Integral(_g(xi) ** 2 / _S.subs(t, xi) ** 2, (xi, 0, t))   # (3.27), (3.29)


@builds("linear-sde-kernel-general")
def general_kernel(entry):
    return entry.derivation(
        conditions=("f, g continuous on [0, 1]; the ODEs are linear, so this is their unique "
                    "solution",),
        steps=[
            Step(sp.Integer(0), "d s/dt - f s = 0 (differentiate under the exponential; residual "
                 "computed by SymPy, whose numeric evaluation cannot handle the undefined f)",
                 seed("002", "(3.28)"),
                 lhs=sp.diff(_S, t) - _f(t) * _S),
            Step(sp.Integer(1), "s(0) = 1", seed("002", "(3.28)"), lhs=_S.subs(t, 0).doit()),
            Step(sp.Integer(0), "d var/dt - 2 f var - g^2 = 0 (product rule and the fundamental "
                 "theorem of calculus; residual computed by SymPy)", seed("002", "(3.27), (3.29)"),
                 lhs=sp.diff(_V, t) - 2 * _f(t) * _V - _g(t) ** 2),
            Step(sp.Integer(0), "var(0) = 0", seed("002", "(3.29)"), lhs=_V.subs(t, 0).doit()),
        ],
    )


@builds("ve-sde-from-smld")
def smld_limit(entry):
    return entry.derivation(
        conditions=("geometric sigma(t) = sigma_min (sigma_max/sigma_min)^t; sigma_{i-1} < sigma_i",),
        steps=[
            Step(sigma_max ** 2,
                 "x_{i-1} ~ N(x, sigma_{i-1}^2) plus independent N(0, sigma_i^2 - sigma_{i-1}^2) noise "
                 "gives x_i ~ N(x, sigma_i^2): (3.4) is consistent with (3.3) (Gaussian algebra; "
                 "sigma_{i-1} = sigma_min, sigma_i = sigma_max stand for any ordered pair)",
                 seed("002", "(3.3)-(3.5)", _song("20")),
                 lhs=sum_of_independent(Normal(x, x_0, sigma_min ** 2),
                                        Normal(x, 0, sigma_max ** 2 - sigma_min ** 2), x).variance),
            Step(sp.diff(sigma_t ** 2, t),
                 "first-order expansion: (sigma(t + dt)^2 - sigma(t)^2)/dt -> d[sigma(t)^2]/dt "
                 "as dt -> 0 (computed: the increment vanishes at dt = 0, the limit is its "
                 "dt-derivative there)",
                 seed("002", "(3.7)-(3.10)", _song("21")), lhs=VE.smld_limit_g_squared()),
            Step(VE.g(t) ** 2,
                 "so the diffusion coefficient is g(t) = sqrt(d[sigma(t)^2]/dt), and f(t) = 0",
                 seed("002", "(3.23)-(3.24)", _song("9")), lhs=VE.smld_limit_g_squared()),
            Step(dt,
                 "Wiener increment: w(t + dt) - w(t) = sqrt(dt) z has variance dt (Gaussian algebra)",
                 seed("002", "(3.15)-(3.21)"), lhs=Normal(z, 0, 1).affine(sp.sqrt(dt), 0, x).variance),
            Step(VE.g(t) ** 2 * dt,
                 "the SDE increment g(t) (w(t + dt) - w(t)) has the SMLD step's variance to first "
                 "order",
                 seed("002", "(3.11)-(3.12), (3.22)"),
                 lhs=Normal(z, 0, 1).affine(VE.g(t) * sp.sqrt(dt), 0, x).variance),
        ],
    )


@builds("ve-geometric-diffusion")
def geometric_g(entry):
    return entry.derivation(
        start=VE.g(t),
        steps=[
            Step(sp.sqrt(sigma_min ** 2 * sp.diff(r ** (2 * t), t)),
                 "take sigma_min^2 out of the derivative",
                 seed("002", "(3.35)")),
            Step(r ** (2 * t) * sp.log(r ** 2), "d/dt a^(2t) = a^(2t) log a^2",
                 seed("002", "(3.36)-(3.37)"),
                 lhs=sp.diff(r ** (2 * t), t)),
            Step(sp.sqrt(sigma_min ** 2 * r ** (2 * t) * sp.log(r ** 2)), "substitute (3.37)",
                 seed("002", "(3.38), line 2"), lhs=VE.g(t)),
            Step(sigma_min * r ** t * sp.sqrt(2 * sp.log(r)),
                 "log a^2 = 2 log a; sigma_max > sigma_min",
                 seed("002", "(3.38)", _song("30"))),
            Step(sigma_t * sp.sqrt(2 * (sp.log(sigma_max) - sp.log(sigma_min))),
                 "the form of the seed's ve_sde_diffusion code "
                 "(std * sqrt(2 (log sigma_max - log sigma_min)))",
                 seed("002", "code ve_sde_diffusion")),
        ],
    )


@builds("ve-kernel")
def ve_kernel(entry):
    kernel_var = VE.kernel_variance             # computed: s(t)^2 int_0^t g^2 / s^2
    return entry.derivation(
        conditions=("sigma(t) = sigma_min (sigma_max/sigma_min)^t on [0, 1], continuous at 0",),
        steps=[
            Step(sp.Integer(1), "s(t) = exp(int_0^t 0) = 1", seed("002", "(3.30)"), lhs=VE.scale),
            Step(sp.integrate(VE.g(xi) ** 2, (xi, 0, t)),
                 "sigma'(t)^2 = int_0^t g^2 / s^2 with s = 1", seed("002", "(3.31)"), lhs=kernel_var),
            Step(sigma_t ** 2 - VE.sigma_at_zero() ** 2,
                 "g^2 = d[sigma^2]/dt integrates to sigma(t)^2 - sigma(0)^2",
                 seed("002", "(3.32)-(3.33)", _song("29"))),
            Step(sigma_min, "the formula's own sigma(0) is lim_{t->0+} sigma(t) = sigma_min (not 0)",
                 seed("002", "(3.34)"), lhs=VE.sigma_at_zero()),
            Step(sigma_min ** 2 * (r ** (2 * t) - 1),
                 "the kernel variance for geometric sigma(t): "
                 "sigma_min^2 ((sigma_max/sigma_min)^(2t) - 1)",
                 seed("002", "(3.39)-(3.40), corrected", _song("29")), lhs=kernel_var),
            Step(sp.Integer(0), "the mean ODE d mean/dt = f mean, mean(0) = x(0)",
                 paper("Saerkkae & Solin 2019, Eq. 5.50"), lhs=VE.moment_ode_residuals()["mean ODE"]),
            Step(sp.Integer(0),
                 "the variance ODE d var/dt = 2 f var + g^2 is solved by the kernel variance",
                 paper("Saerkkae & Solin 2019, Eq. 5.51"),
                 lhs=VE.moment_ode_residuals()["variance ODE"]),
            Step(sp.Integer(0), "... with var(0) = 0 (linear ODE: the solution is unique)",
                 paper("Saerkkae & Solin 2019, Eq. 5.51"),
                 lhs=VE.moment_ode_residuals()["variance at 0"]),
        ],
    )


@builds("ve-sigma0-convention")
def sigma0_convention(entry):
    rel = VE.variance_relative_error()
    return entry.derivation(
        conditions=("exact: the kernel of the SDE started at t = 0; the code's sigma(t)^2 is the "
                    "kernel from clean data if the process is read as started with sigma = 0 "
                    "before t = 0",),
        steps=[
            Step(1 / (r ** (2 * t) - 1), "(sigma(t)^2 - exact)/exact, computed from the two variances",
                 paper(_song("29 vs code")), lhs=rel),
            Step(sp.diff(rel, t), "the relative error decreases in t (its derivative is <= 0)",
                 paper(_song("29")), lhs=sp.Integer(0), relation=">="),
            Step(sigma_min ** 2 / (sigma_max ** 2 - sigma_min ** 2),
                 "its smallest value, at t = 1: sigma_min^2/(sigma_max^2 - sigma_min^2)",
                 paper(_song("29")), lhs=rel.subs(t, 1)),
            Step(sp.Integer(0), "... and it vanishes as sigma_max/sigma_min -> infinity (t > 0 fixed)",
                 paper(_song("29")), lhs=sp.limit((1 / (sp.Symbol("q", positive=True) ** (2 * t) - 1)),
                                                  sp.Symbol("q", positive=True), sp.oo)),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("ve-dsm-target")
def dsm_target(entry):
    return entry.derivation(
        conditions=("x(t) = x(0) + sqrt(var) z, z ~ N(0, 1); var = the kernel variance (any v > 0)",),
        definitions={x_t: x_0 + sp.sqrt(v) * z},
        steps=[
            Step(-(x_t - x_0) / v, "differentiate log N(x(t); x(0), var)", seed("002", "(3.42)"),
                 lhs=sp.diff(Normal(x_t, x_0, v).log_density(), x_t)),
            Step(-z / sp.sqrt(v),
                 "substitute x(t) = x(0) + sqrt(var) z (the code's target -noise/std^2)",
                 seed("002", "(3.43)-(3.44), code dsm_loss")),
            Step(-eps / v, "the seed's form: -eps/var with eps = x(t) - x(0) ~ N(0, var)",
                 seed("002", "(3.42)-(3.43)"), lhs=(-(x_t - x_0) / v).subs(x_t, x_0 + eps)),
            Step(1 / v, "E||grad log p_0t||^2 = 1/var, so Song's lambda(t) ∝ 1/E||.||^2 is var",
                 paper(_song("7")), lhs=Normal(z, 0, 1).expect((-z / sp.sqrt(v)) ** 2)),
            Step(2 * sigma_t ** 2 * sp.log(r), "the likelihood weighting lambda(t) = g(t)^2 for VE",
                 seed("002", "code dsm_loss (lmd = g**2)", "Song et al. 2021b, Thm. 1"),
                 lhs=VE.g(t) ** 2),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("linear-sde-reverse-and-probability-flow")
def reverse_sde(entry):
    return entry.derivation(
        conditions=("dx = f(t) x dt + g(t) dw in one dimension; for the Fokker-Planck steps x(0) ~ "
                    "N(m, V(0)), so p_t = N(s(t) m, V(t)) with s' = f s, V' = 2 f V + g^2 (checked for "
                    "VE, VP, sub-VP in their kernel derivations)",),
        steps=[
            Step(sp.Integer(0),
                 "G = g(t) I does not depend on x: the divergence term of (3.45) vanishes",
                 seed("002", "(3.45)", _song("16")), lhs=sp.diff(g_t ** 2, x)),
            Step(f_t * x - g_t ** 2 * score, "the reverse drift of (3.45) for dx = f(t) x dt + g(t) dw",
                 seed("002", "(3.46), corrected", _song("6")), lhs=GENERIC.reverse_drift(x, score)),
            Step(sp.Integer(0), "the forward SDE's Fokker-Planck equation holds for p_t = N(s m, V)",
                 paper("Saerkkae & Solin 2019, Eq. 5.2"),
                 lhs=gaussian_fokker_planck_residual(f_t * x, 1)),
            Step(sp.Integer(0), "the reverse SDE (drift f x - g^2 score, run from t = 1 to 0) has the "
                 "same marginals: backward Fokker-Planck residual 0",
                 paper(_song("6") + "; Anderson 1982"),
                 lhs=gaussian_fokker_planck_residual(GENERIC.reverse_drift(x, score), -1)),
            Step(sp.Integer(0),
                 "the probability-flow ODE (drift f x - g^2 score/2) has the same marginals",
                 paper(_song("13")),
                 lhs=gaussian_fokker_planck_residual(GENERIC.probability_flow_drift(x, score), 0)),
            Step(x - (f_t * x - g_t ** 2 * score) * dt + g_t * sp.sqrt(dt) * z,
                 "one reverse Euler-Maruyama step from t_i to t_i - dt, with g(t_i)",
                 seed("002", "Algorithm 3.1, corrected; code euler_maruyama_sample"),
                 lhs=GENERIC.reverse_euler_maruyama(x, score, t, dt, z)),
        ],
    )


# ----------------------------------------------------------------------------------------------
@cache
def _data_p1_var() -> sp.Expr:
    """Var x(1) for data N(m, s^2)."""
    return VE.marginal_variance(s ** 2).subs(t, 1)


def _reverse_output(prior: Normal) -> Normal:
    """The exact reverse process maps x(1) to x(0) with the kernel p(x(0) | x(1)) of the forward
    joint (Bayes' rule, derive.gaussian.condition); the output is the prior pushed through it."""
    posterior = condition(Normal(x_0, m, s ** 2), Normal(x, x_0, VE.kernel_variance.subs(t, 1)))
    return marginalize(prior, Normal(x_0, posterior.mean, posterior.variance))


@builds("ve-euler-maruyama-simulation")
def ve_simulation(entry):
    out = _reverse_output(Normal(x, m, _data_p1_var()))
    fwd = sde_sim.forward_kernel_checks(VE, sde_sim.VE_PARAMS)
    rev_mc, rev_bound, _ = sde_sim.reverse_sampler_checks(VE, sde_sim.VE_PARAMS)
    return entry.derivation(
        conditions=sde_sim.simulation_conditions(sde_sim.VE_PARAMS),
        steps=[
            Step(m, "exactly: p_1 pushed through p(x(0) | x(1)) (Bayes' rule) has the data mean",
                 paper(_song("6")), lhs=out.mean),
            Step(s ** 2,
                 "... and the data variance: the reverse process from the right prior returns the data",
                 paper(_song("6")), lhs=out.variance),
            Step(None, "forward Euler-Maruyama paths have the chain's mean and variance",
                 seed("002", "(3.40)"), checks=[fwd[0]]),
            Step(None, "the chain's law is within 2% of the kernel N(x(0), sigma(1)^2 - sigma_min^2)",
                 seed("002", "(3.40), corrected", _song("29")), checks=[fwd[1]]),
            Step(None, "reverse Euler-Maruyama from N(m, s^2 + sigma_max^2 - sigma_min^2) with the "
                 "exact score: paths have the chain's law", seed("002", "Algorithm 3.1, corrected"),
                 checks=[rev_mc]),
            Step(None, "... and the chain's law is within 2% of the data law N(m, s^2)",
                 paper(_song("6")), checks=[rev_bound]),
        ],
    )


# ----------------------------------------------------------------------------------------------
# Errata of seed 002, each encoded as the seed writes it (for code: the formula the code computes).
@builds("E002-w-for-dw")
def e002_w_for_dw(entry):
    return entry.claim(
        "dx = sqrt(d[sigma^2]/dt) w(t) as written in (3.22)",
        sources=(seed("002", "(3.22)"),),
        steps=[
            Step(VE.g(t) ** 2 * dt, "Var of g(t) w(t), w(t) ~ N(0, t), claimed equal to "
                 "the SDE increment's g^2 dt", seed("002", "(3.22)"),
                 lhs=Normal(z, 0, 1).affine(VE.g(t) * sp.sqrt(t), 0, x).variance),
        ],
    )


@builds("E002-sigma0-zero")
def e002_sigma0_zero(entry):
    kernel_var = VE.kernel_variance
    return entry.claim(
        "sigma(0) = 0 and variance sigma_min^2 (sigma_max/sigma_min)^(2t)",
        sources=(seed("002", "(3.34)-(3.40)"),),
        steps=[
            Step(sp.Integer(0), "sigma(0) = 0 for sigma(t) = sigma_min (sigma_max/sigma_min)^t, "
                 "continuous at 0", seed("002", "(3.34)"), lhs=VE.sigma_at_zero()),
            Step(sigma_min ** 2 * r ** (2 * t), "the kernel variance computed from g",
                 seed("002", "(3.39)-(3.40)"), lhs=kernel_var),
        ],
    )


@builds("E002-reverse-drift-no-x")
def e002_reverse_drift_no_x(entry):
    return entry.claim(
        "reverse drift f(t) - g(t)^2 grad log p_t",
        sources=(seed("002", "(3.46)"),),
        steps=[
            Step(f_t - g_t ** 2 * score, "(3.46)'s drift for dx = f(t) x dt + g(t) dw",
                 seed("002", "(3.46)"), lhs=GENERIC.reverse_drift(x, score)),
            Step(sp.Integer(0), "with that drift the reverse process keeps the marginals",
                 seed("002", "(3.46)"),
                 lhs=gaussian_fokker_planck_residual(f_t - g_t ** 2 * score, -1)),
        ],
    )


@builds("E002-sampler-unit-prior")
def e002_sampler_unit_prior(entry):
    out = _reverse_output(Normal(x, 0, 1))
    bad_mc, _, _ = sde_sim.reverse_sampler_checks(VE, sde_sim.VE_PARAMS, prior=(0.0, 1.0),
                                                   against="data")
    return entry.claim(
        "reverse VE sampling from N(0, I) returns the data",
        sources=(seed("002", "Algorithm 3.1"),),
        conditions=(f"simulation: data N({sde_sim.DATA_MEAN}, {sde_sim.DATA_STD}^2), "
                    f"sigma_max = {sde_sim.VE_PARAMS[sigma_max]}",),
        steps=[
            Step(s ** 2, "the exact reverse process from N(0, 1) returns variance s^2 "
                 "(computed: output law = prior pushed through p(x(0) | x(1)))",
                 seed("002", "Algorithm 3.1"), lhs=out.variance),
            Step(sp.Integer(1), "the prior N(0, 1) has the variance of x(1)",
                 seed("002", "Algorithm 3.1 line 1"), lhs=_data_p1_var()),
            Step(None, "simulated: reverse Euler-Maruyama from N(0, 1) with the exact "
                 "score returns N(m, s^2)", seed("002", "code euler_maruyama_sample"),
                 checks=[bad_mc]),
        ],
    )


@builds("E002-dsm-loss-sqrt")
def e002_dsm_loss_sqrt(entry):
    return entry.claim(
        "the code's per-sample loss equals (3.44)'s",
        sources=(seed("002", "code dsm_loss"),),
        steps=[
            Step(lam * (s_theta - score) ** 2, "per-sample loss of (3.44) (one coordinate)",
                 seed("002", "code dsm_loss vs (3.44)"),
                 lhs=sp.sqrt((s_theta - score) ** 2) * lam),
        ],
    )


@builds("E002-score-model-no-t")
def e002_score_model_no_t(entry):
    return entry.claim(
        "sigma(t) times the exact score is free of t",
        sources=(seed("002", "code ScoreModel"),),
        conditions=("data N(m, s^2): exact marginal score -(x - m)/(s^2 + sigma(t)^2 - "
                    "sigma_min^2)",),
        steps=[
            Step(sp.Integer(0), "d/dt [sigma(t) grad log p_t(x)] = 0, as the model assumes",
                 seed("002", "code ScoreModel.forward"),
                 lhs=sp.diff(sigma_t * VE.gaussian_data_score(x, m, s ** 2), t)),
        ],
    )


@builds("E002-alg-g-of-t")
def e002_alg_g_of_t(entry):
    return entry.claim(
        "the update with g(t), t = 1, is the update with g(t_i)",
        sources=(seed("002", "Algorithm 3.1"),),
        steps=[
            Step(x - (0 * x - VE.g(t) ** 2 * score) * dt + VE.g(1) * sp.sqrt(dt) * z,
                 "Algorithm 3.1 line 4 as written (f = 0 for VE)", seed("002", "Algorithm 3.1"),
                 lhs=VE.reverse_euler_maruyama(x, score, t, dt, z)),
        ],
    )
