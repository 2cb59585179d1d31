"""Checking claims written in LaTeX: displays of a .tex/.md file, or one formula.

A display (``$$...$$``, ``\\[...\\]``, ``equation``, ``align``, ``aligned``, ``gather``, starred or
not) is one claim; a chain ``a &= b \\\\ &= c`` has one step per link.  ``% assume:`` lines give
bounds (``0 < a < 1``, ``a > 0``, ``x \\in \\mathbb{R}``), orderings (``a < b``), symbol
definitions (``\\bar\\alpha_t = ...``) and function definitions (``g(t) = ...``).

Each step is checked by :func:`proofs.checker.check_relation` (symbolic, then a numeric
counterexample search confirmed at 100 and 200 digits), with two safeguards against reporting a
true claim as failing:

- *natural domain*: a counterexample must lie where both sides are real (no square root or
  fractional power of a negative number, no log of a non-positive one); otherwise the search is
  repeated on the natural domain;
- *unknown domains*: a symbol neither in the table nor bounded by an assumption is searched as
  positive first; a refutation that needs a negative value of such a symbol is reported as
  ``undecided`` with the point, asking for an assumption.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from functools import partial
from fractions import Fraction

import sympy as sp

from derive.budget import ERROR as RUN_ERROR, library_site, run_each
from derive.analytic import analytic_in
from derive.derivation import ERROR, FAILS, HOLDS, UNDECIDED, Step, Verdict
from derive.latex.context import Context
from derive.latex.parser import ELLIPSIS
from derive.latex.printer import to_latex
from derive.latex.tokens import LatexParseError, UnsupportedLatexError, tokenize
from derive.notation_reader import (new_context, parse_chain, parse_expression,
                                    parse_function_definition, parse_relation)
from derive.symbols import (POSITIVE, REAL, TABLE, Domain, SymbolSpec, SymbolTable,
                            _unit_interval_form)
from derive.zero import is_zero
from numeric.points import Evaluator, Residual, search, simple_points
from proofs.checker import NotCheckable, Options, library_failure, verdict_from_outcome, check_relation, residual_for
from proofs.claim_context import (DEFINITION, builtin_relation, generic_values, marginal_score,
                                  model_mean, reads_as_definition, tweedie, with_model_mean,
                                  with_relation, schedule_reading)
from proofs.claim_readings import TWEEDIE_READING
from proofs.claim_distribution import in_distribution, is_noise, states_a_law

UNPARSABLE = "unparsable"
VARIABLE_KEYS = ("x", "x_0", "x_t", "x_tm1", "x_tm2", "x_tp1", "z", "eps", "eps_0", "eps_1", "eps_2")


# ---------------------------------------------------------------------------------------------
# reading files
# ---------------------------------------------------------------------------------------------
# linear, size-bounded readers: proofs.claim_document (re-exported here for existing imports)
from proofs.claim_document import (MAX_DISPLAY_CHARS, Display, DocumentError,  # noqa: E402,F401
                                   extract_assumptions, extract_displays, has_relation_safe,
                                   read_document, split_lines)


# ---------------------------------------------------------------------------------------------
# assumptions
# ---------------------------------------------------------------------------------------------
@dataclass
class Assumptions:
    """The parsing context plus what the checker needs: definitions, domains, unknown symbols."""

    context: Context
    definitions: dict = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    @property
    def table(self) -> SymbolTable:
        return self.context.table


def _copy_table(table: SymbolTable) -> SymbolTable:
    return SymbolTable(dict(table.specs), dict(table.definitions), list(table.orderings))


def _simple_values(lo, hi, lo_open, hi_open) -> tuple[Fraction, ...]:
    candidates = [Fraction(1, 2), Fraction(1), Fraction(2), Fraction(1, 3), Fraction(3),
                  Fraction(-1), Fraction(-2), Fraction(1, 4), Fraction(3, 4), Fraction(0)]
    if lo is not None and hi is not None:
        width = Fraction(hi) - Fraction(lo)
        candidates = [Fraction(lo) + width * f for f in (Fraction(1, 2), Fraction(1, 3),
                                                         Fraction(2, 3), Fraction(1, 4),
                                                         Fraction(3, 4))] + candidates
    elif lo is not None:
        candidates = [Fraction(lo) + f for f in (Fraction(1), Fraction(1, 2), Fraction(2),
                                                 Fraction(3))] + candidates
    elif hi is not None:
        candidates = [Fraction(hi) - f for f in (Fraction(1), Fraction(1, 2), Fraction(2))] + candidates
    domain = Domain(lo, hi, lo_open, hi_open)
    out = []
    for c in candidates:
        if domain.contains(float(c)) and c not in out:
            out.append(c)
    return tuple(out[:7])


def make_domain(lo=None, hi=None, lo_open=True, hi_open=True, integer=False) -> Domain:
    """A domain for a bounded user symbol, with sampling ranges and simple values."""
    lo_f = None if lo is None else float(lo)
    hi_f = None if hi is None else float(hi)
    if lo_f is not None and hi_f is not None:
        span = hi_f - lo_f
        sample = (lo_f + 1e-6 * span, hi_f - 1e-6 * span)
    elif lo_f is not None:
        sample = (lo_f + 0.05 if lo_open else lo_f, lo_f + 5.0)
    elif hi_f is not None:
        sample = (hi_f - 5.0, hi_f - 0.05 if hi_open else hi_f)
    else:
        sample = (-3.0, 3.0)
    return Domain(lo_f, hi_f, lo_open, hi_open, sample[0], sample[1],
                  _simple_values(lo, hi, lo_open, hi_open), integer)


def _number(expr) -> sp.Expr | None:
    if expr is None:
        return None
    expr = sp.sympify(expr)
    if expr.is_number and expr.is_finite and expr.is_real:
        return expr
    return None


class AssumptionError(LatexParseError):
    """An assumption line diffproof cannot use."""


def read_assumptions(lines: list[str], table: SymbolTable = TABLE) -> Assumptions:
    """Build the context from ``% assume:`` texts: bounds first, then definitions, in order."""
    context = new_context(_copy_table(table))
    result = Assumptions(context, texts=list(lines))
    pending = []
    for text in lines:
        if len(text) > MAX_DISPLAY_CHARS:
            raise AssumptionError(f"an assumption has {len(text)} characters; at most "
                                  f"{MAX_DISPLAY_CHARS} are read", text[:80], 0)
        for part in _split_assumption(text):
            if _is_definition(part, context):
                pending.append(part)
            else:
                _apply_bound(part, result)
    for part in pending:
        _apply_definition(part, result)
    return result


def _split_assumption(text: str) -> list[str]:
    """``a > 0, b > 0`` -> two parts: split at the commas at depth 0 that end a relation (one
    pass; each comma-separated piece is tokenized once, so the work is linear in the length)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "({["
        depth -= ch in ")}]"
        if ch == "," and depth == 0 and text[i - 1:i] != "\\":
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    parts, current, related = [], [], False
    for number, piece in enumerate(pieces):
        current.append(piece)
        related = related or has_relation_safe(piece)
        if related and number + 1 < len(pieces):
            parts.append(",".join(current))
            current, related = [], False
    parts.append(",".join(current))
    return [p.strip().rstrip(".") for p in parts if p.strip()]


