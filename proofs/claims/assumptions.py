"""The assumptions of a claim: ``% assume:`` lines and ``--assume`` options (docs/claims.md 'Assumptions
and definitions').

Bounds (``0 < a < 1``, ``h > 0``, ``u \\in (0, 1)``, ``n \\in \\mathbb{N}``) and orderings
(``a < b``) are read first, then definitions in order: symbols (``x_0 = ...``; ``\\sigma_t^2 = v``
defines the positive ``\\sigma_t``) and functions (``g(t) = ...``).  Bounds narrow a built-in
symbol's domain (widening it is an error); a new symbol gets SymPy assumptions to match its bounds.
Restating a built-in definition is accepted, contradicting one is an error.

Also here: the symbols no assumption bounds (:func:`unknown_symbols`), whose domain the safety
net guesses (searched as positive first, :meth:`derive.symbols.SymbolTable.with_domains`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from diffproof.derive.latex.context import Context
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.latex.tokens import LatexParseError, tokenize
from diffproof.derive.domains import Domain, positive_form_of
from diffproof.derive.notation_reader import (new_context, parse_expression, parse_function_definition,
                                    parse_relation)
from diffproof.derive.symbols import TABLE, SymbolSpec, SymbolTable
from diffproof.derive.decide.zero import is_zero
from diffproof.proofs.claims.document import MAX_DISPLAY_CHARS, has_relation_safe


class AssumptionError(LatexParseError):
    """An assumption line diffproof cannot use."""


@dataclass
class Assumptions:
    """The parsing context plus what the checker needs: definitions, domains, unknown symbols."""

    context: Context
    definitions: dict = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    @property
    def table(self) -> SymbolTable:
        """The symbol table of the context: the built-in one with the assumptions' bounds."""
        return self.context.table

    def expand(self, expr) -> sp.Expr:
        """``expr`` with every definition (the table's and the assumptions') substituted."""
        return self.table.expand_definitions(sp.sympify(expr), self.definitions)

    def free(self, expr) -> set:
        """The free symbols of ``expr`` once every definition is substituted."""
        return self.expand(expr).free_symbols


def read_assumptions(lines: list[str], table: SymbolTable = TABLE,
                     vectors: bool = False) -> Assumptions:
    """Build the context from ``% assume:`` texts: bounds first, then definitions, in order;
    ``vectors``: in the vector reading (derive.vectors).  Raises AssumptionError (a
    LatexParseError) for a line that cannot be used."""
    context = new_context(table.copy())
    context.vectors = vectors
    result = Assumptions(context, texts=list(lines))
    pending, orders = [], []
    for text in lines:
        if len(text) > MAX_DISPLAY_CHARS:
            raise AssumptionError(f"an assumption has {len(text)} characters; at most "
                                  f"{MAX_DISPLAY_CHARS} are read", text[:80], 0)
        for part in _split_assumption(text):
            if _is_definition(part, context):
                pending.append(part)
            else:
                orders += _apply_bound(part, result)
    _apply_orders(orders, result)
    for part in pending:
        _apply_definition(part, result)
    return result


# ---------------------------------------------------------------------------------------------
# domains
# ---------------------------------------------------------------------------------------------
def make_domain(lo=None, hi=None, lo_open=True, hi_open=True, integer=False) -> Domain:
    """The domain of a symbol bounded by an assumption, with the simple values a counterexample
    search tries first."""
    lo, hi = _inward(lo, up=True), _inward(hi, up=False)
    return Domain(lo, hi, lo_open, hi_open, simple=_simple_values(lo, hi, lo_open, hi_open),
                  integer=integer)


def _inward(bound, up: bool) -> Fraction | float | None:
    """A declared bound exactly (a Fraction) when it is rational; an irrational one as the nearest
    float on the domain's side, so no point of the domain breaks the assumption (y >= 1/3 read
    as the float 0.333...31 admitted points below 1/3)."""
    if bound is None:
        return None
    if isinstance(bound, (int, Fraction)):
        return Fraction(bound)
    value = sp.sympify(bound)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    near = float(value)
    if (sp.Rational(*near.as_integer_ratio()) < value) if up else \
            (sp.Rational(*near.as_integer_ratio()) > value):
        near = math.nextafter(near, math.inf if up else -math.inf)
    return near


def _simple_values(lo, hi, lo_open, hi_open) -> tuple[Fraction, ...]:
    """Up to 7 simple rationals inside the bounds: the middle and thirds of an interval, steps
    from one end, then 1/2, 1, 2, ... when they fit."""
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


def unknown_symbols(lhs, rhs, assumptions: Assumptions) -> set[sp.Symbol]:
    """The symbols of ``lhs``, ``rhs`` (definitions expanded) with no known domain: neither in the
    table nor bounded by an assumption (integers excepted)."""
    table = assumptions.table
    free = assumptions.free(lhs) | assumptions.free(rhs)
    return {s for s in free if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)
            and table.spec(s) is None and not s.is_integer}


