"""The derivation model: a chain of steps, each with a justification and a source.

A :class:`Derivation` starts from an expression and moves through :class:`Step` s.  Each step
claims a relation between the previous expression (or its own ``lhs``) and its ``expr``:

- ``"="``: equal as functions of the free symbols on the assumptions' domain;
- ``"propto"``: proportional as functions of the variables in ``wrt`` (the log-ratio does not
  depend on them), as in "q(x_{t-1} | x_t, x_0) ∝ exp(...)";
- ``">="`` / ``"<="``: an inequality on the whole domain; ``">"`` / ``"<"`` a strict one (stored
  as ``">="`` / ``"<="`` with ``strict=True``: the difference must be positive).

A step may carry extra ``checks``: objects with a ``run(seed) -> Verdict`` method (Monte Carlo,
closed-form integrals, rule-based rewriting) for statements that are not a plain residual, such
as an expectation identity.  ``derive`` defines the protocol; ``numeric`` and ``proofs`` supply
the checks.  Verdicts are ``holds``, ``fails`` (with a counterexample) or ``undecided`` (with a
reason), and always say which method produced them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import sympy as sp

from diffproof.derive.latex.printer import derivation_display
from diffproof.derive.source import Source
from diffproof.derive.verdict import Method, Verdict

RELATIONS = ("=", "propto", ">=", "<=", ">", "<")


def _short_decimal(value: sp.Float) -> sp.Rational | None:
    """The decimal a float was typed as (0.1 -> 1/10), if it prints with at most 15 digits."""
    text = repr(float(value)) if value._prec <= 53 else str(value)
    digits = text.lower().split("e")[0].replace("-", "").replace(".", "").strip("0")
    return sp.Rational(text) if len(digits) <= 15 else None


def exact_decimals(expr):
    """Replace every float in ``expr`` that prints as a short decimal by that exact decimal
    (0.1 -> 1/10): 0.1 is not 1/10 in binary, and sqrt(0.1 t) against sqrt(t/10) would fail on
    that round-off.  Floats with more digits (e.g. SymPy's own evaluation of sqrt(0.1)) stay
    floats; the checker reports a failure that lies within their round-off as undecided.
    Returns (expr, {float: rational})."""
    if not isinstance(expr, sp.Basic):
        return expr, {}
    exact = {f: r for f in expr.atoms(sp.Float) if (r := _short_decimal(f)) is not None}
    if not exact:
        return expr, {}
    return expr.xreplace(exact), {str(f): str(r) for f, r in exact.items()}


class Check(Protocol):
    """An extra check attached to a step; ``name`` is its method (a :class:`Method` word:
    "monte-carlo", "closed-form", "rules", ...)."""

    name: str

    def run(self, seed: int) -> Verdict: ...


@dataclass
class Step:
    """One link of a derivation: ``lhs relation expr`` (lhs defaults to the previous expression)."""

    expr: sp.Expr | None
    justification: str
    source: Source = field(default_factory=Source)
    relation: str = "="
    lhs: sp.Expr | None = None
    wrt: tuple[sp.Symbol, ...] = ()
    checks: Sequence[Check] = ()
    symbolic: bool = True            # False: the residual is not the claim; only ``checks`` decide
    note: str | None = None
    strict: bool = False             # ">" / "<": set from the relation, which becomes ">=" / "<="

    def __post_init__(self) -> None:
        self.expr, floats = exact_decimals(self.expr)
        self.lhs, more = exact_decimals(self.lhs)
        if floats or more:
            shown = ", ".join(f"{f} -> {r}" for f, r in {**floats, **more}.items())
            read = f"floats read as the exact decimals they print as: {shown}"
            self.note = f"{self.note}; {read}" if self.note else read
        if self.relation not in RELATIONS:
            raise ValueError(f"unknown relation {self.relation!r}; use one of {RELATIONS}")
        if self.relation in (">", "<"):
            self.relation, self.strict = self.relation + "=", True
        if self.strict and self.relation not in (">=", "<="):
            raise ValueError(f"strict=True needs an inequality, not {self.relation!r}")
        for check in self.checks:
            name = getattr(check, "name", None)
            if name not in set(Method):
                raise ValueError(f"a check's name is its method, one of "
                                 f"{', '.join(m.value for m in Method)}; got {name!r}")
        if self.relation == "propto" and not self.wrt:
            raise ValueError("a 'propto' step needs wrt=(variables,)")
        if self.expr is None and not self.checks:
            raise ValueError(f"step {self.justification!r} has neither an expression nor a check")


@dataclass
class Derivation:
    """A titled, cited chain of steps from ``start``; ``conditions`` are its side conditions."""

    id: str
    title: str
    steps: list[Step]
    start: sp.Expr | None = None
    sources: tuple[Source, ...] = ()
    conditions: tuple[str, ...] = ()
    definitions: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    topic: str = ""
    expect_fail: bool = False        # an erratum: the chain as a seed states it, expected to fail
    # how a worker process gets this derivation (rebuilt_by: the builder, its arguments, and the
    # steps and start it was built with), set by whoever built it (the catalog, a user's file);
    # pickling sends the builder instead of the object, whose Monte Carlo draws are closures,
    # unless the steps or start were replaced since.  Not an __init__ field: a
    # dataclasses.replace copy is a different derivation and is pickled whole.
    rebuild: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.start, read = exact_decimals(self.start)
        for key, value in self.definitions.items():
            self.definitions[key], more = exact_decimals(value)
            read.update(more)
        if read:
            shown = ", ".join(f"{f} -> {r}" for f, r in read.items())
            self.conditions = tuple(self.conditions) + (
                f"floats read as the exact decimals they print as: {shown}",)

    def links(self):
        """Yield (index, lhs, step) for every step, index from 1."""
        previous = self.start
        for index, step in enumerate(self.steps, start=1):
            lhs = step.lhs if step.lhs is not None else previous
            if lhs is None and step.expr is not None and step.symbolic:
                raise ValueError(f"{self.id} step {index}: no left-hand side (no start, no lhs)")
            yield index, lhs, step
            if step.expr is not None:
                previous = step.expr

    def rebuilt_by(self, function, *args) -> None:
        """Record how a worker builds this derivation again (sent by reference from then on, as
        long as its list of steps is the one it was built with)."""
        self.rebuild = (function, args, tuple(map(id, self.steps)), self.start)

    def __reduce_ex__(self, protocol):
        if self.rebuild is not None:
            function, args, steps, start = self.rebuild
            if tuple(map(id, self.steps)) == steps and self.start is start:
                return function, args
        return super().__reduce_ex__(protocol)      # changed since: sent whole

    def _repr_latex_(self) -> str:
        return derivation_display(self)


@dataclass
class Erratum:
    """A claim as a seed states it, expected to be refuted by the checker."""

    id: str
    seed: Source
    what: str                        # what is wrong, in words
    claim: Derivation                # the seed's chain or claim, encoded as written
    correct: str | None = None       # where the catalog holds the correct version (derivation id)
    written: str = ""                # the seed's formula as written (LaTeX), shown as is
