"""Proving inequality steps: ``expr >= 0`` (``expr > 0`` when strict) on the symbols' domain.

Methods, each reported by name in ``InequalityProof.how``:

1. *identically zero*: the difference normalizes to 0 (this refutes a strict inequality);
2. *sign by assumptions*: SymPy's assumptions decide the sign after the positive parametrization
   of bounded symbols (e.g. a sum of squares over positive denominators);
3. *nonnegative terms split off*: the terms of a sum that are nonnegative by (2) are dropped and
   the rest is proved by (4) or (5) (a + b >= 0 when a >= 0 and b >= 0);
4. *convexity*: h is convex in one variable u on its interval (h'' >= 0 there, by (2)) and has a
   critical point c in the interval; a convex function's critical point is its global minimum, so
   h >= h(c), and h(c) >= 0 is proved recursively (fewer variables);
5. *unique critical point*: h' = N/D with N a polynomial in u and D of constant sign on the
   interval, N has exactly one root c in the interval and h''(c) > 0.  A differentiable function
   on an interval whose only critical point is a strict local minimum attains its global minimum
   there (any lower value would force a local maximum, a second critical point), so again
   h >= h(c), proved recursively;
6. *all critical points*: when h' = N/D has several roots in the interval, all of them explicit,
   h >= 0 follows from h >= 0 at each of them and at both ends (limits) of the interval;
7. *monotone*: h' >= 0 on the interval (by (2)) and the limit of h at the interval's left end is
   >= 0 (or h' <= 0 and the limit at the right end is >= 0): then h >= 0 on the whole interval,
   e.g. -ln(1 - x) - x >= 0 on (0, 1).

Soundness guards (each method relies on them):

- *defined on the domain*: a sign is read from an expression (h, h', h'') only when it is
  defined and continuous at every point of the domain (:func:`_defined`): only elementary
  functions, every denominator provably nonzero, every log argument positive, every base of a
  non-integer power positive (nonnegative under a positive exponent).  So 1/(99/100 - abar) is
  not "increasing from its limit at 0", and N/D with N, D >= 0 is signed only where D != 0 is
  already known.
- *guessed domains*: a symbol the claim reader only guessed a domain for (table key
  ``unknown:...``, searched as positive) is reasoned about over the reals (positive only when the
  symbol itself is positive, e.g. a density value).
- *refutations*: a critical point of the domain at which the prover computes a negative value (or
  0, strict) is returned as a counterexample when it satisfies every declared assumption
  (``SymbolTable.admits``, bounds on defined symbols included), confirmed at 50, 100 and 200
  digits; a strict inequality's 0 at the exact point, rational or not (x = sqrt(2)), by
  simplification and to 50 and 100 digits.  A 0 that cannot be confirmed so is returned as
  ``attained``: the checker leaves the strict claim undecided.
- *independent probe* (:func:`_probe`): before a proof is accepted the expression is evaluated
  with mpmath at 50 digits on a grid of the domain, near both ends of each interval and near every
  real root of every denominator, log argument and radicand; a negative (or, strict, exactly 0)
  value or an undefined point rejects the proof, and a negative point of the declared domain is
  the counterexample.

(4)/(5) give Gibbs' inequality x - 1 - ln x >= 0, weighted Jensen for ln, KL >= 0 between
Gaussians or finite distributions, and "the stationary point of the KL is its minimum".  Anything
else is left to numeric evidence, labelled as such by the checker.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import mpmath
import sympy as sp

from derive.budget import ERROR, InternalError, run_limited
from derive.codegen import safe_lambdify
from derive.symbols import POSITIVE, REAL, Domain, SymbolTable, TABLE, exact_number, mp_number
from derive.zero import is_zero

MAX_DEPTH = 4
GUESSED = "unknown:"      # key prefix of a domain the claim reader guessed (proofs/claim.py)
# functions defined and continuous on the whole real line
TOTAL = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.atan, sp.erf, sp.Abs, sp.re, sp.im)


@dataclass
class InequalityProof:
    proved: bool
    how: str
    counterexample: dict | None = None     # {symbol: Fraction or SymPy number}, a confirmed violation
    exact: bool = False                    # the violation is exact (exact point, exact value)
    # strict: the prover computed the value 0 at this point of its domain but could not confirm it
    # as a counterexample (e.g. a guessed domain excludes it): the strict claim is not settled
    attained: dict | None = None


class _Refuted(Exception):
    """The prover computed the value at a point of the domain exactly: negative, or 0 (``zero``)
    when strict.  The point's values may depend on symbols it leaves free."""

    def __init__(self, point: dict, zero: bool):
        super().__init__("refuted")
        self.point, self.zero = point, zero

    def at(self, variable: sp.Symbol, value: sp.Expr) -> "_Refuted":
        values = dict(self.point)
        values[variable] = value.xreplace(values)
        return _Refuted(values, self.zero)


