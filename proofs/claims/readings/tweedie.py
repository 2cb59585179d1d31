"""The marginal score and the Tweedie reading (docs/claims.md 'Built-in relations, definitions and unknown
functions', Marginal score; Luo Eqs. 131-133, 151).

nabla log p(x_t) is a function of x_t alone: equated with something that changes with eps_0 or
x_0 at fixed x_t, a step fails *pointwise* (:func:`marginal_score`).  Such a step, and any failing
step with the marginal score and x_0 or the noise, is re-checked in conditional expectation given
x_t, with x_0 and the noise replaced by their conditional means (Tweedie's formula,
:func:`derive.vocabulary.tweedie_x0`): holding there, it is undecided, naming both readings
(:func:`tweedie_reading`).  ``\\mathbb{E}[f \\mid x_t]`` with f affine in x_0 and the noise is
computed by the same formula.
"""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp

from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, ReadingVerdict, Verdict
from diffproof.derive.symbols import TABLE
from diffproof.derive.formulas import tweedie_noise, tweedie_x0
from diffproof.numeric.points.draws import simple_points
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.readings.base import BaseReading, StepState
from diffproof.proofs.claims.readings.reparametrization import (OTHER_LATENTS, reparametrization,
                                                      reparametrization_x0)
from diffproof.proofs.claims.safety import check_relation_safely
from diffproof.proofs.report.points import SIDES, WHERE, format_point

TWEEDIE_READING = "in conditional expectation given x_t (Tweedie, Luo Eq. 133)"
_CONDITIONAL_E = re.compile(r"\\mathbb\s*\{?\s*E\s*\}?\s*\[[^\]]*(\||\\mid)")
CONDITIONAL_E_TEXT = ("E[. | x_t] read with Tweedie's formula: E[x_0 | x_t] = (x_t + (1 - abar_t) "
                      "grad log p(x_t)) / sqrt(abar_t), E[eps_0 | x_t] = -sqrt(1 - abar_t) "
                      "grad log p(x_t) (Luo Eqs. 133, 151)")


def has_conditional_expectation(source: str) -> bool:
    """Whether a step's LaTeX has ``\\mathbb{E}[... | ...]`` (read with Tweedie's formula)."""
    return bool(_CONDITIONAL_E.search(source or ""))


def marginal_score(lhs, rhs, assumptions: Assumptions) -> Verdict | None:
    """A verdict for ``a * score + b = c`` from the dependence of (c - b) / a at fixed x_t."""
    score = TABLE["score"]
    left, right = assumptions.expand(lhs), assumptions.expand(rhs)
    if left.has(score) == right.has(score):
        return None
    side, other = (left, right) if left.has(score) else (right, left)
    x_0, x_t = TABLE["x_0"], TABLE["x_t"]
    hidden = {x_0, TABLE["eps_0"], TABLE["eps"]}
    slope = sp.diff(side, score)
    offset = sp.expand(side - slope * score)
    if slope.has(score) or slope == 0 or (slope.free_symbols | offset.free_symbols) & hidden:
        return None
    target = (other - offset) / slope
    noise = next((n for n in (TABLE["eps_0"], TABLE["eps"]) if target.has(n)), None)
    relation = ""
    if noise is not None and x_0 not in assumptions.definitions and \
            x_t not in assumptions.definitions:
        target = target.xreplace({x_0: reparametrization_x0(noise)})
        relation = f" (with {reparametrization(noise).text})"
    moving = [v for v in (noise, x_0) if v is not None and target.has(v)]
    if not moving:
        return Verdict(UNDECIDED, "none", reason=(
            "the marginal score nabla log p(x_t) depends on the data distribution p(x_0), which "
            "the claim does not fix"))
    var = moving[0]
    others = sorted(target.free_symbols - {var}, key=lambda s: s.name)
    for point in simple_points(others, assumptions.table, 40,
                               definitions=assumptions.definitions):
        subs = {s: sp.Rational(v.numerator, v.denominator) for s, v in point.items()}
        values = []
        for value in (0, 1):
            number = sp.N(target.xreplace({**subs, var: value}), 30)
            # a number, not an expression with an unknown function's value left in it
            values.append(number if number.is_Number and number.is_finite else None)
        if None in values or abs(values[0] - values[1]) < 1e-12:
            continue
        shown = {s.name: str(Fraction(v)) for s, v in point.items()}
        shown[var.name] = "0 and 1"
        if var != x_t and x_t.name not in shown:
            shown[x_t.name] = "any value, the same at both points"
        shown["lhs"] = "nabla log p(x_t): one value, the same at both points"
        shown["rhs"] = f"{float(values[0])} and {float(values[1])}"
        return Verdict(FAILS, "symbolic", counterexample=shown, reason=(
            f"the marginal score nabla log p(x_t) is a function of x_t (and t) only, but the "
            f"other side changes with {var.name} at fixed x_t{relation}; the identity holds for "
            f"the conditional score nabla log q(x_t | x_0), and for the marginal score only in "
            f"expectation over x_0 given x_t (Tweedie)"))
    return None


