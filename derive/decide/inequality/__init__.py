"""Proving inequality steps: ``expr >= 0`` (``expr > 0`` when strict) on the symbols' domain.

Methods, each reported by name in ``InequalityProof.how``:

1. *identically zero*: the difference normalizes to 0 (this refutes a strict inequality);
2. *sign by assumptions*: SymPy's assumptions decide the sign after the positive parametrization
   of bounded symbols (e.g. a sum of squares over positive denominators);
   (2b) *positive by structure* (:mod:`.structure`): a product of factors of known sign, a
   positive base to a real power, an affine function of a bounded variable positive at both ends,
   a difference 0 at the tie of an ordering lo < hi and increasing in hi;
3. *nonnegative terms split off*: the terms of a sum that are nonnegative by (2) are dropped and
   the rest is proved by (4) or (5) (a + b >= 0 when a >= 0 and b >= 0);
4. *convexity*: h is convex in one variable u on its interval (h'' >= 0 there, by (2)) and has a
   critical point c in the interval; a convex function's critical point is its global minimum, so
   h >= h(c), and h(c) >= 0 is proved recursively (fewer variables);
5. *unique critical point*: h' = N/D with N a polynomial in u and D of constant sign on the
   interval, N has exactly one root c in the interval and h''(c) > 0.  A differentiable function
   on an interval whose only critical point is a strict local minimum attains its global minimum
   there (any lower value would force a local maximum, a second critical point), so again
   h >= h(c), proved recursively;
6. *all critical points*: when h' = N/D has several roots in the interval, all of them explicit,
   h >= 0 follows from h >= 0 at each of them and at both ends (limits) of the interval;
7. *monotone*: h' >= 0 on the interval (by (2)) and the limit of h at the interval's left end is
   >= 0 (or h' <= 0 and the limit at the right end is >= 0): then h >= 0 on the whole interval,
   e.g. -ln(1 - x) - x >= 0 on (0, 1).

Soundness guards (each method relies on them):

- *defined on the domain*: a sign is read from an expression (h, h', h'') only when it is
  defined and continuous at every point of the domain (:func:`.sign.defined`): only elementary
  functions, every denominator provably nonzero, every log argument positive, every base of a
  non-integer power positive (nonnegative under a positive exponent).  So 1/(99/100 - abar) is
  not "increasing from its limit at 0", and N/D with N, D >= 0 is signed only where D != 0 is
  already known.
- *guessed domains*: a symbol the claim reader only guessed a domain for (table key
  ``unknown:...``, searched as positive) is reasoned about over the reals (positive only when the
  symbol itself is positive, e.g. a density value).
- *refutations*: a critical point of the domain at which the prover computes a negative value (or
  0, strict) is returned as a counterexample when it satisfies every declared assumption
  (``SymbolTable.admits``, bounds on defined symbols included), confirmed at 50, 100 and 200
  digits; a strict inequality's 0 at the exact point, rational or not (x = sqrt(2)), by
  simplification and to 50 and 100 digits.  A 0 that cannot be confirmed so is returned as
  ``attained``: the checker leaves the strict claim undecided.
- *independent probe* (:func:`.probe.probe`): before a proof is accepted the expression is evaluated
  with mpmath at 50 digits on a grid of the domain, near both ends of each interval and near every
  real root of every denominator, log argument and radicand; a negative (or, strict, exactly 0)
  value or an undefined point rejects the proof, and a negative point of the declared domain is
  the counterexample.

(4)/(5) give Gibbs' inequality x - 1 - ln x >= 0, weighted Jensen for ln, KL >= 0 between
Gaussians or finite distributions, and "the stationary point of the KL is its minimum".  Anything
else is left to numeric evidence, labelled as such by the checker.

The parts: :mod:`.sign` (where an expression is defined on the domain, and its sign by SymPy's
assumptions there), :mod:`.methods` (the recursive prover, methods 1-7), :mod:`.values`
(evaluation at 50-200 digits), :mod:`.refute` (confirming the prover's refutations) and
:mod:`.probe` (the independent probe); this module runs them in limited workers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import sympy as sp

from diffproof.derive.decide.budget import ERROR, InternalError, run_limited
from diffproof.derive.decide.inequality.methods import MAX_DEPTH, Refuted, prove
from diffproof.derive.decide.inequality.probe import probe
from diffproof.derive.decide.inequality.refute import confirmed_point
from diffproof.derive.decide.inequality.sign import admissible, clear_cache, defined
from diffproof.derive.decide.zero import is_zero
from diffproof.derive.symbols import TABLE, SymbolTable


@dataclass
class InequalityProof:
    proved: bool
    how: str
    counterexample: dict | None = None     # {symbol: Fraction or SymPy number}, a confirmed violation
    exact: bool = False                    # the violation is exact (exact point, exact value)
    # strict: the prover computed the value 0 at this point of its domain but could not confirm it
    # as a counterexample (e.g. a guessed domain excludes it): the strict claim is not settled
    attained: dict | None = None


def prove_nonnegative(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0,
                      strict: bool = False) -> InequalityProof:
    """Try to prove ``expr >= 0`` (``expr > 0`` if ``strict``) for every admissible value of its
    symbols, or find a confirmed point where it fails.  The prover runs in a worker limited to
    ``budget`` seconds of CPU time, and so does the independent probe (derive.decide.budget); a probe
    that does not finish leaves the claim unproved."""
    expr = table.expand_definitions(sp.sympify(expr))
    outcome = _unless_bug(run_limited(partial(_search, expr, table, strict), budget))
    how, refuted, is_defined = outcome.value if outcome.ok else (None, None, False)
    note = _NOT_DECIDED if outcome.ok else f"the prover {outcome.describe()}"
    if how is None and refuted is None and is_defined and is_zero(expr, table, budget)[0]:
        how, refuted = (None, ({}, True)) if strict else ("the difference is identically 0", None)
    checked = _unless_bug(run_limited(partial(_settle, expr, table, strict, how, refuted, note),
                                      budget))
    if not checked.ok:
        return InequalityProof(False, f"the independent probe {checked.describe()}; "
                                      f"{how or 'not proved'}")
    return checked.value


def _unless_bug(outcome):
    """An exception raised in diffproof's own prover is a bug (raised again here as an internal
    error), not a reason for "not proved"; SymPy's own failures are."""
    if outcome.kind == ERROR and not outcome.library:
        raise InternalError(outcome.message, outcome.trace)
    return outcome


