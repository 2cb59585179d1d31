"""Refutations that relate schedule members of different indices (docs/claims.md 'Verdicts and
the safeguards against refuting a true claim', Schedule members of different indices).

A claim's table takes the members of different index chains (alpha_s and alpha_t, alphabar_T and
alphabar_t) as independent numbers, while in one schedule alphabar decreases with its index
(alphabar_k = prod_{i<=k} alpha_i) and one index has one value (:mod:`derive.realizable`).  A
refutation stands when its point is *realizable*: some indices, in an order the assumptions allow
(``% assume: s < t``; the point's own values of s and t when the claim uses them as numbers),
make its values those of one schedule.  Otherwise the point search is repeated at realizable
points only: for every order of the chains, one above the other, that the assumptions allow, the
lowest alphabar of the upper chain is the highest alphabar below it times the named alphas in
between and a free factor in (0, 1) (the other alphas), and, for letters ordered with ``\\le``
(``t \\le T``), with the letters equal (every member of one chain the other's at the same
offset); a refutation found there stands.  Failing that, the step is undecided, saying what was
searched and what would decide it.

Not modelled (undecided, naming why): an index letter defined by an assumption (``s = t - 1``),
a member defined by an assumption beside a member of another index that is not (VDM's alpha_t
defined, alpha_s not), more than MAX_LETTERS index letters or MAX_CHAINS chains.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

import sympy as sp

from diffproof.derive.domains import UNIT, positive_form_of
from diffproof.derive.families import index_text, member_key, member_of_key
from diffproof.derive.realizable import (MAX_LETTERS, Member, apart_possible, describe,
                                         letters_of, placement)
from diffproof.derive.symbols import SymbolSpec
from diffproof.derive.verdict import FAILS, UNDECIDED, Verdict
from diffproof.proofs.claims.assumptions import Assumptions

MAX_CHAINS = 4           # chains of a step beyond this: not modelled
COMPLETIONS = 27         # values tried for free parameters a point leaves without one
_REPORT_KEYS = ("lhs", "rhs", "residual", "where")


def across_indices(verdict: Verdict, step, assumptions: Assumptions,
                   recheck: Callable[[Assumptions], Verdict]) -> Verdict:
    """The verdict on a step once a refutation relating members of different indices is judged
    (module docstring); ``recheck`` checks the step again under other assumptions."""
    if verdict.status != FAILS:
        return verdict
    scope = _Scope.of(step, assumptions, verdict.counterexample)
    if scope is None:
        return verdict
    why = scope.unmodelled()
    if why is not None:
        return verdict.but(status=UNDECIDED, reason=_joined(why, verdict.reason))
    letters = scope.realized(verdict.counterexample, assumptions)
    if letters is not None:
        return verdict.noted(f"schedule members of different indices ({scope.shown}): one "
                             "schedule has these values (alphas at distinct indices are free, "
                             f"alphabar their product) at indices with {scope.describe(letters)}")
    first = scope.values_text(verdict.counterexample, assumptions)
    equalities = scope.equalities()
    readings = [(_order_text(order), lambda order=order: scope.linked(order))
                for order in scope.arrangements()] + \
        [(f"{low} = {high}", lambda low=low, high=high: scope.identified(low, high))
         for low, high in equalities]
    tried = []
    for shown, make in readings:
        linked = make()
        if linked is None:
            continue
        found = recheck(linked)
        letters = scope.realized(found.counterexample, linked) if found.status == FAILS else None
        if letters is not None:
            return found.noted(
                f"schedule members of different indices ({scope.shown}): the first point found "
                f"({first}) is no schedule{scope.stated_text}; this one is, with "
                f"{scope.describe(letters)}")
        tried.append(f"{shown}: {found.status.value} ({found.method.value})")
    also = " and equal where an order stated with \\le allows it" if equalities else ""
    searched = (f"searched again at schedules only, with the indices apart in each order "
                f"allowed{also}: no counterexample ({'; '.join(tried)})") if tried else \
        "no order of the indices apart is allowed by the assumptions"
    return verdict.but(status=UNDECIDED, reason=(
        f"the refutation's point is no schedule{scope.stated_text}: it gives the members of "
        f"different indices ({scope.shown}) {first}, while alphabar_k = prod_{{i<=k}} alpha_i "
        f"decreases with k and one index has one value; {searched}; what would decide it: a "
        "proof from that product (diffproof does not attempt one), or plain names for the values "
        "with the relation the claim relies on stated by % assume: (e.g. 0 < a_T \\le a_t < 1)"
        + (f"; {verdict.reason}" if verdict.reason else "")))


@dataclass
class _Scope:
    """The schedule members a step relates: their index chains, and the assumptions on their
    index letters."""

    assumptions: Assumptions
    members: dict            # symbol -> (family, chain, offset), the step's members
    chains: list             # their chains, sorted by text
    all_members: dict        # symbol -> (family, chain, offset), every member of the table

    @classmethod
    def of(cls, step, assumptions: Assumptions, point=None) -> "_Scope | None":
        """The scope of ``step`` (its members, and those its refutation's ``point`` names through
        an assumption), or None when they lie in fewer than two chains."""
        table = assumptions.table
        every = {}
        for spec in table:
            found = member_of_key(spec.key)
            if found is not None:
                every[spec.symbol] = found
        symbols = set()
        for side in (step.lhs, step.rhs):
            if isinstance(side, sp.Basic):
                symbols |= side.free_symbols | assumptions.free(side)
        names = set(point or ()) - set(_REPORT_KEYS)
        symbols |= {s for s in every if s.name in names}
        members = {s: every[s] for s in symbols if s in every}
        chains = sorted({found[1] for found in members.values()}, key=_chain_text)
        if len(chains) < 2:
            return None
        return cls(assumptions, members, chains, every)

    @property
    def letters(self) -> list[str]:
        return letters_of(Member(f, c, o) for f, c, o in self.members.values())

    def describe(self, letters: dict) -> str:
        """The indices of a placement: their order, or their values beside constant indices."""
        return describe(letters, values=() in self.chains or len(letters) < 2)

    @property
    def shown(self) -> str:
        return " and ".join(_chain_text(c) or "constant indices" for c in self.chains)

    # -- what is not modelled ----------------------------------------------------------------
    def unmodelled(self) -> str | None:
        defined = self.assumptions.definitions
        letters = self.letters
        named = sorted({k.name for k in defined if getattr(k, "name", None) in letters})
        if named:
            return (f"the index {named[0]} of the schedule members ({self.shown}) is defined by an "
                    "assumption, and diffproof reads an index letter as an index of its own, "
                    "unrelated to that definition: what would decide it: the members written at "
                    f"the index {named[0]} stands for (e.g. \\alpha_{{t-1}} for s = t - 1)")
        mine = [s for s in self.members if s in defined]
        other = [s for s in self.members if s not in defined and
                 all(self.members[s][1] != self.members[m][1] for m in mine)]
        if mine and other:
            return (f"the assumptions define {_names(mine)} but not {_names(other)}, a member "
                    "of the schedule at another index, which is then DDPM's (free per-step alpha, "
                    "alphabar a product of them): the two may not be one schedule; what would "
                    f"decide it: define {_names(other)} likewise with % assume:")
        if len(letters) > MAX_LETTERS or len(self.chains) > MAX_CHAINS:
            return (f"the refutation relates schedule members of {len(self.chains)} index chains "
                    f"({self.shown}); diffproof judges at most {MAX_LETTERS} index letters and "
                    f"{MAX_CHAINS} chains: what would decide it: fewer indices")
        return None

    # -- the assumptions on the index letters ------------------------------------------------
    def constraints(self, point: dict) -> tuple[set, set, dict, set]:
        """(orders a < b, equalities a = b, integer bounds, orders a <= b) on the index letters:
        the orders the assumptions state between symbols named as the letters (transitively; an
        order is strict when a strict link lies on the way, else it admits equality, as
        ``t \\le T`` is stated), the point's own values of those symbols when the claim uses
        them as numbers, and the bounds of a letter declared an integer."""
        letters = self.letters
        table = self.assumptions.table
        above: dict = {}
        for lo, hi in table.orderings:
            above.setdefault(lo, set()).add((hi, (lo, hi) not in table.weak))
        orders, equal, bounds, weak = set(), set(), {}, set()
        for start in [s for s in above if s.name in letters]:
            seen, todo = set(), list(above[start])
            while todo:
                node, strict = todo.pop()
                if (node, strict) in seen:
                    continue
                seen.add((node, strict))
                if node.name in letters and node.name != start.name:
                    (orders if strict else weak).add((start.name, node.name))
                todo += [(hi, strict or link) for hi, link in above.get(node, ())]
        weak -= orders
        values = {name: point[name] for name in letters if name in point}
        for a, b in itertools.combinations(sorted(values), 2):
            if values[a] < values[b]:
                orders.add((a, b))
            elif values[b] < values[a]:
                orders.add((b, a))
            else:
                equal.add((a, b))
        for spec in table:
            if spec.symbol.name in letters and spec.domain.integer:
                bounds[spec.symbol.name] = _integer_range(spec.domain)
        return orders, equal, bounds, weak

    @property
    def stated_text(self) -> str:
        """The orders of the index letters as the assumptions state them (``t \\le T`` quoted
        as non-strict)."""
        orders, equal, _, weak = self.constraints({})
        stated = sorted([f"{a} < {b}" for a, b in orders] + [f"{a} \\le {b}" for a, b in weak]) + \
            [f"{a} = {b}" for a, b in sorted(equal)]
        return f" at indices in the order the assumptions state ({', '.join(stated)})" if stated \
            else " at any indices"

    # -- the values of a point ----------------------------------------------------------------
    def realized(self, point, assumptions: Assumptions) -> dict | None:
        """The letters' values under which the point is one schedule's, or None."""
        values = _point_values(point)
        if values is None:
            return None
        orders, equal, bounds, weak = self.constraints(values)
        for members in self._completions(values, assumptions):
            letters = placement(members, orders, equal, bounds, weak)
            if letters is not None:
                return letters
        return None

    def _completions(self, values: dict, assumptions: Assumptions):
        """The members' values at the point (the step's members, the members their definitions
        use and the members the point names), the free parameters it leaves without a value
        (cancelled from the claim) taking simple values of their domains."""
        named = {s for s in self.all_members if s.name in values}
        symbols = set(self.members) | named
        expanded = {s: assumptions.expand(s) for s in symbols}
        for s in list(expanded):
            for free in expanded[s].free_symbols:
                if free in self.all_members and free not in expanded:
                    expanded[free] = assumptions.expand(free)
        params = sorted({f for e in expanded.values() for f in e.free_symbols},
                        key=lambda s: s.name)
        missing = [p for p in params if p.name not in values]
        known = {p: _exact(values[p.name]) for p in params if p.name in values}
        table = assumptions.table
        choices = [[Fraction(v) for v in table.domain(p).simple[:3]] or [Fraction(1, 2)]
                   for p in missing]
        for combination in itertools.islice(itertools.product(*choices), COMPLETIONS):
            subs = dict(known)
            subs.update({p: sp.Rational(v.numerator, v.denominator)
                         for p, v in zip(missing, combination)})
            if missing and not table.admits(subs, assumptions.definitions):
                continue
            members = []
            for symbol, expr in expanded.items():
                value = sp.sympify(expr).xreplace(subs)
                if not value.is_number:
                    break
                family, chain, offset = self.all_members[symbol]
                members.append(Member(family, chain, offset, _fraction(value)))
            else:
                yield members

    def values_text(self, point, assumptions: Assumptions) -> str:
        """The values the point gives the step's members, for a message."""
        values = _point_values(point) or {}
        subs = {}
        for s in self.members:
            for free in assumptions.expand(s).free_symbols:
                if free.name in values:
                    subs[free] = _exact(values[free.name])
        shown = []
        for s in sorted(self.members, key=lambda s: (_chain_text(self.members[s][1]), s.name)):
            value = assumptions.expand(s).xreplace(subs)
            if value.is_number:
                shown.append(f"{s.name} = {value}" if value.is_Rational else
                             f"{s.name} = {float(value):.6g}")
        return ", ".join(shown[:6]) or "its values"

    # -- the search at realizable points ------------------------------------------------------
    def _structure(self) -> dict:
        """Each chain's members as (family, offset): the step's members, the members their
        definitions use, and the chain's free (lowest) alphabar."""
        out: dict = {}
        symbols = set(self.members)
        for s in list(symbols):
            symbols |= {f for f in self.assumptions.expand(s).free_symbols if f in self.all_members}
        for s in symbols:
            family, chain, offset = self.all_members[s]
            out.setdefault(chain, set()).add((family, offset))
        return {chain: sorted(named) for chain, named in out.items()}

    def arrangements(self) -> list[tuple]:
        """The orders of the chains, one above the other, the assumptions allow (lowest first)."""
        structure = self._structure()
        if len(structure) > MAX_CHAINS:
            return []
        orders, equal, bounds, weak = self.constraints({})
        return [order for order in itertools.permutations(sorted(structure, key=_chain_text))
                if apart_possible(structure, order, orders, equal, bounds, weak)]

    def linked(self, order: tuple) -> Assumptions | None:
        """The assumptions with the chains of ``order`` one above the other: the lowest alphabar
        of each chain defined as the alphabar below it times the named alphas in between and a
        new free factor in (0, 1).  None when a lowest alphabar is not free (alphabar_0 = 1, or
        defined by an assumption)."""
        structure = self._structure()
        table = self.assumptions.table.copy()
        definitions = dict(self.assumptions.definitions)
        below, between, below_text = None, [], "0"
        for chain in order:
            named = structure[chain]
            abars = sorted(o for f, o in named if f == "abar")
            alphas = sorted({o for f, o in named if f in ("alpha", "beta")})
            named_alphas = [self._symbol("alpha", chain, o) for o in alphas]
            if None in named_alphas:
                return None
            if not abars:
                between += named_alphas
                continue
            floor = self._symbol("abar", chain, abars[0])
            if floor is None or floor in table.definitions or floor in definitions:
                return None
            if below is not None or between:
                text = f"prod_{{{below_text}<k<={index_text(chain, abars[0])}}} alpha_k"
                if between:
                    text += " / (" + "*".join(s.name for s in between) + ")"
                factor = sp.Symbol(text, positive=True, real=True)
                key = f"index-gap:{text}"
                table.specs[key] = SymbolSpec(key, factor, text, "the alphas between two index "
                                              "chains (one schedule)", UNIT, positive_form_of(UNIT))
                definitions[floor] = (below if below is not None else 1) * sp.Mul(*between) * factor
            below = self._symbol("abar", chain, abars[-1])
            below_text = index_text(chain, abars[-1])
            between = [a for a, o in zip(named_alphas, alphas) if o > abars[-1]]
        context = self.assumptions.context.copy()
        context.table = table
        return replace(self.assumptions, context=context, definitions=definitions)

    def equalities(self) -> list[tuple[str, str]]:
        """The pairs of index letters the assumptions order non-strictly (``t \\le T``), each
        the whole index of a chain of the step: the search also tries them equal."""
        _, _, _, weak = self.constraints({})
        chains = {c[0][0]: c for c in self._structure() if len(c) == 1 and c[0][1] == 1}
        return [(a, b) for a, b in sorted(weak) if a in chains and b in chains]

    def identified(self, low: str, high: str) -> Assumptions | None:
        """The assumptions with the index letter ``high`` equal to ``low``: every member of the
        chain of ``high`` defined as the member of the chain of ``low`` at the same offset (one
        index, one value).  None when a member of ``high``'s chain is defined by an assumption,
        or bounded, ordered or constrained by one (its counterpart would not carry that)."""
        structure = self._structure()
        upper, lower = ((high, 1),), ((low, 1),)
        table = self.assumptions.table.copy()
        definitions = dict(self.assumptions.definitions)
        ordered = {s for pair in table.orderings for s in pair} | \
            {s for _, value, _ in table.constraints for s in sp.sympify(value).free_symbols}
        for family, offset in structure.get(upper, ()):
            symbol = self._symbol(family, upper, offset)
            if symbol is None or symbol in definitions or symbol in ordered:
                return None
            try:
                same = table.member(family, index_text(lower, offset))
            except ValueError:
                return None
            if same is None or _interval(table.domain(same)) != _interval(table.domain(symbol)):
                return None
            definitions[symbol] = same
        context = self.assumptions.context.copy()
        context.table = table
        return replace(self.assumptions, context=context, definitions=definitions)

    def _symbol(self, family: str, chain: tuple, offset: int):
        key = member_key(family, chain, offset)
        spec = self.assumptions.table.specs.get(key)
        return spec.symbol if spec is not None else None