def _is_definition(text: str, context: Context) -> bool:
    try:
        tokens = tokenize(text)
    except LatexParseError:
        return False
    ops = [t for t in tokens if (t.kind == "op" and t.value in ("=", ":=")) or
           (t.kind == "cmd" and t.value in ("\\coloneqq", "\\triangleq", "\\equiv"))]
    return len(ops) == 1 and not any(t.kind == "op" and t.value in "<>" for t in tokens)


def _apply_definition(text: str, result: Assumptions) -> None:
    context = result.context
    function = parse_function_definition(text, context)
    if function is not None:
        key, fdef = function
        context.functions[key] = fdef
        return
    relation = parse_relation(text, context=context)
    lhs, rhs = relation.lhs, relation.rhs
    if isinstance(lhs, sp.Pow) and lhs.exp == 2 and isinstance(lhs.base, sp.Symbol):
        # sigma_t^2 = v defines the positive symbol sigma_t = sqrt(v)
        symbol = lhs.base
        if result.table.spec(symbol) is None:
            _set_domain(symbol, 0, None, True, True, text, result)
            symbol = next(s for s in context.symbols.values() if s.name == symbol.name)
        elif not symbol.is_positive:
            raise AssumptionError(f"assumption '{text}': {symbol} is not positive; define "
                                  f"{symbol} itself", text, 0)
        lhs, rhs = symbol, sp.sqrt(rhs)
    if not isinstance(lhs, sp.Symbol):
        raise AssumptionError(f"assumption '{text}': a definition needs a single symbol or a "
                              "function f(t) on the left", text, 0)
    if lhs in rhs.free_symbols:
        raise AssumptionError(f"assumption '{text}': a definition may not refer to itself", text, 0)
    table_value = result.table.definitions.get(lhs)
    if table_value is not None:
        same, _ = is_zero(result.table.expand_definitions(table_value) -
                          result.table.expand_definitions(rhs), result.table, 1.0)
        if not same:
            raise AssumptionError(
                f"assumption '{text}' contradicts the built-in definition {lhs} = {table_value}",
                text, 0)
        return
    result.definitions[lhs] = rhs


def _apply_bound(text: str, result: Assumptions) -> None:
    context = result.context
    membership = re.match(r"^(.*)\\in\s*(.+)$", text)
    if membership:
        _apply_membership(membership.group(1), membership.group(2), text, result)
        return
    relation = parse_relation(text, context=context)
    terms, ops = relation.terms, relation.ops
    if any(op not in ("<", "<=", ">", ">=") for op in ops):
        raise AssumptionError(f"assumption '{text}': use <, \\le, >, \\ge, \\in or a definition",
                              text, 0)
    if all(op in (">", ">=") for op in ops):
        terms, ops = terms[::-1], [{">": "<", ">=": "<="}[op] for op in ops[::-1]]
    if any(op in (">", ">=") for op in ops):
        raise AssumptionError(f"assumption '{text}': mixed directions", text, 0)
    symbols = [i for i, term in enumerate(terms) if _number(term) is None]
    if len(symbols) == 2 and len(terms) == 2 and all(isinstance(t, sp.Symbol) for t in terms):
        small, large = terms
        for s in (small, large):
            _ensure_spec(s, result)
        result.table.order(small, large)
        return
    if len(symbols) != 1 or not isinstance(terms[symbols[0]], sp.Symbol):
        raise AssumptionError(f"assumption '{text}': bound one symbol by numbers "
                              "(0 < a < 1) or order two symbols (a < b)", text, 0)
    index = symbols[0]
    symbol = terms[index]
    lo = hi = None
    lo_open = hi_open = True
    if index > 0:
        lo, lo_open = _number(terms[index - 1]), ops[index - 1] == "<"
    if index + 1 < len(terms):
        hi, hi_open = _number(terms[index + 1]), ops[index] == "<"
    _set_domain(symbol, lo, hi, lo_open, hi_open, text, result)


def _apply_membership(left: str, right: str, text: str, result: Assumptions) -> None:
    right = right.strip().rstrip(".")
    names = [n.strip() for n in _split_top(left)]
    lo = hi = None
    lo_open = hi_open = True
    integer = False
    compact = right.replace(" ", "")
    if re.fullmatch(r"\\mathbb\{R\}", compact):
        pass
    elif re.fullmatch(r"\\mathbb\{R\}(_\{?(>0|\+)\}?|\^\+|\^\{\+\}|_\+)", compact):
        lo = 0
    elif re.fullmatch(r"\\mathbb\{[NZ]\}(_\{?(>0|\+)\}?|\^\+)?", compact):
        integer = True
        lo, lo_open = 1, False
    else:
        interval = re.fullmatch(r"(\(|\[|\\left\(|\\left\[|\\left\])(.+),(.+?)(\)|\]|\\right\)|"
                                r"\\right\]|\\right\[|\[)", compact)
        if not interval:
            raise AssumptionError(f"assumption '{text}': use \\mathbb{{R}}, \\mathbb{{R}}_{{>0}}, "
                                  "\\mathbb{N} or an interval (a, b), [a, b]", text, 0)
        lo = _number(parse_expression(interval.group(2), context=result.context))
        hi = _number(parse_expression(interval.group(3), context=result.context))
        if lo is None or hi is None:
            raise AssumptionError(f"assumption '{text}': interval ends must be numbers", text, 0)
        lo_open = interval.group(1).endswith("(") or interval.group(1).endswith("]")
        hi_open = interval.group(4).endswith(")") or interval.group(4).endswith("[")
    for name in names:
        symbol = parse_expression(name, context=result.context)
        if not isinstance(symbol, sp.Symbol):
            raise AssumptionError(f"assumption '{text}': {name} is not a symbol", text, 0)
        _set_domain(symbol, lo, hi, lo_open, hi_open, text, result, integer)


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for i, ch in enumerate(text):
        depth += ch in "({["
        depth -= ch in ")}]"
        if ch == "," and depth == 0 and text[i - 1:i] != "\\":
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in parts + [current] if p.strip()]


