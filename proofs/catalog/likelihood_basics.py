"""Seed 000: the Gaussian normalizer, KL >= 0 (Gibbs and Jensen), and Gaussian maximum likelihood
as KL minimization against the empirical distribution.

Integrals are computed by SymPy (Dirac deltas sift); inequalities are proved by
derive.decide.inequality (convexity / unique critical point / monotonicity), never only sampled.
The empirical distribution has n = 3 symbolic data points x_1, x_2, x_3 (the algebra for general
n is the same sum; three points keep every step a finite expression).
"""
from __future__ import annotations

from functools import cache

import sympy as sp

from diffproof.derive.derivation import Step
from diffproof.derive.source import seed
from diffproof.derive.gaussian import Normal, kl_divergence
from diffproof.derive.symbols import m, mu, mu_1, mu_2, p_1, q_1, r_1, r_2, s, u, v, v_1, v_2, w, x, x_1, x_2, x_3
from diffproof.proofs.catalog.registry import builds

half = sp.Rational(1, 2)
DATA = (x_1, x_2, x_3)
n = len(DATA)
MEAN = sum(DATA) / n
BIASED_VAR = sum((xi - mu) ** 2 for xi in DATA) / n          # at mu; (2.13)
q = Normal(x, mu, v)                                           # q_theta, theta = {mu, sigma^2 = v}
p0 = sum(sp.DiracDelta(x - xi) for xi in DATA) / n             # Eq. (1.1)


def _integral(expr):
    return sp.integrate(expr, (x, -sp.oo, sp.oo))


def _against_deltas(expr, weight=sp.Rational(1, n)):
    """int weight sum_i delta(x - x_i) expr dx by the sifting property (shown by SymPy's own delta
    integration for x_1 in empirical-gaussian-kl; substitution is ~60x faster than integrate)."""
    return weight * sum(expr.subs(x, xi) for xi in DATA)


@cache
def cross_entropy() -> sp.Expr:
    """-int p_0 ln q_theta."""
    return _against_deltas(-q.log_density())


SEED_211 = BIASED_VAR / (2 * v) + sp.log(v) / 2                # (2.11), last line


def _objective(center, variance):
    return SEED_211.subs({mu: center, v: variance}, simultaneous=True)


# ----------------------------------------------------------------------------------------------
@builds("gaussian-normalizer")
def normalizer(entry):
    return entry.derivation(
        conditions=("sigma^2 = v > 0",),
        steps=[
            Step(sp.sqrt(2 * sp.pi * v), "the Gaussian integral, computed", seed("000", "(2.9)"),
                 lhs=_integral(sp.exp(-(x - mu) ** 2 / (2 * v)))),
            Step(sp.Integer(1), "q_theta = exp(...)/Z integrates to 1", seed("000", "(2.10)"),
                 lhs=_integral(q.density())),
        ],
    )


@builds("empirical-gaussian-kl")
def empirical_kl(entry):
    return entry.derivation(
        conditions=("n = 3 data points", "KL = int p_0 ln p_0 - int p_0 ln q_theta; the first term is "
                    "free of theta (for Dirac deltas it is not finite: the statement is about the "
                    "theta-dependent part, exactly as for Kronecker deltas on a discrete space)"),
        steps=[
            Step(sp.Integer(1), "p_0 with the 1/n is normalized", seed("000", "(1.1)"),
                 lhs=_integral(p0)),
            Step(-q.log_density(x_1), "a delta sifts: int delta(x - x_1) (-ln q_theta(x)) dx = -ln "
                 "q_theta(x_1) (SymPy's delta integration)", seed("000", "(2.11)"),
                 lhs=_integral(sp.DiracDelta(x - x_1) * -q.log_density())),
            Step(sum(-q.log_density(xi) for xi in DATA) / n,
                 "-int p_0 ln q_theta: the deltas sift, leaving the average of -ln q_theta(x_i)",
                 seed("000", "(2.11)"), lhs=cross_entropy()),
            Step(sp.exp(-SEED_211),
                 "up to constants free of theta (exp(-KL) proportional in mu, sigma^2)",
                 seed("000", "(2.11), last line"), relation="propto", wrt=(mu, v),
                 lhs=sp.exp(-cross_entropy())),
        ],
    )


