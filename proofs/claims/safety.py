"""The numeric safety net around :func:`proofs.checker.check_relation`: the safeguards against
refuting a true claim (docs/claims.md 'Verdicts and the safeguards against refuting a true claim').

- *simplest points first*: a counterexample at the simplest admissible points, confirmed at 50,
  100 and 200 digits, refutes a step before any simplification budget is spent;
- *natural domain*: a counterexample must lie where every square root, fractional power and
  logarithm of either side is real (:func:`numeric.points.residual.natural_domain`); otherwise
  the search is repeated there, and a claim violated only outside it holds (numeric) where it is
  defined;
- *unknown domains*: a symbol with no known domain is searched as positive first; a refutation
  that needs that guess is undecided, naming the ``% assume:`` that would decide it;
- *not evaluable*: a side that cannot be evaluated anywhere (opaque function, unevaluated
  integral) is never ``holds (numeric)``.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import sympy as sp

from diffproof.derive.decide.analytic import analytic_in
from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, BoundEvidence, ProbeEvidence, Verdict
from diffproof.derive.domains import POSITIVE, REAL, positive_form_of
from diffproof.derive.symbols import SymbolSpec, SymbolTable
from diffproof.numeric.points.draws import simple_points
from diffproof.numeric.points.evaluate import Evaluator
from diffproof.numeric.points.residual import Residual, natural_domain
from diffproof.numeric.points.search import search
from diffproof.proofs.checker import Options, check_relation, residual_for
from diffproof.proofs.claims.assumptions import Assumptions, unknown_symbols
from diffproof.proofs.claims.readings.definitions import (DEFINITION, generic_values, reads_as_definition,
                                                        undeclared_at_several_points)
from diffproof.proofs.claims.readings.noises import is_noise


def check_relation_safely(lhs, rhs, claim_step: Step, assumptions: Assumptions,
                          options: Options, unsupported: set) -> Verdict:
    """The verdict on ``lhs claim_step.relation rhs`` under the assumptions, through every
    safeguard of the module docstring.  ``unsupported`` names the parts that cannot be
    evaluated numerically (:func:`opaque`): then only a proof decides, or the claim with the
    unknown functions' values as free numbers (:func:`generic_values`)."""
    unknown = unknown_symbols(lhs, rhs, assumptions)
    noise = {s for s in unknown if is_noise(s)}       # standard normal: every real value
    unknown -= noise
    base = assumptions.table.with_domains(noise, REAL)
    positive_table = base.with_domains(unknown, POSITIVE)
    real_table = base.with_domains(unknown, REAL)
    definitions = assumptions.definitions
    if unsupported:
        return _unsupported(lhs, rhs, claim_step, assumptions, options, unsupported,
                            positive_table)
    quick = quick_refutation(lhs, claim_step, definitions, positive_table) \
        if options.numeric else None
    if quick is not None:
        return unless_domain_guessed(with_defined_values(quick, lhs, rhs, assumptions), lhs,
                                     claim_step, definitions, real_table, unknown, options)
    verdict = check_relation(lhs, claim_step, definitions, positive_table, options)
    if verdict.status == HOLDS and verdict.method == "symbolic":
        return verdict
    if verdict.status == FAILS:
        verdict = confirm(verdict, lhs, claim_step, definitions, positive_table, options)
        if verdict.status == FAILS:
            verdict = with_defined_values(verdict, lhs, rhs, assumptions)
            return unless_domain_guessed(verdict, lhs, claim_step, definitions, real_table,
                                         unknown, options)
    if verdict.status == HOLDS and verdict.method == "numeric" and \
            not _evaluable(lhs, claim_step, definitions, positive_table):
        return Verdict(UNDECIDED, "numeric", reason="the two sides could not be evaluated at any "
                                                    "sample point (unevaluated integral, sum or "
                                                    "function)")
    if unknown and options.numeric and verdict.status == HOLDS:
        target = _natural_target(lhs, claim_step, definitions, real_table)
        counterexample, _ = search(target, real_table, seed=options.seed,
                                   max_examples=options.max_examples)
        names = ", ".join(sorted(s.name for s in unknown))
        if counterexample is not None:
            return Verdict(UNDECIDED, "numeric", counterexample=counterexample,
                           reason=f"holds for positive {names} (numeric) but not for all real "
                                  f"values: the domain of {names} is unknown; state it with "
                                  f"% assume: (e.g. {sorted(s.name for s in unknown)[0]} > 0)")
        verdict = verdict.but(reason=(verdict.reason or "") +
                              f"; unknown symbols ({names}) taken as real")
    return verdict


