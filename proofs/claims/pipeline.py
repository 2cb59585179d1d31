"""Checking one claim: its steps, each in a worker of its own, through numbered stages.

:func:`check_claim` parses the display into steps (:mod:`proofs.claims.steps`) and checks every
step in a worker under the hard limit; :func:`check_step` turns what SymPy cannot do into
``undecided``, and :func:`_check_step` applies the rules of docs/claims.md one stage at a time, each
stage citing the section that states it: the relation, the readings of the step's symbols
(:mod:`proofs.claims.readings`), the safety net around the checker (:mod:`proofs.claims.safety`),
and the readings tried when the pointwise verdict is not ``holds``.
"""
from __future__ import annotations

import time
from functools import partial

import sympy as sp

from diffproof.derive.decide.budget import library_site, run_each
from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, Verdict
from diffproof.derive.latex.parser import ELLIPSIS
from diffproof.derive.latex.tokens import LatexParseError
from diffproof.derive.symbols import TABLE
from diffproof.proofs.checker import NotCheckable, Options, library_failure, verdict_from_outcome
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.indices import across_indices
from diffproof.proofs.claims.readings.base import StepReading, StepState
from diffproof.proofs.claims.readings.definitions import DEFINITION, DefinitionReading
from diffproof.proofs.claims.readings.distribution import DistributionReading
from diffproof.proofs.claims.readings.model_mean import ModelMeanReading
from diffproof.proofs.claims.readings.prediction import VPredictionReading
from diffproof.proofs.claims.readings.propto import propto_any
from diffproof.proofs.claims.readings.reparametrization import ReparametrizationReading
from diffproof.proofs.claims.readings.tweedie import (ConditionalExpectationReading, MarginalScoreReading,
                                            TweedieReading)
from diffproof.proofs.claims.safety import check_relation_safely, opaque
from diffproof.proofs.claims.singular import singular_division
from diffproof.proofs.claims.steps import (VARIABLE_KEYS, Claim, ClaimStep, build_steps, latex_text,
                                 note_trailers, settle_elided)

# the relations checked, as the checker names them ("<" and ">" are strict)
_REL = {"=": "=", ":=": "=", "propto": "propto", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}

# the readings of a step (proofs.claims.readings), in the order they act: before the check (each
# may extend the assumptions or decide the step; the distribution and Tweedie readings record
# what the definition reading must know) and after it (each may read a verdict again)
_DISTRIBUTION, _TWEEDIE = DistributionReading(), TweedieReading()
BEFORE: tuple[StepReading, ...] = (ConditionalExpectationReading(), VPredictionReading(),
                                   ModelMeanReading(),
                                   ReparametrizationReading(), MarginalScoreReading(),
                                   _DISTRIBUTION, _TWEEDIE, DefinitionReading())
AFTER: tuple[StepReading, ...] = (_DISTRIBUTION, _TWEEDIE)


def check_claim(latex: str, assumptions: Assumptions, index: int = 1, line: int | None = None,
                options: Options | None = None, prepare=None) -> Claim:
    """Parse one display and check each of its steps in a worker under ``options.limit``;
    unparsable input gives a Claim with ``error`` set.  ``prepare(steps)``, if given, rewrites
    the parsed steps before they are checked (the frames of proofs.claims.dimension)."""
    claim = Claim(index, latex, line)
    try:
        claim.steps = build_steps(latex, assumptions)
    except LatexParseError as error:
        claim.error = str(error)
        return claim
    if prepare is not None:
        prepare(claim.steps)
    options = options or Options()
    subject = claim.steps[0].lhs if claim.steps else None
    pending = [step for step in claim.steps if step.verdict is None]
    tasks = [partial(check_elided, step, subject, assumptions, options) if step.elided else
             partial(check_step, step, assumptions, options) for step in pending]
    for step, outcome in zip(pending, run_each(tasks, options.limit)):
        step.verdict = verdict_from_outcome(outcome)
    first = claim.steps[0] if claim.steps else None
    if first is not None and len(claim.steps) > 1 and first.verdict.method == DEFINITION:
        # "g(t) &= A \\ &= B": the first link names A; the chain's content is A = B
        first.verdict = Verdict(HOLDS, DEFINITION, seconds=first.verdict.seconds, reason=(
            "the first link of the chain names the expression on its right; the rest of the "
            "chain is checked (" + first.verdict.reason + ")"))
    settle_elided(claim.steps)
    note_trailers(claim.steps, latex)
    _note_replaced_domains(claim.steps, assumptions)
    return claim


