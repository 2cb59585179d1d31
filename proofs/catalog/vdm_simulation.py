"""Expectation identities of variational diffusion models, checked by simulation (method monte-carlo).

Each step here states an identity about a distribution (a mean, a variance, a conditional
expectation, a loss up to a constant) and carries a Monte Carlo check: false-fail rate 1e-6,
a 1% discrepancy (of the stated scale) detected with probability 0.999, parameters and seed in
the report.  The closed forms are the computed formulas of ``derive.formulas`` (lambdified in
``numeric.simulate``); the claims are the formulas as seed 001 and Luo 2022 write them.

Which reading is checked: Tweedie's formula and "grad log p(x_t) = -eps_0 / sqrt(1 - abar_t)" are
checked as statements about conditional expectations given x_t (E[x_0 | x_t], E[eps_0 | x_t]).
Their pointwise readings, as seed 001 writes them, are errata below: the checker refutes them.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.derivation import Step
from diffproof.derive.source import paper, seed
from diffproof.derive.gaussian import Normal
from diffproof.derive.symbols import abar_t, eps_0, m, s, score, x_0, x_t
from diffproof.derive.codegen import safe_lambdify
from diffproof.numeric.montecarlo import ControlVariateCheck, LazyCheck, MonteCarloCheck, PairedCheck
from diffproof.numeric.simulate import (GaussianMixture, closed_forms, forward_chain, joint_triple, noise_of,
                              posterior_expectation_check)
from diffproof.proofs.catalog.index._papers import LUO
from diffproof.proofs.catalog.registry import builds
from diffproof.proofs.catalog.vdm_gaussian import MU_Q, SIGMA_Q, tweedie_x0

sqrt = sp.sqrt

# -- the parameters of the catalog's checks (tests draw others with Hypothesis) ---------------------
SCHEDULE = tuple(float(a) for a in 1 - np.linspace(1e-2, 0.2, 8))    # 8 steps, DDPM-style betas
X0 = 1.5
ALPHA, ABAR_PREV = 0.9, 0.6                                           # one step t: alpha_t, abar_{t-1}
GAUSS = GaussianMixture.gaussian([0.5], 1.2)
MIXTURE = GaussianMixture((0.3, 0.7), ((-2.0, 1.0), (1.5, -0.5)), (0.5, 0.8))
MIXTURE_1D = GaussianMixture((0.4, 0.6), ((-1.5,), (1.0,)), (0.4, 0.7))
ABAR, XT_1D, XT_2D = 0.4, 1.1, (0.3, -0.4)


def _tweedie_rhs():
    """(x_t + (1 - abar_t) score) / sqrt(abar_t) as seed 001 writes it, as a numpy function."""
    return safe_lambdify((x_t, abar_t, score), tweedie_x0, modules="numpy")


def _noise_from_score():
    """-sqrt(1 - abar_t) * score: E[eps_0 | x_t] according to Luo Eq. 151 (solved for eps_0)."""
    eps_claim = sp.solve(sp.Eq(score, -eps_0 / sqrt(1 - abar_t)), eps_0)[0]
    return safe_lambdify((abar_t, score), eps_claim, modules="numpy")


# -- q(x_t | x_0) by simulating the chain -----------------------------------------------------------
def forward_chain_checks(alphas=SCHEDULE, x0=X0, settings=None):
    """Mean and variance of x_T after simulating the chain step by step from a fixed x_0.
    About 0.1-0.3 s each at the default settings for T = 8."""
    cf = closed_forms()
    abar_T = float(np.prod(alphas))
    mean, var = float(cf["forward_mean"](x0, abar_T)), float(cf["forward_variance"](abar_T))
    params = {"alphas": list(alphas), "x_0": x0, "abar_T": abar_T}
    extra = {"settings": settings} if settings else {}
    mean_check = MonteCarloCheck("E[x_T | x_0] after T simulated steps",
                                 lambda rng, k: forward_chain(x0, alphas, rng, k), mean,
                                 scale=np.sqrt(mean ** 2 + var), params=params, **extra)
    var_check = MonteCarloCheck("E[(x_T - sqrt(abar_T) x_0)^2 | x_0] after T simulated steps",
                                lambda rng, k: (forward_chain(x0, alphas, rng, k) - mean) ** 2, var,
                                params=params, **extra)
    return mean_check, var_check


@builds("mc-forward-chain")
def forward_chain_derivation(entry):
    mean_check = LazyCheck(lambda: forward_chain_checks()[0])
    var_check = LazyCheck(lambda: forward_chain_checks()[1])
    return entry.derivation(
        conditions=(f"T = {len(SCHEDULE)} steps, beta_t linear from 0.01 to 0.2, x_0 = {X0}",),
        steps=[
            Step(sqrt(abar_t) * x_0, "the simulated mean of x_T equals the mean of q(x_T | x_0)",
                 seed("001", "slide 'q(x_t|x_0)'", f"{LUO} Eq. 70"), symbolic=False,
                 checks=[mean_check]),
            Step(1 - abar_t, "the simulated variance of x_T equals the variance of q(x_T | x_0)",
                 seed("001", "slide 'q(x_t|x_0)'", f"{LUO} Eq. 70"), symbolic=False,
                 checks=[var_check]),
        ],
    )


# -- the posterior q(x_{t-1} | x_t, x_0) by simulating the triple -----------------------------------
def posterior_checks(alpha=ALPHA, abar_prev=ABAR_PREV, data=GAUSS, settings=None):
    """The residual r = x_{t-1} - mu_q(x_t, x_0) of simulated triples has mean 0, is uncorrelated
    with x_t and x_0 (so mu_q is the regression of x_{t-1} on (x_t, x_0), which for jointly Gaussian
    variables is the conditional mean), and E[r^2] = Sigma_q.  About 0.1 s each."""
    cf = closed_forms()
    sigma_q = float(cf["posterior_variance"](alpha, abar_prev))
    params = {"alpha_t": alpha, "abar_tm1": abar_prev, "data": repr(data)}
    extra = {"settings": settings} if settings else {}

    def residual_times(which):
        def draw(rng, k):
            x0, xprev, xt = joint_triple(data, alpha, abar_prev, rng, k)
            r = xprev - cf["posterior_mean"](xt, x0, alpha, abar_prev)
            return {"one": r, "x_t": r * xt, "x_0": r * x0, "r2": r ** 2}[which]
        return draw

    return (MonteCarloCheck("E[x_{t-1} - mu_q(x_t, x_0)] = 0", residual_times("one"), 0.0,
                            scale="rms", params=params, **extra),
            MonteCarloCheck("E[(x_{t-1} - mu_q) x_t] = 0", residual_times("x_t"), 0.0,
                            scale="rms", params=params, **extra),
            MonteCarloCheck("E[(x_{t-1} - mu_q) x_0] = 0", residual_times("x_0"), 0.0,
                            scale="rms", params=params, **extra),
            MonteCarloCheck("E[(x_{t-1} - mu_q)^2] = Sigma_q", residual_times("r2"), sigma_q,
                            params=params, **extra))


@builds("mc-posterior")
def posterior_derivation(entry):
    _p = [LazyCheck(lambda i=i: posterior_checks()[i]) for i in range(4)]
    return entry.derivation(
        conditions=(f"alpha_t = {ALPHA}, abar_(t-1) = {ABAR_PREV}, x_0 ~ N(0.5, 1.2^2)",
                    "x_{t-1}, x_t, x_0 are jointly Gaussian, so the regression of x_{t-1} on "
                    "(x_t, x_0) is its conditional mean and the residual variance its conditional "
                    "variance"),
        steps=[
            Step(MU_Q, "the residual x_{t-1} - mu_q has mean 0", paper(f"{LUO} Eq. 84"),
                 symbolic=False, checks=[_p[0]]),
            Step(MU_Q, "the residual is uncorrelated with x_t", paper(f"{LUO} Eq. 84"),
                 symbolic=False, checks=[_p[1]]),
            Step(MU_Q, "the residual is uncorrelated with x_0", paper(f"{LUO} Eq. 84"),
                 symbolic=False, checks=[_p[2]]),
            Step(SIGMA_Q, "the residual variance is Sigma_q",
                 seed("001", "slide 'Sigma_q(t)'", f"{LUO} Eq. 84"),
                 symbolic=False, checks=[_p[3]]),
        ],
    )


# -- Tweedie and the marginal score, as conditional expectations ------------------------------------
def tweedie_check(data: GaussianMixture, xt, abar: float, settings=None, shift: float = 0.0):
    """E[x_0 | x_t] by importance weights against Tweedie's expression with the exact marginal
    score of ``data`` (``shift`` plants an error, for calibration).  About 0.1-0.2 s."""
    xt = np.atleast_1d(np.asarray(xt, dtype=float))
    claimed = _tweedie_rhs()(xt, abar, data.marginal_score(xt, abar)[0]) + shift
    return posterior_expectation_check(
        data, xt, abar, lambda x0: x0, claimed,
        "E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t)", settings=settings,
        params={"abar_t": abar, "x_t": xt.tolist(), "data": repr(data)})


def score_check(data: GaussianMixture, xt, abar: float, settings=None, shift: float = 0.0):
    """E[eps_0 | x_t] by importance weights against -sqrt(1 - abar_t) grad log p(x_t) (Luo Eq. 151
    read as a conditional expectation), scale 1 (eps_0 has unit RMS).  About 0.1-0.2 s."""
    xt = np.atleast_1d(np.asarray(xt, dtype=float))
    claimed = _noise_from_score()(abar, data.marginal_score(xt, abar)[0]) + shift
    return posterior_expectation_check(
        data, xt, abar, lambda x0: noise_of(xt, x0, abar), claimed,
        "E[eps_0 | x_t] = -sqrt(1 - abar_t) grad log p(x_t)", scale=1.0, settings=settings,
        params={"abar_t": abar, "x_t": xt.tolist(), "data": repr(data)})


_TWEEDIE = "Tweedie read as E[x_0 | x_t] (conditional expectation, not pointwise), "
_SCORE = ("score = -E[eps_0 | x_t] / sqrt(1 - abar_t) (conditional expectation, not pointwise), ")
TWEEDIE_NOTE = ("checked as a conditional expectation: E[x_0 | x_t] (simulated with self-normalized "
                "importance weights) equals the expression with the exact marginal score")


@builds("mc-tweedie")
def tweedie_derivation(entry):
    return entry.derivation(
        conditions=(TWEEDIE_NOTE, f"abar_t = {ABAR}; Gaussian data N(0.5, 1.2^2) at x_t = {XT_1D}; "
                    f"a two-component mixture in d = 2 at x_t = {XT_2D}"),
        steps=[
            Step(tweedie_x0, _TWEEDIE + "Gaussian data (d = 1)",
                 seed("001", "slide 'Tweedie's formula'"),
                 symbolic=False, checks=[LazyCheck(lambda: tweedie_check(GAUSS, [XT_1D], ABAR))],
                 note=TWEEDIE_NOTE),
            Step(tweedie_x0, _TWEEDIE + "mixture data (d = 2)", paper(f"{LUO} Eq. 133"),
                 symbolic=False, checks=[LazyCheck(lambda: tweedie_check(MIXTURE, XT_2D, ABAR))],
                 note=TWEEDIE_NOTE),
        ],
    )


SCORE_NOTE = ("checked as a conditional expectation: grad log p(x_t) = -E[eps_0 | x_t] / "
              "sqrt(1 - abar_t); pointwise it is false (see erratum marginal-score-pointwise)")


@builds("mc-marginal-score")
def score_derivation(entry):
    return entry.derivation(
        conditions=(SCORE_NOTE,),
        steps=[
            Step(-eps_0 / sqrt(1 - abar_t), _SCORE + "Gaussian data (d = 1)",
                 paper(f"{LUO} Eq. 151"), lhs=score, symbolic=False,
                 checks=[LazyCheck(lambda: score_check(GAUSS, [XT_1D], ABAR))], note=SCORE_NOTE),
            Step(-eps_0 / sqrt(1 - abar_t), _SCORE + "mixture data (d = 2)",
                 paper(f"{LUO} Eq. 151"), lhs=score, symbolic=False,
                 checks=[LazyCheck(lambda: score_check(MIXTURE, XT_2D, ABAR))], note=SCORE_NOTE),
        ],
    )


# -- denoising score matching = explicit score matching + a constant (Vincent 2011) -------------------
@lru_cache(maxsize=1)
def dsm_constant():
    """C(abar_t, s) = 1/2 E||grad log q(x_t|x_0)||^2 - 1/2 E||grad log p(x_t)||^2 per coordinate,
    for Gaussian data N(m, s^2), computed by the Gaussian algebra (no model appears in it)."""
    conditional = F.conditional_score().subs(x_t, sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * eps_0)
    e_cond = Normal(eps_0, 0, 1).expect(sp.expand(sp.cancel(conditional)) ** 2)
    marginal = F.gaussian_data_marginal()
    e_marg = Normal(x_t, marginal.mean, marginal.variance).expect(sp.expand(F.gaussian_data_score() ** 2))
    constant = sp.factor(sp.simplify((e_cond - e_marg) / 2))   # factored: no cancellation near abar = 1
    return constant, safe_lambdify((abar_t, m, s), constant, modules="numpy")


AFFINE_MODELS = ((0.0, 0.0), (-1.0, 0.5), (0.7, -1.2))     # s(x) = a x + b
TANH_MODELS = ((2.0, 0.3), (-1.5, 0.0))                     # s(x) = a tanh(x) + b


def _model(kind: str, a: float, b: float):
    if kind == "affine":
        return lambda x: a * x + b
    return lambda x: a * np.tanh(x) + b


def _scores(data: GaussianMixture, abar: float):
    """Draws of x_t with its conditional score grad log q(x_t | x_0) and marginal score."""
    def draw(rng, k, with_x0=False):
        cf = closed_forms()
        x0 = data.sample(rng, k)
        xt = cf["forward_mean"](x0, abar) + np.sqrt(cf["forward_variance"](abar)) * rng.standard_normal(x0.shape)
        drawn = (xt, cf["conditional_score"](xt, x0, abar), data.marginal_score(xt, abar))
        return drawn + (x0,) if with_x0 else drawn

    return draw


def _loss_gap(model, xt, conditional, marginal):
    """Per-sample DSM and ESM losses of one model at the same draws (common random numbers)."""
    st = model(xt)
    return (0.5 * ((st - conditional) ** 2).sum(axis=1), 0.5 * ((st - marginal) ** 2).sum(axis=1))


def _losses(data: GaussianMixture, abar: float, model):
    scores = _scores(data, abar)
    return lambda rng, k: _loss_gap(model, *scores(rng, k))


def _gaussian_controls(data: GaussianMixture, xt: np.ndarray, x0: np.ndarray, abar: float):
    """Controls with known means (all 0) for Gaussian data: with z = (x_0 - m)/s and the noise
    eps_0 (both standard normal, independent), z, z^2 - 1, eps, eps^2 - 1 and z eps per coordinate."""
    w, mu, sd = data.arrays
    z = (x0 - mu[0]) / sd[0]
    eps = noise_of(xt, x0, abar)
    return np.concatenate([z, z ** 2 - 1, eps, eps ** 2 - 1, z * eps], axis=1)


def dsm_checks(data: GaussianMixture = GAUSS, abar: float = ABAR, settings=None,
               reduction: str = "crn+cv", scale="rms"):
    """For Gaussian data: J_DSM(s) - J_ESM(s) = C with C from :func:`dsm_constant`, for every model
    of a small family.  ``reduction``: "crn+cv" (default) estimates both losses from the same
    draws and subtracts control variates with known means; "crn" pairs only; "none" draws the
    two losses independently (the baseline of the calibration benchmark).  ``scale`` is what the
    1% tolerance refers to (default: the RMS of the summand).  About 0.1 s each."""
    _, constant = dsm_constant()
    w, mu, sd = data.arrays
    if w.size != 1:
        raise ValueError("the closed-form constant needs Gaussian data; use dsm_independence_checks")
    c = float(sum(constant(abar, mu[0, j], sd[0]) for j in range(data.dim)))
    extra = {"settings": settings} if settings else {}
    scores = _scores(data, abar)
    checks = []
    for kind, family in (("affine", AFFINE_MODELS), ("tanh", TANH_MODELS)):
        for a, b in family:
            model = _model(kind, a, b)
            what = f"J_DSM - J_ESM = C for s(x) = {a} {'x' if kind == 'affine' else 'tanh(x)'} + {b}"
            params = {"model": kind, "a": a, "b": b, "abar_t": abar, "data": repr(data), "C": c,
                      "reduction": reduction}
            if reduction == "crn+cv":
                def draw_fg(rng, k, model=model):
                    xt, conditional, marginal, x0 = scores(rng, k, with_x0=True)
                    dsm, esm = _loss_gap(model, xt, conditional, marginal)
                    return dsm - esm, _gaussian_controls(data, xt, x0, abar)
                checks.append(ControlVariateCheck(what, draw_fg, np.zeros(5 * data.dim), c,
                                                  scale=scale, params=params, **extra))
            elif reduction == "crn":
                checks.append(PairedCheck(what, _losses(data, abar, model), offset=c,
                                          scale=scale, params=params, **extra))
            else:
                def unpaired(rng, k, model=model):
                    return _loss_gap(model, *scores(rng, k))[0], _loss_gap(model, *scores(rng, k))[1]
                checks.append(PairedCheck(what, unpaired, offset=c, scale=scale, params=params,
                                          **extra))
    return checks


def dsm_independence_checks(data: GaussianMixture = MIXTURE_1D, abar: float = ABAR, settings=None):
    """For any data: J_DSM - J_ESM is the same for two models (model independence), paired."""
    extra = {"settings": settings} if settings else {}
    scores = _scores(data, abar)
    reference = _model("affine", 0.0, 0.0)
    checks = []
    for kind, a, b in (("affine", -1.0, 0.5), ("tanh", 2.0, 0.3)):
        def draw(rng, k, other=_model(kind, a, b)):
            draws = scores(rng, k)                   # the same draws for both models
            d1, e1 = _loss_gap(other, *draws)
            d0, e0 = _loss_gap(reference, *draws)
            return d1 - e1, d0 - e0

        checks.append(PairedCheck(f"J_DSM - J_ESM equal for s = {a} {kind} + {b} and s = 0",
                                  draw, params={"model": kind, "a": a, "b": b, "abar_t": abar,
                                                "data": repr(data)}, **extra))
    return checks


@builds("mc-dsm-esm")
def dsm_derivation(entry):
    return entry.derivation(
        conditions=("J_ESM(s) = 1/2 E||s(x_t) - grad log p(x_t)||^2, J_DSM(s) = 1/2 E||s(x_t) - "
                    "grad log q(x_t | x_0)||^2; each model's two losses are estimated from the same "
                    "(x_0, x_t) draws",
                    f"abar_t = {ABAR}; Gaussian data N(0.5, 1.2^2) (closed-form constant) and a "
                    "two-component mixture in d = 1 (model independence)",
                    "for affine models and Gaussian data the loss gap is quadratic in the standard "
                    "normals, so the control variates absorb all its noise: those steps are exact up "
                    "to round-off with the pilot sample alone"),
        steps=[Step(dsm_constant()[0], check.what, paper("Vincent 2011, Eq. 11"), symbolic=False,
                    checks=[check]) for check in dsm_checks()]
        + [Step(None, check.what, paper("Vincent 2011, Eq. 11"), checks=[check])
                 for check in dsm_independence_checks()],
    )


# -- errata: seed 001 states Tweedie and the score pointwise -----------------------------------------
def _pointwise_gap_check(kind: str):
    """E[(lhs - rhs)^2] = 0 over the joint (x_0, x_t): what the pointwise reading implies."""
    cf = closed_forms()
    data, abar = GAUSS, ABAR
    w, mu, sd = data.arrays
    rhs = _tweedie_rhs()

    def draw(rng, k):
        x0 = data.sample(rng, k)[:, 0]
        eps = rng.standard_normal(k)
        xt = cf["forward_mean"](x0, abar) + np.sqrt(cf["forward_variance"](abar)) * eps
        sc = cf["marginal_score"](xt, mu[0, 0], sd[0], abar)
        if kind == "tweedie":
            return (x0 - rhs(xt, abar, sc)) ** 2
        return (sc + eps / np.sqrt(cf["forward_variance"](abar))) ** 2

    return MonteCarloCheck(f"pointwise {kind}: mean squared gap over (x_0, eps_0) is 0", draw, 0.0,
                           scale="rms", params={"abar_t": abar, "data": repr(data)})


def _pointwise_claim(entry, title: str, slide: str, lhs, rhs, justification: str, kind: str):
    """A seed claim read pointwise: a symbolic step at one sample, and its mean-square MC form."""
    return entry.claim(
        title, sources=(seed("001", slide),),
        conditions=("x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0, x_0 ~ N(m, s^2), "
                    "exact marginal score",),
        definitions={x_t: sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * eps_0},
        steps=[Step(rhs, justification, seed("001", slide), lhs=lhs),
               Step(None, "the same claim in mean square over the joint law", seed("001", slide),
                    checks=[LazyCheck(lambda: _pointwise_gap_check(kind))])],
    )


@builds("tweedie-pointwise")
def tweedie_pointwise(entry):
    return _pointwise_claim(
        entry,
        "seed 001: sqrt(abar_t) x_0 = x_t + (1 - abar_t) grad log p(x_t), read pointwise "
        "(Gaussian data)",
        "slide 'Tweedie's formula' (second display)", sqrt(abar_t) * x_0,
        x_t + (1 - abar_t) * F.gaussian_data_score(),
        "Tweedie applied to one sample x_0, as the slide writes it", "tweedie")


@builds("marginal-score-pointwise")
def score_pointwise(entry):
    return _pointwise_claim(
        entry,
        "seed 001: grad log p(x_t) = -eps_0 / sqrt(1 - abar_t) for the marginal score, read pointwise",
        "slide 'grad log p(x_t) = -eps_0 / sqrt(1 - abar_t)'", F.gaussian_data_score(),
        -eps_0 / sqrt(1 - abar_t), "the marginal score equals the scaled noise of this sample", "score")
