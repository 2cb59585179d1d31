"""The interface every reading of a step implements (:class:`StepReading`), and the state the
readings of one step share (:class:`StepState`).

A reading acts at one of two moments of :func:`proofs.claims.pipeline._check_step`:

- ``before`` the relation is checked: it may extend the step's assumptions (a built-in relation,
  named in ``state.used``) or decide the step itself (returning a verdict);
- ``after``: it may read again a verdict that is not ``holds`` (in distribution, in conditional
  expectation) and return the verdict that stands.

A reading that does not apply returns None from ``before`` and its input from ``after``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from diffproof.derive.verdict import Verdict
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.assumptions import Assumptions


@dataclass
class StepState:
    """One step as the readings see it.  ``assumptions`` grows as readings add built-in relations
    (each named in ``used``); ``base`` is what it was before the reparametrization (the Tweedie
    reading substitutes x_0 itself); ``recheck`` checks the whole step again under other
    assumptions (one call per reading of an ambiguous symbol); ``law`` and ``conditional``
    record that the step states a forward law or has a reading in conditional expectation given
    x_t (so it is never read as a definition); ``computed``: a side computed from vector
    notation (never a definition either)."""

    lhs: object
    rhs: object
    relation: str
    source: str
    assumptions: Assumptions
    options: Options
    elided: bool
    unsupported: set
    recheck: Callable[[Assumptions], Verdict]
    base: Assumptions | None = None
    used: list[str] = field(default_factory=list)
    law: bool = False
    conditional: bool = False
    computed: bool = False          # sides computed in a frame of proofs.claims.frames

    def __post_init__(self) -> None:
        if self.base is None:
            self.base = self.assumptions

    def extend(self, assumptions: Assumptions, text: str, *, base: bool = False) -> None:
        """Check the step under ``assumptions`` from now on, naming the relation ``text``;
        ``base``: the Tweedie reading uses them too."""
        self.assumptions = assumptions
        if base:
            self.base = assumptions
        self.used.append(text)


class StepReading(Protocol):
    """A way of reading a step beyond its symbols taken as free numbers."""

    name: str

    def before(self, state: StepState) -> Verdict | None:
        """Extend ``state`` or decide the step; None lets the next stage run."""

    def after(self, state: StepState, verdict: Verdict) -> Verdict:
        """The verdict that stands once the step is read this way too."""


class BaseReading:
    """Defaults for :class:`StepReading`: nothing before, the verdict unchanged after."""

    name = "reading"

    def before(self, state: StepState) -> Verdict | None:
        return None

    def after(self, state: StepState, verdict: Verdict) -> Verdict:
        return verdict