# ---------------------------------------------------------------------------------------------
# reading one assumption
# ---------------------------------------------------------------------------------------------
def _number(expr) -> sp.Expr | None:
    if expr is None:
        return None
    expr = sp.sympify(expr)
    if not (expr.is_number and expr.is_finite and expr.is_real):
        return None
    if expr.is_Rational:
        return expr
    try:        # an irrational bound is used as a float rounded inward: it must have one
        float(expr)          # (an unevaluated sum, or e^{1000}, has none)
    except (TypeError, ValueError, OverflowError):
        return None
    return expr


def _commas(text: str) -> list[str]:
    """``text`` split at its commas outside brackets (an escaped ``\\,`` is a space, not a comma)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "({["
        depth -= ch in ")}]"
        if ch == "," and depth == 0 and text[i - 1:i] != "\\":
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def _split_assumption(text: str) -> list[str]:
    """``a > 0, b > 0`` -> two parts: split at the commas at depth 0 that end a relation (one
    pass; each comma-separated piece is tokenized once, so the work is linear in the length)."""
    pieces = _commas(text)
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
    """One =, :=, \\coloneqq, \\triangleq or \\equiv and no < or >: a definition (read after
    every bound)."""
    try:
        tokens = tokenize(text)
    except LatexParseError:
        return False
    ops = [t for t in tokens if (t.kind == "op" and t.value in ("=", ":=")) or
           (t.kind == "cmd" and t.value in ("\\coloneqq", "\\triangleq", "\\equiv"))]
    return len(ops) == 1 and not any(t.kind == "op" and t.value in "<>" for t in tokens)


def _apply_definition(text: str, result: Assumptions) -> None:
    """A function definition ``g(t) = ...`` or a symbol definition ``y = ...`` (``s^2 = v``
    defines the positive s); a restated built-in definition is checked, not stored."""
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


def _apply_bound(text: str, result: Assumptions) -> list[tuple]:
    """A chain of <, \\le, >, \\ge over numbers and symbols (``0 < a \\le b < 1``,
    ``1 > \\alpha_t > 0``) or a membership (``a \\in (0, 1)``).  Each symbol is bounded by the
    nearest numbers on either side; the orders between adjacent symbols are returned, as
    (smaller, larger, text), to be applied once every bound is read."""
    membership = re.match(r"^(.*)\\in\s*(.+)$", text)
    if membership:
        _apply_membership(membership.group(1), membership.group(2), text, result)
        return []
    terms, ops = _ascending_chain(text, result.context)
    _check_numbers(terms, ops, text)
    for index, term in enumerate(terms):
        if _number(term) is None:
            lo, lo_open = _nearest_number(terms, ops, index, -1)
            hi, hi_open = _nearest_number(terms, ops, index, 1)
            if lo is not None or hi is not None:
                _set_domain(term, lo, hi, lo_open, hi_open, text, result)
    return [(small, large, text) for small, large in zip(terms, terms[1:])
            if _number(small) is None and _number(large) is None]


# the relations the reader names, as the LaTeX that writes them (for messages)
_RELATION_LATEX = {"!=": "\\neq", "approx": "\\approx", "propto": "\\propto"}


def _ascending_chain(text: str, context: Context) -> tuple[list, list[str]]:
    """The terms and relations of an inequality assumption, written upwards (> chains reversed);
    every term a number or a single symbol, no symbol twice."""
    relation = parse_relation(text, context=context)
    terms, ops = list(relation.terms), list(relation.ops)
    wrong = next((op for op in ops if op not in ("<", "<=", ">", ">=")), None)
    if wrong is not None:
        wrong = _RELATION_LATEX.get(wrong, wrong)
        raise AssumptionError(f"assumption '{text}': the relation '{wrong}' is not a bound; use "
                              "<, \\le, >, \\ge (0 < a \\le b < 1), \\in (a \\in (0, 1)) or a "
                              "definition (y = ...)", text, 0)
    if all(op in (">", ">=") for op in ops):
        terms, ops = terms[::-1], [{">": "<", ">=": "<="}[op] for op in ops[::-1]]
    if any(op in (">", ">=") for op in ops):
        raise AssumptionError(f"assumption '{text}': mixed directions (< and >) in one chain; "
                              "write it one way, e.g. 0 < a < b, or as two assumptions", text, 0)
    for term in terms:
        if _number(term) is None and not isinstance(term, sp.Symbol):
            raise AssumptionError(
                f"assumption '{text}': '{_shown(term)}' is neither a number nor a single symbol; a "
                "bound relates symbols and numbers (0 < a < b < 1); for an expression, define a "
                "symbol for it (% assume: u = ...) and bound u", text, 0)
    symbols = [term for term in terms if _number(term) is None]
    if not symbols:
        raise AssumptionError(f"assumption '{text}': no symbol to bound", text, 0)
    if len(set(symbols)) < len(symbols):
        raise AssumptionError(f"assumption '{text}': a symbol occurs twice in the chain", text, 0)
    return terms, ops


def _shown(term) -> str:
    """``term`` in LaTeX for a message (its string form if the printer fails)."""
    try:
        return to_latex(term)
    except Exception:  # noqa: BLE001 - display only
        return str(term)


def _check_numbers(terms: list, ops: list[str], text: str) -> None:
    """Every pair of numbers in the chain in the stated order (3 < a < 1 bounds nothing)."""
    numbers = [(i, _number(t)) for i, t in enumerate(terms) if _number(t) is not None]
    for (i, lo), (j, hi) in zip(numbers, numbers[1:]):
        strict = any(op == "<" for op in ops[i:j])
        if not (lo < hi if strict else lo <= hi):
            raise AssumptionError(f"assumption '{text}': {lo} {'<' if strict else '<='} {hi} "
                                  "is false, so no value satisfies the chain", text, 0)


def _nearest_number(terms: list, ops: list[str], index: int, step: int) -> tuple:
    """The nearest number before (step -1) or after (step 1) ``terms[index]`` in an ascending
    chain, and whether the bound is open (a strict relation on the way); (None, True) if none."""
    position = index + step
    while 0 <= position < len(terms):
        if _number(terms[position]) is not None:
            between = ops[min(index, position):max(index, position)]
            return _number(terms[position]), any(op == "<" for op in between)
        position += step
    return None, True


def _apply_orders(orders: list[tuple], result: Assumptions) -> None:
    """Record each order between two symbols (``a \\le b`` is kept as a < b: the points tried
    satisfy both), on the symbols as the bounds left them; a cycle is an error."""
    table = result.table
    for small, large, text in orders:
        small, large = _current(small, result), _current(large, result)
        for s in (small, large):
            _ensure_spec(s, result)
        small, large = _current(small, result), _current(large, result)
        if (small, large) not in table.orderings:
            table.order(small, large)
        if _reaches(table.orderings, large, small):
            raise AssumptionError(f"assumption '{text}': the orders between symbols contradict "
                                  f"each other ({large} < ... < {small} < {large})", text, 0)


def _current(symbol: sp.Symbol, result: Assumptions) -> sp.Symbol:
    """The symbol of that name as the assumptions left it (a bound recreates a user symbol with
    new SymPy assumptions)."""
    if result.table.spec(symbol) is not None:
        return symbol
    spec = result.table.specs.get(f"user:{symbol.name}")
    return spec.symbol if spec is not None else symbol


def _reaches(orderings: list[tuple], start: sp.Symbol, goal: sp.Symbol) -> bool:
    """Whether the orderings lead from ``start`` up to ``goal``."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += [hi for lo, hi in orderings if lo == node]
    return False