@builds("empirical-gaussian-mle")
def stationary(entry):
    return entry.derivation(
        conditions=("n = 3 data points",),
        steps=[
            Step(-(1 / v) * sum(xi - mu for xi in DATA) / n, "d/d mu of (2.11)", seed("000", "(2.12)"),
                 lhs=sp.diff(SEED_211, mu)),
            Step(MEAN, "solve d/d mu = 0: the sample mean", seed("000", "(2.12)"),
                 lhs=sp.solve(sp.diff(SEED_211, mu), mu)[0]),
            Step(-BIASED_VAR / (2 * v ** 2) + 1 / (2 * v), "d/d sigma^2 of (2.11)",
                 seed("000", "(2.13)"),
                 lhs=sp.diff(SEED_211, v)),
            Step(BIASED_VAR, "solve d/d sigma^2 = 0: the biased variance (1/n, not 1/(n - 1))",
                 seed("000", "(2.13)"), lhs=sp.solve(sp.diff(SEED_211, v), v)[0]),
            Step(_objective(MEAN, v), "for every sigma^2 the sample mean minimizes the objective "
                 "(proved: convex in mu / sign on the domain)", seed("000", "(2.12)"),
                 lhs=SEED_211, relation=">="),
        ],
    )


@builds("empirical-gaussian-variance-minimum")
def variance_minimum(entry):
    return entry.derivation(
        conditions=("v_1 = S = (1/n) sum (x_i - mean)^2 > 0 (the data are not all equal; otherwise the "
                    "infimum is not attained: sigma^2 -> 0)",),
        steps=[
            Step(v_1 / (2 * v_1) + sp.log(v_1) / 2, "the objective at sigma^2 = S is its minimum over "
                 "sigma^2 (proved: the only critical point, a strict minimum)", seed("000", "(2.13)"),
                 lhs=v_1 / (2 * v) + sp.log(v) / 2, relation=">="),
        ],
    )


@builds("mle-is-min-kl")
def mle(entry):
    return entry.derivation(
        conditions=("n = 3 data points; KL(p_0 || q) = const - (1/n) sum ln q_theta(x_i)",),
        start=sp.exp(sum(q.log_density(xi) for xi in DATA) / n),
        steps=[
            Step(sp.exp(-cross_entropy()), "the average log-likelihood is minus the cross-entropy "
                 "int p_0 ln q_theta", seed("000", "(2.14)")),
            Step(sp.exp(-SEED_211), "so it is -KL up to a theta-free constant: same maximizer as the "
                 "KL's minimizer", seed("000", "(2.14)"), relation="propto", wrt=(mu, v)),
        ],
    )


# ----------------------------------------------------------------------------------------------
KL2 = p_1 * sp.log(p_1 / q_1) + (1 - p_1) * sp.log((1 - p_1) / (1 - q_1))   # two-point KL(p || q)


@builds("kl-nonnegative-gibbs")
def gibbs(entry):
    return entry.derivation(
        conditions=("distributions on two points: p = (p_1, 1 - p_1), q = (q_1, 1 - q_1), "
                    "0 < p_1, q_1 < 1",),
        start=KL2,
        steps=[
            Step(sp.log(u), "Gibbs' inequality for x = u > 0 (proved: convex, critical point u = 1)",
                 seed("000", "(2.4)"), lhs=u - 1, relation=">="),
            Step(1 - u, "equivalently ln(1/x) >= 1 - x", seed("000", "(2.4)"), lhs=sp.log(1 / u),
                 relation=">="),
            Step(p_1 * (1 - q_1 / p_1) + (1 - p_1) * (1 - (1 - q_1) / (1 - p_1)),
                 "termwise ln(p/q) = ln(1/(q/p)) >= 1 - q/p", seed("000", "(2.5)"), lhs=KL2,
                 relation=">="),
            Step(p_1 + (1 - p_1) - q_1 - (1 - q_1), "sum p - sum q", seed("000", "(2.5)")),
            Step(sp.Integer(0), "both sum to 1", seed("000", "(2.5)")),
        ],
    )


