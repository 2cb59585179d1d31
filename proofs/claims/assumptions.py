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
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy as sp

from diffproof.derive.families import member_of_key
from diffproof.derive.latex.context import Context, FunctionDef
from diffproof.derive.latex.names import FUNCTION_NAME, table_names
from diffproof.derive.latex.parser import Parser, name_key
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.latex.tokens import RELATIONS, LatexParseError, tokenize
from diffproof.derive.domains import Domain, exact_number, positive_form_of
from diffproof.derive.notation_reader import (new_context, parse_expression, parse_function_definition,
                                    parse_function_head, parse_relation)
from diffproof.derive.symbols import TABLE, SymbolSpec, SymbolTable
from diffproof.derive.vocabulary import built_in_symbols
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
    # symbol name -> what the verdicts of steps that use it say (a built-in letter's domain
    # replaced by the assumptions' bounds)
    notes: dict[str, str] = field(default_factory=dict)
    # built-in letters whose domain the assumptions replaced: name -> (LaTeX, built-in domain)
    replaced: dict = field(default_factory=dict, repr=False)
    # symbols declared vectors, x \in \mathbb{R}^d (proofs.claims.frames)
    vectors: set = field(default_factory=set)

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
    pending, orders, constraints = [], [], []
    for text in lines:
        if len(text) > MAX_DISPLAY_CHARS:
            raise AssumptionError(f"an assumption has {len(text)} characters; at most "
                                  f"{MAX_DISPLAY_CHARS} are read", text[:80], 0)
        for part in _split_assumption(text):
            if _is_definition(part, context):
                pending.append(part)
            else:
                more_orders, more_constraints = _apply_bound(part, result)
                orders += more_orders
                constraints += more_constraints
    _apply_orders(orders, result)
    _apply_constraints(constraints, result)
    _note_replaced(result)
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
            and table.spec(s) is None and not s.is_integer and s not in built_in_symbols()}


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
        declared = context.functions.get(key)
        if declared is not None and declared.generic:
            raise AssumptionError(
                f"assumption '{text}': {declared.latex} is declared by a bound with its values "
                f"left free ({declared.domain.describe(declared.latex)}); a function is either "
                "defined (% assume: a(t) = ...) or declared, not both", text, 0)
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
    context.definitions[lhs] = rhs        # a derivative in t differentiates through it


def _apply_bound(text: str, result: Assumptions) -> tuple[list[tuple], list[tuple]]:
    """A chain of <, \\le, >, \\ge (``0 < a \\le b < 1``, ``1 > \\alpha_t > 0``,
    ``0 < \\sigma_t^2 < 1 - \\bar\\alpha_{t-1}``) or a membership (``a \\in (0, 1)``).  Each
    symbol, and each function of one symbol (``\\sigma_t^2``, ``\\log a``), is bounded by the
    nearest numbers on either side (:func:`_narrow_through`); a function head (``a(t) > 0``)
    declares a generic function (:func:`_bound_function`).  Returned, to apply once every bound
    is read: the orders between adjacent symbols, as (smaller, larger, text), and the orders
    that involve an expression, as (larger - smaller, strict, text) (:func:`_apply_constraints`)."""
    membership = re.match(r"^(.*)\\in\s*(.+)$", text)
    if membership:
        _apply_membership(membership.group(1), membership.group(2), text, result)
        return [], []
    _declare_heads(text, result)
    terms, ops = _ascending_chain(text, result.context)
    _check_numbers(terms, ops, text)
    if any(_generic_key(term, result.context) for term in terms):
        _bound_function(terms, ops, text, result)
        return [], []
    for index, term in enumerate(terms):
        if _number(term) is None:
            lo, lo_open = _nearest_number(terms, ops, index, -1)
            hi, hi_open = _nearest_number(terms, ops, index, 1)
            if lo is None and hi is None:
                continue
            if isinstance(term, sp.Symbol):
                _set_domain(term, lo, hi, lo_open, hi_open, text, result)
            else:
                _narrow_through(term, lo, hi, lo_open, hi_open, text, result)
    orders, constraints = [], []
    for small, op, large in zip(terms, ops, terms[1:]):
        if _number(small) is not None and _number(large) is not None:
            continue
        if isinstance(small, sp.Symbol) and isinstance(large, sp.Symbol):
            orders.append((small, large, text, op == "<"))
        elif not (isinstance(small, sp.Symbol) and _number(large) is not None) and \
                not (isinstance(large, sp.Symbol) and _number(small) is not None):
            link = f"{_shown(small)} {'<' if op == '<' else '<='} {_shown(large)}"
            constraints.append((large - small, op == "<", link))
    return orders, constraints


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
    for index, term in enumerate(terms):
        if _number(term) is None and not isinstance(term, sp.Symbol) and \
                not _generic_key(term, context):
            _check_expression_term(term, index, terms, text)
    values = [term for term in terms if _number(term) is None]
    if not values:
        raise AssumptionError(f"assumption '{text}': no symbol to bound", text, 0)
    seen: set = set()
    for term in values:
        names = term.free_symbols if not _generic_key(term, context) else {term}
        if names & seen:
            raise AssumptionError(f"assumption '{text}': a symbol occurs twice in the chain",
                                  text, 0)
        seen |= names
    return terms, ops


