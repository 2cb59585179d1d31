"""The checker: runs every step of a derivation and returns one verdict per step.

For a step ``lhs REL expr``:

1. symbolic: the residual (lhs - expr; for ``propto`` the derivative of the log-ratio in each
   ``wrt`` variable; for inequalities the difference) is reduced by cheap normal forms, then
   ``simplify`` inside a time budget (a residual with Min/Max: first the case split of
   derive.decide.cases) -> ``holds`` (symbolic);
2. numeric: a counterexample search at simple rational points, then at Hypothesis-drawn points,
   evaluated at 50 digits and confirmed at 100 -> ``fails`` with the counterexample, or, when
   nothing was found, ``holds`` (numeric): evidence, not proof, and labelled so.  Points satisfy
   every declared assumption (bounds on defined symbols too) and lie in the natural domain of
   both sides (numeric.points.residual.natural_domain), where both sides must be real;
3. the step's extra ``checks`` (Monte Carlo, closed forms, rules) run too; any failure fails the
   step, and they decide the steps that have no symbolic residual.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Sequence

import sympy as sp

from diffproof.derive.decide.budget import (ERROR as RUN_ERROR, Outcome, library_failure, library_site,
                                  run_limited, run_stages)
from diffproof.derive.decide.cases import decide_by_cases
from diffproof.derive.decide.inequality import prove_nonnegative
from diffproof.derive.decide.zero import is_zero
from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import (ERROR, FAILS, HOLDS, PROOF_METHODS, UNDECIDED, BoundEvidence,
                            Method, ProbeEvidence, Verdict)
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.numeric.points.evaluate import Evaluator
from diffproof.numeric.points.region import complete, simple_values
from diffproof.numeric.points.residual import Residual, natural_domain
from diffproof.numeric.points.search import search
from diffproof.proofs.report.notebook import derivation_markdown


@dataclass
class Options:
    numeric: bool = True
    seed: int = 0
    budget: float = 2.0          # CPU seconds of symbolic simplification per step
    limit: float = 60.0          # hard limit: CPU seconds for a whole step (or reading a claim)
    max_examples: int = 100      # Hypothesis points per numeric check
    run_checks: bool = True      # run the steps' extra checks (Monte Carlo and the like)
    jobs: int = 1                # worker processes checking side by side (check_derivations)


@dataclass
class StepResult:
    index: int
    step: Step
    lhs: sp.Expr | None
    verdict: Verdict
    extra: list[Verdict] = field(default_factory=list)


@dataclass
class DerivationResult:
    derivation: Derivation
    steps: list[StepResult]
    seconds: float

    @property
    def status(self) -> str:
        statuses = {r.verdict.status for r in self.steps}
        if ERROR in statuses:
            return ERROR
        if FAILS in statuses:
            return FAILS
        if UNDECIDED in statuses:
            return UNDECIDED
        return HOLDS

    def first_failure(self) -> StepResult | None:
        return next((r for r in self.steps if r.verdict.status == FAILS), None)

    def _repr_markdown_(self) -> str:
        """In a notebook: a table of the steps with their verdicts (proofs.report.notebook)."""
        return derivation_markdown(self)


class NotCheckable(Exception):
    """The step's relation cannot be checked as stated (the reason says why)."""


