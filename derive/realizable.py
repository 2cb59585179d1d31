"""Values of schedule members at indices of different chains: are they those of one schedule?

A claim's table relates the members of one index chain (alphabar_{t-1}, alpha_t, alphabar_t,
:mod:`derive.families`) but takes the members of different chains (alphabar_s, alphabar_t) as
independent numbers.  In one schedule they are not all independent (Ho et al. 2020 Sec. 2):

- alpha_k in (0, 1) and beta_k = 1 - alpha_k at distinct indices are independent numbers; at one
  index they are equal;
- alphabar_k = prod_{i<=k} alpha_i (alphabar_0 = 1): between two indices i < j,
  alphabar_j = alphabar_i * prod_{i<k<=j} alpha_k, so alphabar decreases with its index, and
  equals that product exactly when every alpha in between is named.

Values of members are *realizable* when some integers for the index letters (t, T >= 1, other
letters >= 0; every named index existing) make them the values of one schedule, consistently with
the orders of the letters the assumptions state (:func:`placement`; an order stated with
``\\le`` admits equal letters).  An order of the letters not
stated is free: s < t, t < s, or s = t when the values allow it.

Also here, for a search limited to realizable points: whether the chains can lie apart, one above
the other in a given order (:func:`apart_possible`); then the lowest alphabar of the upper chain
is the highest of the lower one times a free factor in (0, 1) (the alphas in between).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Sequence

import sympy as sp

from diffproof.derive.families import LETTER_MIN

MAX_LETTERS = 3          # more index letters than this: not decided (none realizable)
MAX_RANGE = 24           # each letter takes at most this many values above its least one


@dataclass(frozen=True)
class Member:
    """A schedule member (``family`` alpha, abar or beta) at the index ``chain`` + ``offset``
    (:func:`derive.families.parse_index`), with its value: a Fraction or a real SymPy number."""

    family: str
    chain: tuple
    offset: int
    value: object = None

    def index(self, letters: dict[str, int]) -> int:
        return sum(coeff * letters[letter] for letter, coeff in self.chain) + self.offset


def letters_of(members: Iterable[Member]) -> list[str]:
    return sorted({letter for m in members for letter, _ in m.chain})


def placement(members: Sequence[Member], orders: Iterable[tuple[str, str]] = (),
              equal: Iterable[tuple[str, str]] = (),
              bounds: dict[str, tuple[int, int | None]] | None = None,
              weak: Iterable[tuple[str, str]] = ()) -> dict[str, int] | None:
    """Integers for the index letters under which ``members`` (with values) are those of one
    schedule, with ``a < b`` for every (a, b) in ``orders``, ``a <= b`` for every pair in
    ``weak`` (t \\le T: equality is tried too) and ``a = b`` for every pair in ``equal``;
    ``bounds`` narrows a letter to [lo, hi] (hi None: unbounded).  None when none was found
    among the letters' least values and the next MAX_RANGE (enough for every arrangement of
    chains of one letter each: beyond, a wider gap only adds free alphas)."""
    members = list(members)
    for distinct in (True, False):      # distinct indices first: s < t reads better than s = t
        for letters in _assignments(members, orders, equal, bounds, distinct, weak):
            if _one_schedule(members, letters):
                return letters
    return None


def apart_possible(chains: dict[tuple, Sequence[tuple[str, int]]], order: Sequence[tuple],
                   orders: Iterable[tuple[str, str]] = (),
                   equal: Iterable[tuple[str, str]] = (),
                   bounds: dict[str, tuple[int, int | None]] | None = None,
                   weak: Iterable[tuple[str, str]] = ()) -> bool:
    """Whether some integers for the letters put the chains of ``order`` apart in that order:
    every index of a chain below the lowest alphabar of the next, or below every index of a next
    chain without one (so an alpha no chain names lies between two alphabars).  ``chains``: each
    chain's members as (family, offset); ``order``: chains, lowest first."""
    members = [Member(family, chain, offset) for chain, named in chains.items()
               for family, offset in named]
    for letters in _assignments(members, orders, equal, bounds, weak=weak):
        if not _indices_exist(members, letters):
            continue
        spans = {c: [Member(f, c, o).index(letters) for f, o in chains[c]] for c in order}
        floors = {c: min(Member(f, c, o).index(letters) for f, o in chains[c]
                         if f == "abar" or not any(g == "abar" for g, _ in chains[c]))
                  for c in order}
        if all(max(spans[lower]) < floors[upper] for lower, upper in zip(order, order[1:])):
            return True
    return False