# what a bounded expression may not contain: it must be a real number at every point
_NOT_EVALUABLE = (sp.core.function.AppliedUndef, sp.Derivative, sp.Integral, sp.Sum, sp.Product,
                  sp.Subs, sp.Limit, sp.Indexed)


def _check_expression_term(term, index: int, terms: list, text: str) -> None:
    """An expression in a chain (docs/claims.md 'Assumptions and definitions'): a function of
    one symbol (``\\sigma_t^2``, ``\\sqrt{a}``, ``\\log a``), bounded by numbers or ordered with
    other terms, or an expression of several symbols ordered with a symbol or an expression
    (``\\frac{\\alpha_t^2}{\\alpha_s^2}\\sigma_s^2 < \\sigma_t^2``), never beside a number."""
    shown = _shown(term)
    symbols = sorted(term.free_symbols, key=lambda s: s.name)
    if not symbols or term.has(*_NOT_EVALUABLE) or term.has(sp.I, sp.zoo, sp.nan):
        raise AssumptionError(
            f"assumption '{text}': '{shown}' is neither a number nor a single symbol, nor a real "
            "expression of symbols that can be evaluated; a bound relates numbers, symbols and "
            "functions of one symbol (0 < \\sigma_t^2 < 1, \\log a < 0); for an unknown function, "
            "bound its values: % assume: a(t) > 0", text, 0)
    beside_number = any(0 <= j < len(terms) and _number(terms[j]) is not None
                        for j in (index - 1, index + 1))
    if len(symbols) > 1 and beside_number:
        names = ", ".join(_shown(s) for s in symbols)
        raise AssumptionError(
            f"assumption '{text}': '{shown}' is neither a number nor a single symbol: a bound by a "
            f"number applies to a symbol or a function of one symbol (0 < \\sigma_t^2 < 1, "
            f"\\log a < 0), and this expression has several ({names}); define a symbol for it "
            f"(% assume: y = {shown}) and bound y, or order it with another expression "
            "(\\sigma_t^2 < 1 - \\bar\\alpha_{t-1})", text, 0)




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


# ---------------------------------------------------------------------------------------------
# functions of one symbol, orders between expressions
# ---------------------------------------------------------------------------------------------
_SOLVABLE_OPS = 40      # a bounded expression larger than this is only a constraint on points