def tweedie(lhs, rhs, assumptions: Assumptions):
    """Both sides with x_0 and the noise of x_t replaced by their conditional expectations given
    x_t (Tweedie: E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t)), as
    (lhs, rhs, affine), or None when the step has no marginal score, no x_0 or noise, or other
    latents.  ``affine``: both sides are affine in x_0 and the noise, so the substitution is the
    conditional expectation of the claim itself; otherwise it is the claim with x_0 replaced by
    its conditional mean (the reading of Luo Eqs. 142-148)."""
    left, right = assumptions.expand(lhs), assumptions.expand(rhs)
    free = left.free_symbols | right.free_symbols
    x_0, x_t = TABLE["x_0"], TABLE["x_t"]
    if TABLE["score"] not in free or any(TABLE[k] in free for k in OTHER_LATENTS):
        return None
    if any(s in assumptions.definitions for s in (x_t, x_0)):
        return None
    noises = [TABLE[k] for k in ("eps_0", "eps") if TABLE[k] in free]
    hidden = ([x_0] if x_0 in free else []) + noises
    if not hidden:
        return None
    subs = {x_0: tweedie_x0(), **{n: tweedie_noise(n) for n in noises}}
    affine = all(sp.Poly(side, *hidden).total_degree() <= 1 if side.is_polynomial(*hidden)
                 else False for side in (left, right))
    return left.xreplace(subs), right.xreplace(subs), affine


def tweedie_reading(pointwise: Verdict, lhs, rhs, relation: str, assumptions: Assumptions,
                    options: Options) -> Verdict:
    """A step that fails pointwise and contains the marginal score, re-checked with x_0 and the
    noise replaced by their conditional expectations given x_t (Tweedie, Luo Eqs. 131-133, 151):
    if it holds there, the step is ``undecided`` naming both readings; otherwise it fails."""
    pair = tweedie(lhs, rhs, assumptions)
    if pair is None:
        return pointwise
    left, right, affine = pair
    other = check_relation_safely(left, right, Step(right, "claim", relation=relation),
                                  assumptions, options, set())
    reading = TWEEDIE_READING if affine else (
        "with x_0 and the noise replaced by their conditional means given x_t (Tweedie, Luo "
        "Eq. 133; the claim is not affine in them, so this is not the conditional expectation "
        "of both sides)")
    readings = (ReadingVerdict.of("pointwise", pointwise), ReadingVerdict.of(reading, other))
    if other.status == HOLDS:
        point = pointwise.counterexample
        at = f" at {_coordinates(point)} ({format_point(point, only=('lhs', 'rhs'))})" \
            if point else ""
        return pointwise.but(status=UNDECIDED, method=other.method, readings=readings,
                       reason=f"two readings: pointwise: fails{at}; {reading}: holds "
                              f"({other.method})" + ("; say which is meant" if point else ""))
    pointwise = pointwise.but(readings=readings)
    if other.status == FAILS:
        pointwise = pointwise.noted(f"it fails {reading} as well, at "
                                    f"{_coordinates(other.counterexample)}")
    return pointwise


def _coordinates(point: dict | None) -> str:
    """The point's coordinates as a reason quotes them (the sides' values and implied values
    of defined symbols left out)."""
    return format_point(point or {}, skip=SIDES + (WHERE,))


class ConditionalExpectationReading(BaseReading):
    """``E[. | x_t]`` in the step's LaTeX is read with Tweedie's formula (named in the report)."""

    name = "conditional expectation"

    def before(self, state: StepState) -> Verdict | None:
        if has_conditional_expectation(state.source):
            state.used.append(CONDITIONAL_E_TEXT)
        return None


class MarginalScoreReading(BaseReading):
    """``a * score + b = c`` decided by what changes at fixed x_t; a failure is read again in
    conditional expectation given x_t."""

    name = "marginal score"

    def before(self, state: StepState) -> Verdict | None:
        if state.relation != "=":
            return None
        verdict = marginal_score(state.lhs, state.rhs, state.assumptions)
        if verdict is not None and verdict.status == FAILS:
            verdict = tweedie_reading(verdict, state.lhs, state.rhs, state.relation, state.base,
                                      state.options)
        return verdict


class TweedieReading(BaseReading):
    """A failing step with the marginal score and x_0 or the noise, read in conditional
    expectation given x_t.  Before the check it records whether the step has that reading
    (``state.conditional``), so a step it applies to is not taken for a definition."""

    name = TWEEDIE_READING

    def before(self, state: StepState) -> Verdict | None:
        if state.relation == "=" and not state.elided and not state.law:
            state.conditional = tweedie(state.lhs, state.rhs, state.base) is not None
        return None

    def after(self, state: StepState, verdict: Verdict) -> Verdict:
        if verdict.status != FAILS or state.relation == "propto":
            return verdict
        return tweedie_reading(verdict, state.lhs, state.rhs, state.relation, state.base,
                               state.options)
