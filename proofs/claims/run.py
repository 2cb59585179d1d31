"""The entry points of ``diffproof claim``: claims given as text (:func:`check_text`) or every
display of a .tex/.md document (:func:`check_file_text`).

Each claim is read and checked in a worker under the hard limit ``options.limit`` (CPU seconds),
and each of its steps in a worker of its own (docs/limits-safety.md 'Limits and safety'); this process never
parses the text.  The assumptions are read in the claim's worker; an unusable one makes every
claim unparsable, naming it.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import sympy as sp

from diffproof.derive.decide.budget import ERROR as RUN_ERROR, run_each
from diffproof.derive.verdict import FAILS, UNDECIDED
from diffproof.derive.latex.tokens import LatexParseError
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.assumptions import Assumptions, read_assumptions
from diffproof.proofs.claims.dimension import (AT_ONE, DIMENSION, about_dimension,
                                              exact_or_undecided, judged_at_one,
                                              undecided_for_fixed_dimension)
from diffproof.proofs.claims.frames import (check_in_frames, confirmed, exact_in_one_coordinate,
                                           uses_vectors)
from diffproof.proofs.claims.document import extract_assumptions, extract_displays
from diffproof.proofs.claims.pipeline import check_claim
from diffproof.proofs.claims.readings.schedules import declared_over_schedule, schedule_reading
from diffproof.proofs.claims.redefined import clash, undecided_for_clash
from diffproof.proofs.claims.steps import Claim


def check_text(claims: list[tuple[str, int | None]], assumption_lines: list[str],
               options: Options | None = None, table: SymbolTable = TABLE,
               progress=None) -> list[Claim]:
    """Check claims [(latex, line)] under assumptions, each in a worker; a claim whose reading
    overruns the limit is undecided as a whole, and one whose worker broke is an internal error.
    ``progress(done, total)`` is called as each claim is decided."""
    options = options or Options()
    file_text = "\n".join([latex for latex, _ in claims] + list(assumption_lines))
    tasks = [partial(_read_and_check, latex, file_text, list(assumption_lines), i, line, options,
                     table) for i, (latex, line) in enumerate(claims, start=1)]
    report = (lambda done, _: progress(done + 1, len(tasks))) if progress else None
    results = []
    for (i, (latex, line)), outcome in zip(enumerate(claims, start=1),
                                           run_each(tasks, options.limit, backstop=False,
                                                    on_outcome=report)):
        if outcome.ok:
            results.append(outcome.value)
        elif outcome.kind == RUN_ERROR:
            results.append(Claim(i, latex, line, internal=outcome.message))
        else:
            results.append(Claim(i, latex, line, reason=f"reading the claim {outcome.describe()} "
                                                        "(a hard limit; --limit SECONDS raises it)"))
    return results


def check_file_text(text: str, extra_assumptions: list[str] = (),
                    options: Options | None = None, markdown: bool = False,
                    progress=None) -> list[Claim]:
    """Every display of a .tex (or, with ``markdown``, .md: fenced code skipped) document, under
    its ``% assume:`` lines and ``extra_assumptions``."""
    displays = extract_displays(text, markdown=markdown)
    return check_text([(d.latex, d.line) for d in displays],
                      extract_assumptions(text, markdown=markdown) + list(extra_assumptions),
                      options, progress=progress)


def _read_and_check(latex: str, file_text: str, assumption_lines: list[str], index: int,
                    line: int | None, options: Options, table: SymbolTable) -> Claim:
    """In the claim's worker: the assumptions, then the claim."""
    try:
        assumptions = read_assumptions(assumption_lines, table)
    except LatexParseError as error:
        return Claim(index, latex, line, error=f"assumption: {error}")
    claim = None
    vectorial = uses_vectors(latex, assumption_lines)
    checked = lambda frame, prepare: (   # noqa: E731 - the check, in a reading of the vectors
        _check_with_schedule(latex, file_text, frame, index, line, options, prepare))
    if vectorial:                               # every dimension d (proofs.claims.frames)
        claim = check_in_frames(latex, assumption_lines, table, checked)
    in_frames = claim is not None
    if claim is not None and claim.unconfirmed:
        claim = confirmed(claim, _check_with_schedule(latex, file_text, assumptions, index, line,
                                                      options))
    if claim is None:
        claim = _check_with_schedule(latex, file_text, assumptions, index, line, options)
    redefined = [key.name for key in assumptions.definitions
                 if assumptions.table.family_chains({key})]
    reason = clash(latex, assumption_lines, redefined)
    for step in claim.steps if reason else ():
        if _uses_built_in_schedule(step, assumptions):
            step.verdict = undecided_for_clash(step.verdict, reason)
    if in_frames:
        return claim
    if not about_dimension(latex, assumption_lines, _names(claim, assumptions)):
        if vectorial and claim.steps:           # read in one coordinate: exact for every d?
            exact = exact_in_one_coordinate(assumption_lines, table, checked)
            for i, step in enumerate(claim.steps):
                step.verdict = exact_or_undecided(
                    step.verdict, exact[i] if exact and len(exact) == len(claim.steps) else None)
        return claim
    # vectors read in one coordinate and a dimension d: decide at d = 1 (proofs.claims.dimension)
    fixed = any(getattr(key, "name", None) == DIMENSION for key in assumptions.definitions)
    try:                                        # when the user fixes d there is no exact reading
        at_one = None if fixed else read_assumptions(list(assumption_lines) + [AT_ONE], table)
    except LatexParseError:
        at_one = None
    if at_one is not None:
        claim = _check_with_schedule(latex, file_text, at_one, index, line, options)
    for step in claim.steps:
        step.verdict = judged_at_one(step.verdict) if at_one is not None else \
            undecided_for_fixed_dimension(step.verdict)
    return claim