def _interval_of(symbol: sp.Symbol, table: SymbolTable) -> sp.Set:
    """The symbol's current domain as a SymPy interval (exact ends)."""
    domain = table.domain(symbol)
    lo = -sp.oo if domain.lo is None else exact_number(domain.lo)
    hi = sp.oo if domain.hi is None else exact_number(domain.hi)
    interval = sp.Interval(lo, hi, domain.lo_open or lo == -sp.oo, domain.hi_open or hi == sp.oo)
    if symbol.is_positive:
        interval &= sp.Interval.open(0, sp.oo)
    elif symbol.is_nonnegative:
        interval &= sp.Interval(0, sp.oo)
    return interval


def _narrow_through(term, lo, hi, lo_open, hi_open, text: str, result: Assumptions) -> None:
    """A function of one symbol bounded by numbers (``0 < \\sigma_t^2 < 1``, ``\\log a < 0``):
    the symbol's domain narrowed to the interval spanned by the values where the bound holds
    (SymPy's solve_univariate_inequality over the current domain; a square of a symbol of unknown
    sign spans -1 < sigma_t < 1).  The bound itself also stays a constraint on every point
    (:func:`_apply_constraints`), so the narrowing only has to contain its solutions."""
    if len(term.free_symbols) != 1 or sp.count_ops(term) > _SOLVABLE_OPS or \
            any(p.exp.is_Number and abs(p.exp) > 8 for p in term.atoms(sp.Pow)):
        return
    (symbol,) = term.free_symbols
    spec = result.table.spec(symbol)
    # a letter whose built-in domain the bound will replace is solved over the reals
    current = sp.Reals if spec is not None and _replaceable(spec) else \
        _interval_of(symbol, result.table)
    solution = current
    real = sp.Dummy("u", real=True)       # solved without the symbol's own SymPy assumptions
    term = term.xreplace({symbol: real})
    for bound, open_end, above in ((lo, lo_open, True), (hi, hi_open, False)):
        if bound is None:
            continue
        relation = (sp.Gt if open_end else sp.Ge)(term, bound) if above else \
            (sp.Lt if open_end else sp.Le)(term, bound)
        if relation is sp.false:
            solution = sp.EmptySet
            break
        if relation is sp.true:
            continue
        try:
            solution &= sp.solve_univariate_inequality(relation, real, relational=False,
                                                       domain=current)
        except Exception:  # noqa: BLE001 - not solved: the bound stays a constraint on points
            return
    if solution is sp.EmptySet:
        raise AssumptionError(f"assumption '{text}' leaves no value for {_shown(symbol)} "
                              f"({_shown(term.xreplace({real: symbol}))} cannot lie between "
                              "the bounds)", text, 0)
    if not isinstance(solution, (sp.Interval, sp.Union)) or \
            not all(end.is_real or end in (sp.oo, -sp.oo) for end in (solution.inf, solution.sup)):
        return
    new_lo = None if solution.inf == -sp.oo else solution.inf
    new_hi = None if solution.sup == sp.oo else solution.sup
    if solution == current and current != sp.Reals:
        return
    _set_domain(symbol, new_lo, new_hi, solution.contains(solution.inf) is not sp.true,
                solution.contains(solution.sup) is not sp.true, text, result)
    _simple_inside(symbol, solution, result)


def _simple_inside(symbol, solution: sp.Set, result: Assumptions) -> None:
    """The symbol's simple values (tried first by every search) taken inside the solution set:
    the interval spanned by ``1 < w^2 < 4`` is -2 < w < 2, whose simple values 0, 1/2, 1 lie
    outside the set where the bound holds."""
    spec = result.table.spec(_current(symbol, result))
    if spec is None:
        return
    pieces = solution.args if isinstance(solution, sp.Union) else (solution,)
    candidates = list(spec.domain.simple)
    for piece in pieces:
        a, b = piece.inf, piece.sup
        if a.is_finite and b.is_finite:
            picks = [(a + b) / 2, a + (b - a) / 3, a + 2 * (b - a) / 3]
        elif a.is_finite:
            picks = [a + 1, a + sp.Rational(1, 2), a + 2]
        elif b.is_finite:
            picks = [b - 1, b - sp.Rational(1, 2), b - 2]
        else:
            picks = [sp.Integer(1), sp.Integer(0)]
        candidates += [Fraction(float(v)).limit_denominator(1000) for v in picks]
    inside = []
    for value in candidates:
        exact = sp.Rational(value.numerator, value.denominator)
        if value not in inside and solution.contains(exact) is sp.true and \
                spec.domain.contains(value):
            inside.append(value)
    if inside:
        result.table.specs[spec.key] = replace(spec, domain=replace(spec.domain,
                                                                    simple=tuple(inside[:7])))


