"""Issue 12: a counterexample satisfies every declared and implied assumption.

- the natural domain: both sides real and finite (every radicand and base of a fractional power
  >= 0, every log argument > 0), in derivation files (``proofs.checker``) as in claims;
- strict inequalities: a minimum 0 the prover computes at an exact (possibly irrational) point
  refutes the strict claim there; unconfirmed, it leaves the claim undecided, never held by
  numeric evidence;
- bounds on defined symbols (``% assume: \\bar\\alpha_t < 1/2`` with abar_t = alpha_t
  abar_{t-1}) and orderings with a defined end hold at every counterexample, evaluated exactly
  through the definitions.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from fractions import Fraction

import pytest
import sympy as sp

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED
from diffproof.derive.decide.inequality import prove_nonnegative
from diffproof.derive.domains import POSITIVE, Domain
from diffproof.derive.symbols import TABLE, SymbolSpec, SymbolTable, abar_t, abar_tm1, alpha_t
from diffproof.numeric.points.evaluate import Evaluator
from diffproof.numeric.points.region import complete
from diffproof.numeric.points.residual import Residual, natural_conditions, natural_domain
from diffproof.numeric.points.search import search
from diffproof.proofs.checker import Options, check_derivation, check_relation, residual_for
from diffproof.proofs.claims.assumptions import read_assumptions
from diffproof.proofs.claims.run import check_text

OPTIONS = Options(budget=1, max_examples=30, limit=60)
X_T = TABLE["x_t"]
X = TABLE["x"]
ROOT2 = sp.sqrt(2)


def derivation(*steps: Step, start=None) -> Derivation:
    return Derivation("domains", "issue 12", list(steps), start=start)


# -- the natural domain --------------------------------------------------------------------------
def test_natural_conditions_name_radicands_fractional_bases_and_log_arguments():
    conditions = natural_conditions(sp.sqrt(X_T) + X_T ** sp.Rational(-1, 3) + sp.log(X_T + 1)
                                    + sp.sqrt(2) + X_T ** 2)
    assert set(conditions) == {(X_T, False), (X_T, True), (X_T + 1, True)}


def test_natural_domain_makes_the_residual_undefined_outside_and_keeps_the_fields():
    target = Residual(sp.sqrt(X_T ** 3) - X_T * sp.sqrt(X_T), sp.sqrt(X_T ** 3),
                      X_T * sp.sqrt(X_T), definitions={"marker": 1})
    guarded = natural_domain(target)
    assert guarded.definitions == {"marker": 1} and guarded.lhs == target.lhs
    evaluator = Evaluator(guarded)
    assert not evaluator.defined({X_T: Fraction(-1)})
    assert evaluator.defined({X_T: Fraction(2)})
    plain = Residual(X_T ** 2 - 1, X_T ** 2, sp.Integer(1))
    assert natural_domain(plain) is plain


def test_a_complex_residual_is_no_violation():
    """The evaluator alone (no guard): sides that are not real at a point never refute there."""
    evaluator = Evaluator(Residual(sp.sqrt(X_T ** 3) - X_T ** sp.Rational(3, 2),
                                   sp.sqrt(X_T ** 3), X_T ** sp.Rational(3, 2)))
    assert not evaluator.violated({X_T: Fraction(-1)})


def test_a_derivation_step_true_where_both_sides_are_real_does_not_fail():
    """Found as a strict xfail in test_soundness_properties: sqrt(x^3) = x sqrt(x) was refuted at
    x = -1, where both sides are complex."""
    result = check_derivation(derivation(Step(X_T * sp.sqrt(X_T), "split the radical"),
                                         Step(2 * sp.log(X_T) - sp.log(X_T), "pull out the log"),
                                         start=sp.sqrt(X_T ** 3)), options=OPTIONS)
    first, second = (r.verdict for r in result.steps)
    assert first.status == HOLDS and first.method == "numeric", first
    assert "both sides are real" in first.reason
    # x sqrt(x) = log(x) is false: refuted where both sides are real
    assert second.status == FAILS and Fraction(second.counterexample["x_t"]) > 0, second


def test_a_step_false_where_both_sides_are_real_still_fails_there():
    verdict = check_relation(sp.sqrt(X_T ** 2), Step(X_T, "drop the square root"),
                             options=OPTIONS)
    assert verdict.status == FAILS
    assert Fraction(verdict.counterexample["x_t"]) < 0
    assert verdict.counterexample["lhs"] == -verdict.counterexample["rhs"] > 0
    verdict = check_relation(sp.sqrt(X_T), Step(X_T, "not an identity"), options=OPTIONS)
    assert verdict.status == FAILS and Fraction(verdict.counterexample["x_t"]) > 0


def test_sides_real_nowhere_are_undecided_not_held():
    verdict = check_relation(sp.sqrt(-1 - X_T ** 2), Step(sp.Integer(0), "no real value"),
                             options=OPTIONS)
    assert verdict.status == UNDECIDED, verdict


# -- strict inequalities whose minimum 0 is attained ------------------------------------------------
def test_the_prover_returns_an_irrational_point_where_the_minimum_is_0():
    proof = prove_nonnegative((X - ROOT2) ** 2, TABLE, 2, strict=True)
    assert not proof.proved and proof.exact and proof.counterexample == {X: ROOT2}, proof


def test_a_strict_step_equal_at_an_irrational_point_fails_there():
    """(x - sqrt 2)^2 > 0 held by numeric evidence: no sampled point hits x = sqrt(2)."""
    verdict = check_relation((X - ROOT2) ** 2, Step(sp.Integer(0), "square", relation=">"),
                             options=OPTIONS)
    assert verdict.status == FAILS and verdict.method == "symbolic", verdict
    assert verdict.details["exact_point"] == {"x": "sqrt(2)"}
    assert abs(verdict.counterexample["x"] - 2 ** 0.5) < 1e-15
    assert "exactly 0" in verdict.reason
    reversed_ = check_relation(sp.Integer(0), Step((X + 3 * ROOT2) ** 2 * (X ** 2 + 1), "",
                                                   relation="<"), options=OPTIONS)
    assert reversed_.status == FAILS and reversed_.details["exact_point"] == {"x": "-3*sqrt(2)"}


def test_a_strict_derivation_step_fails_and_its_non_strict_twin_is_proved():
    result = check_derivation(derivation(Step(sp.Integer(0), "a square", relation=">"),
                                         start=(X - ROOT2) ** 2), options=OPTIONS)
    assert result.status == FAILS and result.steps[0].verdict.details["exact"], result.steps
    weak = check_relation((X - ROOT2) ** 2, Step(sp.Integer(0), "a square", relation=">="),
                          options=OPTIONS)
    assert weak.status == HOLDS and weak.method == "symbolic", weak


def test_true_strict_inequalities_still_hold():
    for lhs in (X ** 2 + 1, (X - ROOT2) ** 2 + sp.Rational(1, 10 ** 6)):
        verdict = check_relation(lhs, Step(sp.Integer(0), "positive", relation=">"),
                                 options=OPTIONS)
        assert verdict.status == HOLDS, (lhs, verdict)


def test_a_minimum_0_outside_the_declared_domain_is_undecided_not_held():
    """A domain the claim reader guessed (positive) excludes the prover's point x = -sqrt(2):
    the strict claim is not settled, and numeric evidence (no point hits the root) must not
    hold it."""
    y = sp.Symbol("y", real=True)
    table = TABLE.with_domains([y], POSITIVE)
    verdict = check_relation((y + ROOT2) ** 2, Step(sp.Integer(0), "", relation=">"),
                             table=table, options=OPTIONS)
    assert verdict.status == UNDECIDED, verdict
    assert verdict.details["attained"] == {"y": "-sqrt(2)"}


def diffproof(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "diffproof", *argv], capture_output=True,
                          text=True, timeout=300)


def test_the_claim_command_refutes_a_strict_claim_at_an_irrational_point():
    done = diffproof("claim", r"(x-\sqrt{2})^2 > 0")
    assert done.returncode == 1 and "claim 1: fails" in done.stdout, done.stdout + done.stderr
    assert "x = sqrt(2)" in done.stdout
    done = diffproof("claim", r"x^2 + 1 > 0")
    assert done.returncode == 0 and "claim 1: holds" in done.stdout, done.stdout + done.stderr


# -- bounds on defined symbols ---------------------------------------------------------------------
def claim(text: str, *assumptions: str):
    (result,) = check_text([(text, None)], list(assumptions), OPTIONS)
    (step,) = result.steps
    return step.verdict


def point_of(verdict) -> dict:
    names = {"alpha_t": alpha_t, "abar_tm1": abar_tm1}
    return {names[k]: Fraction(v) if isinstance(v, str) else Fraction(v)
            for k, v in verdict.counterexample.items() if k in names}


def test_a_claim_true_under_a_bound_on_a_defined_symbol_does_not_fail():
    """abar_t <= 1/2 was refuted at alpha_t = 2/3, abar_{t-1} = 1 (abar_t = 2/3), a point the
    assumption abar_t < 1/2 excludes."""
    verdict = claim(r"\bar\alpha_t \le 1/2", r"\bar\alpha_t < 1/2")
    assert verdict.status == HOLDS, verdict


def test_a_claim_false_under_the_bound_fails_at_a_point_satisfying_it():
    verdict = claim(r"\bar\alpha_t \le 1/4", r"\bar\alpha_t < 1/2")
    assert verdict.status == FAILS, verdict
    point = point_of(verdict)
    assert Fraction(1, 4) < point[alpha_t] * point[abar_tm1] < Fraction(1, 2), verdict


def test_the_simplest_points_honour_bounds_on_user_defined_symbols():
    """y = h^2 - 1 with y > 0 (so h > 1): the claim holds there.  The first simple points were
    tried without the bound, and refuted it at h = 1/2 (y = -3/4)."""
    assumptions = ("h > 0", "y > 0", "y = h^2 - 1")
    assert claim(r"\sqrt{(h^2-1)^2} = h^2 - 1", *assumptions).status == HOLDS
    verdict = claim(r"\sqrt{(h^2-1)^2} = 1 - h^2", *assumptions)
    assert verdict.status == FAILS and Fraction(verdict.counterexample["h"]) > 1, verdict


@pytest.mark.parametrize("assumption, true_claim, false_claim, bound", [
    (r"\bar\alpha_t > 1/2", r"\alpha_t > 1/2", r"\alpha_t > 3/4",
     lambda p: p[alpha_t] * p[abar_tm1] > Fraction(1, 2)),
    (r"\beta_t < \bar\alpha_t", r"\alpha_t > 1/2", r"\alpha_t > 2/3",
     lambda p: 1 - p[alpha_t] < p[alpha_t] * p[abar_tm1]),
], ids=["lower-bound", "ordering"])
def test_bounds_through_definitions_constrain_the_free_symbols(assumption, true_claim, false_claim,
                                                                bound):
    """A bound on abar_t (or an ordering beta_t < abar_t) constrains alpha_t even in a claim
    that names alpha_t alone: the point gets abar_{t-1} too, and must satisfy it."""
    assert claim(true_claim, assumption).status == HOLDS
    verdict = claim(false_claim, assumption)
    assert verdict.status == FAILS, verdict
    assert bound(point_of(verdict)), verdict


def narrowed_table(**domains) -> SymbolTable:
    return TABLE.declare(*[replace(TABLE.specs[key], domain=domain)
                           for key, domain in domains.items()])


def test_derivation_checks_honour_bounds_on_defined_symbols():
    table = narrowed_table(abar_t=Domain(lo=0.0, hi=0.5))
    verdict = check_relation(abar_t, Step(sp.Rational(1, 2), "bound", relation="<="),
                             table=table, options=OPTIONS)
    assert verdict.status == HOLDS, verdict
    verdict = check_relation(abar_t, Step(sp.Rational(1, 4), "too low", relation="<="),
                             table=table, options=OPTIONS)
    assert verdict.status == FAILS and table.admits(point_of(verdict)), verdict


def test_derivation_definitions_with_a_declared_bound_constrain_points():
    """A derivation's own definition (y = x^2) and a bound on y (y < 1) in its table."""
    y = sp.Symbol("y", real=True)
    table = TABLE.declare(SymbolSpec("y", y, "y", "a defined quantity", Domain(hi=1.0)))
    steps = [Step(sp.Integer(1), "the bound", relation="<"),
             Step(sp.Rational(1, 2), "too low", relation="<", lhs=X ** 2)]
    result = check_derivation(Derivation("d", "y", steps, start=y, definitions={y: X ** 2}),
                              table=table, options=OPTIONS)
    first, second = (r.verdict for r in result.steps)
    assert first.status == HOLDS, first
    assert second.status == FAILS and abs(second.counterexample["x"]) < 1, second