def _ensure_spec(symbol: sp.Symbol, result: Assumptions) -> None:
    if result.table.spec(symbol) is None:
        _set_domain(symbol, None, None, True, True, "", result)


def _set_domain(symbol, lo, hi, lo_open, hi_open, text, result: Assumptions, integer=False):
    if any(bound is not None and not abs(bound) < 10 ** 300 for bound in (lo, hi)):
        raise AssumptionError(f"assumption '{text}': bounds must lie between -10^300 and 10^300",
                              text, 0)
    table = result.table
    spec = table.spec(symbol)
    if spec is not None:
        known = spec.domain
        widens = (lo is not None and known.lo is not None and lo < known.lo) or \
                 (hi is not None and known.hi is not None and hi > known.hi)
        if widens:
            raise AssumptionError(
                f"assumption '{text}' widens the built-in domain of {spec.key} "
                f"({known.describe(spec.key)})", text, 0)
        if lo is None and known.lo is not None:      # the bounds add up: u > 0 and u < 1
            lo, lo_open = known.lo, known.lo_open
        if hi is None and known.hi is not None:
            hi, hi_open = known.hi, known.hi_open
        domain = make_domain(lo, hi, lo_open, hi_open, integer or known.integer)
        table.specs[spec.key] = SymbolSpec(spec.key, spec.symbol, spec.latex, spec.meaning,
                                           domain, spec.positive_form)
        return
    # a user symbol: recreate it with SymPy assumptions matching the bound
    domain = make_domain(lo, hi, lo_open, hi_open, integer)
    key = next((k for k, s in result.context.created.items() if s == symbol), None)
    assumptions = {"real": True}
    if integer:
        assumptions["integer"] = True
    if lo is not None and lo >= 0:
        assumptions["positive" if (lo > 0 or lo_open) else "nonnegative"] = True
    new = sp.Symbol(symbol.name, **assumptions)
    if key is not None:
        result.context.symbols[key] = new
        del result.context.created[key]
    spec_key = f"user:{new.name}"
    table.specs[spec_key] = SymbolSpec(spec_key, new, new.name, "declared by an assumption",
                                       domain, None)
    if lo is not None and hi is not None and lo == 0 and hi == 1 and lo_open and hi_open:
        table.specs[spec_key] = SymbolSpec(spec_key, new, new.name, "declared by an assumption",
                                           domain, _unit_interval_form)


# ---------------------------------------------------------------------------------------------
# steps and claims
# ---------------------------------------------------------------------------------------------
@dataclass
class ClaimStep:
    index: int
    lhs: sp.Expr
    relation: str
    rhs: sp.Expr
    verdict: Verdict | None = None
    source: str = ""                 # the line of the display this step comes from
    wrt: tuple = ()                  # for propto: the variables of the densities met so far
    wrt_known: bool = False          # the chain starts with a density: wrt is its variable
    elided: bool = False             # "A = \\ldots = B": the author left steps out

    def as_dict(self) -> dict:
        v = self.verdict
        return {"index": self.index, "status": v.status, "method": v.method,
                "counterexample": v.counterexample, "reason": v.reason,
                "relation": self.relation, "line": self.source,
                "lhs": _latex(self.lhs) if self.lhs is not None else None,
                "rhs": _latex(self.rhs) if self.rhs is not None else None,
                "relations": v.details.get("relations", []),
                "reading": v.details.get("reading", "pointwise"),
                "readings": v.details.get("readings"),
                "elided": self.elided,
                "seconds": round(v.seconds, 4)}


@dataclass
class Claim:
    index: int
    latex: str
    line: int | None = None
    steps: list[ClaimStep] = field(default_factory=list)
    error: str | None = None         # unparsable input: what is wrong with it (exit 2)
    internal: str | None = None      # a bug in diffproof met while checking it (exit 3)
    reason: str | None = None        # undecided as a whole (e.g. reading it hit the hard limit)

    @property
    def status(self) -> str:
        if self.internal is not None:
            return ERROR
        if self.error is not None:
            return UNPARSABLE
        statuses = {s.verdict.status for s in self.steps}
        if ERROR in statuses:
            return ERROR
        statuses = {s.verdict.status for s in self.steps}
        if FAILS in statuses:
            return FAILS
        if UNDECIDED in statuses or not self.steps:
            return UNDECIDED
        return HOLDS

    def first_failure(self) -> ClaimStep | None:
        return next((s for s in self.steps if s.verdict.status == FAILS), None)

    def as_dict(self) -> dict:
        out = {"index": self.index, "latex": self.latex.strip(), "line": self.line,
               "status": self.status, "steps": [s.as_dict() for s in self.steps]}
        if self.error is not None:
            out["error"] = self.error
        if self.internal is not None:
            out["internal_error"] = self.internal
        if self.reason is not None:
            out["reason"] = self.reason
        first = self.first_failure()
        out["first_failing_step"] = first.index if first else None
        return out


def _latex(expr) -> str:
    try:
        return to_latex(expr)
    except Exception:  # noqa: BLE001 - display only
        return str(expr)


_REL = {"=": "=", ":=": "=", "propto": "propto", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}


def build_steps(latex: str, assumptions: Assumptions) -> list[ClaimStep]:
    """Parse a display into steps; raises LatexParseError for unparsable input."""
    lines = split_lines(latex)
    if not lines:
        raise LatexParseError("the display is empty", latex, 0)
    assumptions.context.density_variables = []
    subject = None
    steps: list[ClaimStep] = []
    previous = None
    unreadable = None          # why the previous line could not be evaluated
    for number, line in enumerate(lines):
        source = " ".join(line.split())
        try:
            terms, ops = parse_chain(line, assumptions.context, allow_leading=number > 0)
        except UnsupportedLatexError as error:
            steps.append(ClaimStep(len(steps) + 1, None, "?", None, source=source,
                                   verdict=Verdict(UNDECIDED, "none", reason=error.message)))
            previous, unreadable = None, error.message
            continue
        if terms[0] is None:
            if previous is None and unreadable is not None:
                steps.append(ClaimStep(len(steps) + 1, None, ops[0], terms[1], source=source,
                                       verdict=Verdict(UNDECIDED, "none", reason=(
                                           "its left-hand side (the line above) could not be "
                                           f"evaluated: {unreadable}"))))
                terms, ops = terms[1:], ops[1:]
            elif previous is None:
                raise LatexParseError("the first line starts with a relation", line, 0)
            else:
                terms[0] = previous
        unreadable = None
        if not ops and len(terms) == 1 and steps and steps[-1].verdict is not None:
            previous = terms[-1]
            continue
        if not ops:
            raise LatexParseError("no relation (=, \\le, \\propto, ...) in this line of the "
                                  "display", line, 0)
        seen = assumptions.context.density_variables
        if number == 0 and seen and terms[0] is not None and terms[0] == seen[0][1]:
            subject = seen[0][0]          # the chain starts with a density: its variable
        for left, op, right in zip(terms, ops, terms[1:]):
            wrt = (subject,) if subject is not None else \
                tuple(dict.fromkeys(v for v, _ in seen))
            steps.append(ClaimStep(len(steps) + 1, left, op, right, source=source, wrt=wrt,
                                   wrt_known=subject is not None))
        previous = terms[-1]
    return _merge_elided(steps)


