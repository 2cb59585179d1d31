"""Exact values of log-density expressions for a concrete linear-Gaussian chain (Luo 2022 Eqs. 5-58).

For a concrete number of steps T and exact rational parameters, every density of the chain is a
Gaussian and every expectation a Gaussian integral, computed by ``derive.gaussian``:
``Normal.expect`` for expectations (nested along the forward chain), ``complete_the_square``
for integrals of exp(quadratic) (marginals, conditionals, the evidence), ``kl_divergence`` for
KL terms.  No rule of ``derive.logdensity`` is used: a conditional density is computed from the
joint by its definition (joint / marginal, marginals by integration), so the two sides of a step
become two closed forms that must agree.

An expectation E_{q(A|B)}[f] integrates the variables A against the stated conditional q(A|B)
(chain rule: q(A|B) = prod_i q(a_i | a_1..a_{i-1}, B), each factor from the joint by definition)
and leaves a function of every other variable, B among them: it is never read as an expectation
under another conditional (such as q(A|x_0)).  An encoder density without x_0 among its
conditions, q(A|B), is the forward process's conditional only when q(A|B, x_0) does not depend on
x_0 (checked; otherwise it is not defined here).

The model (one coordinate): encoder q(x_k | x_{k-1}) = N(e_k x_{k-1} + f_k, g_k) for k = 1..T,
prior p(x_T) = N(0, 1), decoder p_theta(x_{k-1} | x_k) = N(a_k x_k + b_k, c_k).  The VDM is
e_k = sqrt(alpha_k), f_k = 0, g_k = 1 - alpha_k; a VAE is T = 1.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

from diffproof.derive import logdensity as L
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, Evidence, Verdict
from diffproof.derive.gaussian import (Normal, complete_the_square, condition, kl_divergence,
                             linear_coefficients)

Rational = sp.Rational


@dataclass(frozen=True)
class ClosedFormEvidence(Evidence):
    """The chain lengths T compared exactly, and how many random chains were drawn."""

    T: tuple[int, ...] = ()
    draws: int | None = None


@dataclass(frozen=True)
class LinearGaussianChain:
    """Concrete chain: ``enc[k-1] = (e_k, f_k, g_k)``, ``dec[k-1] = (a_k, b_k, c_k)``, k = 1..T."""

    T: int
    x0: sp.Expr
    enc: tuple
    dec: tuple

    def __post_init__(self) -> None:
        if not (isinstance(self.T, int) and self.T >= 1):
            raise ValueError(f"T must be a positive integer, got {self.T!r}")
        if len(self.enc) != self.T or len(self.dec) != self.T:
            raise ValueError("enc and dec need one (coefficient, shift, variance) triple per step")
        for name, triples in (("encoder", self.enc), ("decoder", self.dec)):
            for k, (_, _, var) in enumerate(triples, start=1):
                if not sp.sympify(var).is_positive:
                    raise ValueError(f"{name} variance at step {k} must be positive, got {var}")

    def describe(self) -> dict:
        return {"T": self.T, "x0": str(self.x0),
                "encoder (e, f, g)": [tuple(str(v) for v in p) for p in self.enc],
                "decoder (a, b, c)": [tuple(str(v) for v in p) for p in self.dec]}


SQRT_ALPHAS = (Fraction(19, 20), Fraction(9, 10), Fraction(4, 5), Fraction(7, 10), Fraction(3, 5),
               Fraction(1, 2), Fraction(9, 20))


def random_vdm(T: int, seed: int, learned_encoder: bool = False) -> LinearGaussianChain:
    """A chain with random exact rational parameters (sqrt(alpha_k) rational, so the VDM stays
    rational); ``learned_encoder`` draws general e_k, f_k, g_k (a hierarchical VAE)."""
    rng = np.random.default_rng(seed)

    def frac(lo, hi, den=10):
        return Rational(int(rng.integers(int(lo * den), int(hi * den) + 1)), den)

    enc, dec = [], []
    for _ in range(T):
        if learned_encoder:
            enc.append((frac(-1.5, 1.5), frac(-1, 1), frac(0.2, 1.5)))
        else:
            root = SQRT_ALPHAS[int(rng.integers(len(SQRT_ALPHAS)))]
            e = Rational(root.numerator, root.denominator)
            enc.append((e, sp.Integer(0), 1 - e ** 2))
        dec.append((frac(0.2, 1.5), frac(-0.5, 0.5), frac(0.1, 1.0)))
    return LinearGaussianChain(T, frac(-2, 2), tuple(enc), tuple(dec))


def with_posterior_encoder(chain: LinearGaussianChain) -> LinearGaussianChain:
    """The one-step chain (a VAE) whose encoder q(z|x) is the exact posterior p(z|x).

    The posterior is computed by ``derive.gaussian.condition``; its mean is affine in x, which
    gives the encoder's (e, f, g)."""
    if chain.T != 1:
        raise ValueError("the posterior encoder is defined here for one latent (T = 1)")
    x0, z1 = sp.Symbol("X0", real=True), sp.Symbol("X1", real=True)
    a, b, c = chain.dec[0]
    posterior = condition(Normal(z1, sp.Integer(0), sp.Integer(1)), Normal(x0, a * z1 + b, c))
    e, f = linear_coefficients(posterior.mean, x0)
    return LinearGaussianChain(1, chain.x0, ((e, f, sp.simplify(posterior.variance)),), chain.dec)