def _apply_membership(left: str, right: str, text: str, result: Assumptions) -> None:
    """``a, b \\in S`` for S one of R, R_{>0}, N or Z (integers from 1) or an interval of
    numbers."""
    right = right.strip().rstrip(".")
    names = [n.strip() for n in _commas(left) if n.strip()]
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


def _ensure_spec(symbol: sp.Symbol, result: Assumptions) -> None:
    if result.table.spec(symbol) is None:
        _set_domain(symbol, None, None, True, True, "", result)


def _empty(lo, hi, open_end: bool) -> bool:
    """Whether no number lies between ``lo`` and ``hi`` (either may be None: unbounded)."""
    if lo is None or hi is None:
        return False
    gap = sp.sympify(hi) - sp.sympify(lo)
    return bool(gap.is_negative or (gap.is_zero and open_end))


def _set_domain(symbol, lo, hi, lo_open, hi_open, text, result: Assumptions, integer=False):
    """Narrow a built-in symbol's domain to the bounds (never widen it), or declare a user symbol
    with them, recreated with the SymPy assumptions of that domain (Domain.assumptions).  The
    table is the private copy read_assumptions made."""
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
        if _empty(lo, hi, lo_open or hi_open):
            where = "the assumptions above" if spec.key.startswith("user:") else \
                "the built-in domain; for another quantity, use another letter"
            raise AssumptionError(
                f"assumption '{text}' leaves no value for {spec.latex} "
                f"({known.describe(spec.latex)} by {where})", text, 0)
        domain = make_domain(lo, hi, lo_open, hi_open, integer or known.integer)
        table.specs[spec.key] = SymbolSpec(spec.key, spec.symbol, spec.latex, spec.meaning,
                                           domain, spec.positive_form)
        return
    # a user symbol: recreate it with SymPy assumptions matching the bound
    domain = make_domain(lo, hi, lo_open, hi_open, integer)
    key = next((k for k, s in result.context.created.items() if s == symbol), None)
    new = sp.Symbol(symbol.name, **domain.assumptions)
    if key is not None:
        result.context.symbols[key] = new
        del result.context.created[key]
    spec_key = f"user:{new.name}"
    table.specs[spec_key] = SymbolSpec(spec_key, new, new.name, "declared by an assumption",
                                       domain, positive_form_of(domain))