def _merge_elided(steps: list[ClaimStep]) -> list[ClaimStep]:
    """``A = \\ldots = B`` (two links through a lone \\ldots) becomes one elided link A = B; a
    \\ldots with nothing on one side is undecided."""
    merged: list[ClaimStep] = []
    for step in steps:
        last = merged[-1] if merged else None
        if last is not None and last.rhs is ELLIPSIS and step.lhs is ELLIPSIS and \
                last.verdict is None and step.verdict is None:
            same = {last.relation, step.relation} <= {"=", ":="}
            last.rhs, last.relation, last.elided = step.rhs, "=" if same else "?", True
            if step.source != last.source:
                last.source = f"{last.source} {step.source}"
            if not same:
                last.verdict = Verdict(UNDECIDED, "none", reason=(
                    "steps elided with \\ldots in a chain of inequalities are not checked"))
            continue
        merged.append(step)
    for number, step in enumerate(merged, start=1):
        step.index = number
        if step.verdict is None and (step.lhs is ELLIPSIS or step.rhs is ELLIPSIS):
            step.verdict = Verdict(UNDECIDED, "none", reason=(
                "\\ldots stands for steps left out, and there is no expression on its other "
                "side to compare with"))
    return merged


def check_claim(latex: str, assumptions: Assumptions, index: int = 1, line: int | None = None,
                options: Options | None = None) -> Claim:
    claim = Claim(index, latex, line)
    try:
        claim.steps = build_steps(latex, assumptions)
    except LatexParseError as error:
        claim.error = str(error)
        return claim
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
    _settle_elided(claim.steps)
    return claim


def _settle_elided(steps: list[ClaimStep]) -> None:
    """An elided link A = \\ldots = B is checked as S = B (S the chain's subject), which decides
    A = B only when S = A is established: every link above is an equality that holds.  After a
    \\le or \\propto link, or a link that did not hold, the elided link is undecided."""
    for number, step in enumerate(steps):
        if not step.elided or step.verdict is None or step.verdict.status not in (HOLDS, FAILS):
            continue
        above = steps[:number]
        loose = [s for s in above if s.relation not in ("=", ":=")]
        open_links = [s for s in above if s.verdict is None or s.verdict.status != HOLDS]
        if loose or open_links:
            why = (f"link {loose[0].index} is a '{loose[0].relation}' relation, not an equality"
                   if loose else f"link {open_links[0].index} above did not hold")
            step.verdict = Verdict(UNDECIDED, step.verdict.method, seconds=step.verdict.seconds,
                                   details=step.verdict.details, reason=(
                                       "steps elided with \\ldots are checked through the "
                                       "chain's subject, which equals this link's left side only "
                                       f"if every link above is a holding equality; {why}"))


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
        shown = _latex(subject)
        probe_reading = verdict.details.get("reading", "pointwise")
        verdict.details = dict(verdict.details, reading=f"elided (\\ldots), checked as {shown} = "
                               f"the right side, {probe_reading}")
        if verdict.status == HOLDS:
            verdict.reason = (f"steps elided with \\ldots are not checked; the link holds because "
                              f"{shown} = (the right side) holds ({verdict.method}, "
                              f"{probe_reading}) and {shown} = (the left side) by the links above" +
                              (f"; {verdict.reason}" if verdict.reason else ""))
        elif verdict.status == FAILS and subject in {TABLE[k] for k in VARIABLE_KEYS}:
            verdict.reason = (f"steps elided with \\ldots; the right side is not equal to the "
                              f"chain's subject {shown}" +
                              (f": {verdict.reason}" if verdict.reason else ""))
        else:
            verdict = Verdict(UNDECIDED, verdict.method, details=verdict.details, reason=(
                f"steps elided with \\ldots are not checked, and {shown} = (the right side) was "
                f"not decided" + (f": {verdict.reason}" if verdict.reason else "")))
    verdict.seconds = time.perf_counter() - started
    return verdict


def check_step(step: ClaimStep, assumptions: Assumptions, options: Options,
               elided: bool = False) -> Verdict:
    started = time.perf_counter()
    try:
        verdict = _check_step(step, assumptions, options, elided)
    except NotCheckable as why:
        verdict = Verdict(UNDECIDED, "none", reason=str(why))
    except Exception as error:  # noqa: BLE001 - SymPy cannot do it: undecided; else a bug
        if not library_failure(error):
            raise
        verdict = Verdict(UNDECIDED, "none", reason=f"SymPy could not evaluate the step "
                                                    f"({library_site(error)}: {error})")
    if verdict.status == FAILS:
        verdict = _across_index_chains(verdict, step, assumptions)
    verdict.seconds = time.perf_counter() - started
    return verdict


def _across_index_chains(verdict: Verdict, step: ClaimStep, assumptions: Assumptions) -> Verdict:
    """Schedule members of different index chains (alphabar_T and alphabar_t) are sampled as
    unrelated, though their indices are ordered (t <= T): a refutation that uses two chains may
    need an order no claim allows, so it is undecided, naming the chains (never a false fail)."""
    symbols = set()
    for side in (step.lhs, step.rhs):
        if isinstance(side, sp.Basic):
            symbols |= side.free_symbols
            symbols |= assumptions.table.expand_definitions(side, assumptions.definitions).free_symbols
    chains = assumptions.table.family_chains(symbols)
    if len(chains) < 2:
        return verdict
    shown = " and ".join(c or "constant indices" for c in chains)
    return Verdict(UNDECIDED, verdict.method, counterexample=verdict.counterexample,
                   details=verdict.details, reason=(
                       f"the refutation relates schedule members of different indices ({shown}), "
                       "taken as unrelated although their order may be known (e.g. t <= T, so "
                       "abar_T <= abar_t); state the relation with % assume: or use one index"
                       + (f"; {verdict.reason}" if verdict.reason else "")))


