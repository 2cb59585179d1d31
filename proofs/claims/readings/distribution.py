"""Steps that hold in distribution: sums of independent standard normal noises (Luo Eqs. 63-68;
docs/claims.md 'Steps that hold in distribution').

Luo derives q(x_t | x_0) by unrolling x_t = sqrt(alpha_t) x_{t-1} + sqrt(1 - alpha_t) eps*_{t-1}
and merging the noises: sqrt(a) eps_1 + sqrt(b) eps_2 is *distributed* as sqrt(a + b) eps for
independent standard normals (a sum of independent zero-mean Gaussians is a Gaussian with the
summed variance).  Such a step is false pointwise and true in distribution.

The reading used here: when both sides are affine in standard normal noise symbols (eps, eps_k,
eps*_{t-1}, z, z_i: :func:`.noises.is_noise`), distinct names being independent, and the two sides
do not use the same noises, the step holds in distribution iff the deterministic parts are equal
and the sums of squared noise coefficients (the variances) are equal.  A latent met on one side
only (x_{t-1} against x_{t-2}, x_t against x_0) is first replaced by its forward law given a latent
of the other side, with a fresh independent noise (Luo Eqs. 31, 69; DDPM Eqs. 2, 4): both sides
are then laws given the same latent.  Both comparisons go through the safety net.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, Verdict
from diffproof.derive.symbols import TABLE
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.readings.base import BaseReading, StepState
from diffproof.proofs.claims.readings.noises import noises
from diffproof.proofs.claims.safety import check_relation_safely
from diffproof.proofs.claims.steps import VARIABLE_KEYS

READING = "in distribution (independent standard normal noises)"


def in_distribution(lhs, rhs, assumptions: Assumptions, options: Options) -> Verdict | None:
    """The verdict on the step ``lhs = rhs`` read in distribution, each comparison checked like
    any step (the safety net), or None when that reading does not apply.  The reading must not
    depend on which side a term stands: failing as written, the step is solved for its latest
    latent and read again."""
    def check(a, b):
        return check_relation_safely(a, b, Step(b, "claim", relation="="), assumptions,
                                     options, set())
    verdict = _compare(lhs, rhs, assumptions.expand, check)
    if verdict is not None:
        return verdict
    difference = sp.expand(assumptions.expand(lhs) - assumptions.expand(rhs))
    for key in ("x_t", "x_tm1", "x_tm2"):
        latent = TABLE[key]
        slope = sp.diff(difference, latent)
        if latent not in difference.free_symbols or slope.has(latent) or slope == 0:
            continue
        solved = sp.expand(latent - difference / slope)
        verdict = _compare(latent, solved, assumptions.expand, check)
        if verdict is not None:
            relations = [f"the step solved for {latent.name}: {latent.name} = {solved}"]
            return verdict.but(relations=relations + list(verdict.relations))
    return None


@dataclass(frozen=True)
class Law:
    """latent = mean + sqrt(variance) * fresh noise, given another latent (a forward law)."""

    latent: sp.Symbol
    given: sp.Symbol
    mean: sp.Expr
    variance: sp.Expr
    text: str


def _compose(outer: Law, inner: Law, text: str) -> Law:
    """outer (latent | middle) after inner (middle | given): means compose, variances add with
    the squared slope."""
    slope = sp.diff(outer.mean, inner.latent)
    return Law(outer.latent, inner.given, outer.mean.xreplace({inner.latent: inner.mean}),
               sp.expand(slope ** 2 * inner.variance + outer.variance), text)


@lru_cache(maxsize=None)
def laws() -> dict:
    """The forward laws of the DDPM chain, keyed (latent, given), computed from diffproof.derive.formulas."""
    x_t, x_tm1, x_tm2, x_0 = (TABLE[k] for k in ("x_t", "x_tm1", "x_tm2", "x_0"))
    alpha_t, alpha_tm1 = TABLE["alpha_t"], TABLE["alpha_tm1"]
    step = F.forward_step()
    t_step = Law(x_t, x_tm1, step.mean, step.variance,
                 "x_t = sqrt(alpha_t) x_{t-1} + sqrt(1 - alpha_t) eps' (Luo Eq. 31, DDPM Eq. 2)")
    shift = {x_t: x_tm1, x_tm1: x_tm2, alpha_t: alpha_tm1}
    tm1_step = Law(x_tm1, x_tm2, step.mean.xreplace(shift), step.variance.xreplace(shift),
                   "x_{t-1} = sqrt(alpha_{t-1}) x_{t-2} + sqrt(1 - alpha_{t-1}) eps' "
                   "(Luo Eq. 31 at t-1)")
    two = _compose(t_step, tm1_step, "x_t = sqrt(alpha_t alpha_{t-1}) x_{t-2} + "
                                     "sqrt(1 - alpha_t alpha_{t-1}) eps' (two forward steps)")
    marginal_t = F.marginal_hypothesis(x_t, TABLE["abar_t"])
    marginal_tm1 = F.marginal_hypothesis()
    out = {}
    for law in (t_step, tm1_step, two,
                Law(x_t, x_0, marginal_t.mean, marginal_t.variance,
                    "x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps' (Luo Eq. 69, DDPM Eq. 4)"),
                Law(x_tm1, x_0, marginal_tm1.mean, marginal_tm1.variance,
                    "x_{t-1} = sqrt(abar_{t-1}) x_0 + sqrt(1 - abar_{t-1}) eps' (Luo Eq. 69 at "
                    "t-1)")):
        out[(law.latent, law.given)] = law
    return out


_ONE_STEP = {("x_t", "x_tm1"), ("x_tm1", "x_tm2")}
_DDPM_PARAMETERS = ("alpha_t", "alpha_tm1", "abar_t", "abar_tm1", "beta_t", "t")


def states_a_law(lhs, rhs, assumptions: Assumptions) -> bool:
    """Whether ``x_s = <affine in x_r and noises>`` states a forward law of more than one step
    (x_t given x_{t-2} or x_0: Luo Eqs. 67, 69 with any noise name), to be checked in
    distribution rather than read as a definition of x_s.  The one-step forward line
    (x_t in terms of x_{t-1}) stays a definition, and so does a right side with parameters
    outside the DDPM schedule (another process), and any step once an assumption defines one
    of the claim's variables."""
    if any(TABLE[k] in assumptions.definitions for k in VARIABLE_KEYS):
        return False
    allowed = {TABLE[k] for k in _DDPM_PARAMETERS}
    for side, other in ((lhs, rhs), (rhs, lhs)):
        other = assumptions.expand(other)
        if not isinstance(side, sp.Symbol) or not noises(other):
            continue
        givens = [(latent, given) for (latent, given) in laws()
                  if latent == side and given in other.free_symbols]
        if len(givens) != 1 or side in other.free_symbols:
            continue
        latent, given = givens[0]
        key = (next(k for k in TABLE.specs if TABLE[k] == latent),
               next(k for k in TABLE.specs if TABLE[k] == given))
        rest = other.free_symbols - {given} - noises(other)
        if key not in _ONE_STEP and rest <= allowed:
            return True
    return False


