"""Steps that define a name rather than state an identity, and unknown functions at one point
(docs/claims.md 'Built-in relations, definitions and unknown functions').

- *definitions*: a step whose one side is an undefined name (``g(t)``, ``x_t``, ``\\sigma_t^2``:
  no built-in value, no assumption) absent from the other side, or in which an undefined
  quantity (g(t), f(t), lambda(t), a user symbol with no bound) occurs on one side only, defines
  it: ``undecided (definition)`` with the ``% assume:`` to add, never ``fails``;
- *unknown functions*: the values and derivatives of ``f`` at one point are arbitrary numbers, so
  a claim about every ``f`` is checked with them as free symbols (:func:`generic_values`).

Standard normal noises (:mod:`.noises`) are not undefined quantities.
"""
from __future__ import annotations

from typing import NamedTuple

import sympy as sp

from diffproof.derive.domains import REAL
from diffproof.derive.symbols import GUESSED, TABLE
from diffproof.derive.verdict import UNDECIDED, Verdict
from diffproof.derive.vocabulary import built_in_symbols
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.readings.base import BaseReading, StepState
from diffproof.proofs.claims.readings.noises import is_noise
from diffproof.proofs.claims.steps import latex_text

DEFINITION = "definition"
# Symbols that name a quantity defined elsewhere (per SDE, per model, per paper section) rather
# than a free parameter: a claim that merely equates one of them with a formula is a definition.
UNDEFINED_QUANTITY_KEYS = ("g_t", "f_t", "S_t", "V_t", "lam", "score")


def reads_as_definition(lhs, rhs, assumptions: Assumptions, groups=None) -> str | None:
    """Why ``lhs = rhs`` defines a name rather than states an identity, or None.  ``groups``
    (:func:`generic_values`) relates the values of one unknown function: a side that is one value
    or derivative absent from the other side defines it (the ODE ``\\gamma'(t) = 2\\gamma(t)``),
    otherwise a function met on both sides (``\\frac{d}{dt}\\gamma(t)^2 = \\gamma'(t)``) makes a
    claim about every function."""
    table = assumptions.table
    defined = set(table.definitions) | set(assumptions.definitions)
    groups = groups or {}
    for side, other in ((lhs, rhs), (rhs, lhs)):
        name = _named(side)
        if name is None or name in defined:
            continue
        if isinstance(name, sp.Symbol) and name in assumptions.free(other):
            continue
        if isinstance(name, sp.core.function.AppliedUndef) and \
                sp.sympify(other).has(name.func):
            continue
        shown = latex_text(name)
        return (f"reads as a definition of {shown}, not an identity: {shown} is not defined "
                f"(no built-in value, no assumption) and does not occur on the other side; "
                f"to check it against a definition, state one: "
                f"% assume: {latex_text(_value_of(name, groups))} = ...")
    loose = _undefined_quantities(assumptions) | _user_unknowns(lhs, rhs, assumptions)
    left, right = assumptions.free(lhs), assumptions.free(rhs)
    one_sided = sorted((s for s in (left ^ right) & loose
                        if not (groups.get(s, {s}) & left and groups.get(s, {s}) & right)),
                       key=lambda s: s.name)
    one_sided = [s for s in one_sided if not _cancels(s, lhs, rhs, assumptions)]
    if one_sided:
        names = ", ".join(latex_text(s) for s in one_sided)
        return (f"{names} {'is' if len(one_sided) == 1 else 'are'} not defined (no built-in "
                f"value, no assumption) and occur{'s' if len(one_sided) == 1 else ''} on one "
                f"side only, so the claim constrains {names} rather than stating an identity; "
                f"state a definition with % assume: {latex_text(min(one_sided, key=lambda s: len(s.name)))} = ...")
    return None


def _cancels(symbol, lhs, rhs, assumptions) -> bool:
    """Whether ``symbol`` leaves the claim once definitions are substituted and the difference of
    the sides is expanded (X_t + (1-t)(X_1 - X_0) = X_1 with X_t = t X_1 + (1-t) X_0): then the
    claim does not constrain it.  Only for small claims (expansion may blow up)."""
    difference = assumptions.expand(lhs) - assumptions.expand(rhs)
    if sp.count_ops(difference) > 200 or difference.has(sp.Integral, sp.Sum, sp.Product):
        return False
    return symbol not in sp.expand(difference).free_symbols


def _value_of(name, groups):
    """The value f(x) of the function whose derivative f'(x) is ``name`` (what % assume: can
    define; the shortest name of its group), else ``name``."""
    return min(groups.get(name, (name,)), key=lambda s: len(s.name))