def _unsupported(lhs, rhs, claim_step: Step, assumptions: Assumptions, options: Options,
                 unsupported: set, table: SymbolTable) -> Verdict:
    """A step with parts that cannot be evaluated: a proof, else (only undefined functions) the
    step with their values as free numbers, else undecided."""
    verdict = check_relation(lhs, claim_step, assumptions.definitions, table,
                             replace(options, numeric=False))
    if verdict.status == HOLDS:
        return verdict
    # with the assumptions' definitions substituted: gamma(t) reaches a side through
    # \alpha_t^2 = \operatorname{sigmoid}(-\gamma(t)), and is then one value on both sides
    generic = generic_values(assumptions.expand(lhs), assumptions.expand(rhs),
                             declared_domains(assumptions)) if options.numeric else None
    if generic is not None and not (unsupported - {u for u in unsupported
                                                    if u.startswith("the undefined function")}):
        definition = reads_as_definition(generic.lhs, generic.rhs, assumptions, generic.groups) \
            if claim_step.relation == "=" else None
        if definition is not None:
            return Verdict(UNDECIDED, DEFINITION, reason=definition)
        # an unknown function's values and derivatives are any real numbers (a density's values
        # any positive ones): a known domain, so a refutation there is not a guess
        domains = dict(generic.domains)
        for symbol in generic.groups:
            domains.setdefault(symbol, POSITIVE if symbol.is_positive else REAL)
        read = _with_value_domains(assumptions, domains)
        verdict = check_relation_safely(generic.lhs, generic.rhs,
                                        replace(claim_step, expr=generic.rhs), read, options,
                                        set())
        declared = sorted(s.name for s in generic.domains)
        why = (f"the unknown function values {', '.join(generic.names)} taken as independent "
               "numbers (at one point the values and derivatives of a function are arbitrary, and "
               "so are its values at different points)")
        if declared:
            why += (f"; {', '.join(declared)} in the domains the assumptions declare (values "
                    "as bounded, derivatives real)")
        verdict = verdict.but(reason=why + (f"; {verdict.reason}" if verdict.reason else ""))
        if verdict.status == FAILS and generic.pairs:
            free = sp.Tuple(generic.lhs, generic.rhs).free_symbols
            verdict = distinct_arguments(verdict, generic.pairs, read, free)
        return verdict
    several = undeclared_at_several_points(lhs, rhs, declared_domains(assumptions))
    hint = (f"; {', '.join(several)} {'is' if len(several) == 1 else 'are'} met at several "
            "argument lists, which are independent numbers only for a function of its "
            f"arguments' values: declare it so (% assume: {several[0]}(x) \\in \\mathbb{{R}}, "
            "its parameters plain symbols) unless it is a density or a functional such as "
            "Var") if several else ""
    return Verdict(UNDECIDED, "symbolic",
                   reason=f"contains {', '.join(sorted(unsupported))}, which cannot be "
                          f"evaluated numerically, and was not proved symbolically{hint}")


def declared_domains(assumptions: Assumptions) -> dict:
    """Function name -> Domain of the values of each generic function the assumptions declare
    (``% assume: a(t) > 0``)."""
    return {f.body.func.__name__: f.domain for f in assumptions.context.functions.values()
            if f.generic}


def _with_value_domains(assumptions: Assumptions, domains: dict) -> Assumptions:
    """The assumptions with the free symbols standing for declared functions' values and
    derivatives in the table, each with its domain (so none of them is of unknown domain)."""
    if not domains:
        return assumptions
    context = assumptions.context.copy()
    context.table = assumptions.table.declare(*[
        SymbolSpec(f"user:{symbol.name}", symbol, symbol.name, "a value of a declared function",
                   domain, positive_form_of(domain)) for symbol, domain in domains.items()])
    return replace(assumptions, context=context)