class NotDefined(ValueError):
    """The expression has no value here (a density the forward process does not define, a latent
    no expectation integrates)."""


class ExactEvaluator:
    """Closed-form value of a ``derive.logdensity`` expression on one concrete chain."""

    def __init__(self, chain: LinearGaussianChain, model: L.ChainModel = L.VDM):
        self.chain = chain
        self.model = model
        self.X = [sp.Symbol(f"X{k}", real=True) for k in range(chain.T + 1)]
        self._cache: dict = {}

    # -- the defining factors ----------------------------------------------------------------
    def q_step(self, k: int) -> Normal:
        e, f, g = self.chain.enc[k - 1]
        return Normal(self.X[k], e * self.X[k - 1] + f, g)

    def p_dec(self, k: int) -> Normal:
        a, b, c = self.chain.dec[k - 1]
        return Normal(self.X[k - 1], a * self.X[k] + b, c)

    def p_prior(self) -> Normal:
        return Normal(self.X[self.chain.T], sp.Integer(0), sp.Integer(1))

    def q_joint_log(self) -> sp.Expr:
        return sum((self.q_step(k).log_density() for k in range(1, self.chain.T + 1)), sp.Integer(0))

    def p_joint_log(self) -> sp.Expr:
        return self.p_prior().log_density() + sum(
            (self.p_dec(k).log_density() for k in range(1, self.chain.T + 1)), sp.Integer(0))

    # -- integrals ---------------------------------------------------------------------------
    @staticmethod
    def log_integral_exp(log_expr: sp.Expr, variables) -> sp.Expr:
        """log int exp(log_expr) d(variables), by completing the square one variable at a time."""
        for var in variables:
            _, log_expr = complete_the_square(log_expr, var)
        return sp.expand(log_expr)

    def _positions(self, items, bind: dict) -> list[int]:
        found: list[int] = []
        for item in items:
            if isinstance(item, L.Span):
                lo, hi = (self._int(v, bind) for v in (item.lo, item.hi))
                found.extend(range(lo, hi + 1))
            else:
                found.append(self._int(self.model.position(item), bind))
        for pos in found:
            if not 0 <= pos <= self.chain.T:
                raise ValueError(f"position {pos} outside 0..{self.chain.T}")
        return found

    def _int(self, expr, bind: dict) -> int:
        value = sp.sympify(expr).subs({L.T: self.chain.T, **bind})
        if not value.is_integer:
            raise ValueError(f"index {expr} is not a concrete integer here")
        return int(value)

    def log_density(self, d: L.Density, bind: dict) -> sp.Expr:
        """log d as a function of the X symbols, from the joint by definition."""
        out = self._positions(d.out, bind)
        given = self._positions(d.given, bind)
        T = self.chain.T
        if d.kind == "q":
            if 0 in out:
                raise NotDefined("the encoder has no density for x_0")
            return self.q_log(out, given)
        key = (d.kind, tuple(out), tuple(sorted(given)))
        if key in self._cache:
            return self._cache[key]
        if d.kind == "p":
            if len(out) == 1 and given == [out[0] + 1]:
                value = self.p_dec(out[0] + 1).log_density()
            elif out == [T] and not given:
                value = self.p_prior().log_density()
            else:
                value = self._conditional(self.p_joint_log(), list(range(0, T + 1)), out, given)
        else:
            raise ValueError(f"unknown density kind {d.kind!r}")
        self._cache[key] = value
        return value

    def q_log(self, out: list[int], given: list[int]) -> sp.Expr:
        """log q(X_out | X_given) of the forward process, by definition: the step q(x_k | x_{k-1})
        and the chain-rule factor q(x_k | x_0..x_{k-1}) are the joint's own factors; any other
        conditional is joint / marginal (marginals by integration).  Without x_0 among ``given``
        the conditional must not depend on x_0 (else the forward process does not define it)."""
        key = ("q", tuple(out), tuple(sorted(set(given))))
        if key in self._cache:
            return self._cache[key]
        if set(out) & set(given):
            raise NotDefined(f"q conditions positions {out} on themselves")
        cond = sorted(set(given) - {0})
        if len(out) == 1 and (given == [out[0] - 1] or set(given) == set(range(out[0]))):
            value = self.q_step(out[0]).log_density()
        else:
            value = self._conditional(self.q_joint_log(), list(range(1, self.chain.T + 1)), out, cond)
        if 0 not in given and value.has(self.X[0]):
            raise NotDefined(f"q(x_{out} | x_{cond}) depends on x_0: the forward process defines it "
                             "only together with x_0")
        self._cache[key] = value
        return value

    def _conditional(self, joint_log, domain, out, given) -> sp.Expr:
        keep = set(out) | set(given)
        marginal = self.log_integral_exp(joint_log, [self.X[k] for k in domain if k not in keep])
        if not given:
            return marginal
        return sp.expand(marginal - self.log_integral_exp(marginal, [self.X[k] for k in out]))

    def _normal(self, log_density: sp.Expr, var: sp.Symbol, what: str) -> Normal:
        normal, rest = complete_the_square(log_density, var)
        rest = sp.expand(sp.expand_log(rest, force=True))
        if rest.free_symbols & set(self.X) or abs(sp.N(rest, DIGITS)) > TOLERANCE:
            raise ValueError(f"{what} is not normalized: residual {rest}")
        return normal

    def normal_of(self, d: L.Density, bind: dict) -> Normal:
        out = self._positions(d.out, bind)
        if len(out) != 1:
            raise ValueError(f"{d.latex()} is not a one-variable density")
        return self._normal(self.log_density(d, bind), self.X[out[0]], d.latex())

    def expect(self, poly: sp.Expr, measure: L.Density, bind: dict) -> sp.Expr:
        """E_{q(A|B)}[poly] over the measure's variables A against the stated conditional q(A|B),
        by the chain rule q(A|B) = prod_i q(a_i | a_1..a_{i-1}, B) (a_1 < a_2 < ...), the last
        factor integrated first (Normal.expect); every other variable stays free.  A variable of
        A that is also a condition (x_{t-1} = x_0 at t = 1 in q(x_{t-1}, x_t | x_0)) is fixed."""
        if measure.kind != "q":
            raise ValueError(f"expectations are over the encoder, not {measure.latex()}")
        given = self._positions(measure.given, bind)
        out = sorted(set(self._positions(measure.out, bind)) - set(given))
        if 0 in out:
            raise NotDefined(f"{measure.latex()} integrates the observed x_0")
        poly = sp.expand(poly)
        for i in range(len(out) - 1, -1, -1):
            a = out[i]
            if not poly.has(self.X[a]):
                continue                   # the factor integrates to 1
            factor = self._normal(self.q_log([a], out[:i] + given), self.X[a], measure.latex())
            poly = sp.expand(factor.expect(poly))
        return poly

    # -- the evaluator -----------------------------------------------------------------------
    def value(self, node, bind: dict | None = None) -> sp.Expr:
        """The closed form of ``node`` (a function of the X symbols until all are integrated)."""
        bind = bind or {}
        key = ("value", node, tuple(sorted(bind.items(), key=str)))
        if key not in self._cache:
            self._cache[key] = self._value(node, bind)
        return self._cache[key]

    def _value(self, node, bind: dict) -> sp.Expr:
        if isinstance(node, L.Lin):
            return sp.expand(sum((c * self.value(n, bind) for c, n in node.terms), sp.Integer(0)))
        if isinstance(node, L.ISum):
            lo, hi = self._int(node.lo, bind), self._int(node.hi, bind)
            return sp.expand(sum((self.value(node.body, {**bind, L.t: k}) for k in range(lo, hi + 1)),
                                 sp.Integer(0)))
        if isinstance(node, L.Log):
            return self.log_of(node.arg, bind)
        if isinstance(node, L.E):
            return self.expect(self.value(node.body, bind), node.measure, bind)
        if isinstance(node, L.Mass):
            mass = self.log_integral_exp(self.log_density(node.measure, bind),
                                         [self.X[k] for k in self._positions(node.measure.out, bind)])
            return sp.expand(self.value(node.body, bind) * sp.exp(mass))
        if isinstance(node, L.KL):
            if self._positions(node.q.out, bind) != self._positions(node.p.out, bind):
                raise NotDefined(f"the KL compares densities of different variables: "
                                 f"{node.q.latex()}, {node.p.latex()}")
            return sp.expand(kl_divergence(self.normal_of(node.q, bind), self.normal_of(node.p, bind)))
        if isinstance(node, L.LogE):
            log_integrand = self.log_density(node.measure, bind) + self.log_of(node.arg, bind)
            over = self._positions(node.measure.out, bind)
            return self.log_integral_exp(sp.expand(log_integrand), [self.X[k] for k in over])
        if isinstance(node, L.LogInt):
            over = self._positions(node.over, bind)
            return self.log_integral_exp(sp.expand(self.log_of(node.arg, bind)),
                                         [self.X[k] for k in over])
        raise TypeError(f"cannot evaluate {type(node).__name__}")

    def log_of(self, arg, bind: dict) -> sp.Expr:
        if isinstance(arg, L.Density):
            return self.log_density(arg, bind)
        if isinstance(arg, L.Prod):
            return sp.expand(sum((self.log_of(f, bind) for f in arg.factors), sp.Integer(0)))
        if isinstance(arg, L.Ratio):
            return sp.expand(self.log_of(arg.num, bind) - self.log_of(arg.den, bind))
        if isinstance(arg, L.IProd):
            lo, hi = self._int(arg.lo, bind), self._int(arg.hi, bind)
            return sp.expand(sum((self.log_of(arg.body, {**bind, L.t: k}) for k in range(lo, hi + 1)),
                                 sp.Integer(0)))
        raise TypeError(f"cannot take the log of {type(arg).__name__}")

    def number(self, node) -> sp.Expr:
        """The value at the observed x_0 (all latents integrated); raises if a latent is left."""
        value = self.value(node).subs(self.X[0], self.chain.x0)
        left = [s for s in value.free_symbols if s in self.X]
        if left:
            raise NotDefined(f"the expression still depends on {sorted(map(str, left))}, which no "
                             "expectation integrates: a latent used outside any expectation")
        return value