def _note_replaced_domains(steps: list[ClaimStep], assumptions: Assumptions) -> None:
    """A built-in letter read with the assumptions' domain instead of its own (docs/claims.md
    'Assumptions and definitions') is named among the relations of every step that uses it."""
    if not assumptions.notes:
        return
    for step in steps:
        if step.verdict is None:
            continue
        names = {s.name for side in (step.lhs, step.rhs) if isinstance(side, sp.Basic)
                 for s in side.free_symbols}
        for name, note in sorted(assumptions.notes.items()):
            if name in names:
                step.verdict = step.verdict.using([note])


def check_elided(step: ClaimStep, subject, assumptions: Assumptions, options: Options) -> Verdict:
    """``A = \\ldots = B``: the elided steps are not checked; the link holds when the chain's
    subject S (its first left side, e.g. x_t) equals B (pointwise, or in distribution through the
    forward laws), since S = A by the links above.  If S = B is refuted and S is a latent, the
    chain's conclusion is false and this link is where it goes wrong."""
    started = time.perf_counter()
    if subject is None or subject is ELLIPSIS or step.lhs is None:
        verdict = Verdict(UNDECIDED, "none", reason="steps elided with \\ldots, and the chain has "
                                                    "no subject to compare the next line with")
    else:
        probe = ClaimStep(step.index, subject, "=", step.rhs, source=step.source)
        verdict = check_step(probe, assumptions, options, elided=True)
        shown = latex_text(subject)
        probe_reading = verdict.reading or "pointwise"
        verdict = verdict.but(reading=f"elided (\\ldots), checked as {shown} = the right side, "
                                      f"{probe_reading}")
        if verdict.status == HOLDS:
            verdict = verdict.but(reason=(
                f"steps elided with \\ldots are not checked; the link holds because {shown} = "
                f"(the right side) holds ({verdict.method}, {probe_reading}) and {shown} = (the "
                f"left side) by the links above" + (f"; {verdict.reason}" if verdict.reason else "")))
        elif verdict.status == FAILS and subject in {TABLE[k] for k in VARIABLE_KEYS}:
            verdict = verdict.but(reason=f"steps elided with \\ldots; the right side is not equal "
                                         f"to the chain's subject {shown}" +
                                         (f": {verdict.reason}" if verdict.reason else ""))
        else:
            verdict = verdict.but(status=UNDECIDED, counterexample=None, reason=(
                f"steps elided with \\ldots are not checked, and {shown} = (the right side) was "
                f"not decided" + (f": {verdict.reason}" if verdict.reason else "")))
    return verdict.but(seconds=time.perf_counter() - started)


def check_step(step: ClaimStep, assumptions: Assumptions, options: Options,
               elided: bool = False) -> Verdict:
    """The verdict on one step (:func:`_check_step`), timed.  A step the checker cannot state or
    SymPy cannot evaluate is undecided with the reason; any other exception is a bug and
    propagates (the worker reports it as an internal error, exit 3).  A refutation relating
    schedule members of different indices (alphabar_s, alphabar_t) stands only at a point one
    schedule has (:mod:`proofs.claims.indices`; docs/claims.md 'Verdicts and the safeguards
    against refuting a true claim')."""
    started = time.perf_counter()
    verdict = _undecided_if_unchecked(step, assumptions, options, elided)
    if verdict.status == FAILS:
        verdict = across_indices(verdict, step, assumptions, partial(
            _undecided_if_unchecked, step, options=options, elided=elided))
    return verdict.but(seconds=time.perf_counter() - started)


def _undecided_if_unchecked(step: ClaimStep, assumptions: Assumptions, options: Options,
                            elided: bool = False) -> Verdict:
    """:func:`_check_step`, undecided when the checker cannot state the step or SymPy cannot
    evaluate it."""
    try:
        return _check_step(step, assumptions, options, elided)
    except NotCheckable as why:
        return Verdict(UNDECIDED, "none", reason=str(why))
    except Exception as error:  # noqa: BLE001 - SymPy cannot do it: undecided; else a bug
        if not library_failure(error):
            raise
        return Verdict(UNDECIDED, "none", reason=f"SymPy could not evaluate the step "
                                                 f"({library_site(error)}: {error})")