def _apply_constraints(constraints: list[tuple], result: Assumptions) -> None:
    """Each order that involves an expression, ``value > 0`` (``>= 0`` when not strict), in the
    symbols as the bounds left them: every point satisfies it (SymbolTable.derived_bounds); a
    proof does not use it.  Its symbols are declared (real, unless bounded): the assumption
    states what is known of them, so their domain is no guess."""
    for value, strict, text in constraints:
        for symbol in value.free_symbols:     # declared by the assumption: real, not guessed
            _ensure_spec(_current(symbol, result), result)
        current = {s: _current(s, result) for s in value.free_symbols}
        result.table.constraints.append((text, value.xreplace(current), strict))


# ---------------------------------------------------------------------------------------------
# generic functions: % assume: a(t) > 0
# ---------------------------------------------------------------------------------------------
def _declare_heads(text: str, result: Assumptions) -> None:
    """Declare every function head of a bound (``a(t)`` in ``0 < a(t) < 1``, ``D(x; \\sigma)``)
    a generic function: its values are free numbers, in the domain the bound gives
    (:func:`_bound_function`)."""
    try:
        tokens = tokenize(text)
    except LatexParseError:
        return
    depth, start = 0, 0
    pieces = []
    for i, tok in enumerate(tokens):
        if tok.kind == "op" and tok.value in ("(", "[", "{"):
            depth += 1
        elif tok.kind == "op" and tok.value in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and _is_bound_relation(tok):
            pieces.append(text[start:tok.pos])
            start = tokens[i + 1].pos if i + 1 < len(tokens) else len(text)
    pieces.append(text[start:])
    for piece in pieces:
        head = parse_function_head(piece.strip(), result.context) if piece.strip() else None
        if head is not None:
            _declare_generic(*head, Domain(), text, result)


def _is_bound_relation(tok) -> bool:
    if tok.kind == "op":
        return tok.value in ("<", ">", "=")
    return tok.kind == "cmd" and RELATIONS.get(tok.value) in ("<", ">", "<=", ">=", "in")


def _declare_generic(name, key: str, params: list, domain: Domain, text: str,
                     result: Assumptions) -> None:
    """``a`` a generic function of ``params`` with values in ``domain`` (narrowing an earlier
    declaration); refused for a name built in with another meaning."""
    context = result.context
    declared = context.functions.get(key)
    if declared is not None and not declared.generic:
        raise AssumptionError(f"assumption '{text}': {declared.latex} is defined; its values are "
                              "not bounded separately", text, 0)
    if declared is None:
        builtin = _builtin_function(key, context)
        if builtin is not None:
            raise AssumptionError(f"assumption '{text}': {name.latex()} is built in ({builtin}); "
                                  "a bound on its values is not an assumption diffproof reads; "
                                  "for another function use another name", text, 0)
        if {"dot", "ddot"} & set(name.decos):
            raise AssumptionError(f"assumption '{text}': bound the function itself, not its "
                                  "derivative", text, 0)
    else:
        if len(params) != len(declared.params):
            raise AssumptionError(f"assumption '{text}': {declared.latex} was declared with "
                                  f"{len(declared.params)} argument(s)", text, 0)
        _narrow_generic(key, domain, text, result)
        return
    shown = f"{name.latex()}({', '.join(_shown(p) for p in params)})"
    _set_generic(key, name.symbol_name(), shown, params, domain, context)