def _interval(domain) -> tuple:
    return domain.lo, domain.hi, domain.lo_open, domain.hi_open, domain.integer


def _integer_range(domain) -> tuple[int, int | None]:
    """The integers of an integer domain as (least, greatest or None)."""
    lo, hi = domain.lo, domain.hi
    least = 0 if lo is None else (math.floor(Fraction(lo)) + 1 if domain.lo_open
                                  else math.ceil(Fraction(lo)))
    most = None if hi is None else (math.ceil(Fraction(hi)) - 1 if domain.hi_open
                                    else math.floor(Fraction(hi)))
    return least, most


def _chain_text(chain: tuple) -> str:
    return index_text(chain, 0) if chain else ""


def _order_text(order: tuple) -> str:
    return " < ".join(_chain_text(c) or "constant indices" for c in order)


def _names(symbols) -> str:
    return ", ".join(sorted(s.name for s in symbols))


def _point_values(point) -> dict | None:
    """The point's coordinates by name, exactly (None when there is no point)."""
    if not point:
        return None
    out = {}
    for name, value in point.items():
        if name in _REPORT_KEYS:
            continue
        try:
            out[name] = Fraction(value) if isinstance(value, (str, int, float, Fraction)) else None
        except (ValueError, ZeroDivisionError):
            continue
        if out[name] is None:
            del out[name]
    return out


def _exact(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def _fraction(value: sp.Expr):
    """A rational value as a Fraction (fast exact arithmetic), any other as itself."""
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else value


def _joined(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