def test_bounds_on_defined_symbols_are_checked_exactly():
    table = read_assumptions([r"\bar\alpha_t \le 1/2"]).table
    above = {alpha_t: Fraction(1, 2) + Fraction(1, 10 ** 30), abar_tm1: Fraction(1)}
    assert table.outside_domain(above) == ["0 < abar_t <= 1/2"]   # float(abar_t) is 0.5
    assert not table.admits(above)
    assert table.admits({alpha_t: Fraction(1, 2), abar_tm1: Fraction(1)})
    assert table.outside_domain({alpha_t: Fraction(1, 2)}) == ["0 < abar_t <= 1/2"]  # unchecked
    assert TABLE.derived_bounds() == []          # the notation's own domains are implied


def test_completion_and_search_respect_bounds_on_defined_symbols():
    table = read_assumptions([r"\bar\alpha_t > 1/2"]).table
    point = complete({alpha_t: Fraction(2, 3)}, table)
    assert point is not None and point[alpha_t] * point[abar_tm1] > Fraction(1, 2)
    assert complete({alpha_t: Fraction(1, 3)}, table) is None
    target = residual_for(alpha_t, Step(sp.Rational(9, 10), "", relation=">="), {}, table)
    found, _ = search(target, table, max_examples=60)
    assert found is not None
    assert Fraction(found["alpha_t"]) * Fraction(found["abar_tm1"]) > Fraction(1, 2)