def _set_generic(key: str, function_name: str, shown: str, params, domain: Domain,
                 context: Context) -> None:
    """Record the generic function: its body is the unknown function at its parameters, with the
    SymPy assumptions of its values' domain."""
    function = sp.Function(function_name, **domain.assumptions)
    context.functions[key] = FunctionDef(shown, tuple(params), function(*params), domain=domain,
                                         meaning="declared by an assumption: its values and "
                                                 "derivatives are free numbers")


def _builtin_function(key: str, context: Context) -> str | None:
    """What a name is built in as, when a generic function of that name would hide it (a
    vocabulary name such as \\mu_q, a table name with arguments such as \\hat{x}_\\theta(x_t, t));
    the table's quantities written as functions of t (``s(t)``, ``g(t)``, ``\\lambda(t)``) may be
    declared."""
    vocabulary = context.vocabulary
    function = vocabulary.lookup_function(key)
    if function is not None:
        return function.meaning or function.latex
    if vocabulary.lookup_value(key) is not None:
        return "a built-in value"
    _, suffixes = table_names(context.table, Parser)
    for _, symbol in suffixes.get(key, ()):
        spec = context.table.spec(symbol)
        if spec is not None and not FUNCTION_NAME.match(spec.latex):
            return f"{spec.latex}: {spec.meaning}"
    return None


def _generic_key(term, context: Context) -> str | None:
    """The name key of the generic function ``term`` applies, or None."""
    if not isinstance(term, sp.core.function.AppliedUndef):
        return None
    for key, function in context.functions.items():
        if function.generic and function.body.func == term.func:
            return key
    return None


def _bound_function(terms: list, ops: list[str], text: str, result: Assumptions) -> None:
    """``0 < a(t) < 1``: the values of the generic function a lie between the nearest numbers."""
    values = [i for i, term in enumerate(terms) if _number(term) is None]
    key = _generic_key(terms[values[0]], result.context) if len(values) == 1 else None
    if key is None:
        raise AssumptionError(f"assumption '{text}': a generic function's values are bounded by "
                              "numbers (0 < a(t) < 1); orders between them and other terms are "
                              "not read", text, 0)
    lo, lo_open = _nearest_number(terms, ops, values[0], -1)
    hi, hi_open = _nearest_number(terms, ops, values[0], 1)
    _narrow_generic(key, make_domain(lo, hi, lo_open, hi_open), text, result)


def _narrow_generic(key: str, domain: Domain, text: str, result: Assumptions) -> None:
    function = result.context.functions[key]
    _set_generic(key, function.body.func.__name__, function.latex, function.params,
                 _intersect(function.domain, domain, function.latex, text), result.context)


def _intersect(known: Domain, new: Domain, shown: str, text: str) -> Domain:
    """The domain of values in both ``known`` and ``new``; an empty one is an error."""
    lo, lo_open = known.lo, known.lo_open
    if new.lo is not None and (lo is None or new.lo > lo or (new.lo == lo and new.lo_open)):
        lo, lo_open = new.lo, new.lo_open
    hi, hi_open = known.hi, known.hi_open
    if new.hi is not None and (hi is None or new.hi < hi or (new.hi == hi and new.hi_open)):
        hi, hi_open = new.hi, new.hi_open
    if _empty(lo, hi, lo_open or hi_open):
        raise AssumptionError(f"assumption '{text}' leaves no value for {shown} "
                              f"({known.describe(shown)} by the assumptions above)", text, 0)
    return make_domain(lo, hi, lo_open, hi_open, known.integer or new.integer)


