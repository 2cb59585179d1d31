"""The checker: runs every step of a derivation and returns one verdict per step.

For a step ``lhs REL expr``:

1. symbolic: the residual (lhs - expr; for ``propto`` the derivative of the log-ratio in each
   ``wrt`` variable; for inequalities the difference) is reduced by cheap normal forms, then
   ``simplify`` inside a time budget -> ``holds`` (symbolic);
2. numeric: a counterexample search at simple rational points, then at Hypothesis-drawn points,
   evaluated at 50 digits and confirmed at 100 -> ``fails`` with the counterexample, or, when
   nothing was found, ``holds`` (numeric): evidence, not proof, and labelled so;
3. the step's extra ``checks`` (Monte Carlo, closed forms, rules) run too; any failure fails the
   step, and they decide the steps that have no symbolic residual.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy as sp

from derive.derivation import FAILS, HOLDS, UNDECIDED, Derivation, Step, Verdict
from derive.symbols import TABLE, SymbolTable
from derive.zero import is_zero
from numeric.points import Residual, search


@dataclass
class Options:
    numeric: bool = True
    seed: int = 0
    budget: float = 2.0          # seconds of symbolic simplification per step
    max_examples: int = 100      # Hypothesis points per numeric check
    run_checks: bool = True      # run the steps' extra checks (Monte Carlo and the like)


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
        if FAILS in statuses:
            return FAILS
        if UNDECIDED in statuses:
            return UNDECIDED
        return HOLDS

    def first_failure(self) -> StepResult | None:
        return next((r for r in self.steps if r.verdict.status == FAILS), None)


def residual_for(lhs: sp.Expr, step: Step, definitions: dict, table: SymbolTable) -> Residual:
    """The residual that must vanish (or be >= 0) for the step to hold; definitions expanded."""
    left = table.expand_definitions(sp.sympify(lhs), definitions)
    right = table.expand_definitions(sp.sympify(step.expr), definitions)
    left, right = _doit(left), _doit(right)
    if step.relation == "=":
        if isinstance(left, sp.exp) and isinstance(right, sp.exp):
            # exp is injective on the reals: compare the exponents (smaller, faster residual)
            return Residual(left.args[0] - right.args[0], left, right)
        return Residual(left - right, left, right)
    if step.relation == "propto":
        log_ratio = sp.expand_log(sp.log(left), force=True) - sp.expand_log(sp.log(right), force=True)
        parts = [sp.diff(log_ratio, v) for v in step.wrt]
        # one residual per variable; vanishing of their squares' sum at real points is equivalent
        residual = parts[0] if len(parts) == 1 else sp.Add(*[p ** 2 for p in parts])
        return Residual(residual, left, right)
    if step.relation == ">=":
        return Residual(left - right, left, right, kind="nonneg")
    return Residual(right - left, left, right, kind="nonneg")


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
    target = residual_for(lhs, step, definitions or {}, table)
    reason = None
    if target.kind == "zero":
        if options.numeric:
            # a false step is usually refuted at the first simple point: probe before any algebra
            probe, _ = search(target, table, seed=options.seed, max_examples=0, simple_limit=12)
            if probe is not None:
                return Verdict(FAILS, "numeric", counterexample=probe,
                               seconds=time.perf_counter() - started, details={"points": "probe"})
        answer, how = is_zero(target.residual, table, options.budget)
        if answer:
            return Verdict(HOLDS, "symbolic", seconds=time.perf_counter() - started,
                           details={"how": how})
        reason = how
    else:
        from derive.inequality import prove_nonnegative  # noqa: PLC0415 - optional prover

        proof = prove_nonnegative(target.residual, table, options.budget)
        if proof.proved:
            return Verdict(HOLDS, "symbolic", seconds=time.perf_counter() - started,
                           details={"how": proof.how})
        reason = proof.how
    if not options.numeric:
        return Verdict(UNDECIDED, "symbolic", reason=f"{reason}; numeric checking disabled",
                       seconds=time.perf_counter() - started)
    counterexample, tried = search(target, table, seed=options.seed,
                                   max_examples=options.max_examples)
    elapsed = time.perf_counter() - started
    if counterexample is not None:
        return Verdict(FAILS, "numeric", counterexample=counterexample, seconds=elapsed,
                       details={"points": tried})
    if tried == 0:
        return Verdict(UNDECIDED, "numeric",
                       reason=f"{reason}; the residual could not be evaluated at any admissible point",
                       seconds=elapsed)
    return Verdict(HOLDS, "numeric", seconds=elapsed,
                   reason=f"not proved symbolically ({reason}); the residual vanished at {tried} "
                          "points to 35 digits: evidence, not proof",
                   details={"points": tried})


def check_step(lhs, step: Step, derivation: Derivation, table: SymbolTable = TABLE,
               options: Options | None = None) -> tuple[Verdict, list[Verdict]]:
    options = options or Options()
    started = time.perf_counter()
    main: Verdict | None = None
    if step.expr is not None and step.symbolic and lhs is not None:
        try:
            main = check_relation(lhs, step, derivation.definitions, table, options)
        except Exception as error:  # noqa: BLE001 - a step never crashes the run
            main = Verdict(UNDECIDED, "symbolic",
                           reason=f"could not evaluate the step: {type(error).__name__}: {error}")
    extra: list[Verdict] = []
    if options.run_checks:
        for check in step.checks:
            t0 = time.perf_counter()
            try:
                verdict = check.run(options.seed)
            except Exception as error:  # noqa: BLE001
                verdict = Verdict(UNDECIDED, getattr(check, "name", "check"),
                                  reason=f"the check raised {type(error).__name__}: {error}")
            verdict.seconds = verdict.seconds or time.perf_counter() - t0
            extra.append(verdict)
    return _combine(main, extra, step, started), extra


def _combine(main: Verdict | None, extra: list[Verdict], step: Step, started: float) -> Verdict:
    elapsed = time.perf_counter() - started
    failing = next((v for v in ([main] if main else []) + extra if v.status == FAILS), None)
    if failing is not None:
        failing.seconds = elapsed
        return failing
    if main is not None and main.status == HOLDS and main.method == "symbolic":
        main.seconds = elapsed
        if extra:
            main.details["also"] = [f"{v.status} ({v.method})" for v in extra]
        return main
    holding = [v for v in extra if v.status == HOLDS]
    if holding:
        best = holding[0]
        methods = [v.method for v in holding]
        if main is not None:
            methods.append(main.method) if main.status == HOLDS else None
        best.details.setdefault("also", [f"{v.status} ({v.method})" for v in extra[1:]] +
                                ([f"{main.status} ({main.method})"] if main else []))
        best.seconds = elapsed
        return best
    if main is not None:
        main.seconds = elapsed
        return main
    if extra:
        return extra[0]
    if not step.checks:
        return Verdict(UNDECIDED, "none", reason="the step has nothing to check", seconds=elapsed)
    return Verdict(UNDECIDED, "none", reason="checks were not run (--no-checks)", seconds=elapsed)


def check_derivation(derivation: Derivation, table: SymbolTable = TABLE,
                     options: Options | None = None) -> DerivationResult:
    options = options or Options()
    started = time.perf_counter()
    results = []
    for index, lhs, step in derivation.links():
        verdict, extra = check_step(lhs, step, derivation, table, options)
        results.append(StepResult(index, step, lhs, verdict, extra))
    return DerivationResult(derivation, results, time.perf_counter() - started)