def _search(expr, table, strict):
    """(proof or None, the prover's refutation (point, zero) or None, expr defined on the
    domain), in the prover's worker."""
    clear_cache()
    try:
        return prove(expr, table, MAX_DEPTH, frozenset(), strict), None, defined(expr, table)
    except Refuted as refuted:
        return None, (refuted.point, refuted.zero), True


def _settle(expr, table, strict, how, refuted, note) -> InequalityProof:
    """The verdict on a proof attempt: a confirmed refutation, else the probe's finding."""
    attained = None
    if refuted is not None:
        found = confirmed_point(expr, table, *refuted)
        if found is not None:
            point, exact = found
            what = "0 (a strict inequality)" if refuted[1] else "negative"
            return InequalityProof(False, f"the prover computed the value {what} at "
                                          f"{_show(point)}, a point of the domain", point, exact)
        if refuted[1]:
            attained = refuted[0]
            note = (f"the prover computed the value 0 at {_show(attained)} (the minimum), not "
                    "confirmed as a point of the declared domain")
    kind, point, counterexample = probe(expr, table, strict)
    if kind == "ok":
        return InequalityProof(how is not None, how or note, attained=attained)
    if kind == "unevaluable":
        bad = "the independent probe cannot evaluate the expression"
    else:
        found = {"undefined": "undefined (or not real)", "negative": "negative",
                 "zero": "0 (a strict inequality)"}[kind]
        bad = f"the independent probe found the value {found} at {_show(point)}" + (
            ", a point of the domain" if admissible(point, table) else _excluded(point, table))
    why = f"the proof ({how}) was rejected: {bad}" if how is not None else f"{note}; {bad}"
    return InequalityProof(False, why, counterexample, exact=kind == "zero", attained=attained)


def _excluded(point: dict, table: SymbolTable) -> str:
    """Why a probe point is no counterexample: a declared bound on a defined symbol, or a domain
    the claim reader guessed."""
    bounds = table.outside_domain(point)
    if bounds:
        return f" (the declared assumption {'; '.join(bounds)} excludes it or is not checked there)"
    return " (a value the domain of a symbol of unknown domain may not contain)"


_NOT_DECIDED = ("sign not decided symbolically (tried on the domain where every term is provably "
                "defined: sign by assumptions, by structure, convexity, unique critical point, "
                "monotonicity)")


def _show(point: dict) -> str:
    return ", ".join(f"{s.name} = {_value_text(s, v)}"
                     for s, v in sorted(point.items(), key=lambda i: i[0].name)) or "(no free symbol)"


def _value_text(symbol, value) -> str:
    """A point's value as text; a CRootOf written in the point's own symbol (SymPy caches real
    roots by the generator-free polynomial, so a root may print with the variable of an earlier
    computation: CRootOf(z**5 - z - 1, 0) for x, after other claims in the same process)."""
    if isinstance(value, sp.CRootOf):
        return f"CRootOf({value.poly.as_expr().xreplace({value.poly.gen: symbol})}, {value.index})"
    return str(value)
