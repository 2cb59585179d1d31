"""Flow matching (Lipman et al. 2023), rectified flow (Liu et al. 2022) and the SD3 / Flux time
shift (Esser et al. 2024), on the Gaussian paths of ``derive.paths``.

Computed values come from ``derive.flow_matching`` (the OT path's velocity solved by
``derive.paths``, the posterior of x_1 by Bayes' rule, the marginal velocity and the loss gap by
the Gaussian algebra) and are compared with the papers' formulas.  The Monte Carlo entry uses the
calibrated engine (``numeric.montecarlo``: false-fail rate 1e-6 per check, a discrepancy of 1% of
the summand's RMS detected with probability 0.999), as ``mc-dsm-esm`` does for score matching.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from diffproof.derive import flow_matching as FM
from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.derivation import Step
from diffproof.derive.paths import FLOW, GENERIC, alpha, alpha_dot, sigma_dot
from diffproof.derive.source import paper
from diffproof.derive.symbols import eps, m, s, score, sigma, sigma_min, t, x_1, z
from diffproof.numeric.montecarlo import LazyCheck, PairedCheck
from diffproof.numeric.simulate import GaussianMixture
from diffproof.proofs.catalog.index._papers import LIU, LU
from diffproof.proofs.catalog.index.flow_matching import FLUX, esser, lipman
from diffproof.proofs.catalog.registry import builds

OT = FM.OT
SIGMA_T = 1 - (1 - sigma_min) * t            # Lipman Eq. 20
U = sp.Symbol("u", real=True)                # a velocity value
TIME = "0 < t <= 1; sigma_min > 0, so sigma_t = 1 - (1 - sigma_min) t > 0"


@builds("fm-ot-path")
def ot_path(entry):
    mu = t * x_1
    return entry.derivation(
        conditions=(TIME, "z = mu_t + sigma_t x_0 with x_0 = eps ~ N(0, 1), data x_1 (one "
                    "coordinate; the velocity acts coordinatewise)"),
        steps=[
            Step(sp.diff(SIGMA_T, t) / SIGMA_T * (z - mu) + sp.diff(mu, t),
                 "the velocity of the Gaussian path through z given x_1 (derive.paths, solved from "
                 "z = alpha x_1 + sigma eps) is Theorem 3's sigma'/sigma (z - mu) + mu'",
                 paper(lipman("Theorem 3 (Eq. 15)")), lhs=FM.conditional_velocity()),
            Step((x_1 - (1 - sigma_min) * z) / (1 - (1 - sigma_min) * t),
                 "with mu_t = t x_1, sigma_t = 1 - (1 - sigma_min) t",
                 paper(lipman("Eqs. 20-21 (Sec. 4.1)"))),
            Step(x_1 - (1 - sigma_min) * eps,
                 "along the flow psi_t(x_0) = sigma_t x_0 + t x_1 the velocity is x_1 - (1 - "
                 "sigma_min) x_0, the CFM regression target", paper(lipman("Eqs. 22-23 (Sec. 4.1)")),
                 lhs=FM.conditional_velocity(at=OT.sample(x_1, eps))),
            Step(OT.target("velocity", x_1, eps), "= d/dt psi_t(x_0): the path's own velocity",
                 paper(lipman("Eq. 22 (Sec. 4.1)"))),
            Step(FLOW.sample(x_1, eps),
                 "sigma_min = 0 read at time 1 - t is rectified flow's (1 - t) x + t eps (data at "
                 "t = 0)", paper(f"{LIU}, Sec. 2; {lipman('Sec. 4.1')}"),
                 lhs=FM.OT_RECTIFIED.sample(x_1, eps).subs(t, 1 - t)),
        ],
    )


@builds("fm-velocity-score")
def velocity_score(entry):
    tweedie = (z + SIGMA_T ** 2 * score) / t
    return entry.derivation(
        conditions=("alpha, sigma > 0 and alpha_dot, sigma_dot at one instant; for the inverse, "
                    "alpha sigma_dot != alpha_dot sigma (lambda strictly monotone)",
                    "each conversion is affine in the prediction with coefficients in (z, t), so it "
                    "maps E[u_t(z | x) | z] to E[grad log p_t(z | x) | z] = grad log p_t(z): the "
                    "marginal velocity and the marginal score convert the same way"),
        steps=[
            Step(alpha_dot / alpha * z + (alpha_dot * sigma ** 2 / alpha - sigma * sigma_dot) * score,
                 "velocity from the score: x = (z + sigma^2 score)/alpha, eps = -sigma score in "
                 "alpha' x + sigma' eps", paper(f"{lipman('Sec. 4')}; {LU}, Sec. 2"),
                 lhs=GENERIC.convert(score, "score", "velocity", z)),
            Step(GENERIC.f() * z - GENERIC.g2() / 2 * score,
                 "= f z - g^2/2 score: the probability-flow drift (derive.paths)",
                 paper(f"{LU}, Sec. 2")),
            Step((alpha_dot * z - alpha * U) / (sigma * (alpha * sigma_dot - alpha_dot * sigma)),
                 "score from the velocity u (the inverse map)", paper(f"{LU}, Sec. 2"),
                 lhs=GENERIC.convert(U, "velocity", "score", z)),
            Step(-(z + t * score) / (1 - t),
                 "rectified flow (alpha = 1 - t, sigma = t): u = -(z + t score)/(1 - t)",
                 paper(f"{LIU}, Sec. 2"), lhs=FLOW.convert(score, "score", "velocity", z)),
            Step(-(z + (1 - t) * U) / t, "and score = -(z + (1 - t) u)/t",
                 paper(f"{LIU}, Sec. 2"), lhs=FLOW.convert(U, "velocity", "score", z)),
            Step(tweedie - (1 - sigma_min) * (z - t * tweedie) / SIGMA_T,
                 "Lipman's OT path: u = E[x_1 | z] - (1 - sigma_min)(z - t E[x_1 | z])/sigma_t with "
                 "Tweedie's E[x_1 | z] = (z + sigma_t^2 score)/t",
                 paper(lipman("Theorem 3 (Eq. 15)")), lhs=OT.convert(score, "score", "velocity", z)),
        ],
    )


@builds("fm-cfm-gaussian")
def cfm_gaussian(entry):
    var = s ** 2 * t ** 2 + SIGMA_T ** 2
    posterior = FM.posterior()
    return entry.derivation(
        conditions=(TIME, "x_1 ~ N(m, s^2), z | x_1 ~ N(t x_1, sigma_t^2); v is the model's value at "
                    "z (any number); one coordinate (coordinates add)"),
        steps=[
            Step(m + s ** 2 * t * (z - t * m) / var,
                 "E[x_1 | z], Bayes' rule by completing the square", paper(lipman("Eq. 8")),
                 lhs=posterior.mean),
            Step(s ** 2 * SIGMA_T ** 2 / var, "Var[x_1 | z]", paper(lipman("Eq. 8")),
                 lhs=posterior.variance),
            Step((posterior.mean - (1 - sigma_min) * z) / SIGMA_T,
                 "the marginal velocity u_t(z) = E[u_t(z | x_1) | z]: the conditional velocity at "
                 "E[x_1 | z] (it is affine in x_1)", paper(lipman("Eq. 8 and Sec. 4.1")),
                 lhs=FM.marginal_velocity()),
            Step(OT.convert(FM.marginal_score(), "score", "velocity", z),
                 "= the velocity of the marginal score grad log N(z; t m, t^2 s^2 + sigma_t^2) "
                 "(fm-velocity-score)", paper(lipman("Sec. 4"))),
            Step(s ** 2 / var,
                 "E[(v - u_t(z | x_1))^2 | z] - (v - u_t(z))^2 = Var[u_t(z | x_1) | z] = "
                 "Var[x_1 | z]/sigma_t^2", paper(lipman("Theorem 2")), lhs=FM.loss_gap()),
            Step(sp.Integer(0), "free of the model's value v: L_CFM and L_FM differ by a constant, "
                 "so their gradients in theta agree", paper(lipman("Theorem 2")),
                 lhs=sp.diff(FM.loss_gap(), FM.v_model)),
        ],
    )


# -- Monte Carlo -------------------------------------------------------------------------------
SIGMA_MIN, TIME_T = 0.05, 0.6
GAUSS = GaussianMixture.gaussian([0.5], 1.2)
MIXTURE_1D = GaussianMixture((0.4, 0.6), ((-1.5,), (1.0,)), (0.4, 0.7))
MODELS = (("affine", 0.0, 0.0), ("affine", -1.0, 0.5), ("tanh", 2.0, 0.3))


@lru_cache(maxsize=None)
def _numeric():
    """The OT path's (alpha, sigma), conditional velocity, score -> velocity conversion and the
    closed-form gap for Gaussian data, compiled for numpy."""
    values = {sigma_min: SIGMA_MIN, t: TIME_T}
    a, sd = (float(e.subs(values)) for e in (OT.alpha, OT.sigma))
    conditional = safe_lambdify((z, x_1), FM.conditional_velocity().subs(values), modules="numpy")
    from_score = safe_lambdify((z, score), OT.convert(score, "score", "velocity", z).subs(values),
                               modules="numpy")
    gap = safe_lambdify((m, s), FM.loss_gap().subs(values), modules="numpy")
    return a, sd, conditional, from_score, gap


def _model(kind: str, a: float, b: float):
    return (lambda v: a * v + b) if kind == "affine" else (lambda v: a * np.tanh(v) + b)


def _draws(data: GaussianMixture):
    """(z, u_t(z | x_1), u_t(z)): z on the OT path, the marginal velocity from the exact marginal
    score (the OT marginal is VP-shaped after dividing z by c = sqrt(alpha^2 + sigma^2))."""
    a, sd, conditional, from_score, _ = _numeric()
    c = np.hypot(a, sd)

    def draw(rng, k):
        x1 = data.sample(rng, k)[:, 0]
        zz = a * x1 + sd * rng.standard_normal(k)
        marginal_score = data.marginal_score((zz / c)[:, None], (a / c) ** 2)[:, 0] / c
        return zz, conditional(zz, x1), from_score(zz, marginal_score)
    return draw


def _losses(draw, model):
    def pair(rng, k):
        zz, cond, marg = draw(rng, k)
        v = model(zz)
        return (v - cond) ** 2, (v - marg) ** 2
    return pair


def cfm_checks(data: GaussianMixture = GAUSS, settings=None):
    """J_CFM - J_FM = C (closed form) for Gaussian data, for each model of a small family."""
    *_, gap = _numeric()
    (_, mu, sd) = data.arrays
    constant = float(gap(mu[0, 0], sd[0]))
    extra = {"settings": settings} if settings else {}
    return [PairedCheck(f"J_CFM - J_FM = {constant:.6g} for v(z) = {a} {kind}(z) + {b}",
                        _losses(_draws(data), _model(kind, a, b)), offset=constant,
                        params={"model": kind, "a": a, "b": b, "t": TIME_T, "sigma_min": SIGMA_MIN,
                                "data": repr(data), "C": constant}, **extra)
            for kind, a, b in MODELS]


def cfm_independence_checks(data: GaussianMixture = MIXTURE_1D, settings=None):
    """J_CFM - J_FM is the same for two models on mixture data (paired draws)."""
    draw, reference = _draws(data), _model("affine", 0.0, 0.0)
    extra = {"settings": settings} if settings else {}
    checks = []
    for kind, a, b in MODELS[1:]:
        def pair(rng, k, model=_model(kind, a, b)):
            zz, cond, marg = draw(rng, k)
            v, v0 = model(zz), reference(zz)
            return (v - cond) ** 2 - (v - marg) ** 2, (v0 - cond) ** 2 - (v0 - marg) ** 2
        checks.append(PairedCheck(f"J_CFM - J_FM equal for v = {a} {kind} + {b} and v = 0", pair,
                                  params={"model": kind, "a": a, "b": b, "t": TIME_T,
                                          "sigma_min": SIGMA_MIN, "data": repr(data)}, **extra))
    return checks


@builds("mc-cfm-fm")
def cfm_monte_carlo(entry):
    values = {sigma_min: SIGMA_MIN, t: TIME_T, m: 0.5, s: 1.2}
    constant = FM.loss_gap().subs(values)
    gaussian = [Step(constant, f"{name}: the closed form s^2/(s^2 t^2 + sigma_t^2)",
                     paper(lipman("Theorem 2")), symbolic=False,
                     checks=[LazyCheck(lambda i=i: cfm_checks()[i])])
                for i, name in enumerate(f"v(z) = {a} {kind}(z) + {b}" for kind, a, b in MODELS)]
    mixture = [Step(None, f"mixture data: J_CFM - J_FM equal for v = {a} {kind}(z) + {b} and v = 0",
                    paper(lipman("Theorem 2")),
                    checks=[LazyCheck(lambda i=i: cfm_independence_checks()[i])])
               for i, (kind, a, b) in enumerate(MODELS[1:])]
    return entry.derivation(
        conditions=("J_CFM(v) = E||v(z) - u_t(z | x_1)||^2, J_FM(v) = E||v(z) - u_t(z)||^2 at one "
                    f"time t = {TIME_T} of the OT path with sigma_min = {SIGMA_MIN}; both from the "
                    "same (x_1, z) draws",
                    "Gaussian data N(0.5, 1.2^2) (closed-form constant) and a two-component mixture "
                    "in d = 1 (model independence); u_t(z) from the exact marginal score"),
        steps=gaussian + mixture,
    )


@builds("fm-time-shift")
def time_shift(entry):
    shifted = FM.time_shift()
    flux = FM.flux_time_shift()
    return entry.derivation(
        conditions=("0 < t < 1 is the noise level sigma of the path alpha = 1 - sigma (SD3, Flux); "
                    "shift s > 0, Flux's mu real",),
        steps=[
            Step((1 - t) / (1 + (FM.shift - 1) * t), "1 - sigma' for sigma' = s sigma/(1 + (s - 1) "
                 "sigma)", paper(esser("Eq. 23 (Sec. 5.3.2)")), lhs=1 - shifted),
            Step(FLOW.log_snr_half - sp.log(FM.shift),
                 "so lambda' = log((1 - sigma')/sigma') = log((1 - sigma)/sigma) - log s: the shift "
                 "moves the log-SNR by -log s (2 lambda = log SNR moves by -2 log s)",
                 paper(esser("Sec. 5.3.2")), lhs=FM.shifted_log_snr(shifted)),
            Step(FM.time_shift(t, sp.exp(FM.mu_shift)),
                 "Flux's e^mu/(e^mu + 1/t - 1) is the same map with s = e^mu", paper(FLUX),
                 lhs=flux),
            Step(FLOW.log_snr_half - FM.mu_shift, "so Flux's shift moves lambda by -mu",
                 paper(FLUX), lhs=FM.shifted_log_snr(flux)),
            Step(FM.time_shift(t, FM.shift * sp.exp(FM.mu_shift)),
                 "shifts compose by multiplying their factors (log-SNR shifts add)",
                 paper(esser("Sec. 5.3.2")),
                 lhs=FM.time_shift(FM.time_shift(t, sp.exp(FM.mu_shift)), FM.shift)),
        ],
    )