def distinct_arguments(verdict: Verdict, pairs: list, assumptions: Assumptions,
                       symbols=()) -> Verdict:
    """A refutation with one function's values at two argument lists as independent numbers
    stands only if no function is forced to take two values at one point: for every pair of
    applications given different values, the argument lists must differ at the counterexample.
    The argument symbols the counterexample leaves free are given simple admissible values
    (added to the point); when no such values separate the arguments, the step is undecided.
    ``symbols``: the symbols of the claim the point gives values to."""
    point = verdict.counterexample or {}
    exact = {name: _exact(value) for name, value in point.items()
             if name not in ("lhs", "rhs", "where", "residual")}
    involved = {}
    for _, left, _, right in pairs:
        for arg in left + right:
            for symbol in assumptions.expand(arg).free_symbols:
                involved[symbol.name] = symbol
    missing = [symbol for name, symbol in sorted(involved.items()) if name not in exact]
    table = assumptions.table
    known = {s.name: s for s in symbols if isinstance(s, sp.Symbol)}
    known.update(involved)
    fixed = {symbol: exact[name] for name, symbol in known.items()
             if name in exact and isinstance(exact[name], sp.Basic)}
    completions = [{}] if not missing else \
        simple_points(missing, table, 40, definitions=assumptions.definitions)
    for completion in completions:
        completion = {s: sp.Rational(v.numerator, v.denominator) for s, v in completion.items()}
        if any(s in fixed and fixed[s] != v for s, v in completion.items()):
            continue                     # a linked symbol the point already gives a value
        values = {**fixed, **completion}
        if missing and not table.admits(values, assumptions.definitions):
            continue
        if all(_apart(pair, exact, values, assumptions) for pair in pairs):
            shown = {s.name: str(completion[s]) for s in missing if s in completion}
            return verdict.but(counterexample=dict(point, **shown), reason=_joined(
                verdict.reason, "one function's values at two argument lists are given "
                                "different numbers only where the argument lists differ at the "
                                "point shown, so no function takes two values at one point"))
    names = "; ".join(f"{a.name} and {b.name}" for a, _, b, _ in pairs)
    return verdict.but(status=UNDECIDED, counterexample=None, reason=_joined(
        verdict.reason, f"the refutation gives different values to applications of one function "
                        f"({names}) whose argument lists could not be shown to differ at the "
                        "counterexample, so it may ask one function for two values at one point; "
                        "what would decide it: a symbolic proof, or the claim with the two values "
                        "named as separate symbols"))


def _apart(pair, exact: dict, values: dict, assumptions: Assumptions) -> bool:
    """Whether the two applications of ``pair`` may take the values of the point: the values
    are equal, or the argument lists differ there (exactly)."""
    a, left, b, right = pair
    if a.name not in exact or b.name not in exact or exact[a.name] == exact[b.name]:
        return True
    for one, other in zip(left, right):
        difference = assumptions.expand(one - other).xreplace(values)
        if difference.is_number and (difference.is_zero is False):
            return True
    return False


def _exact(value):
    """A coordinate of a report as an exact number (a rational string, or a binary float)."""
    if isinstance(value, str):
        try:
            return sp.Rational(value)
        except (TypeError, ValueError):
            return value
    if isinstance(value, float):
        return sp.Rational(*value.as_integer_ratio())
    return value


def opaque(expr) -> set[str]:
    """Undefined functions, unevaluated integrals/sums/derivatives: not evaluable numerically."""
    names = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.core.function.AppliedUndef):
            names.add(f"the undefined function {node.func.__name__}")
        elif isinstance(node, (sp.Indexed,)):
            names.add(f"the indexed symbol {node}")
    return names


def _natural_target(lhs, step: Step, definitions: dict, table: SymbolTable) -> Residual:
    """The checker's residual, made undefined (NaN) outside the natural domain of both sides."""
    return natural_domain(residual_for(lhs, step, definitions, table))


def quick_refutation(lhs, step: Step, definitions, table, limit: int = 40) -> Verdict | None:
    """A counterexample at the simplest admissible points (every declared bound holds there, also
    on the symbols ``definitions`` defines), in the natural domain, confirmed at 50, 100 and 200
    digits, before any symbolic work: a false claim is refuted without spending the
    simplification budget (and a confirmed counterexample cannot be contradicted by it)."""
    target = _natural_target(lhs, step, definitions, table)
    evaluator = Evaluator(target)
    points = simple_points(evaluator.symbols, table, limit, definitions=target.definitions)
    for tried, point in enumerate(points, start=1):
        if evaluator.violated(point):
            return Verdict(FAILS, "numeric", counterexample=evaluator.report(point),
                           evidence=ProbeEvidence(points=tried, stage="simple points"))
    return None


def _evaluable(lhs, step: Step, definitions, table) -> bool:
    """Whether the residual takes a finite value at one of the first simple points."""
    target = residual_for(lhs, step, definitions, table)
    evaluator = Evaluator(target)
    if not evaluator.symbols:
        return evaluator.defined({})
    return any(evaluator.defined(point) for point in
               simple_points(evaluator.symbols, table, 30, definitions=target.definitions))