def residual_for(lhs: sp.Expr, step: Step, definitions: dict, table: SymbolTable) -> Residual:
    """The residual that must vanish (or be >= 0) for the step to hold; definitions expanded."""
    left = table.expand_definitions(sp.sympify(lhs), definitions)
    right = table.expand_definitions(sp.sympify(step.expr), definitions)
    left, right = _doit(left), _doit(right)
    extra = dict(definitions) or None      # a declared bound on one of these constrains points
    if step.relation == "=":
        if isinstance(left, sp.exp) and isinstance(right, sp.exp):
            # exp is injective on the reals: compare the exponents (smaller, faster residual)
            return Residual(left.args[0] - right.args[0], left, right, definitions=extra)
        return Residual(left - right, left, right, definitions=extra)
    if step.relation == "propto":
        eliminated = [v for v in step.wrt if v in (definitions or {}) or v in table.definitions]
        if eliminated:
            names = ", ".join(str(v) for v in eliminated)
            raise NotCheckable(f"proportional in {names}, but a definition expresses {names} "
                               "through other symbols, so the claim no longer depends on it as a "
                               "variable; drop the definition to check the proportionality")
        log_ratio = sp.expand_log(sp.log(left), force=True) - sp.expand_log(sp.log(right), force=True)
        parts = [sp.diff(log_ratio, v) for v in step.wrt]
        # one residual per variable; vanishing of their squares' sum at real points is equivalent
        residual = parts[0] if len(parts) == 1 else sp.Add(*[p ** 2 for p in parts])
        return Residual(residual, left, right, definitions=extra)
    if step.relation in (">=", ">"):      # ">" / "<": strict, see check_relation
        return Residual(left - right, left, right, kind="nonneg", definitions=extra)
    return Residual(right - left, left, right, kind="nonneg", definitions=extra)


def _prover_refutation(proof, target: Residual, table: SymbolTable, strict: bool) -> Verdict | None:
    """The inequality prover's (or its probe's) point as a refutation, when it is one: completed
    with values for the symbols that cancel from the difference and those the assumptions tie to
    it, satisfying every declared assumption (bounds on defined symbols included), both sides
    real there (``target`` is guarded to the natural domain), and violated: stably at 50/100/200
    digits, or, for a strict inequality, exactly 0 (the prover's exact point, rational or not).
    A strict inequality whose difference is 0 at a point not confirmed so (the prover's
    ``attained``, or an admissible exact point outside the natural domain) is undecided: numeric
    evidence would only sample around that point.  None: the point decides nothing."""
    evaluator = Evaluator(target)
    point = _declared_point(proof.counterexample, evaluator.symbols, table, target.definitions)
    exact_zero = proof.exact and strict
    if point is not None and (evaluator.defined(point) if exact_zero else evaluator.violated(point)):
        rational = all(isinstance(v, Fraction) for v in point.values())
        return Verdict(FAILS, "symbolic" if proof.exact else "numeric",
                       counterexample=evaluator.report(point), how=proof.how,
                       evidence=BoundEvidence(exact=proof.exact,
                                              exact_point=None if rational else _exact_text(point)),
                       reason=None if rational else (
                           f"{proof.how}: lhs - rhs is exactly 0 there (by simplification and "
                           "to 50 and 100 digits; the point above is rounded to floats)"))
    unsettled = proof.attained or (point if exact_zero else None)
    if not (strict and unsettled):
        return None
    return Verdict(UNDECIDED, "symbolic", how=proof.how,
                   evidence=BoundEvidence(attained=_exact_text(unsettled)),
                   reason=f"{proof.how}; the difference is 0 there, but the point was not "
                          "confirmed as a counterexample (declared and natural domain, both "
                          "sides real), so the strict inequality is not decided")


def _declared_point(values: dict | None, symbols, table: SymbolTable, definitions) -> dict | None:
    """``values`` with every symbol of ``symbols`` and every symbol the assumptions tie to them,
    when that satisfies every declared assumption (else None): a rational point is completed
    with simple values (numeric.points.region.complete), an irrational one must be complete already
    and is checked exactly."""
    if values is None:
        return None
    point = {s: simple_values(s, table)[0] for s in symbols if s not in values}
    point.update(values)
    if all(isinstance(v, Fraction) for v in point.values()):
        return complete(point, table, definitions)
    linked = set(table.linked_symbols(point, definitions)) <= set(point)
    return point if linked and table.admits(point, definitions) else None


def _exact_text(point: dict) -> dict[str, str]:
    return {s.name: str(v) for s, v in sorted(point.items(), key=lambda item: item[0].name)}


def _doit(expr):
    try:
        return expr.doit() if hasattr(expr, "doit") else expr
    except Exception:  # noqa: BLE001 - leave unevaluated; the numeric stage evaluates it
        return expr