_PREFERENCE = ("x_tm1", "x_tm2", "x_0")     # the latest given latent first


def _eliminate_latents(left, right) -> tuple[sp.Expr, sp.Expr, list[str]] | None:
    """Replace each latent present on one side only by its law given a latent of the other side
    (fresh noise); None if such a latent has no known law."""
    latents = {TABLE[k] for k in ("x_t", "x_tm1", "x_tm2", "x_0")}
    used = []
    for _ in range(3):
        lf, rf = left.free_symbols & latents, right.free_symbols & latents
        lonely = sorted((lf - rf) | (rf - lf), key=lambda s: s.name)
        if not lonely:
            return left, right, used
        found = None
        for latent in lonely:          # x_0 (never eliminated) may be lonely until x_t is
            other = rf if latent in lf else lf
            found = next((laws()[(latent, TABLE[k])] for k in _PREFERENCE
                          if TABLE[k] in other and (latent, TABLE[k]) in laws()), None)
            if found is not None:
                break
        if found is None:
            return None
        fresh = sp.Symbol(f"eps_{{{found.latent.name}|{found.given.name}}}", real=True)
        value = found.mean + sp.sqrt(found.variance) * fresh
        left, right = left.xreplace({found.latent: value}), right.xreplace({found.latent: value})
        used.append(found.text.replace("eps'", f"eps' (fresh, independent; {fresh.name})"))
    return None