def _named(side):
    """The name a side consists of: S, S^k, or an undefined function application f(...)."""
    if isinstance(side, sp.Symbol):
        return side
    if isinstance(side, sp.Pow) and isinstance(side.base, sp.Symbol) and side.exp.is_Rational:
        return side.base
    if isinstance(side, sp.core.function.AppliedUndef):
        return side
    return None


def _undefined_quantities(assumptions: Assumptions) -> set:
    """The quantities defined elsewhere (UNDEFINED_QUANTITY_KEYS) and the symbols of unknown
    domain, unless the table or an assumption defines them."""
    table = assumptions.table
    out = {TABLE[k] for k in UNDEFINED_QUANTITY_KEYS}
    for spec in table.specs.values():
        if spec.key.startswith(GUESSED):
            out.add(spec.symbol)
    return {s for s in out if s not in table.definitions and s not in assumptions.definitions}


def _user_unknowns(lhs, rhs, assumptions: Assumptions) -> set:
    """Symbols neither in the table nor bounded nor defined by an assumption."""
    table = assumptions.table
    free = assumptions.free(lhs) | assumptions.free(rhs)
    return {s for s in free if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)
            and table.spec(s) is None and not s.is_integer and not is_noise(s)
            and s not in built_in_symbols()}


def _function_nodes(expr):
    """(node, base application) for each undefined function value f(x) and derivative in expr;
    a derivative at a point, f'(1 - t) (``Subs(Derivative(f(xi), xi), xi, 1 - t)``), has the base
    f(1 - t)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if _derivative_at_point(node):
            yield node, node.expr.expr.xreplace(dict(zip(node.variables, node.point)))
            continue
        if isinstance(node, sp.Derivative) and isinstance(node.expr, sp.core.function.AppliedUndef):
            yield node, node.expr
        elif isinstance(node, sp.core.function.AppliedUndef):
            yield node, node
        stack.extend(reversed(node.args))


def _derivative_at_point(node) -> bool:
    """f'(a) as SymPy writes it: the derivative of f(xi) in its own arguments, at xi = a."""
    if not (isinstance(node, sp.Subs) and isinstance(node.expr, sp.Derivative)):
        return False
    inner = node.expr.expr
    return isinstance(inner, sp.core.function.AppliedUndef) and \
        set(node.variables) <= set(inner.args) and \
        all(v in node.variables for v, _ in node.expr.variable_count)


def _derivative_orders(node, base):
    """(argument position, order) of each variable a derivative node differentiates in."""
    if isinstance(node, sp.Subs):
        args = node.expr.expr.args
        return tuple(sorted((args.index(v), n) for v, n in node.expr.variable_count))
    return tuple(sorted((base.args.index(v) if v in base.args else -1, n)
                        for v, n in node.variable_count))


def _value_name(node, base) -> str:
    """f(x), f'(x), f''(x) for one argument; f_xy(x, y) for partial derivatives."""
    args = ", ".join(map(str, base.args))
    if node is base:
        return f"{base.func.__name__}({args})"
    counts = node.expr.variable_count if isinstance(node, sp.Subs) else node.variable_count
    if len(base.args) == 1:
        order = sum(n for _, n in counts)
        return f"{base.func.__name__}{chr(39) * order}({args})"
    if isinstance(node, sp.Subs):
        names = dict(zip(node.variables, node.point))
        by = "".join(f"[{names.get(v, v)}]" * n for v, n in counts)
        return f"{base.func.__name__}_{by}({args})"
    by = "".join(str(v) * n for v, n in node.variable_count)
    return f"{base.func.__name__}_{by}({args})"


def several_points(name: str, declared: dict) -> bool:
    """Whether the unknown function ``name`` may be read at several argument lists as independent
    values: a function the assumptions declare (``% assume: D(x;\\sigma) \\in \\mathbb{R}``) or a
    network's output (``\\epsilon_\\theta``, ``D_\\theta``: subscript theta or phi) is a function of
    its arguments' values.  Others may not be: a density letter is overloaded by its arguments
    (``p(c \\mid z)``, ``p(z \\mid c)``, ``p(z)`` are tied by Bayes' rule) and a word such as Var
    names a functional of a random variable (Var(2x) = 4 Var(x)); a density stays one even with
    a declaration or a theta (``p_\\theta(x_0 \\mid x_1)`` and ``p_\\theta(x_1)``)."""
    parts = name.split("_")
    while len(parts) > 1 and parts[0] in _DECORATION_PREFIXES:
        parts = parts[1:]
    if parts[0] in ("p", "q", "P", "Q"):
        return False
    return name in declared or name.endswith(("_theta", "_phi"))


_DECORATION_PREFIXES = {"bar", "tilde", "hat", "dot", "ddot", "check", "breve", "star"}