def check_relation(lhs: sp.Expr, step: Step, definitions: dict | None = None,
                   table: SymbolTable = TABLE, options: Options | None = None) -> Verdict:
    """Symbolic, then numeric, verdict for ``lhs step.relation step.expr``."""
    options = options or Options()
    started = time.perf_counter()
    try:
        target = residual_for(lhs, step, definitions or {}, table)
    except NotCheckable as why:
        return Verdict(UNDECIDED, "none", reason=str(why), seconds=time.perf_counter() - started)
    reason = None
    # numeric evaluation only where both sides are real: a point outside the natural domain is no
    # counterexample (sqrt(x^3) = x sqrt(x) at x = -1)
    numeric_target = natural_domain(target)
    if target.kind == "zero":
        if options.numeric:
            # a false step is usually refuted at the first simple point: probe before any algebra
            probe, _ = search(numeric_target, table, seed=options.seed, max_examples=0,
                              simple_limit=12)
            if probe is not None:
                return Verdict(FAILS, "numeric", counterexample=probe,
                               seconds=time.perf_counter() - started, evidence=ProbeEvidence(points="probe"))
        answer = None
        if target.residual.has(sp.Min, sp.Max):
            # a case split on which argument is the extreme one (derive.decide.cases)
            answer, how = decide_by_cases(target.residual, table, options.budget)
        if not answer:
            answer, how = is_zero(target.residual, table, options.budget)
        if answer:
            return Verdict(HOLDS, "symbolic", seconds=time.perf_counter() - started,
                           how=how)
        reason = how
    else:
        strict = step.relation in (">", "<") or getattr(step, "strict", False)
        proof = prove_nonnegative(target.residual, table, options.budget, strict=strict)
        if proof.proved:
            return Verdict(HOLDS, "symbolic", seconds=time.perf_counter() - started,
                           how=proof.how)
        decided = _prover_refutation(proof, numeric_target, table, strict)
        if decided is not None:
            return decided.but(seconds=time.perf_counter() - started)
        reason = proof.how
    if not options.numeric:
        return Verdict(UNDECIDED, "symbolic", reason=f"{reason}; numeric checking disabled",
                       seconds=time.perf_counter() - started)
    counterexample, tried = search(numeric_target, table, seed=options.seed,
                                   max_examples=options.max_examples)
    elapsed = time.perf_counter() - started
    if counterexample is not None:
        return Verdict(FAILS, "numeric", counterexample=counterexample, seconds=elapsed,
                       evidence=ProbeEvidence(points=tried))
    if tried == 0:
        return Verdict(UNDECIDED, "numeric",
                       reason=f"{reason}; the residual could not be evaluated at any admissible point",
                       seconds=elapsed)
    where = "" if numeric_target is target else \
        " where both sides are real (radicands >= 0, log arguments > 0)"
    return Verdict(HOLDS, "numeric", seconds=elapsed,
                   reason=f"not proved symbolically ({reason}); at none of {tried} points{where} "
                          "was the residual nonzero, stable across 50/100/200 digits and above "
                          "its round-off bound: evidence, not proof",
                   evidence=ProbeEvidence(points=tried))


def error_verdict(message: str, trace: str = "") -> Verdict:
    """A check that raised: a bug in diffproof, reported as an error (exit 3), not a verdict."""
    return Verdict(ERROR, "none", reason=f"internal error: {message}", trace=trace)


def verdict_from_outcome(outcome: Outcome, what: str = "the step"):
    """The value of a limited run; an overrun is an undecided verdict naming the limit, an
    exception an error verdict."""
    if outcome.ok:
        return outcome.value
    if outcome.kind == RUN_ERROR:
        return error_verdict(outcome.message, outcome.trace)
    return Verdict(UNDECIDED, "none", reason=f"{what} {outcome.describe()} (a hard limit; "
                                             "--limit SECONDS raises it)")


def limited(work, options: Options, what: str = "the step"):
    """Run ``work()`` in a worker limited to ``options.limit`` CPU seconds (derive.decide.budget)."""
    return verdict_from_outcome(run_limited(work, options.limit), what)