def _affine(expr, noise_symbols) -> tuple[sp.Expr, dict] | None:
    """(deterministic part, {noise: coefficient}) when expr is affine in the noises, else None."""
    coefficients = {}
    for n in noise_symbols:
        c = sp.diff(expr, n)
        if c.free_symbols & noise_symbols:
            return None
        if c != 0:
            coefficients[n] = c
    return expr.xreplace({n: 0 for n in noise_symbols}), coefficients


Checker = Callable[[sp.Expr, sp.Expr], Verdict]


def _compare(lhs, rhs, expand: Callable[[sp.Expr], sp.Expr],
             check: Checker) -> Verdict | None:
    """The verdict on ``lhs = rhs`` read in distribution, or None when that reading does not
    apply (a side without noise, not affine, or both sides use the same noises and no latent is
    eliminated).  expand substitutes definitions; check(a, b) decides a = b (symbolic, then a
    numeric counterexample search)."""
    left, right = expand(sp.sympify(lhs)), expand(sp.sympify(rhs))
    if not (noises(left) | noises(right)):
        return None
    eliminated = _eliminate_latents(left, right)
    if eliminated is None:
        return None
    left, right, used = eliminated
    noise_l, noise_r = noises(left), noises(right)
    if not (noise_l and noise_r):
        return None                  # a deterministic side: the pointwise reading stands
    if noise_l == noise_r and not used:
        return None
    every = noise_l | noise_r
    parts = [_affine(left, every), _affine(right, every)]
    if None in parts:
        return None
    (mean_l, coef_l), (mean_r, coef_r) = parts
    var_l = sum((c ** 2 for c in coef_l.values()), sp.Integer(0))
    var_r = sum((c ** 2 for c in coef_r.values()), sp.Integer(0))
    names = ", ".join(sorted(n.name for n in every))
    relations = used + [f"{READING}: {names}; compared: means {_show(mean_l)} and "
                        f"{_show(mean_r)}, variances (sums of squared noise coefficients) "
                        f"{_show(var_l)} and {_show(var_r)}"]
    verdicts = []
    for what, a, b in (("means", mean_l, mean_r), ("variances", var_l, var_r)):
        verdict = check(a, b)
        if verdict.status == FAILS:
            return verdict.but(reading=READING, relations=relations, reason=(
                f"in distribution the {what} differ (independent standard normal noises "
                f"{names}): lhs {_show(a)}, rhs {_show(b)}; lhs and rhs at the counterexample "
                f"are the {what}" + (f"; {verdict.reason}" if verdict.reason else "")))
        verdicts.append(verdict)
    if any(v.status != HOLDS for v in verdicts):
        undecided = next(v for v in verdicts if v.status != HOLDS)
        return Verdict(UNDECIDED, undecided.method, reason=f"{READING}: {undecided.reason}",
                       reading=READING, relations=relations)
    symbolic = all(v.method == "symbolic" for v in verdicts)
    reasons = "; ".join(v.reason for v in verdicts if v.reason)
    return Verdict(HOLDS, "symbolic" if symbolic else "numeric",
                   reason=f"{READING}" + (f"; {reasons}" if reasons else ""),
                   reading=READING, relations=relations)


def _show(expr) -> str:
    return str(sp.simplify(expr)) if sp.count_ops(expr) < 40 else str(expr)


class DistributionReading(BaseReading):
    """An equality that does not hold pointwise, read in distribution (docs/claims.md 'Steps that hold in
    distribution').  Before the check it records whether the step states a forward law (a latent
    given an earlier one), so it is not taken for a definition."""

    name = READING

    def before(self, state: StepState) -> Verdict | None:
        if state.relation == "=" and not state.elided:
            state.law = states_a_law(state.lhs, state.rhs, state.assumptions)
        return None

    def after(self, state: StepState, verdict: Verdict) -> Verdict:
        if state.relation != "=" or verdict.status == HOLDS or state.unsupported:
            return verdict
        distribution = in_distribution(state.lhs, state.rhs, state.assumptions, state.options)
        if distribution is not None:
            return distribution
        if state.law:
            return Verdict(UNDECIDED, verdict.method, reason=(
                "reads as a forward law (a latent given an earlier one) but is not affine in "
                "standard normal noises, so it was not compared in distribution"))
        return verdict