def _apply_orders(orders: list[tuple], result: Assumptions) -> None:
    """Record each order between two symbols (``a \\le b`` is kept as a < b for the points: the
    points tried satisfy both; the table remembers it was stated non-strict, so that index
    letters may be equal, proofs.claims.indices), on the symbols as the bounds left them; a
    cycle is an error."""
    table = result.table
    for small, large, text, strict in orders:
        small, large = _current(small, result), _current(large, result)
        for s in (small, large):
            _ensure_spec(s, result)
        small, large = _current(small, result), _current(large, result)
        table.order(small, large, strict)
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
    if re.fullmatch(r"\\mathbb\{R\}\^(d|\{d\})", compact):     # vectors in R^d
        for name in names:
            symbol = parse_expression(name, context=result.context)
            if not isinstance(symbol, sp.Symbol) or not _bounds_free(symbol, result):
                raise AssumptionError(f"assumption '{text}': {name} is not a symbol without bounds "
                                      "(a vector in R^d has no order)", text, 0)
            _ensure_spec(symbol, result)
            result.vectors.add(symbol)
        return
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
                                  "\\mathbb{N}, \\mathbb{R}^d (vectors) or an interval (a, b), "
                                  "[a, b]", text, 0)
        lo = _number(parse_expression(interval.group(2), context=result.context))
        hi = _number(parse_expression(interval.group(3), context=result.context))
        if lo is None or hi is None:
            raise AssumptionError(f"assumption '{text}': interval ends must be numbers", text, 0)
        lo_open = interval.group(1).endswith("(") or interval.group(1).endswith("]")
        hi_open = interval.group(4).endswith(")") or interval.group(4).endswith("[")
    for name in names:
        head = parse_function_head(name, result.context)
        if head is not None:             # a(t) \in \mathbb{R}: a generic function
            _declare_generic(*head, make_domain(lo, hi, lo_open, hi_open, integer), text, result)
            continue
        symbol = parse_expression(name, context=result.context)
        if not isinstance(symbol, sp.Symbol):
            raise AssumptionError(f"assumption '{text}': {name} is not a symbol", text, 0)
        _set_domain(symbol, lo, hi, lo_open, hi_open, text, result, integer)


def _bounds_free(symbol: sp.Symbol, result: Assumptions) -> bool:
    domain = result.table.domain(symbol)
    return domain.lo is None and domain.hi is None


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
    if spec is not None and _replaceable(spec):
        # a letter whose built-in domain no built-in relation uses: the assumption's bounds
        # replace the built-in ones, except that an upper bound alone keeps the built-in lower
        # one (\sigma < 2 is 0 < sigma < 2: a sign is rarely restated) unless that leaves no
        # value; a lower bound alone drops the built-in upper one (CFG's w >= 0 is unbounded)
        # (docs/claims.md 'Assumptions and definitions')
        known = spec.domain
        if lo is None and hi is not None and known.lo is not None and \
                not _empty(known.lo, hi, known.lo_open or hi_open):
            lo, lo_open = known.lo, known.lo_open
        _replace_builtin(spec, make_domain(lo, hi, lo_open, hi_open, integer), text, result)
        return
    if spec is not None:
        known = spec.domain
        widens = (lo is not None and known.lo is not None and lo < known.lo) or \
                 (hi is not None and known.hi is not None and hi > known.hi)
        if widens:
            raise AssumptionError(
                f"assumption '{text}' widens the built-in domain of {spec.key} "
                f"({known.describe(spec.key)}){_why_kept(spec)}", text, 0)
        if lo is None and known.lo is not None:      # the bounds add up: u > 0 and u < 1
            lo, lo_open = known.lo, known.lo_open
        if hi is None and known.hi is not None:
            hi, hi_open = known.hi, known.hi_open
        if _empty(lo, hi, lo_open or hi_open):
            where = "the assumptions above" if spec.key.startswith("user:") else \
                f"the built-in domain{_why_kept(spec)}"
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