def check_step(lhs, step: Step, derivation: Derivation, table: SymbolTable = TABLE,
               options: Options | None = None) -> tuple[Verdict, list[Verdict]]:
    """Check one step in a worker under the hard limit ``options.limit``."""
    options = options or Options()
    result = limited(partial(_check_step_here, lhs, step, derivation, table, options), options)
    return result if isinstance(result, tuple) else (result, [])


def _check_link(derivation: Derivation, index: int, table: SymbolTable,
                options: Options) -> tuple[Verdict, list[Verdict]]:
    """Step ``index`` of ``derivation``, in the worker."""
    for number, lhs, step in derivation.links():
        if number == index:
            return _check_step_here(lhs, step, derivation, table, options)
    raise IndexError(f"{derivation.id} has no step {index}")


def _check_step_here(lhs, step: Step, derivation: Derivation, table: SymbolTable,
                     options: Options) -> tuple[Verdict, list[Verdict]]:
    started = time.perf_counter()
    main: Verdict | None = None
    if step.expr is not None and step.symbolic and lhs is not None:
        try:
            main = check_relation(lhs, step, derivation.definitions, table, options)
        except Exception as error:  # noqa: BLE001 - classified: library failure or our bug
            if not library_failure(error):
                raise
            main = Verdict(UNDECIDED, "symbolic",
                           reason=f"SymPy could not evaluate the step ({library_site(error)}: {error})")
    if main is not None and main.status == FAILS and _within_float_round_off(main, lhs, step):
        main = Verdict(UNDECIDED, main.method, counterexample=main.counterexample, reason=(
            "the sides differ only within the round-off of the floats in the step (e.g. a "
            "float SymPy computed from sqrt(0.1)); write exact numbers (sp.Rational(1, 10)) to "
            "decide it"))
    extra: list[Verdict] = []
    if options.run_checks:
        for check in step.checks:
            if check.name == Method.NUMERIC and not options.numeric:
                extra.append(Verdict(UNDECIDED, Method.NUMERIC, reason=(
                    "a numeric check, not run: numeric checking is disabled (--no-numeric)")))
                continue
            t0 = time.perf_counter()
            try:
                verdict = check.run(options.seed)
            except Exception as error:  # noqa: BLE001 - classified: library failure or our bug
                if not library_failure(error):
                    raise
                verdict = Verdict(UNDECIDED, check.name,
                                  reason=f"the check raised {library_site(error)}: {error}")
            extra.append(verdict if verdict.seconds else
                         verdict.but(seconds=time.perf_counter() - t0))
    return _combine(main, extra, step, started), extra


def _layer(verdict: Verdict) -> str:
    return f"{verdict.method}: {verdict.status}"


def _within_float_round_off(verdict: Verdict, lhs, step: Step) -> bool:
    """A failure of a step holding binary floats whose residual is at their round-off level."""
    floats = [e for e in (lhs, step.expr) if isinstance(e, sp.Basic) and e.atoms(sp.Float)]
    point = verdict.counterexample or {}
    sides = [abs(v) for v in (point.get("lhs"), point.get("rhs")) if isinstance(v, float)]
    residual = point.get("residual")
    return bool(floats) and isinstance(residual, float) and \
        abs(residual) <= 1e-12 * (1 + sum(sides))