@builds("kl-nonnegative-jensen")
def jensen(entry):
    return entry.derivation(
        conditions=("two-point distributions as in kl-nonnegative-gibbs; weights w, 1 - w in (0, 1)",),
        start=KL2,
        steps=[
            Step(sp.diff(sp.log(u), u, 2),
                 "ln is concave ('upward convex'): its second derivative <= 0",
                 seed("000", "(2.6)"), lhs=sp.Integer(0), relation=">="),
            Step((sp.log(r_1) + sp.log(r_2)) / 2, "the midpoint form (2.6) for f = ln",
                 seed("000", "(2.6)"), lhs=sp.log((r_1 + r_2) / 2), relation=">="),
            Step(w * sp.log(r_1) + (1 - w) * sp.log(r_2), "the weighted form used in (2.7)",
                 seed("000", "(2.7)"), lhs=sp.log(w * r_1 + (1 - w) * r_2), relation=">="),
            Step(-p_1 * sp.log(q_1 / p_1) - (1 - p_1) * sp.log((1 - q_1) / (1 - p_1)),
                 "KL = -sum p ln(q/p)", seed("000", "(2.7)"), lhs=KL2),
            Step(-sp.log(p_1 * (q_1 / p_1) + (1 - p_1) * ((1 - q_1) / (1 - p_1))),
                 "Jensen with weights p: -sum p ln(q/p) >= -ln sum p (q/p)", seed("000", "(2.7)"),
                 relation=">="),
            Step(sp.Integer(0), "sum p (q/p) = sum q = 1", seed("000", "(2.7)")),
        ],
    )


_N1, _N2 = Normal(x, mu_1, v_1), Normal(x, mu_2, v_2)


@builds("kl-gaussian-properties")
def gaussian_kl(entry):
    return entry.derivation(
        steps=[
            Step(sp.Integer(0), "(i) D(N_1 || N_2) >= 0 (proved: convex in mu_1, then in v_1)",
                 seed("000", "property (i)"), lhs=kl_divergence(_N1, _N2), relation=">="),
            Step(kl_divergence(Normal(x, mu_2, v), Normal(x, mu_1, v)),
                 "equal variances: D(p || q) = D(q || p), a pair for which (ii) '!=' fails",
                 seed("000", "property (ii)"),
                 lhs=kl_divergence(Normal(x, mu_1, v), Normal(x, mu_2, v))),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("E000-empirical-no-1-over-n")
def e000_empirical_no_1_over_n(entry):
    return entry.claim(
        "p_0 = sum_i delta(x - x_i) is a distribution",
        sources=(seed("000", "Sec. 2.2"),),
        conditions=("n = 3 data points",),
        steps=[
            Step(sp.Integer(1), "total mass 1", seed("000", "Sec. 2.2"),
                 lhs=_integral(sum(sp.DiracDelta(x - xi) for xi in DATA))),
            Step(sp.exp(-SEED_211), "-int p_0 ln q with this p_0 gives (2.11)",
                 seed("000", "(2.11)"), relation="propto", wrt=(mu, v),
                 lhs=sp.exp(-_against_deltas(-q.log_density(), 1))),
        ],
    )


@builds("E000-kl-sign")
def e000_kl_sign(entry):
    return entry.claim(
        "KL = -int p_0 ((x - mu)^2/(2 sigma^2) + 1/2 ln sigma^2) + const",
        sources=(seed("000", "(2.11)"),),
        conditions=("n = 3 data points",),
        start=sp.exp(-cross_entropy()),
        steps=[
            Step(sp.exp(_against_deltas((x - mu) ** 2 / (2 * v) + sp.log(v) / 2)),
                 "the middle expression of (2.11), as exp(-KL) up to theta-free factors",
                 seed("000", "(2.11)"), relation="propto", wrt=(mu, v)),
        ],
    )


@builds("E000-p-for-p0")
def e000_p_for_p0(entry):
    expected = Normal(x, m, s ** 2).expect(sp.expand(q.log_density()))   # E_p[ln q], p = N(m, s^2)
    return entry.claim(
        "argmax_mu E_p[ln q_theta] = argmax_mu (1/n) sum ln q_theta(x_i)",
        sources=(seed("000", "(2.14)"),),
        conditions=("true p = N(m, s^2); n = 3 data points",),
        steps=[
            Step(MEAN, "the maximizer in mu of E_p[ln q_theta] is the sample mean",
                 seed("000", "(2.14)"), lhs=sp.solve(sp.diff(expected, mu), mu)[0]),
        ],
    )