def _uses_built_in_schedule(step, assumptions: Assumptions) -> bool:
    """Whether a step reads a schedule member in its built-in (DDPM) meaning, one the assumptions
    do not define (SNR(t) is abar_t / (1 - abar_t)): only then can a redefinition beside it
    clash (proofs.claims.redefined); a link in the author's symbols alone cannot."""
    symbols = set()
    for side in (step.lhs, step.rhs):
        if isinstance(side, sp.Basic):
            symbols |= side.free_symbols
    table = assumptions.table
    return any(table.family_chains({s}) and s not in assumptions.definitions for s in symbols)


def _names(claim: Claim, assumptions: Assumptions) -> set[str]:
    """The names of the symbols a claim and its assumptions read."""
    names = {getattr(symbol, "name", "") for symbol in assumptions.context.symbols.values()}
    names |= {symbol.name for symbol in assumptions.expand(0).free_symbols}
    for step in claim.steps:
        for side in (step.lhs, step.rhs):
            if isinstance(side, sp.Basic):
                names |= {symbol.name for symbol in side.free_symbols}
    return names


def _check_with_schedule(latex: str, file_text: str, assumptions: Assumptions, index: int,
                         line: int | None, options: Options | None, prepare=None) -> Claim:
    """check_claim with the built-in schedule functions of notation.md this claim reads
    (:func:`proofs.claims.readings.schedules.schedule_reading`), stated in each step's
    relations; a note on an ambiguous schedule goes into every undecided step's reason."""
    defined = set(assumptions.context.functions)
    functions, readings, note = schedule_reading(latex, file_text, defined)
    shadowed = declared_over_schedule(
        latex, file_text, {key for key, f in assumptions.context.functions.items() if f.generic},
        defined)
    readings = readings + shadowed
    if functions:
        context = assumptions.context.copy()
        context.functions.update(functions)
        assumptions = replace(assumptions, context=context)
    claim = check_claim(latex, assumptions, index, line, options, prepare)
    readings = list(readings) + list(assumptions.context.used)   # relations the reading used
    for step in claim.steps:
        if readings:
            step.verdict = step.verdict.but(relations=list(step.verdict.relations) + readings)
        if note and step.verdict.status == UNDECIDED:
            step.verdict = step.verdict.noted(note)
        if shadowed and step.verdict.status == FAILS:
            # a refutation of the generic function may be no refutation of the schedule's
            step.verdict = step.verdict.but(status=UNDECIDED, counterexample=None, reason=(
                f"two readings: {'; '.join(shadowed)}; "
                f"as declared it fails ({step.verdict.reason or 'numeric'}); to check the "
                "schedule's function, drop the declaration, or give the generic function "
                "another name"))
    return claim
