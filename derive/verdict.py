"""What checking a step concludes: a :class:`Status`, the :class:`Method` that produced it, and the
evidence (counterexample, reason, details).

``holds`` is a proof only when its method is in :data:`PROOF_METHODS` (symbolic simplification or
proof, the stated rewriting rules); every other method's ``holds`` is labelled evidence: numeric
(no counterexample at sample points), monte-carlo (a sampled mean within its stated error rate),
closed-form (exact evaluation at sampled parameter sets).  ``fails`` comes with a counterexample;
``undecided`` with the reason and what would decide it.  ``error`` is not a verdict: the check
itself broke (a bug in diffproof), reported as an error with exit code 3.

Both enums are ``str`` subclasses whose ``str()`` is their value, so they compare equal to, print
as and serialize to the plain words ("holds", "monte-carlo").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class _Word(str, Enum):
    """An enum member that is its value wherever a string is expected."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Status(_Word):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"
    ERROR = "error"          # not a verdict: the check broke (a bug), exit 3


class Method(_Word):
    SYMBOLIC = "symbolic"          # proof: the residual simplifies to 0, or the prover's bound
    RULES = "rules"                # proof: the stated rewriting rules (derive.logdensity)
    NUMERIC = "numeric"            # evidence (holds) or a counterexample confirmed at 50-200 digits
    MONTE_CARLO = "monte-carlo"    # evidence: a sampled mean within its stated error rate
    CLOSED_FORM = "closed-form"    # evidence: exact values at sampled parameter sets
    DEFINITION = "definition"      # the claim reads as a definition: nothing to check
    NONE = "none"                  # nothing concluded (a limit, an unreadable step, an error)

    @property
    def proves(self) -> bool:
        """Whether ``holds`` by this method is a proof for every admissible value."""
        return self in PROOF_METHODS


PROOF_METHODS = frozenset({Method.SYMBOLIC, Method.RULES})
HOLDS, FAILS, UNDECIDED, ERROR = Status.HOLDS, Status.FAILS, Status.UNDECIDED, Status.ERROR


@dataclass
class Verdict:
    """The outcome of checking one step (status and method are coerced to the enums; an unknown
    word raises ValueError)."""

    status: Status
    method: Method
    counterexample: dict[str, Any] | None = None
    reason: str | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.method = Method(self.method)

    @property
    def proved(self) -> bool:
        return self.status == Status.HOLDS and self.method.proves

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "method": self.method.value,
                "counterexample": self.counterexample, "reason": self.reason,
                "seconds": round(self.seconds, 4), "details": self.details}