def _check_step(step: ClaimStep, assumptions: Assumptions, options: Options,
                elided: bool = False) -> Verdict:
    """The stages of one step's check; the first stage that decides returns its verdict, with
    the built-in relations it used (``Verdict.relations``, printed as ``using ...``)."""
    # 1. The relation: =, :=, \propto, \le, \ge, <, > are checked; \approx, \neq and membership
    #    are undecided (docs/claims.md 'Checking claims written in LaTeX')
    relation = _REL.get(step.relation)
    if relation is None:
        why = {"approx": "\\approx is an approximation: not checked as an equality",
               "!=": "\\neq claims are not checked", "in": "membership is not checked"}
        return Verdict(UNDECIDED, "none", reason=why.get(step.relation,
                                                         f"relation {step.relation} not checked"))
    # 2. Squared norms of real expressions are squares; parts no number can evaluate (undefined
    #    functions) are set aside for a proof (docs/claims.md 'Built-in relations, definitions and
    #    unknown functions', Model mean and Unknown functions)
    lhs, rhs = _even_norms(sp.sympify(step.lhs)), _even_norms(sp.sympify(step.rhs))
    unsupported = opaque(lhs) | opaque(rhs)
    # 3. \propto: in the variables of the densities met so far, else of every variable present;
    #    with several and no density to choose, in any of them (docs/claims.md 'Checking claims written
    #    in LaTeX')
    wrt: tuple = ()
    if relation == "propto":
        free = lhs.free_symbols | rhs.free_symbols
        wrt = tuple(v for v in step.wrt if v in free)
        if not wrt:
            wrt = tuple(TABLE[k] for k in VARIABLE_KEYS if TABLE[k] in free)
        if not step.wrt_known and len(wrt) > 1:
            return propto_any(lhs, rhs, wrt[:3], assumptions, options, unsupported)
        if not wrt:
            return Verdict(UNDECIDED, "none", reason="\\propto needs a variable (x, x_t, x_{t-1}, "
                                                     "...) on either side")
    # 3b. a denominator that is 0 where the assumptions allow it (zero terminal SNR: x_0 from the
    #    noise at abar_T = 0) makes the formula no number there: undecided, naming the point
    #    (docs/claims.md 'Zero terminal SNR')
    singular = singular_division(lhs, rhs, assumptions)
    if singular is not None:
        return Verdict(UNDECIDED, "none", reason=singular)
    # 4-8. the readings before the check, in this order: E[. | x_t] with Tweedie's formula;
    #    mu_theta through its one kind of prediction, or every reading of it; x_t with the noise
    #    (the reparametrization); the marginal score, decided by what changes at fixed x_t; a step
    #    that names an undefined quantity defines it, unless it states a forward law or has a
    #    reading in conditional expectation (docs/claims.md 'Built-in relations, definitions and unknown
    #    functions': Marginal score, Model mean, Reparametrization, Definitions; 'Steps that hold
    #    in distribution', Latents)
    state = StepState(lhs, rhs, relation, step.source, assumptions, options, elided, unsupported,
                      recheck=lambda read: _check_step(step, read, options, elided))
    state.computed = step.computed
    for reading in BEFORE:
        decided = reading.before(state)
        if decided is not None:
            return _using(decided, state.used)
    # 9. the relation itself, through the safety net (docs/claims.md 'Verdicts and the safeguards
    #    against refuting a true claim')
    claim_step = Step(rhs, "claim", relation=relation, wrt=wrt)
    verdict = check_relation_safely(lhs, rhs, claim_step, state.assumptions, options, unsupported)
    # 10-11. a verdict that is not holds, read again: an equality in distribution (docs/claims.md 'Steps
    #     that hold in distribution'), then a failure with the marginal score in conditional
    #     expectation given x_t (docs/claims.md 'Built-in relations, definitions and unknown functions',
    #     Marginal score)
    for reading in AFTER:
        verdict = reading.after(state, verdict)
    return _using(verdict, state.used)


def _even_norms(expr):
    """|a|^2 -> a^2 (and other even powers) when every symbol of a is real: the squared norms of
    the loss weights (Luo Eqs. 99, 130, 148) then simplify symbolically."""
    def even_abs(node):
        return (isinstance(node, sp.Pow) and isinstance(node.base, sp.Abs) and
                node.exp.is_integer and node.exp.is_even and
                all(s.is_real for s in node.base.args[0].free_symbols) and
                not node.base.args[0].has(sp.I))
    return expr.replace(even_abs, lambda node: node.base.args[0] ** node.exp)


def _using(verdict: Verdict, used: list[str]) -> Verdict:
    """The verdict with the built-in relations the step was read under."""
    return verdict.but(relations=used) if used else verdict
