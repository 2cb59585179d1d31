"""Issue 12: a counterexample satisfies every declared and implied assumption.

- the natural domain: both sides real and finite (every radicand and base of a fractional power
  >= 0, every log argument > 0), in derivation files (``proofs.checker``) as in claims;
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from derive.derivation import FAILS, HOLDS, UNDECIDED, Derivation, Step
from derive.symbols import TABLE
from numeric.points import Evaluator, Residual, natural_conditions, natural_domain
from proofs.checker import Options, check_derivation, check_relation

OPTIONS = Options(budget=1, max_examples=30, limit=60)
X_T = TABLE["x_t"]


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