_CACHE: dict = {}


def prove_nonnegative(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0,
                      strict: bool = False) -> InequalityProof:
    """Try to prove ``expr >= 0`` (``expr > 0`` if ``strict``) for every admissible value of its
    symbols, or find a confirmed point where it fails.  The prover runs in a worker limited to
    ``budget`` seconds of CPU time, and so does the independent probe (derive.budget); a probe
    that does not finish leaves the claim unproved."""
    expr = table.expand_definitions(sp.sympify(expr))
    outcome = _unless_bug(run_limited(partial(_search, expr, table, strict), budget))
    how, refuted, defined = outcome.value if outcome.ok else (None, None, False)
    note = _NOT_DECIDED if outcome.ok else f"the prover {outcome.describe()}"
    if how is None and refuted is None and defined and is_zero(expr, table, budget)[0]:
        how, refuted = (None, ({}, True)) if strict else ("the difference is identically 0", None)
    checked = _unless_bug(run_limited(partial(_settle, expr, table, strict, how, refuted, note),
                                      budget))
    if not checked.ok:
        return InequalityProof(False, f"the independent probe {checked.describe()}; "
                                      f"{how or 'not proved'}")
    return checked.value


def _unless_bug(outcome):
    """An exception raised in diffproof's own prover is a bug (raised again here as an internal
    error), not a reason for "not proved"; SymPy's own failures are."""
    if outcome.kind == ERROR and not outcome.library:
        raise InternalError(outcome.message, outcome.trace)
    return outcome


def _search(expr, table, strict):
    """(proof or None, the prover's refutation (point, zero) or None, expr defined on the
    domain), in the prover's worker."""
    _CACHE.clear()
    try:
        return _prove(expr, table, MAX_DEPTH, frozenset(), strict), None, _defined(expr, table)
    except _Refuted as refuted:
        return None, (refuted.point, refuted.zero), True


def _settle(expr, table, strict, how, refuted, note) -> InequalityProof:
    """The verdict on a proof attempt: a confirmed refutation, else the probe's finding."""
    attained = None
    if refuted is not None:
        found = _confirmed_point(expr, table, *refuted)
        if found is not None:
            point, exact = found
            what = "0 (a strict inequality)" if refuted[1] else "negative"
            return InequalityProof(False, f"the prover computed the value {what} at "
                                          f"{_show(point)}, a point of the domain", point, exact)
        if refuted[1]:
            attained = refuted[0]
            note = (f"the prover computed the value 0 at {_show(attained)} (the minimum), not "
                    "confirmed as a point of the declared domain")
    kind, point, counterexample = _probe(expr, table, strict)
    if kind == "ok":
        return InequalityProof(how is not None, how or note, attained=attained)
    if kind == "unevaluable":
        bad = "the independent probe cannot evaluate the expression"
    else:
        found = {"undefined": "undefined (or not real)", "negative": "negative",
                 "zero": "0 (a strict inequality)"}[kind]
        bad = f"the independent probe found the value {found} at {_show(point)}" + (
            ", a point of the domain" if _admissible(point, table) else _excluded(point, table))
    why = f"the proof ({how}) was rejected: {bad}" if how is not None else f"{note}; {bad}"
    return InequalityProof(False, why, counterexample, exact=kind == "zero", attained=attained)


def _excluded(point: dict, table: SymbolTable) -> str:
    """Why a probe point is no counterexample: a declared bound on a defined symbol, or a domain
    the claim reader guessed."""
    bounds = table.outside_domain(point)
    if bounds:
        return f" (the declared assumption {'; '.join(bounds)} excludes it or is not checked there)"
    return " (a value the domain of a symbol of unknown domain may not contain)"


_NOT_DECIDED = ("sign not decided symbolically (tried on the domain where every term is provably "
                "defined: sign by assumptions, convexity, unique critical point, monotonicity)")


def _show(point: dict) -> str:
    return ", ".join(f"{s.name} = {v}" for s, v in sorted(point.items(), key=lambda i: i[0].name)) \
        or "(no free symbol)"


# -- domains --------------------------------------------------------------------------------------
def _domain(symbol: sp.Symbol, table: SymbolTable) -> Domain:
    """The domain the prover may use: a guessed one (claims' unknown symbols) is not used."""
    spec = table.spec(symbol)
    if spec is not None and spec.key.startswith(GUESSED):
        return POSITIVE if symbol.is_positive else REAL
    return table.domain(symbol)