def confirm(verdict: Verdict, lhs, step: Step, definitions, table, options) -> Verdict:
    """Keep a refutation only if its point is in the natural domain; otherwise search there."""
    if isinstance(verdict.evidence, BoundEvidence) and verdict.evidence.exact:
        # the prover's exact point (e.g. 0 > 0 at an exact 0)
        return verdict

    target = _natural_target(lhs, step, definitions, table)
    evaluator = Evaluator(target)
    point = {}
    for symbol in evaluator.symbols:
        value = verdict.counterexample.get(symbol.name) if verdict.counterexample else None
        if value is None:
            point = None
            break
        point[symbol] = Fraction(value) if isinstance(value, str) else value
    if point is not None and evaluator.violated(point):
        return verdict
    if not options.numeric:
        return Verdict(UNDECIDED, verdict.method, reason=(
            "the refutation's point lies outside the natural domain (a square root or log of a "
            "negative number), and numeric checking is disabled (--no-numeric), so no other "
            "point was searched"))
    counterexample, tried = search(target, table, seed=options.seed,
                                   max_examples=options.max_examples)
    if counterexample is not None:
        return Verdict(FAILS, "numeric", counterexample=counterexample,
                       evidence=ProbeEvidence(points=tried, domain="natural"))
    defined = sum(1 for p in simple_points(evaluator.symbols, table, 60,
                                           definitions=target.definitions)
                  if evaluator.defined(p))
    if defined < 3:
        return Verdict(UNDECIDED, "numeric",
                       reason="violations lie only outside the natural domain (a square root or "
                              "log of a negative number), and too few points inside it were "
                              "evaluated to conclude")
    return Verdict(HOLDS, "numeric", evidence=ProbeEvidence(points=tried, domain="natural"),
                   reason="holds where both sides are real (violations found only where a square "
                          "root or log has a negative argument); no counterexample there at "
                          f"{tried} points: evidence, not proof")


def with_defined_values(verdict: Verdict, lhs, rhs, assumptions: Assumptions) -> Verdict:
    """Add the values of the defined symbols a claim mentions (abar_t = alpha_t abar_{t-1}) at the
    counterexample, so the point reads in the claim's own symbols (key ``where``)."""
    point = verdict.counterexample
    if not point:
        return verdict
    table = assumptions.table
    definitions = dict(table.definitions)
    definitions.update(assumptions.definitions)
    values = {}
    for name, value in point.items():
        if name in ("lhs", "rhs", "residual"):
            continue
        values[name] = sp.Rational(str(value)) if isinstance(value, str) else sp.Float(value, 30)
    by_name = {s.name: s for s in (lhs.free_symbols | rhs.free_symbols) if isinstance(s, sp.Symbol)}
    derived = {}
    for name, symbol in sorted(by_name.items()):
        if symbol in definitions and name not in point:
            expanded = assumptions.expand(symbol)
            subs = {s: values[s.name] for s in expanded.free_symbols if s.name in values}
            value = expanded.xreplace(subs)
            if value.is_number:
                derived[name] = str(value) if value.is_Rational else float(value)
    if derived:
        return verdict.but(counterexample=dict(point, where=derived))
    return verdict


def unless_domain_guessed(verdict: Verdict, lhs, step: Step, definitions, real_table,
                          unknown: set, options: Options) -> Verdict:
    """A refutation found with the unknown-domain symbols searched as positive stands only if it
    does not depend on that guess (issue 12): an equation whose sides are analytic in them
    (derive.decide.analytic: then it fails on every interval), or an inequality whose opposite strict
    inequality is proved for all real values.  Otherwise it is undecided, naming the assumption
    that would decide it."""
    if not unknown:
        return verdict
    names = ", ".join(sorted(s.name for s in unknown))
    target = residual_for(lhs, step, definitions, real_table)
    if step.relation in ("=", "propto"):
        difference = target.lhs - target.rhs if step.relation == "=" else target.residual
        if analytic_in(difference, unknown):
            return verdict.but(reason=_joined(
                verdict.reason, f"the domain of {names} is unknown, but the claim fails on every "
                                f"interval of {names}: both sides are analytic in {names}"))
    else:
        flipped = {">=": "<", "<=": ">"}[step.relation] if not step.strict else \
            {">=": "<=", "<=": ">="}[step.relation]
        opposite = check_relation(lhs, Step(step.expr, "opposite", relation=flipped),
                                  definitions, real_table, replace(options, numeric=False))
        if opposite.proved:
            return verdict.but(reason=_joined(
                verdict.reason, f"the domain of {names} is unknown, but the claim fails for every "
                                f"real value of {names}: the opposite inequality is proved"))
    first = sorted(s.name for s in unknown)[0]
    return verdict.but(status=UNDECIDED, reason=(
        f"fails at the point shown, with {names} taken as positive; the domain of {names} is "
        f"unknown and the claim may hold on another: state it with % assume: (e.g. {first} > 0 "
        f"or {first} < 0)"))


def _joined(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