def describe(letters: dict[str, int], values: bool = False) -> str:
    """The order of the letters an assignment gives (``s < t``, ``t = T``, ``s < t < T``), or
    with ``values`` the assignment itself (``T = 1``: beside constant indices)."""
    if values:
        return ", ".join(f"{name} = {letters[name]}" for name in sorted(letters))
    ranked = sorted(letters, key=lambda name: (letters[name], name))
    out = ranked[0] if ranked else ""
    for before, name in zip(ranked, ranked[1:]):
        out += (" = " if letters[name] == letters[before] else " < ") + name
    return out


# ---------------------------------------------------------------------------------------------
def _assignments(members, orders, equal, bounds, distinct: bool = False, weak=()):
    """Every assignment of integers to the members' letters in their ranges satisfying
    ``orders`` (strict), ``weak`` (non-strict) and ``equal`` (and giving different letters
    different values when ``distinct``); nothing when the letters are more than MAX_LETTERS."""
    names = letters_of(members)
    if len(names) > MAX_LETTERS:
        return
    orders = [(a, b) for a, b in orders if a in names and b in names]
    weak = [(a, b) for a, b in weak if a in names and b in names]
    equal = [(a, b) for a, b in equal if a in names and b in names]
    width = _width(members)
    ranges = []
    for name in names:
        lo, hi = LETTER_MIN.get(name, 0), None
        if bounds and name in bounds:
            lo, hi = max(lo, bounds[name][0]), bounds[name][1]
        top = lo + width if hi is None else min(hi, lo + width)
        ranges.append(range(lo, top + 1))
    for values in itertools.product(*ranges):
        if distinct and len(set(values)) < len(values):
            continue
        letters = dict(zip(names, values))
        if all(letters[a] < letters[b] for a, b in orders) and \
                all(letters[a] <= letters[b] for a, b in weak) and \
                all(letters[a] == letters[b] for a, b in equal):
            yield letters


def _width(members) -> int:
    """How many values above its least one each letter needs: room for every chain's span, a free
    index between chains, and the constant indices."""
    spans: dict[tuple, list[int]] = {}
    for m in members:
        spans.setdefault(m.chain, []).append(m.offset)
    width = sum(max(o) - min(o) + 2 for o in spans.values())
    width += max([abs(o) for o in spans.get((), [])] + [0]) + 2
    return min(width, MAX_RANGE)


def _indices_exist(members, letters) -> bool:
    """alphabar at an index >= 0, alpha and beta at an index >= 1."""
    return all(m.index(letters) >= (0 if m.family == "abar" else 1) for m in members)


def _one_schedule(members: Sequence[Member], letters: dict[str, int]) -> bool:
    """Whether one schedule has these values at these indices (module docstring)."""
    if not _indices_exist(members, letters):
        return False
    alphas: dict[int, object] = {}
    abars: dict[int, object] = {0: Fraction(1)}
    for m in members:
        value = m.value if m.family != "beta" else _minus(1, m.value)
        into = abars if m.family == "abar" else alphas
        n = m.index(letters)
        if n in into:
            if _sign(_minus(into[n], value)) != 0:
                return False
        else:
            into[n] = value
    if any(_sign(a) != 1 or _sign(_minus(1, a)) != 1 for a in alphas.values()):
        return False
    if any(_sign(b) != 1 for b in abars.values()):
        return False
    indices = sorted(abars)
    for lo, hi in zip(indices, indices[1:]):
        product, free = abars[lo], False
        for k in range(lo + 1, hi + 1):
            if k in alphas:
                product = _times(product, alphas[k])
            else:
                free = True
        sign = _sign(_minus(abars[hi], product))
        if sign is None or (sign >= 0 if free else sign != 0):
            return False
    return True


def _minus(a, b):
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
        return Fraction(a) - Fraction(b)
    return sp.sympify(_sym(a) - _sym(b))


def _times(a, b):
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
        return Fraction(a) * Fraction(b)
    return sp.sympify(_sym(a) * _sym(b))


def _sym(value):
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.sympify(value)


def _sign(value) -> int | None:
    """The sign of an exact number, None when it cannot be told (a difference SymPy cannot
    decide and that is below 10^-40 at 60 digits)."""
    if isinstance(value, (int, Fraction)):
        return (value > 0) - (value < 0)
    value = sp.sympify(value)
    if value.is_zero:
        return 0
    if value.is_positive:
        return 1
    if value.is_negative:
        return -1
    if value.is_extended_real is False:
        return None
    approx = value.evalf(60)
    if approx.is_Number and abs(approx) > sp.Float("1e-40", 60):
        return 1 if approx > 0 else -1
    return 0 if value.equals(0) else None