def _admissible(point: dict, table: SymbolTable, domain=None) -> bool:
    """Whether the point lies in the domain and respects the orderings: with ``domain`` (the
    prover's domain of a symbol), each symbol in it; without, every declared assumption of the
    table, the bounds on defined symbols included (``SymbolTable.admits``: a counterexample)."""
    if domain is None:
        return table.admits(point)
    for symbol, value in point.items():
        where = domain(symbol, table)
        if not where.contains(value) or (where.integer and Fraction(value).denominator != 1):
            return False
    return all(not (lo in point and hi in point) or point[lo] < point[hi]
               for lo, hi in table.orderings)


# -- defined on the domain ------------------------------------------------------------------------
def _defined(expr: sp.Expr, table: SymbolTable) -> bool:
    """True when ``expr`` is provably defined (finite, real) and continuous at every point of the
    domain: elementary nodes only, denominators nonzero, log arguments positive, bases of
    non-integer powers positive (nonnegative under a positive exponent)."""
    key = ("defined", expr)
    if key not in _CACHE:
        _CACHE[key] = False          # re-entry (a node asks about itself) answers "not proved"
        _CACHE[key] = all(_node_defined(node, table) for node in sp.preorder_traversal(expr))
    return _CACHE[key]


def _node_defined(node, table) -> bool:
    if node.is_Atom:
        return node.is_real is True
    if isinstance(node, (sp.Add, sp.Mul)) or isinstance(node, TOTAL):
        return True
    if isinstance(node, sp.log):
        return _sign_known(node.args[0], table, "positive")
    if isinstance(node, sp.Pow):
        base, exponent = node.args
        if exponent.is_integer:
            return bool(exponent.is_nonnegative) or _nonzero(base, table)
        return _sign_known(base, table, "positive") or \
            bool(exponent.is_positive and _sign_known(base, table))
    return False


def _nonzero(expr, table) -> bool:
    return any(_sign_known(e, table, w) for e, w in ((expr, "nonzero"), (expr, "positive"),
                                                      (-expr, "positive")))


def _singular_bases(expr: sp.Expr) -> list[sp.Expr]:
    """Denominators, log arguments and bases of non-integer powers: where definedness changes."""
    bases = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.log):
            bases.append(node.args[0])
        elif isinstance(node, sp.Pow) and not (node.exp.is_integer and node.exp.is_nonnegative):
            bases.append(node.base)
    return [b for b in dict.fromkeys(bases) if b.free_symbols]


# -- sign by assumptions ----------------------------------------------------------------------
def _positive_form(expr: sp.Expr, table: SymbolTable) -> sp.Expr:
    """expr in positive parameters; a chain a < b < c is followed to its start (c = b + r_c,
    b = a + r_b), ties through symbols absent from expr included."""
    subs = table.positive_parametrization(_tied(expr.free_symbols, table))
    for _ in range(len(subs)):
        new = expr.xreplace(subs)
        if new == expr:
            break
        expr = new
    return expr


def _tied(symbols, table: SymbolTable) -> list[sp.Symbol]:
    """``symbols`` and every symbol an ordering chain ties to them (b in a < b < c)."""
    found = {s for s in symbols if isinstance(s, sp.Symbol)}
    while True:
        more = {s for pair in table.orderings if set(pair) & found for s in pair} - found
        if not more:
            return sorted(found, key=lambda s: s.name)
        found |= more


def _sign_known(expr: sp.Expr, table: SymbolTable, want: str = "nonnegative",
                quick: bool = False) -> bool:
    """True when SymPy's assumptions decide ``expr`` is nonnegative (or positive / nonzero) at
    every point of the domain.  Only for expressions defined on the whole domain (:func:`_defined`):
    a sign read from a form N/D holds where D != 0, and by continuity everywhere."""
    key = ("sign", expr, want, quick)
    if key not in _CACHE:
        _CACHE[key] = False
        _CACHE[key] = _defined(expr, table) and _sign_by_assumptions(expr, table, want, quick)
    return _CACHE[key]


