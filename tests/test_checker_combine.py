"""How a step's layers combine (issue 12, item 6): every layer must hold; an undecided or
erroring layer never lets a proof through; a proof contradicted by another layer is undecided."""
from __future__ import annotations

import time
from dataclasses import dataclass

import sympy as sp

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import ProbeEvidence, Verdict
from diffproof.proofs.checker import Options, _combine, check_derivation

a = sp.Symbol("a", positive=True)


@dataclass
class Fixed:
    """A check that returns a fixed verdict (a stand-in for Monte Carlo, rules, closed forms)."""

    verdict: Verdict

    @property
    def name(self) -> str:
        """A check's name is its method (derive.derivation.Step validates it)."""
        return self.verdict.method

    def run(self, seed: int) -> Verdict:
        return self.verdict


def verdict_of(expr, *checks):
    derivation = Derivation("combine", "combine", start=a + a, steps=[Step(expr, "step", checks=checks)])
    return check_derivation(derivation, options=Options(max_examples=10)).steps[0].verdict


def test_every_layer_holding_gives_the_proof_and_lists_the_layers():
    v = verdict_of(2 * a, Fixed(Verdict("holds", "monte-carlo")))
    assert (v.status, v.method) == ("holds", "symbolic")
    assert v.details["layers"] == ["symbolic: holds", "monte-carlo: holds"]


def test_an_undecided_layer_blocks_a_rules_proof():
    v = verdict_of(None, Fixed(Verdict("holds", "rules")),
                   Fixed(Verdict("undecided", "closed-form", reason="the measure differs")))
    assert v.status == "undecided" and "the measure differs" in v.reason
    assert "rules: holds" in v.reason


def test_a_proof_contradicted_by_a_failing_layer_is_undecided_and_reports_both():
    v = verdict_of(2 * a, Fixed(Verdict("fails", "closed-form", counterexample={"T": 2},
                                        reason="differs by 1.2")))
    assert v.status == "undecided" and "disagree" in v.reason and "differs by 1.2" in v.reason
    assert v.counterexample == {"T": 2}


def test_a_failure_without_a_proof_fails():
    v = verdict_of(None, Fixed(Verdict("holds", "monte-carlo")),
                   Fixed(Verdict("fails", "closed-form", counterexample={"T": 2})))
    assert v.status == "fails" and v.method == "closed-form"


def test_an_erroring_layer_is_an_error_not_a_verdict():
    v = verdict_of(2 * a, Fixed(Verdict("error", "none", reason="internal error: KeyError")))
    assert v.status == "error"


def test_the_layers_verdicts_are_not_changed():
    """Combining builds a new verdict (the old code rewrote the layers' details in place)."""
    main = Verdict("holds", "symbolic", how="normal form")
    inner = Verdict("holds", "monte-carlo", evidence=ProbeEvidence(points=5))
    combined = _combine(main, [inner], Step(2 * a, "step"), time.perf_counter())
    assert combined is not main and combined.layers == ("symbolic: holds", "monte-carlo: holds")
    assert combined.details["layers"] == ["symbolic: holds", "monte-carlo: holds"]
    assert main.details == {"how": "normal form"} and inner.details == {"points": 5}
    assert main.seconds == 0.0 and inner.seconds == 0.0 and main.layers == ()


def test_the_terminal_report_shows_an_error_verdict():
    """An error verdict crashed the terminal report (its mark table had no 'error' key), so an
    internal error surfaced as a second, unrelated internal error."""
    from diffproof.proofs.checker import DerivationResult, StepResult
    from diffproof.proofs.report.terminal import check_report
    derivation = Derivation("broken", "broken", start=a, steps=[Step(a, "step")])
    broken = Verdict("error", "none", reason="internal error: KeyError: 'x'")
    result = DerivationResult(derivation, [StepResult(1, derivation.steps[0], a, broken)], 0.0)
    text = check_report([result])
    assert "[ERROR] error (none)" in text and "internal error: KeyError" in text