def _check_step(step: ClaimStep, assumptions: Assumptions, options: Options,
                elided: bool = False) -> Verdict:
    relation = _REL.get(step.relation)
    if relation is None:
        why = {"approx": "an approximation (\\approx) is not an identity",
               "!=": "\\neq claims are not checked", "in": "membership is not checked"}
        return Verdict(UNDECIDED, "none", reason=why.get(step.relation,
                                                         f"relation {step.relation} not checked"))
    lhs, rhs = _even_norms(sp.sympify(step.lhs)), _even_norms(sp.sympify(step.rhs))
    unsupported = _opaque(lhs) | _opaque(rhs)
    wrt: tuple = ()
    if relation == "propto":
        free = lhs.free_symbols | rhs.free_symbols
        # proportional as functions of the densities' variables (q(x | ...), N(x; m, v));
        # without a density, of every variable (x, x_t, ...) present
        wrt = tuple(v for v in step.wrt if v in free)
        if not wrt:
            wrt = tuple(TABLE[k] for k in VARIABLE_KEYS if TABLE[k] in free)
        if not step.wrt_known and len(wrt) > 1:
            return _propto_any(lhs, rhs, wrt[:3], assumptions, options, unsupported)
        if not wrt:
            return Verdict(UNDECIDED, "none", reason="\\propto needs a variable (x, x_t, x_{t-1}, "
                                                     "...) on either side")
    builtin = None
    law = False
    used: list[str] = []
    base = assumptions
    if _CONDITIONAL_E.search(step.source or ""):
        used.append(CONDITIONAL_E_TEXT)
    if relation != "propto":
        kind, parametrizations = model_mean(lhs, rhs, assumptions)
        if kind == "ambiguous":
            return _ambiguous_model_mean(step, parametrizations, assumptions, options, elided)
        if kind == "relation":
            assumptions = base = with_model_mean(assumptions, parametrizations[0])
            used.append(parametrizations[0].text)
        builtin = builtin_relation(lhs, rhs, assumptions)
        if builtin is not None:
            assumptions = with_relation(assumptions, builtin)
            used.append(builtin.text)
        score = marginal_score(lhs, rhs, assumptions) if relation == "=" else None
        if score is not None:
            if score.status == FAILS:
                score = _tweedie_reading(score, lhs, rhs, relation, base, options)
            return _using(score, used)
        law = relation == "=" and not elided and _states_a_law(lhs, rhs, assumptions)
        definition = reads_as_definition(lhs, rhs, assumptions) \
            if relation == "=" and not elided and not law and \
            tweedie(lhs, rhs, base) is None else None
        if definition is not None:
            return Verdict(UNDECIDED, DEFINITION, reason=definition)
    claim_step = Step(rhs, "claim", relation=relation, wrt=wrt)
    verdict = _check_relation_safely(lhs, rhs, claim_step, assumptions, options, unsupported)
    if relation == "=" and verdict.status != HOLDS and not unsupported:
        distribution = _in_distribution(lhs, rhs, assumptions, options)
        if distribution is not None:
            verdict = distribution
        elif law:
            verdict = Verdict(UNDECIDED, verdict.method, reason=(
                "reads as a forward law (a latent given an earlier one) but is not affine in "
                "standard normal noises, so it was not compared in distribution"))
    if verdict.status == FAILS and relation != "propto":
        verdict = _tweedie_reading(verdict, lhs, rhs, relation, base, options)
    return _using(verdict, used)


_CONDITIONAL_E = re.compile(r"\\mathbb\s*\{?\s*E\s*\}?\s*\[[^\]]*(\||\\mid)")
CONDITIONAL_E_TEXT = ("E[. | x_t] read with Tweedie's formula: E[x_0 | x_t] = (x_t + (1 - abar_t) "
                      "grad log p(x_t)) / sqrt(abar_t), E[eps_0 | x_t] = -sqrt(1 - abar_t) "
                      "grad log p(x_t) (Luo Eqs. 133, 151)")


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
    if used:
        verdict.details["relations"] = list(used)
    return verdict


def _point_text(counterexample: dict | None) -> str:
    if not counterexample:
        return "(no free symbol)"
    return ", ".join(f"{k} = {v}" for k, v in counterexample.items()
                     if k not in ("lhs", "rhs", "residual", "where")) or "(no free symbol)"


def _tweedie_reading(pointwise: Verdict, lhs, rhs, relation: str, assumptions: Assumptions,
                     options: Options) -> Verdict:
    """A step that fails pointwise and contains the marginal score, re-checked with x_0 and the
    noise replaced by their conditional expectations given x_t (Tweedie, Luo Eqs. 131-133, 151):
    if it holds there, the step is ``undecided`` naming both readings; otherwise it fails."""
    pair = tweedie(lhs, rhs, assumptions)
    if pair is None:
        return pointwise
    left, right, affine = pair
    other = _check_relation_safely(left, right, Step(right, "claim", relation=relation),
                                   assumptions, options, set())
    reading = TWEEDIE_READING if affine else (
        "with x_0 and the noise replaced by their conditional means given x_t (Tweedie, Luo "
        "Eq. 133; the claim is not affine in them, so this is not the conditional expectation "
        "of both sides)")
    readings = [{"reading": "pointwise", "status": FAILS, "method": pointwise.method,
                 "counterexample": pointwise.counterexample},
                {"reading": reading, "status": other.status, "method": other.method,
                 "counterexample": other.counterexample}]
    if other.status == HOLDS:
        return Verdict(UNDECIDED, other.method, counterexample=pointwise.counterexample,
                       details={**pointwise.details, "readings": readings}, reason=(
                           f"two readings: pointwise: fails at {_point_text(pointwise.counterexample)}"
                           f" (lhs = {pointwise.counterexample.get('lhs')}, rhs = "
                           f"{pointwise.counterexample.get('rhs')}); {reading}: holds "
                           f"({other.method}); say which is meant"
                           if pointwise.counterexample else
                           f"two readings: pointwise: fails; {reading}: holds ({other.method})"))
    pointwise.details = {**pointwise.details, "readings": readings}
    if other.status == FAILS:
        pointwise.reason = ((pointwise.reason + "; ") if pointwise.reason else "") + (
            f"it fails {reading} as well, at {_point_text(other.counterexample)}")
    return pointwise