def _sign_by_assumptions(expr, table, want, quick) -> bool:
    positive = _positive_form(expr, table)
    if getattr(positive, f"is_{want}"):
        return True
    if quick:
        return False
    factored = sp.factor(sp.together(positive))
    forms = [factored]
    if positive.has(sp.log):
        forms.append(sp.expand_log(positive, force=False))
    if any(getattr(form, f"is_{want}") for form in forms):
        return True
    if want in ("positive", "nonzero") and _log_gap_positive(positive):
        return True
    if want in ("nonnegative", "positive"):
        # N / D with N of the wanted sign and D >= 0: the sign holds wherever D != 0, hence (the
        # expression being defined and continuous on the domain, see _sign_known) everywhere
        numerator, denominator = sp.fraction(factored)
        return denominator != 1 and bool(getattr(numerator, f"is_{want}")) \
            and bool(denominator.is_nonnegative)
    return False


def _log_gap_positive(expr) -> bool:
    """A - B > 0 with A, B > 0 when ln A - ln B > 0 (ln increasing), e.g. s_max^2t - s_min^2t."""
    terms = sp.Add.make_args(expr)
    if len(terms) != 2:
        return False
    big, small = sorted(terms, key=lambda term: bool(term.could_extract_minus_sign()))
    if not (big.is_positive and (-small).is_positive):
        return False
    gap = sp.factor(sp.expand_log(sp.log(big) - sp.log(-small), force=False))
    return bool(gap.is_positive)


# -- the recursive prover -----------------------------------------------------------------------
def _prove(expr: sp.Expr, table: SymbolTable, depth: int, fixed: frozenset,
           strict: bool = False) -> str | None:
    """A proof that ``expr >= 0`` (> 0 if strict) on the domain, or None; raises _Refuted when a
    value it meets at a point of the domain is negative (or 0, strict)."""
    if not expr.free_symbols:
        if expr.is_negative or (strict and expr.is_zero):
            raise _Refuted({}, zero=not expr.is_negative)
    if not _defined(expr, table):
        return None
    if _cheap_zero(expr, table):
        if strict:
            raise _Refuted({}, zero=True)
        return "identically 0"
    if _sign_known(expr, table, "positive" if strict else "nonnegative"):
        return "sign decided by SymPy's assumptions on the domain"
    if depth <= 0:
        return None
    candidates = _candidates(expr, table, fixed)
    for method in (_minimize, _monotone):
        for variable in candidates:
            how = method(expr, variable, table, depth, fixed, strict)
            if how is not None:
                return how
    if expr.is_Add:
        terms = sp.Add.make_args(expr)
        known = [term for term in terms if _sign_known(term, table, quick=True)]
        if known and len(known) < len(terms):
            rest = sp.Add(*[term for term in terms if term not in known])
            inner = _bound(rest, table, depth - 1, fixed, strict)
            if inner is not None:
                return f"nonnegative terms split off; the rest: {inner}"
    return None


def _bound(expr, table, depth, fixed, strict) -> str | None:
    """``_prove`` for a bound of h (an end limit, part of a sum), not a value of h at a point: a
    negative result refutes the method, not the claim."""
    try:
        return _prove(expr, table, depth, fixed, strict)
    except _Refuted:
        return None


def _at_point(expr, variable, point, table, depth, fixed, strict) -> str | None:
    """``_prove`` for h at ``variable = point`` (a point of the interval for every value of the
    other symbols): a refutation there is a refutation of h."""
    try:
        return _prove(sp.simplify(expr.subs(variable, point)), table, depth, fixed | {variable},
                      strict)
    except _Refuted as refuted:
        raise refuted.at(variable, point) from None


def _cheap_zero(expr: sp.Expr, table: SymbolTable) -> bool:
    """Normal forms only (no simplify, no nested timer: the caller's budget stays in force).
    Log expansion on the positive parametrization only for small expressions (it is slow)."""
    if expr == 0 or sp.cancel(sp.together(expr)) == 0:
        return True
    if not expr.has(sp.log) or sp.count_ops(expr) > 40:
        return False
    positive = _positive_form(expr, table)
    return sp.cancel(sp.together(sp.expand(sp.expand_log(positive, force=False)))) == 0


def _monotone(expr, variable, table, depth, fixed, strict) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable):
        return None
    domain = _domain(variable, table)
    for sign, end, is_open, side, word in ((1, domain.lo, domain.lo_open, "+", "increasing"),
                                           (-1, domain.hi, domain.hi_open, "-", "decreasing")):
        if end is None or not _sign_known(sign * first, table):
            continue
        try:
            boundary = sp.limit(expr, variable, sp.nsimplify(end), side)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if boundary.has(sp.nan, sp.zoo) or boundary.has(sp.Limit):
            continue
        # strictly monotone from an open end: h > its limit there, so the limit may be 0
        rising = is_open and _sign_known(sign * first, table, "positive")
        inner = _bound(sp.simplify(boundary), table, depth - 1, fixed | {variable},
                       strict and not rising)
        if inner is not None:
            return (f"{word} in {variable.name} (first derivative {'>=' if sign > 0 else '<='} 0) "
                    f"from its limit at {variable.name} -> {end:g}{side}: {inner}")
    return None