# ---------------------------------------------------------------------------------------------
# built-in letters with the papers' other meanings: w, c, u, \xi
# ---------------------------------------------------------------------------------------------
# the table symbols the built-in readings of docs/claims.md use (variables, noises, predictions,
# the time and step count, the quantities defined per paper, the schedules): their domains are
# part of those readings (tests/test_claim_notation.py checks this list against the readings')
READING_KEYS = frozenset({
    "x", "x_0", "x_t", "x_tm1", "x_tm2", "x_tp1", "z", "eps", "eps_0", "eps_1", "eps_2",
    "xhat", "epshat", "s_theta", "score", "mu_theta", "t", "T", "alpha_t", "abar_t", "abar_tm1",
    "beta_t", "alpha_tm1", "betatilde_t", "omega", "g_t", "f_t", "S_t", "V_t", "lam",
    "sigma_min", "sigma_max", "beta_min", "beta_max"})


def builtin_use(spec: SymbolSpec) -> str | None:
    """Which built-in relation uses the domain of the table symbol ``spec``, or None when none
    does (a letter such as w, c, u, xi whose built-in domain only records one paper's meaning)."""
    if spec.key not in TABLE.specs:
        return "the schedule's definitions use it" if member_of_key(spec.key) else None
    symbol = spec.symbol
    for defined, value in TABLE.definitions.items():
        if symbol == defined or symbol in value.free_symbols:
            return f"the built-in definition {defined} = {value} uses it"
    for lo, hi in TABLE.orderings:
        if symbol in (lo, hi):
            return f"the built-in order {lo} < {hi} uses it"
    if spec.key in READING_KEYS:
        return "the built-in readings (docs/claims.md) use it"
    return None


def _replaceable(spec: SymbolSpec) -> bool:
    """A bounded letter of the table (one name: not ``\\Delta t``) no built-in relation uses."""
    return spec.key in TABLE.specs and not spec.key.startswith("user:") and \
        (spec.domain.lo is not None or spec.domain.hi is not None) and \
        _ONE_NAME.fullmatch(spec.latex) is not None and builtin_use(spec) is None


_ONE_NAME = re.compile(r"\\?[A-Za-z]+(_\{?\\?[A-Za-z0-9]+\}?)?")


def _why_kept(spec: SymbolSpec) -> str:
    """Why a built-in domain is kept, and how to name another quantity."""
    if spec.key.startswith("user:"):
        return ""
    use = builtin_use(spec)
    if use is None:
        return "; for another quantity use another name"
    plain = re.fullmatch(r"\\?[A-Za-z]+", spec.latex)
    other = f"another letter (e.g. \\tilde{{{spec.latex}}})" if plain else \
        "a name the table does not define"
    return f"; {use}, so it is kept; for another quantity use {other}"


def _replace_builtin(spec: SymbolSpec, domain: Domain, text: str, result: Assumptions) -> None:
    """The letter of ``spec`` becomes a symbol of the assumptions with ``domain`` (its SymPy
    assumptions to match); the verdicts of the steps that use it say so when the domain is not
    inside the built-in one (:func:`_note_replaced`)."""
    table = result.table
    new = sp.Symbol(spec.symbol.name, **domain.assumptions)
    key = name_key(spec.latex, table)
    del table.specs[spec.key]
    result.context.symbols[key] = new
    spec_key = f"user:{new.name}"
    table.specs[spec_key] = SymbolSpec(spec_key, new, spec.latex, "declared by an assumption",
                                       domain, positive_form_of(domain))
    result.replaced[new.name] = (spec.latex, spec.domain, spec.meaning)


def _note_replaced(result: Assumptions) -> None:
    for name, (latex, builtin, meaning) in result.replaced.items():
        domain = result.table.specs[f"user:{name}"].domain
        inside = (builtin.lo is None or (domain.lo is not None and (
            domain.lo > builtin.lo or (domain.lo == builtin.lo and
                                       (domain.lo_open or not builtin.lo_open))))) and \
            (builtin.hi is None or (domain.hi is not None and (
                domain.hi < builtin.hi or (domain.hi == builtin.hi and
                                           (domain.hi_open or not builtin.hi_open)))))
        if not inside:
            result.notes[name] = (
                f"{domain.describe(latex)} (the assumptions' domain; it replaces the built-in "
                f"{builtin.describe(latex)}, {meaning}, which no built-in relation uses)")