def _ambiguous_model_mean(step: ClaimStep, parametrizations, assumptions: Assumptions,
                          options: Options, elided: bool) -> Verdict:
    """mu_theta with predictions of several kinds: each parametrization is a reading."""
    readings, parts = [], []
    for parametrization in parametrizations:
        verdict = _check_step(step, with_model_mean(assumptions, parametrization), options, elided)
        readings.append({"reading": parametrization.text, "status": verdict.status,
                         "method": verdict.method, "counterexample": verdict.counterexample})
        parts.append(f"{parametrization.text}: {verdict.status}")
    kinds = " and ".join(p.kind for p in parametrizations)
    return Verdict(UNDECIDED, "none", details={"readings": readings}, reason=(
        f"ambiguous: mu_theta occurs with predictions of {kinds}, so it can be read as "
        + "; or as ".join(parts) + r"; define it with % assume: \mu_\theta = ..."))


def _states_a_law(lhs, rhs, assumptions: Assumptions) -> bool:
    if any(TABLE[k] in assumptions.definitions for k in VARIABLE_KEYS):
        return False
    return states_a_law(lhs, rhs, lambda e: assumptions.table.expand_definitions(
        e, assumptions.definitions))


def _in_distribution(lhs, rhs, assumptions: Assumptions, options: Options) -> Verdict | None:
    """The step read in distribution (proofs.claim_distribution), checked like any step."""
    def expand(expr):
        return assumptions.table.expand_definitions(expr, assumptions.definitions)

    def check(a, b):
        return _check_relation_safely(a, b, Step(b, "claim", relation="="), assumptions,
                                      options, set())
    verdict = in_distribution(lhs, rhs, expand, check)
    if verdict is not None:
        return verdict
    # the reading must not depend on which side a term stands: solve for the latest latent
    difference = sp.expand(expand(sp.sympify(lhs)) - expand(sp.sympify(rhs)))
    for key in ("x_t", "x_tm1", "x_tm2"):
        latent = TABLE[key]
        slope = sp.diff(difference, latent)
        if latent not in difference.free_symbols or slope.has(latent) or slope == 0:
            continue
        solved = sp.expand(latent - difference / slope)
        verdict = in_distribution(latent, solved, expand, check)
        if verdict is not None:
            relations = [f"the step solved for {latent.name}: {latent.name} = {solved}"]
            return replace(verdict, details={**verdict.details, "relations": relations +
                                             list(verdict.details.get("relations", []))})
    return None


def _propto_any(lhs, rhs, candidates, assumptions, options, unsupported) -> Verdict:
    """``a \\propto b`` with no density to say in which variable: holds if proportional in one
    of the candidates (named in the reason), fails only if it fails in each of them."""
    verdicts = []
    for variable in candidates:
        verdict = _check_relation_safely(lhs, rhs, Step(rhs, "claim", relation="propto",
                                                        wrt=(variable,)),
                                         assumptions, options, unsupported)
        if verdict.status == HOLDS:
            verdict.reason = (f"proportional as functions of {variable} (the variable is not "
                              f"stated; {', '.join(map(str, candidates))} were tried)"
                              + (f"; {verdict.reason}" if verdict.reason else ""))
            return verdict
        verdicts.append(verdict)
    if all(v.status == FAILS for v in verdicts):
        first = verdicts[0]
        first.reason = f"not proportional in any of {', '.join(map(str, candidates))}"
        return first
    return next(v for v in verdicts if v.status != FAILS)


def _check_relation_safely(lhs, rhs, claim_step: Step, assumptions: Assumptions,
                           options: Options, unsupported: set) -> Verdict:
    unknown = _unknown_symbols(lhs, rhs, assumptions)
    noise = {s for s in unknown if is_noise(s)}       # standard normal: every real value
    unknown -= noise
    base = _with_domains(assumptions.table, noise, REAL)
    positive_table = _with_domains(base, unknown, POSITIVE)
    real_table = _with_domains(base, unknown, REAL)
    definitions = assumptions.definitions
    if unsupported:
        verdict = check_relation(lhs, claim_step, definitions, positive_table,
                                 replace(options, numeric=False))
        if verdict.status == HOLDS:
            return verdict
        generic = generic_values(lhs, rhs) if options.numeric else None
        if generic is not None and not (unsupported - {u for u in unsupported
                                                        if u.startswith("the undefined function")}):
            glhs, grhs, names = generic
            definition = reads_as_definition(glhs, grhs, assumptions) \
                if claim_step.relation == "=" else None
            if definition is not None:
                return Verdict(UNDECIDED, DEFINITION, reason=definition)
            verdict = _check_relation_safely(glhs, grhs, replace(claim_step, expr=grhs),
                                             assumptions, options, set())
            verdict.reason = (f"the unknown function values {', '.join(names)} taken as "
                              "independent numbers (at one point the values and derivatives of "
                              "a function are arbitrary)" +
                              (f"; {verdict.reason}" if verdict.reason else ""))
            return verdict
        return Verdict(UNDECIDED, "symbolic",
                       reason=f"contains {', '.join(sorted(unsupported))}, which cannot be "
                              "evaluated numerically, and was not proved symbolically")
    quick = _quick_refutation(lhs, claim_step, definitions, positive_table) \
        if options.numeric else None
    if quick is not None:
        return _unless_domain_guessed(_with_defined_values(quick, lhs, rhs, assumptions), lhs,
                                      claim_step, definitions, real_table, unknown, options)
    verdict = check_relation(lhs, claim_step, definitions, positive_table, options)
    if verdict.status == HOLDS and verdict.method == "symbolic":
        return verdict
    if verdict.status == FAILS:
        verdict = _confirm(verdict, lhs, claim_step, definitions, positive_table, options)
        if verdict.status == FAILS:
            verdict = _with_defined_values(verdict, lhs, rhs, assumptions)
            return _unless_domain_guessed(verdict, lhs, claim_step, definitions, real_table,
                                          unknown, options)
    if verdict.status == HOLDS and verdict.method == "numeric" and \
            not _evaluable(lhs, claim_step, definitions, positive_table):
        return Verdict(UNDECIDED, "numeric", reason="the two sides could not be evaluated at any "
                                                    "sample point (unevaluated integral, sum or "
                                                    "function)")
    if unknown and options.numeric and verdict.status == HOLDS:
        target = _guarded_target(lhs, claim_step, definitions, real_table)
        counterexample, _ = search(target, real_table, seed=options.seed,
                                   max_examples=options.max_examples)
        if counterexample is not None:
            names = ", ".join(sorted(s.name for s in unknown))
            return Verdict(UNDECIDED, "numeric", counterexample=counterexample,
                           reason=f"holds for positive {names} (numeric) but not for all real "
                                  f"values: the domain of {names} is unknown; state it with "
                                  f"% assume: (e.g. {sorted(s.name for s in unknown)[0]} > 0)")
        verdict.reason = (verdict.reason or "") + f"; unknown symbols ({', '.join(sorted(s.name for s in unknown))}) taken as real"
    return verdict