# ----------------------------------------------------------------------------------------------
# the check attached to catalog steps
# ----------------------------------------------------------------------------------------------
DIGITS = 40
TOLERANCE = sp.Float("1e-30", DIGITS)
_EVALUATORS: dict = {}


def evaluator(T: int, seed: int, learned_encoder: bool = False,
              model: L.ChainModel = L.VDM, posterior_encoder: bool = False) -> ExactEvaluator:
    """A cached evaluator on the random chain (T, seed) (parameters from ``random_vdm``);
    ``posterior_encoder`` replaces a VAE's encoder by the exact posterior."""
    key = (T, seed, learned_encoder, model, posterior_encoder)
    if key not in _EVALUATORS:
        chain = random_vdm(T, seed, learned_encoder)
        if posterior_encoder:
            chain = with_posterior_encoder(chain)
        _EVALUATORS[key] = ExactEvaluator(chain, model)
    return _EVALUATORS[key]


@dataclass
class ClosedFormCheck:
    """Both sides of a step in closed form on concrete chains; they must agree (or satisfy >=).

    ``Ts`` are the numbers of steps tried (a VAE model uses T = 1); ``draws`` random parameter
    sets per T, derived from the run's seed.  A disagreement is reported with T, the parameters
    and the two values.
    """

    lhs: object
    rhs: object
    relation: str = "="
    model: L.ChainModel = L.VDM
    learned_encoder: bool = False
    Ts: tuple = (2, 3, 4, 5)
    draws: int = 1
    pointwise: bool = False
    t_values: tuple = ()
    posterior_encoder: bool = False
    name: str = "closed-form"

    def _pointwise_values(self, ev: ExactEvaluator, draw: int):
        """Both sides as functions of all variables, at random rational points (and each t)."""
        rng = np.random.default_rng(draw + 17)
        ts = [k for k in (self.t_values or (None,)) if k is None or k <= ev.chain.T]
        for k in ts:
            bind = {} if k is None else {L.t: k}
            left, right = ev.value(self.lhs, bind), ev.value(self.rhs, bind)
            for _ in range(3):
                point = {X: Rational(int(rng.integers(-20, 21)), 10) for X in ev.X}
                yield k, left.subs(point), right.subs(point), point

    def _values(self, ev: ExactEvaluator, draw: int):
        """Both sides at the observed x_0.  A side that is still a function of latents (an
        expectation whose measure conditions on a variable no outer expectation integrates) is
        compared as a function: an equation as polynomials in those latents (coefficient by
        coefficient; where they differ, at a point that shows it), an inequality (or a
        non-polynomial) at random points (then ``partial``: finitely many points only refute)."""
        left, right = (ev.value(side).subs(ev.X[0], ev.chain.x0) for side in (self.lhs, self.rhs))
        free = sorted((left.free_symbols | right.free_symbols) & set(ev.X), key=str)
        if not free:
            return [(None, left, right, {})], False
        rng = np.random.default_rng(draw + 29)
        points = [{X: sp.Integer(0) for X in free}] + [
            {X: Rational(int(rng.integers(-20, 21)), 10) for X in free} for _ in range(19)]
        partial = self.relation != "="
        if self.relation == "=":
            diff = sp.expand(left - right)
            try:
                coeffs = sp.Poly(diff, *free).coeffs()
            except sp.PolynomialError:
                coeffs, partial = None, True   # not a polynomial: agreement at points only
            if coeffs is not None and all(abs(sp.N(c, DIGITS)) < TOLERANCE for c in coeffs):
                points = points[:1]        # equal as functions: one point to show
            else:
                gaps = [abs(sp.N(diff.subs(pt), DIGITS)) for pt in points]
                points = [points[gaps.index(max(gaps))]]
                partial = partial or max(gaps) < TOLERANCE     # differ, yet no point shows it
        return [(None, left.subs(pt), right.subs(pt), pt) for pt in points], partial

    def run(self, seed: int):
        started = time.perf_counter()
        Ts = (1,) if L.num(self.model.top) == 1 else self.Ts
        compared, partial = [], False
        for T in Ts:
            for draw in range(self.draws):
                ev = evaluator(T, 1000 * seed + draw, self.learned_encoder, self.model,
                               self.posterior_encoder)
                try:
                    if self.pointwise:
                        pairs = list(self._pointwise_values(ev, draw))
                    else:
                        pairs, at_points = self._values(ev, draw)
                        partial = partial or at_points
                except NotDefined as error:
                    return Verdict(UNDECIDED, self.name, seconds=time.perf_counter() - started,
                                   reason=f"no closed form at T = {T}: {error}")
                for k, left, right, point in pairs:
                    left, right = sp.N(left, DIGITS), sp.N(right, DIGITS)
                    gap = left - right
                    ok = abs(gap) < TOLERANCE if self.relation == "=" else gap > -TOLERANCE
                    if ok:
                        continue
                    example = {"T": T, "lhs": float(left), "rhs": float(right),
                               "difference": float(gap), **ev.chain.describe()}
                    if k is not None:
                        example["t"] = k
                    if point:
                        example["at"] = {str(s_): str(v) for s_, v in point.items()}
                    return Verdict(FAILS, self.name, counterexample=example,
                                   seconds=time.perf_counter() - started,
                                   reason=f"at T = {T} the two sides differ: {float(left):.10g} "
                                          f"vs {float(right):.10g}")
                compared.append(T)
        if partial:
            return Verdict(UNDECIDED, self.name, seconds=time.perf_counter() - started,
                           reason="the sides are functions of latents no expectation integrates, "
                                  "compared at random points only (an inequality, or not "
                                  "polynomial)")
        return Verdict(HOLDS, self.name, seconds=time.perf_counter() - started,
                       reason=f"both sides computed exactly (Gaussian integrals) on "
                              f"{len(compared)} random linear-Gaussian chains, T in {sorted(set(compared))}; "
                              f"they agree to {DIGITS} digits",
                       evidence=ClosedFormEvidence(T=tuple(sorted(set(compared))), draws=self.draws))
