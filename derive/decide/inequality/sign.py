"""Where an expression is defined on the domain, and its sign there by SymPy's assumptions.

The guards every method of the prover relies on (see :mod:`derive.decide.inequality`): a sign is
read from an expression only when it is defined and continuous at every point of the domain
(:func:`defined`), on a positive parametrization of the bounded and ordered symbols
(:func:`positive_form`); a domain the claim reader only guessed (table key ``unknown:...``) is not
used (:func:`domain_of`).  Answers are cached for one run of the prover (:func:`clear_cache`).
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from diffproof.derive.domains import POSITIVE, REAL, Domain
from diffproof.derive.symbols import GUESSED, SymbolTable


# functions defined and continuous on the whole real line
TOTAL = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.atan, sp.erf, sp.Abs, sp.re, sp.im)


_CACHE: dict = {}       # (question, expression, ...) -> answer, for one run of the prover


def clear_cache() -> None:
    """Forget the answers of the previous run (a new expression, or a new table)."""
    _CACHE.clear()


def domain_of(symbol: sp.Symbol, table: SymbolTable) -> Domain:
    """The domain the prover may use: a guessed one (claims' unknown symbols) is not used."""
    spec = table.spec(symbol)
    if spec is not None and spec.key.startswith(GUESSED):
        return POSITIVE if symbol.is_positive else REAL
    return table.domain(symbol)


def admissible(point: dict, table: SymbolTable, domain=None) -> bool:
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
def defined(expr: sp.Expr, table: SymbolTable) -> bool:
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
        return sign_known(node.args[0], table, "positive")
    if isinstance(node, sp.Pow):
        base, exponent = node.args
        if exponent.is_integer:
            return bool(exponent.is_nonnegative) or _nonzero(base, table)
        return sign_known(base, table, "positive") or \
            bool(exponent.is_positive and sign_known(base, table))
    return False


def _nonzero(expr, table) -> bool:
    return any(sign_known(e, table, w) for e, w in ((expr, "nonzero"), (expr, "positive"),
                                                      (-expr, "positive")))


def singular_bases(expr: sp.Expr) -> list[sp.Expr]:
    """Denominators, log arguments and bases of non-integer powers: where definedness changes."""
    bases = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.log):
            bases.append(node.args[0])
        elif isinstance(node, sp.Pow) and not (node.exp.is_integer and node.exp.is_nonnegative):
            bases.append(node.base)
    return [b for b in dict.fromkeys(bases) if b.free_symbols]


# -- sign by assumptions ----------------------------------------------------------------------
def positive_form(expr: sp.Expr, table: SymbolTable) -> sp.Expr:
    """expr in positive parameters; a chain a < b < c is followed to its start (c = b + r_c,
    b = a + r_b), ties through symbols absent from expr included."""
    subs = table.positive_parametrization(tied(expr.free_symbols, table))
    for _ in range(len(subs)):
        new = expr.xreplace(subs)
        if new == expr:
            break
        expr = new
    return expr


def tied(symbols, table: SymbolTable) -> list[sp.Symbol]:
    """``symbols`` and every symbol an ordering chain ties to them (b in a < b < c)."""
    found = {s for s in symbols if isinstance(s, sp.Symbol)}
    while True:
        more = {s for pair in table.orderings if set(pair) & found for s in pair} - found
        if not more:
            return sorted(found, key=lambda s: s.name)
        found |= more


def sign_known(expr: sp.Expr, table: SymbolTable, want: str = "nonnegative",
               quick: bool = False) -> bool:
    """True when SymPy's assumptions decide ``expr`` is nonnegative (or positive / nonzero) at
    every point of the domain.  Only for expressions defined on the whole domain (:func:`defined`):
    a sign read from a form N/D holds where D != 0, and by continuity everywhere."""
    key = ("sign", expr, want, quick)
    if key not in _CACHE:
        _CACHE[key] = False
        _CACHE[key] = defined(expr, table) and _sign_by_assumptions(expr, table, want, quick)
    return _CACHE[key]


def _sign_by_assumptions(expr, table, want, quick) -> bool:
    positive = positive_form(expr, table)
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
        # expression being defined and continuous on the domain, see sign_known) everywhere
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


# -- the domain of one variable -----------------------------------------------------------------
def in_interval(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    domain = domain_of(variable, table)
    if value.is_real is False or value.has(sp.I, sp.zoo, sp.oo, sp.nan):
        return False
    if not defined(value, table):
        return False
    checks = []
    if domain.lo is not None:
        checks.append(value - domain.lo)
    if domain.hi is not None:
        checks.append(domain.hi - value)
    return all(sign_known(gap, table, "positive") for gap in checks)


def outside(value: sp.Expr, variable: sp.Symbol, table: SymbolTable) -> bool:
    """True when ``value`` is provably not a point of the variable's interval."""
    if value.has(sp.zoo, sp.oo, sp.nan):
        return True
    imaginary = sp.im(value)
    if imaginary != 0 and sign_known(imaginary, table, "nonzero"):
        return True
    if value.is_real is False:
        return True
    domain = domain_of(variable, table)
    if domain.lo is not None and sign_known(domain.lo - value, table,
                                            "nonnegative" if domain.lo_open else "positive"):
        return True
    if domain.hi is not None and sign_known(value - domain.hi, table,
                                            "nonnegative" if domain.hi_open else "positive"):
        return True
    return False