def _quick_refutation(lhs, step: Step, definitions, table, limit: int = 40) -> Verdict | None:
    """A counterexample at the simplest admissible points, in the natural domain, confirmed at
    50, 100 and 200 digits, before any symbolic work: a false claim is refuted without spending
    the simplification budget (and a confirmed counterexample cannot be contradicted by it)."""
    evaluator = Evaluator(_guarded_target(lhs, step, definitions, table))
    for tried, point in enumerate(simple_points(evaluator.symbols, table, limit), start=1):
        if evaluator.violated(point):
            return Verdict(FAILS, "numeric", counterexample=evaluator.report(point),
                           details={"points": tried, "stage": "simple points"})
    return None


def _evaluable(lhs, step: Step, definitions, table) -> bool:
    """Whether the residual takes a finite value at one of the first simple points."""
    evaluator = Evaluator(residual_for(lhs, step, definitions, table))
    if not evaluator.symbols:
        return evaluator.defined({})
    return any(evaluator.defined(point) for point in simple_points(evaluator.symbols, table, 30))


def _opaque(expr) -> set[str]:
    """Undefined functions, unevaluated integrals/sums/derivatives: not evaluable numerically."""
    names = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.core.function.AppliedUndef):
            names.add(f"the undefined function {node.func.__name__}")
        elif isinstance(node, (sp.Indexed,)):
            names.add(f"the indexed symbol {node}")
    return names


def _unknown_symbols(lhs, rhs, assumptions: Assumptions) -> set[sp.Symbol]:
    table = assumptions.table
    free = table.expand_definitions(lhs, assumptions.definitions).free_symbols | \
        table.expand_definitions(rhs, assumptions.definitions).free_symbols
    return {s for s in free if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)
            and table.spec(s) is None and not s.is_integer}


def _with_domains(table: SymbolTable, symbols, domain: Domain) -> SymbolTable:
    if not symbols:
        return table
    copy = _copy_table(table)
    for symbol in symbols:
        key = f"unknown:{symbol.name}"
        copy.specs[key] = SymbolSpec(key, symbol, symbol.name, "domain unknown", domain, None)
    return copy


def natural_conditions(expr: sp.Expr) -> list[sp.Expr]:
    """Expressions that must be >= 0 (radicands, bases of fractional powers) or > 0 (logs) for
    expr to be real; returned as (expr, strict) pairs."""
    conditions = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow) and not (node.exp.is_integer):
            if not node.base.is_number:
                conditions.append((node.base, bool(node.exp.is_negative)))
        elif isinstance(node, sp.log):
            conditions.append((node.args[0], True))
    return conditions


def _guarded_target(lhs, step: Step, definitions: dict, table: SymbolTable):
    """The checker's residual, made undefined (NaN) outside the natural domain of both sides."""
    target = residual_for(lhs, step, definitions, table)
    conditions = natural_conditions(target.lhs) + natural_conditions(target.rhs)
    if not conditions:
        return target
    guard = sp.And(*[(c > 0) if strict else (c >= 0) for c, strict in conditions])
    if guard is sp.true:
        return target
    guarded = sp.Piecewise((target.residual, guard), (sp.nan, True))
    return Residual(guarded, target.lhs, target.rhs, target.kind)


def _confirm(verdict: Verdict, lhs, step: Step, definitions, table, options) -> Verdict:
    """Keep a refutation only if its point is in the natural domain; otherwise search there."""
    if verdict.details.get("exact"):       # the prover's exact point (e.g. 0 > 0 at an exact 0)
        return verdict

    target = _guarded_target(lhs, step, definitions, table)
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
    counterexample, tried = search(target, table, seed=options.seed,
                                   max_examples=options.max_examples)
    if counterexample is not None:
        return Verdict(FAILS, "numeric", counterexample=counterexample,
                       details={"points": tried, "domain": "natural"})
    defined = sum(1 for p in simple_points(evaluator.symbols, table, 60) if evaluator.defined(p))
    if defined < 3:
        return Verdict(UNDECIDED, "numeric",
                       reason="violations lie only outside the natural domain (a square root or "
                              "log of a negative number), and too few points inside it were "
                              "evaluated to conclude")
    return Verdict(HOLDS, "numeric", details={"points": tried, "domain": "natural"},
                   reason="holds where both sides are real (violations found only where a square "
                          "root or log has a negative argument); no counterexample there at "
                          f"{tried} points: evidence, not proof")


def _with_defined_values(verdict: Verdict, lhs, rhs, assumptions: Assumptions) -> Verdict:
    """Add the values of the defined symbols a claim mentions (abar_t = alpha_t abar_{t-1}) at the
    counterexample, so the point reads in the claim's own symbols."""
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
            expanded = table.expand_definitions(symbol, assumptions.definitions)
            subs = {s: values[s.name] for s in expanded.free_symbols if s.name in values}
            value = expanded.xreplace(subs)
            if value.is_number:
                derived[name] = str(value) if value.is_Rational else float(value)
    if derived:
        verdict.counterexample = dict(point, where=derived)
    return verdict


def _unless_domain_guessed(verdict: Verdict, lhs, step: Step, definitions, real_table,
                           unknown: set, options: Options) -> Verdict:
    """A refutation found with the unknown-domain symbols searched as positive stands only if it
    does not depend on that guess (issue 12): an equation whose sides are analytic in them
    (derive.analytic: then it fails on every interval), or an inequality whose opposite strict
    inequality is proved for all real values.  Otherwise it is undecided, naming the assumption
    that would decide it."""
    if not unknown:
        return verdict
    names = ", ".join(sorted(s.name for s in unknown))
    target = residual_for(lhs, step, definitions, real_table)
    if step.relation in ("=", "propto"):
        difference = target.lhs - target.rhs if step.relation == "=" else target.residual
        if analytic_in(difference, unknown):
            return replace(verdict, reason=_joined(
                verdict.reason, f"the domain of {names} is unknown, but the claim fails on every "
                                f"interval of {names}: both sides are analytic in {names}"))
    else:
        flipped = {">=": "<", "<=": ">"}[step.relation] if not step.strict else \
            {">=": "<=", "<=": ">="}[step.relation]
        opposite = check_relation(lhs, Step(step.expr, "opposite", relation=flipped),
                                  definitions, real_table, replace(options, numeric=False))
        if opposite.proved:
            return replace(verdict, reason=_joined(
                verdict.reason, f"the domain of {names} is unknown, but the claim fails for every "
                                f"real value of {names}: the opposite inequality is proved"))
    first = sorted(s.name for s in unknown)[0]
    return Verdict(UNDECIDED, verdict.method, counterexample=verdict.counterexample,
                   details=verdict.details,
                   reason=f"fails at the point shown, with {names} taken as positive; the domain "
                          f"of {names} is unknown and the claim may hold on another: state it with "
                          f"% assume: (e.g. {first} > 0 or {first} < 0)")