def _candidates(expr: sp.Expr, table: SymbolTable, fixed: frozenset):
    symbols = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in fixed),
                     key=lambda s: s.name)
    # ordered symbols (sigma_min < sigma_max) are parametrized jointly; leave them to the sign test
    ordered = {s for pair in table.orderings for s in pair}
    return [s for s in symbols if s not in ordered and not _domain(s, table).integer]


def _in_interval(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    domain = _domain(variable, table)
    if value.is_real is False or value.has(sp.I, sp.zoo, sp.oo, sp.nan):
        return False
    if not _defined(value, table):
        return False
    checks = []
    if domain.lo is not None:
        checks.append(value - domain.lo)
    if domain.hi is not None:
        checks.append(domain.hi - value)
    return all(_sign_known(gap, table, "positive") for gap in checks)


def _outside(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    """True when ``value`` is provably not a point of the variable's interval."""
    if value.has(sp.zoo, sp.oo, sp.nan):
        return True
    imaginary = sp.im(value)
    if imaginary != 0 and _sign_known(imaginary, table, "nonzero"):
        return True
    if value.is_real is False:
        return True
    domain = _domain(variable, table)
    if domain.lo is not None and _sign_known(domain.lo - value, table,
                                             "nonnegative" if domain.lo_open else "positive"):
        return True
    if domain.hi is not None and _sign_known(value - domain.hi, table,
                                             "nonnegative" if domain.hi_open else "positive"):
        return True
    return False


def _minimize(expr, variable, table, depth, fixed, strict) -> str | None:
    first = sp.diff(expr, variable)
    if first == 0 or not first.is_rational_function(variable) or not _defined(first, table):
        return None     # the critical points would not be the roots of a polynomial
    numerator, denominator = sp.fraction(sp.factor(sp.together(first)))
    second = sp.diff(first, variable)
    name = variable.name
    # (4) convexity: h'' >= 0 on the interval, and any critical point in the interval
    convex = _sign_known(second, table)
    roots = _roots(numerator, variable)
    if roots is None:
        return None
    inside = [root for root in roots if _in_interval(root, variable, table)]
    if not inside:
        return None
    undecided = [r for r in roots if r not in inside and not _outside(r, variable, table)]
    if not (_sign_known(denominator, table, "positive") or _sign_known(-denominator, table, "positive")):
        return None
    if convex:
        root = inside[0]
        method = f"convex in {name} (second derivative >= 0), critical point {name} = {root}"
    else:
        if undecided:
            return None
        if len(set(inside)) != 1:
            return _critical_values(expr, variable, sorted(set(inside), key=sp.default_sort_key),
                                    table, depth, fixed, strict)
        # (5) the only critical point, a strict local minimum
        root = inside[0]
        curvature = second.subs(variable, root)
        if not _sign_known(sp.simplify(curvature), table, "positive"):
            return None
        method = f"only critical point {name} = {root} on the domain, a strict minimum"
    inner = _at_point(expr, variable, root, table, depth - 1, fixed, strict)
    if inner is None:
        return None
    return f"{method}; minimum value: {inner}"


def _critical_values(expr, variable, points, table, depth, fixed, strict) -> str | None:
    """(6) every critical point in the interval is known: h >= 0 when h is >= 0 at each of them
    and its limits at both ends of the interval are >= 0 (the infimum of a differentiable function
    on an open interval is a critical value or an end limit).  Strict: h > 0 at the critical points
    and at closed ends; an open end's limit may be 0 (it is not attained)."""
    domain = _domain(variable, table)
    ends = [(sp.nsimplify(domain.lo) if domain.lo is not None else -sp.oo, "+",
             domain.lo is None or domain.lo_open),
            (sp.nsimplify(domain.hi) if domain.hi is not None else sp.oo, "-",
             domain.hi is None or domain.hi_open)]
    for end, side, is_open in ends:
        try:
            value = sp.limit(expr, variable, end, side)
        except (NotImplementedError, ValueError, TypeError):
            return None
        if value == sp.oo:
            continue
        if value.has(sp.nan, sp.zoo, sp.Limit) or value == -sp.oo:
            return None
        if _bound(sp.simplify(value), table, depth - 1, fixed | {variable},
                  strict and not is_open) is None:
            return None
    for point in points:
        if _at_point(expr, variable, point, table, depth - 1, fixed, strict) is None:
            return None
    names = ", ".join(str(p) for p in points)
    return (f"critical points {variable.name} = {names} and both ends of the domain: every candidate "
            f"for the minimum is {'>' if strict else '>='} 0")


def _roots(numerator: sp.Expr, variable: sp.Symbol) -> list[sp.Expr] | None:
    """All roots of a polynomial numerator in ``variable`` (with multiplicity), or None."""
    if not numerator.has(variable):
        return []
    try:
        poly = sp.Poly(numerator, variable)
    except sp.PolynomialError:
        return None
    if poly.degree() > 4:
        return None
    found = sp.roots(poly, multiple=True)
    if len(found) != poly.degree():
        return None
    return [sp.simplify(r) for r in found]


# -- refutations found by the prover ----------------------------------------------------------------
def _confirmed_point(expr, table, partial_point: dict, zero: bool) -> tuple[dict, bool] | None:
    """The prover's point, completed with simple values for the symbols it left free (and those
    the assumptions tie to them), checked to satisfy every declared assumption and confirmed:
    made rational, negative at 50, 100 and 200 digits with a stable value; or (``zero``: the
    value there was shown to be exactly 0, which refutes a strict inequality) at the exact point,
    rational or not (x = sqrt(2)), 0 by simplification and to 50 and 100 digits.  Returns
    (point, whether it is the prover's exact point)."""
    symbols = _symbols(expr)
    compiled = _compile(expr, symbols)
    if compiled is None:
        return None
    missing = [s for s in table.linked_symbols(symbols) if s not in partial_point]
    simple = [[v for v in (table.domain(s).simple or (Fraction(1, 2),))][:3] for s in missing]
    for values in itertools.islice(itertools.product(*simple), 27):
        point = _resolve(partial_point, dict(zip(missing, values)))
        if point is None:
            continue
        candidates = [(_fractions(point), False)] if zero else _rationals(point)
        for candidate, approximate in candidates:
            try:
                if _admissible(candidate, table) and (
                        _exact_zero_at(expr, compiled, symbols, candidate) if zero else
                        _stably_negative(compiled, symbols, candidate)):
                    return candidate, not approximate
            except _TooLarge:
                continue
    return None


def _exact_zero_at(expr, compiled, symbols, point: dict) -> bool:
    """0 at an exact point of real numbers: by simplification and to 50 and 100 digits."""
    exact = [exact_number(v) for v in point.values()]
    real = all(v.is_extended_real is True and v.is_finite is True for v in exact)
    return real and _near_zero(compiled, symbols, point) and _exactly_zero(expr, point)


def _resolve(partial_point: dict, fill: dict) -> dict | None:
    values = {s: sp.sympify(v) for s, v in {**fill, **partial_point}.items()}
    for _ in range(len(values) + 1):
        values = {s: v.xreplace(values) for s, v in values.items()}
        if all(v.is_number for v in values.values()):
            return values
    return None


def _fractions(point: dict) -> dict:
    """The point with its rational coordinates as Fractions (the others stay SymPy numbers)."""
    return {s: Fraction(int(v.p), int(v.q)) if v.is_Rational else v for s, v in point.items()}


def _rationals(point: dict):
    """Rational versions of a point: exact, or (irrational coordinates) approximations with
    denominators up to 10^3, 10^6, 10^12 and a 60-digit one."""
    exact = {s: Fraction(int(v.p), int(v.q)) for s, v in point.items() if v.is_Rational}
    if len(exact) == len(point):
        yield exact, False
        return
    if not all(v.is_real for v in point.values()):
        return
    fine = {s: Fraction(str(sp.N(v, 60))) for s, v in point.items()}
    for limit in (10 ** 3, 10 ** 6, 10 ** 12, None):
        yield {s: (v if limit is None or s in exact else v.limit_denominator(limit))
               for s, v in fine.items()}, True


# -- the independent probe --------------------------------------------------------------------------
PROBE_DPS = 50
MAX_GRID = 800
MAX_NEAR = 1500
_OFFSETS = tuple(Fraction(1, 10 ** k) for k in (1, 2, 3, 4, 6, 9, 12, 20))


def _symbols(expr) -> list[sp.Symbol]:
    return sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=lambda s: s.name)


def _compile(expr, symbols):
    try:
        return safe_lambdify(symbols, expr, modules="mpmath")
    except Exception:  # noqa: BLE001 - unknown functions, unsafe nodes: not evaluable
        return None


class _TooLarge(Exception):
    """A value too large to evaluate (exp(exp(exp(100)))): the point is skipped, not undefined."""


def _value(compiled, symbols, point: dict, dps: int = PROBE_DPS):
    """The real value at ``point`` with ``dps`` digits, or None where undefined or not real."""
    with mpmath.workdps(dps):
        try:
            value = mpmath.mpmathify(compiled(*[mp_number(point[s]) for s in symbols]))
        except (OverflowError, MemoryError, RecursionError) as error:
            raise _TooLarge from error
        except Exception:  # noqa: BLE001 - a pole, log(0): undefined here
            return None
        if not mpmath.isfinite(value):
            return None
        if abs(mpmath.im(value)) > mpmath.mpf(10) ** (15 - dps) * (1 + abs(mpmath.re(value))):
            return None
        return mpmath.re(value)


def _stably_negative(compiled, symbols, point) -> bool:
    """Negative at 50, 100 and 200 digits with a value that no longer moves (round-off moves)."""
    previous = None
    for dps in (PROBE_DPS, 2 * PROBE_DPS, 4 * PROBE_DPS):
        value = _value(compiled, symbols, point, dps)
        if value is None or value >= 0:
            return False
        if previous is not None and abs(value - previous) <= abs(value) * mpmath.mpf("1e-6"):
            return True
        previous = value
    return False


def _near_zero(compiled, symbols, point) -> bool:
    return all(value is not None and abs(value) < mpmath.mpf(10) ** (10 - dps)
               for dps in (PROBE_DPS, 2 * PROBE_DPS)
               for value in [_value(compiled, symbols, point, dps)])


def _exactly_zero(expr, point) -> bool:
    """``expr`` is 0 at the exact point (rational or SymPy coordinates), by simplification."""
    value = expr.xreplace({s: exact_number(v) for s, v in point.items()})
    return value == 0 or sp.simplify(value) == 0


def _probe(expr, table, strict) -> tuple[str, dict | None, dict | None]:
    """Evaluate ``expr`` at the probe points (:func:`_probe_points`), independently of the prover.
    Returns (kind, first bad point, counterexample): kind is ok, undefined, negative, zero
    (strict: an exact 0) or unevaluable; the counterexample is a bad point of the declared
    domain (a guessed domain's points reject a proof but refute nothing)."""
    symbols = _symbols(expr)
    compiled = _compile(expr, symbols)
    if compiled is None:
        return "unevaluable", None, None
    # a point gives every symbol tied to expr's by an ordering a value, so that it is consistent
    # (a < b < c: a = 2, c = 1 is no point, though it respects each ordering it mentions)
    worst: tuple[str, dict | None] = ("ok", None)
    exact_tries = completions = 5
    for point in _probe_points(expr, _tied(symbols, table), table):
        try:
            value = _value(compiled, symbols, point)
            kind = None
            if value is None:
                kind = "undefined"
            elif value < 0 and _stably_negative(compiled, symbols, point):
                kind = "negative"
            elif strict and abs(value) < mpmath.mpf(10) ** -40 and exact_tries > 0:
                exact_tries -= 1
                kind = "zero" if _exactly_zero(expr, point) else None
        except _TooLarge:
            continue
        if kind is None:
            continue
        if kind != "undefined" and _admissible(point, table):
            return kind, point, point
        if kind != "undefined" and completions > 0 and \
                set(table.linked_symbols(point)) - set(point):
            # a bound on a defined symbol ties other symbols to the point: give them values
            completions -= 1
            found = _confirmed_point(expr, table, point, kind == "zero")
            if found is not None:
                return kind, found[0], found[0]
        if worst[0] == "ok" or (worst[0] == "undefined" and kind != "undefined"):
            worst = (kind, point)
    return worst[0], worst[1], None


def _axis(domain: Domain) -> list[Fraction]:
    """Probe values of one symbol: a grid, points near each end, the domain's simple values."""
    if domain.integer:
        values = [Fraction(n) for n in (*range(-3, 11), 20, 50, 100, 1000)]
    else:
        lo = None if domain.lo is None else Fraction(domain.lo)
        hi = None if domain.hi is None else Fraction(domain.hi)
        steps = [Fraction(k, 4) for k in range(1, 13)] + [Fraction(10 ** k) for k in range(1, 5)]
        near = list(_OFFSETS)
        if lo is not None and hi is not None:
            width = hi - lo
            values = [lo + width * k / 16 for k in range(1, 16)]
            values += [lo + width * o for o in near] + [hi - width * o for o in near]
        elif lo is not None:
            values = [lo + o for o in near + steps]
        elif hi is not None:
            values = [hi - o for o in near + steps]
        else:
            values = [Fraction(0)] + [sign * o for o in near[:5] + steps for sign in (1, -1)]
        values += [e for e in (lo, hi) if e is not None]     # kept below only if closed
    values += list(domain.simple)
    return sorted(v for v in set(values) if domain.contains(v))


def _probe_points(expr, symbols, table):
    """A grid over the domain (every axis value for one symbol; for several, a product of coarse
    axes sampled down to MAX_GRID points plus each full axis through the grid's middle), then
    points near every real root of every singular base (:func:`_near_roots`)."""
    if not symbols:
        yield {}
        return
    axes = {s: _axis(_domain(s, table)) for s in symbols}
    ok = partial(_admissible, table=table, domain=_domain)
    if len(symbols) == 1:
        grid = [{symbols[0]: v} for v in _simplest(axes[symbols[0]])]
    else:   # simplest values first, so that a counterexample reads w = 2/3 rather than 1 - 10^-12
        coarse = [_simplest(set(_simplest(axes[s])[:10] + axes[s][:2] + axes[s][-2:]))
                  for s in symbols]
        ranks = itertools.product(*[range(len(c)) for c in coarse])
        if _size(coarse) > MAX_GRID:
            rng, n = random.Random(0), len(symbols)
            ranks = [(0,) * n] + [tuple(int(i == j) for i in range(n)) for j in range(n)] + \
                [tuple(rng.randrange(len(c)) for c in coarse) for _ in range(MAX_GRID)]
        grid = [{s: c[i] for s, c, i in zip(symbols, coarse, index)}
                for index in sorted(ranks, key=sum)]
        middle = {s: c[0] for s, c in zip(symbols, coarse)}
        grid += [{**middle, s: v} for s in symbols for v in axes[s]]
    grid = [p for p in grid if ok(p)]
    yield from grid
    starts = grid[:: max(1, len(grid) // 6)][:6]
    near = (p for singular in _singular_bases(expr)
            for p in _near_roots(singular, symbols, axes, starts) if ok(p))
    yield from itertools.islice(near, MAX_NEAR)


def _simplest(values) -> list[Fraction]:
    return sorted(values, key=lambda v: (v.denominator, abs(v.numerator), v < 0))


def _size(lists) -> int:
    size = 1
    for values in lists:
        size *= len(values)
    return size


def _near_roots(base, symbols, axes, starts):
    """Points at and next to the real roots of ``base`` in each of its symbols, the others fixed
    at a few grid points: exact rational roots, numeric roots of a polynomial numerator, and
    bisected sign changes along the symbol's axis otherwise."""
    compiled = _compile(base, symbols)
    for symbol in sorted(base.free_symbols & set(symbols), key=lambda s: s.name):
        for start in starts:
            fixed = {s: sp.Rational(v.numerator, v.denominator) for s, v in start.items()
                     if s != symbol}
            for root in _real_roots(base.xreplace(fixed), symbol, compiled, symbols, start, axes):
                scale = max(Fraction(1), abs(root))
                for offset in (0,) + _OFFSETS[1:]:
                    for value in {root - offset * scale, root + offset * scale}:
                        yield {**start, symbol: value}


def _real_roots(univariate, symbol, compiled, symbols, start, axes) -> list[Fraction]:
    numerator = sp.numer(sp.together(univariate))
    if numerator.free_symbols == {symbol} and numerator.is_polynomial(symbol):
        try:
            poly = sp.Poly(numerator, symbol)
            if poly.degree() > 12:
                raise sp.PolynomialError("degree")
            # ground_roots may hold irrational roots (x_0 = -sqrt(abar_t) eps at a rational
            # abar_t): the rational ones are kept exactly, the rest come from nroots below
            exact = [Fraction(int(r.p), int(r.q)) for r in poly.ground_roots() if r.is_Rational]
            numeric = [Fraction(str(r)) for r in poly.nroots(n=30) if r.is_real]
            return exact + numeric
        except (sp.PolynomialError, sp.DomainError, mpmath.libmp.NoConvergence, ValueError):
            pass
    if compiled is None:
        return []
    roots, axis = [], axes[symbol]

    def sign_at(value):
        try:
            found = _value(compiled, symbols, {**start, symbol: value})
        except _TooLarge:
            return None
        return None if found is None else found > 0

    for left, right in zip(axis, axis[1:]):
        a, b = sign_at(left), sign_at(right)
        if a is None or b is None or a == b:
            continue
        for _ in range(80):
            middle = (left + right) / 2
            if sign_at(middle) == a:
                left = middle
            else:
                right = middle
        roots.append(left)
    return roots