def undeclared_at_several_points(lhs, rhs, declared: dict | None = None) -> list[str]:
    """The unknown functions met at several argument lists that :func:`several_points` does not
    read there (for the reason of an undecided step: declaring one makes it readable)."""
    lists: dict = {}
    for _, base in _function_nodes(sp.Tuple(sp.sympify(lhs), sp.sympify(rhs))):
        lists.setdefault(base.func.__name__, set()).add(base.args)
    return sorted(name for name, found in lists.items()
                  if len(found) > 1 and not several_points(name, declared or {}))


class GenericValues(NamedTuple):
    """A claim with each unknown function value f(x) and derivative f'(x) a free symbol."""

    lhs: sp.Expr
    rhs: sp.Expr
    names: list[str]
    groups: dict              # symbol -> the symbols of the same function (f(x), f'(x))
    domains: dict             # symbol -> Domain, for the values of declared functions
    pairs: list               # (symbol, arguments, symbol, arguments): one function and kind of
    #                           value at two argument lists of one length (they may coincide)


def generic_values(lhs, rhs, declared: dict | None = None) -> GenericValues | None:
    """The claim with each undefined function value f(x) and derivative f'(x) replaced by a free
    symbol, or None when that is not a faithful generalization: a claim about every function f
    is then a claim about independent numbers, because the values and derivatives of a function
    at one point are arbitrary, and so are its values at different points.  Refused inside an
    integral, sum, product, limit or Subs (values there are not independent) and for a function
    met at several argument lists unless it is declared or a network's output
    (:func:`several_points`), or when one of those lists holds an unknown function.  Applications at two
    argument lists of one length are listed (``pairs``): a refutation must not make those
    argument lists equal while giving the two values different numbers
    (:func:`proofs.claims.safety.distinct_arguments`).  ``declared``: function name -> Domain of
    the values of the functions declared by an assumption (``% assume: a(t) > 0``); their
    derivatives are any real numbers."""
    both = sp.Tuple(sp.sympify(lhs), sp.sympify(rhs))
    if both.has(sp.Integral, sp.Sum, sp.Product, sp.Limit) or any(
            not _derivative_at_point(node) for node in both.atoms(sp.Subs)):
        return None
    declared = declared or {}
    atoms, arguments, domains, names = {}, {}, {}, {}
    for node, base in _function_nodes(both):
        arguments.setdefault(base.func, set()).add(base.args)
        if node in atoms:
            continue
        name = _value_name(node, base)
        if names.setdefault(name, node) != node:
            return None                      # two values printed alike: not told apart
        domain = declared.get(base.func.__name__)
        if domain is not None:
            domains_here = domain if node is base else REAL
            atoms[node] = sp.Symbol(name, **domains_here.assumptions)
            domains[atoms[node]] = domains_here
            continue
        positive = base.func.__name__ in ("p", "q", "p_t", "p_theta")
        atoms[node] = sp.Symbol(name, positive=True) if positive and node is base \
            else sp.Symbol(name, real=True)
    if not atoms:
        return None
    for function, lists in arguments.items():
        if len(lists) > 1 and (not several_points(function.__name__, declared) or any(
                arg.has(sp.core.function.AppliedUndef, sp.Derivative)
                for args in lists for arg in args)):
            return None
    new = both.xreplace(atoms)
    if new.has(sp.core.function.AppliedUndef, sp.Derivative):
        return None
    members: dict = {}
    kinds: dict = {}
    for node, base in _function_nodes(both):
        members.setdefault(base.func, set()).add(atoms[node])
        order = () if node is base else _derivative_orders(node, base)
        kind = (base.func, len(base.args), order)
        kinds.setdefault(kind, {})[atoms[node]] = base.args
    groups = {symbol: frozenset(group) for group in members.values() for symbol in group}
    pairs = []
    for values in kinds.values():
        listed = sorted(values.items(), key=lambda item: item[0].name)
        pairs += [(a, values[a], b, values[b]) for i, (a, _) in enumerate(listed)
                  for b, _ in listed[i + 1:]]
    return GenericValues(new[0], new[1], sorted(s.name for s in atoms.values()), groups, domains,
                         pairs)


class DefinitionReading(BaseReading):
    """A step that names an undefined quantity defines it: ``undecided (definition)``, unless it
    states a forward law or has a reading in conditional expectation (``state.law``,
    ``state.conditional``, recorded by the readings before it)."""

    name = DEFINITION

    def before(self, state: StepState) -> Verdict | None:
        if state.relation != "=" or state.elided or state.law or state.conditional or \
                state.computed:
            return None
        definition = reads_as_definition(state.lhs, state.rhs, state.assumptions)
        return None if definition is None else Verdict(UNDECIDED, DEFINITION, reason=definition)