def _joined(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------
def check_text(claims: list[tuple[str, int | None]], assumption_lines: list[str],
               options: Options | None = None, table: SymbolTable = TABLE) -> list[Claim]:
    """Check claims [(latex, line)] under assumptions.  Each claim is read and checked in a worker
    under the hard limit ``options.limit`` (CPU seconds), and each of its steps in a worker of its
    own; this process never parses the text.  An unusable assumption makes every claim unparsable
    (the error names it)."""
    options = options or Options()
    file_text = "\n".join([latex for latex, _ in claims] + list(assumption_lines))
    tasks = [partial(_read_and_check, latex, file_text, list(assumption_lines), i, line, options,
                     table) for i, (latex, line) in enumerate(claims, start=1)]
    results = []
    for (i, (latex, line)), outcome in zip(enumerate(claims, start=1),
                                           run_each(tasks, options.limit, backstop=False)):
        if outcome.ok:
            results.append(outcome.value)
        elif outcome.kind == RUN_ERROR:
            results.append(Claim(i, latex, line, internal=outcome.message))
        else:
            results.append(Claim(i, latex, line, reason=f"reading the claim {outcome.describe()} "
                                                        "(a hard limit; --limit SECONDS raises it)"))
    return results


def _read_and_check(latex: str, file_text: str, assumption_lines: list[str], index: int,
                    line: int | None, options: Options, table: SymbolTable) -> Claim:
    try:
        assumptions = read_assumptions(assumption_lines, table)
    except LatexParseError as error:
        return Claim(index, latex, line, error=f"assumption: {error}")
    return _check_with_schedule(latex, file_text, assumptions, index, line, options)


def _check_with_schedule(latex: str, file_text: str, assumptions: Assumptions, index: int,
                         line: int | None, options: Options | None) -> Claim:
    """check_claim with the built-in schedule functions of notation.md this claim reads
    (proofs.claim_context.schedule_reading), stated in each step's relations."""
    defined = set(assumptions.context.functions)
    functions, readings, note = schedule_reading(latex, file_text, defined)
    if functions:
        context = assumptions.context.copy()
        context.functions.update(functions)
        assumptions = replace(assumptions, context=context)
    claim = check_claim(latex, assumptions, index, line, options)
    for step in claim.steps:
        verdict = step.verdict
        if readings:
            verdict.details = dict(verdict.details, relations=list(
                verdict.details.get("relations", [])) + readings)
        if note and verdict.status == UNDECIDED:
            verdict.reason = f"{verdict.reason}; {note}" if verdict.reason else note
    return claim


def check_file_text(text: str, extra_assumptions: list[str] = (),
                    options: Options | None = None, markdown: bool = False) -> list[Claim]:
    """Every display of a .tex (or, with ``markdown``, .md: fenced code skipped) document."""
    displays = extract_displays(text, markdown=markdown)
    return check_text([(d.latex, d.line) for d in displays],
                      extract_assumptions(text, markdown=markdown) + list(extra_assumptions),
                      options)


def summary(claims: list[Claim]) -> dict:
    statuses = [c.status for c in claims]
    steps = [s.verdict.status for c in claims for s in c.steps if s.verdict]
    return {"claims": len(claims), "holds": statuses.count(HOLDS), "fails": statuses.count(FAILS),
            "undecided": statuses.count(UNDECIDED), "unparsable": statuses.count(UNPARSABLE),
            "errors": statuses.count(ERROR),
            "steps": len(steps), "steps_hold": steps.count(HOLDS),
            "steps_fail": steps.count(FAILS), "steps_undecided": steps.count(UNDECIDED)}


def exit_code(claims: list[Claim]) -> int:
    statuses = {c.status for c in claims}
    if ERROR in statuses:
        return 3
    if UNPARSABLE in statuses:
        return 2
    return 0 if statuses <= {HOLDS} else 1


def to_json(claims: list[Claim]) -> dict:
    return {"claims": [c.as_dict() for c in claims], "summary": summary(claims)}


def terminal(claims: list[Claim]) -> str:
    lines = []
    for claim in claims:
        where = f" (line {claim.line})" if claim.line else ""
        text = " ".join(claim.latex.split())
        lines.append(f"claim {claim.index}{where}: {claim.status}")
        lines.append(f"  {text[:160]}{'...' if len(text) > 160 else ''}")
        if claim.error:
            lines.append("  error: " + claim.error.replace("\n", "\n         "))
            continue
        if claim.internal:
            lines.append(f"  internal error: {claim.internal} (a bug in diffproof: please report "
                         "it with this claim)")
            continue
        if claim.reason:
            lines.append(f"  reason: {claim.reason}")
        first = claim.first_failure()
        for step in claim.steps:
            v = step.verdict
            marker = "  <- first failing step" if first is step else ""
            source = step.source if len(step.source) <= 100 else step.source[:97] + "..."
            reading = v.details.get("reading")
            how = f"{v.method}, {reading}" if reading else v.method
            lines.append(f"  step {step.index} [{v.status} ({how})]: {source}{marker}")
            if v.counterexample:
                point = ", ".join(f"{k} = {val}" for k, val in v.counterexample.items()
                                  if k not in ("lhs", "rhs", "residual", "where"))
                if v.counterexample.get("where"):
                    point += " (so " + ", ".join(f"{k} = {val}" for k, val in
                                                 v.counterexample["where"].items()) + ")"
                lines.append(f"      counterexample: {point or '(no free symbol)'}")
                lines.append(f"      lhs = {v.counterexample.get('lhs')}, "
                             f"rhs = {v.counterexample.get('rhs')}")
            for used in v.details.get("relations", []):
                lines.append(f"      using {used}")
            if v.reason and v.status != HOLDS:
                lines.append(f"      reason: {v.reason}")
            elif v.status == HOLDS and step.elided:
                lines.append(f"      ({v.reason})")
            elif v.status == HOLDS and v.method == "numeric":
                lines.append(f"      ({v.reason or 'numeric evidence, not a proof'})")
    s = summary(claims)
    lines.append(f"{s['claims']} claim(s): {s['holds']} hold, {s['fails']} fail, "
                 f"{s['undecided']} undecided, {s['unparsable']} unparsable"
                 f"{', ' + str(s['errors']) + ' internal error(s)' if s['errors'] else ''}; "
                 f"{s['steps']} step(s)")
    return "\n".join(lines)