def _combine(main: Verdict | None, extra: list[Verdict], step: Step, started: float) -> Verdict:
    """One verdict from the step's layers (the residual check and the extra checks); the input
    verdicts are not changed.  A step holds only when every layer holds; a layer that is
    undecided makes the step undecided (its reason reported), and a proof contradicted by another
    layer's failure is undecided, both reported: a contradiction means one layer is wrong."""
    elapsed = time.perf_counter() - started
    layers = ([main] if main is not None else []) + list(extra)
    if not layers:
        why = "the step has nothing to check" if not step.checks else \
            "checks were not run (--no-checks)"
        return Verdict(UNDECIDED, "none", reason=why, seconds=elapsed)
    summary = [_layer(v) for v in layers]
    broken = next((v for v in layers if v.status == ERROR), None)
    if broken is not None:
        return broken.but(seconds=elapsed)
    failing = [v for v in layers if v.status == FAILS]
    proofs = [v for v in layers if v.status == HOLDS and v.method in PROOF_METHODS]
    if failing and proofs:
        return Verdict(UNDECIDED, "none", seconds=elapsed, counterexample=failing[0].counterexample,
                       reason=(f"the layers disagree: {_layer(proofs[0])} but "
                               f"{_layer(failing[0])} ({failing[0].reason or 'counterexample'}); "
                               "one of them is wrong"), layers=summary)
    if failing:
        return failing[0].but(seconds=elapsed, layers=summary)
    open_layers = [v for v in layers if v.status != HOLDS]
    if open_layers:
        first = open_layers[0]
        held = [_layer(v) for v in layers if v.status == HOLDS]
        return first.but(status=UNDECIDED, seconds=elapsed, layers=summary,
                       reason=(first.reason or f"{first.method} did not decide") +
                       (f" (also {', '.join(held)}; every layer must hold)" if held else ""))
    best = (proofs or layers)[0]
    return best.but(seconds=elapsed, layers=summary)


def check_derivations(derivations: Sequence, table: SymbolTable = TABLE,
                      options: Options | None = None, progress=None) -> list[DerivationResult]:
    """Check every step of every derivation, each under the hard limit ``options.limit`` (CPU
    seconds), in worker processes that keep SymPy's caches (derive.decide.budget).

    ``derivations`` may hold catalog entries as well (anything with ``build()`` is built here,
    when its turn comes).  The derivations are checked in stages, one per topic
    (:func:`_stages`), up to ``options.jobs`` at a time, and the next topic is built while the
    workers check.
    ``progress(done, total)`` is called after each step (``total``: the steps built so far)."""
    options = options or Options()
    items = list(derivations)
    built: dict[int, Derivation] = {}
    links_of: dict[int, list] = {}
    known = [0, 0]                              # steps built so far, stages prepared

    def prepare(indices):
        def stage():
            tasks = []
            for i in indices:
                built[i] = items[i].build() if hasattr(items[i], "build") else items[i]
                links_of[i] = list(built[i].links())
                # each task names its step by index: a portable (spawned) worker receives the
                # derivation by reference (Derivation.rebuild), never its steps' closures
                tasks += [partial(_check_link, built[i], index, table, options)
                          for index, _, _ in links_of[i]]
            known[0] += len(tasks)
            known[1] += 1
            return tasks
        return stage

    # the same stages for any number of workers: each stage's worker is forked after the stages
    # up to it are built, so every step is checked in the same state whatever ``jobs`` is
    groups = _stages(items)

    def report(done, _):
        # until every stage is built the total is not known: it is shown as at least one more
        total = known[0] if known[1] == len(groups) else max(known[0], done + 1) + 1
        progress(done + 1, total)

    staged = run_stages([prepare(group) for group in groups], options.jobs, options.limit,
                        on_outcome=report if progress else None)
    outcomes = {}
    for group, stage_outcomes in zip(groups, staged):
        flat = [(i, link[0]) for i in group for link in links_of[i]]
        outcomes.update(zip(flat, stage_outcomes))
    results = []
    for i in range(len(items)):
        steps = []
        for index, lhs, step in links_of[i]:
            result = verdict_from_outcome(outcomes[(i, index)])
            verdict, extra = result if isinstance(result, tuple) else (result, [])
            steps.append(StepResult(index, step, lhs, verdict, extra))
        results.append(DerivationResult(built[i], steps, sum(r.verdict.seconds for r in steps)))
    return results


def _stages(items: list) -> list[list[int]]:
    """The items' indices grouped by topic (catalog order within a topic; a derivation without a
    topic alone), the topics in catalog order: one stage each for :func:`check_derivations`.
    The grouping depends only on the input, never on timing."""
    order: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        key = getattr(item, "topic", "") or f"#{index}"
        order.setdefault(key, []).append(index)
    return list(order.values())


def check_derivation(derivation: Derivation, table: SymbolTable = TABLE,
                     options: Options | None = None) -> DerivationResult:
    return check_derivations([derivation], table, options)[0]
