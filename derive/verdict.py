"""What checking a step concludes: a :class:`Status`, the :class:`Method` that produced it, and the
evidence, all in typed, immutable fields.

``holds`` is a proof only when its method is in :data:`PROOF_METHODS` (symbolic simplification or
proof, the stated rewriting rules); every other method's ``holds`` is labelled evidence: numeric
(no counterexample at sample points), monte-carlo (a sampled mean within its stated error rate),
closed-form (exact evaluation at sampled parameter sets).  ``fails`` comes with a counterexample;
``undecided`` with the reason and what would decide it.  ``error`` is not a verdict: the check
itself broke (a bug in diffproof), reported as an error with exit code 3.

Both enums are ``str`` subclasses whose ``str()`` is their value, so they compare equal to, print
as and serialize to the plain words ("holds", "monte-carlo").

A :class:`Verdict` is frozen: later stages that add a reading, a relation or a note make a new one
with :meth:`Verdict.but` (``dataclasses.replace``).  What a method measured is an
:class:`Evidence` subclass defined next to the method (``MonteCarloEvidence`` in
``numeric.montecarlo.evidence``, ``RulesEvidence`` in ``derive.logdensity.engine``, ...);
:attr:`Verdict.details` is the read-only view of everything, as the JSON report writes it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping


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


class FrozenMap(dict):
    """A dict that refuses every change after it is built (a verdict's counterexample and
    details); it pickles (verdicts cross worker pipes) and serializes to JSON as a dict."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("a verdict is immutable: build a new one with Verdict.but(...)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return FrozenMap, (dict(self),)

    def __hash__(self) -> int:
        return hash(tuple(sorted(map(repr, self.items()))))


def frozen(mapping: Mapping | None) -> FrozenMap | None:
    return None if mapping is None else FrozenMap(mapping)


@dataclass(frozen=True)
class Evidence:
    """What a method measured.  Subclasses are frozen dataclasses next to their method; their
    fields (those not None) are what :attr:`Verdict.details` and the JSON report show."""

    def as_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and not f.metadata.get("always"):
                continue
            if isinstance(value, Mapping) and f.metadata.get("flatten"):
                out.update(value)
            else:
                out[f.metadata.get("key", f.name)] = value
        return out


@dataclass(frozen=True)
class ProbeEvidence(Evidence):
    """Sample points of a numeric check: how many (or which kind), at which stage, in which
    domain."""

    points: int | str | None = None
    stage: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class BoundEvidence(Evidence):
    """The inequality prover's evidence: whether its point is exact, the point in exact form, and
    the point where a strict inequality's difference is 0 but not confirmed."""

    exact: bool | None = None
    exact_point: str | None = None
    attained: str | None = None


@dataclass(frozen=True)
class ReadingVerdict:
    """One way of reading a step, with the verdict the step gets under it."""

    reading: str
    status: Status
    method: Method
    counterexample: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "method", Method(self.method))
        object.__setattr__(self, "counterexample", frozen(self.counterexample))

    @classmethod
    def of(cls, reading: str, verdict: "Verdict") -> "ReadingVerdict":
        return cls(reading, verdict.status, verdict.method, verdict.counterexample)

    def as_dict(self) -> dict[str, Any]:
        return {"reading": self.reading, "status": self.status, "method": self.method,
                "counterexample": self.counterexample}


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one step.  ``status`` and ``method`` are coerced to the enums (an
    unknown word raises ValueError); mappings are frozen, sequences become tuples."""

    status: Status
    method: Method
    counterexample: Mapping[str, Any] | None = None
    reason: str | None = None
    seconds: float = 0.0
    how: str | None = None                 # the argument of a symbolic proof or bound
    reading: str | None = None             # how the step was read, when not pointwise
    readings: tuple[ReadingVerdict, ...] | None = None   # every reading tried, when there were several
    relations: tuple[str, ...] = ()        # built-in relations between symbols the check used
    layers: tuple[str, ...] = ()           # "method: status" of every layer of a catalog step
    evidence: Evidence | None = None       # what the method measured
    trace: str | None = None               # the traceback of an internal error

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "status", Status(self.status))
        set_(self, "method", Method(self.method))
        set_(self, "counterexample", frozen(self.counterexample))
        set_(self, "relations", tuple(self.relations))
        set_(self, "layers", tuple(self.layers))
        if self.readings is not None:
            set_(self, "readings", tuple(self.readings))
        if self.evidence is not None and not isinstance(self.evidence, Evidence):
            raise TypeError(f"evidence must be an Evidence, not {type(self.evidence).__name__}")

    def but(self, **changes) -> "Verdict":
        """A copy with ``changes`` (the verdict itself never changes)."""
        return dataclasses.replace(self, **changes)

    def noted(self, note: str) -> "Verdict":
        """A copy whose reason ends with ``note``."""
        return self.but(reason=f"{self.reason}; {note}" if self.reason else note)

    def using(self, relations: Iterable[str]) -> "Verdict":
        """A copy that also names ``relations`` (after its own, without repeats)."""
        merged = list(self.relations) + [r for r in relations if r not in self.relations]
        return self.but(relations=merged)

    @property
    def proved(self) -> bool:
        return self.status == Status.HOLDS and self.method.proves

    @property
    def details(self) -> FrozenMap:
        """Everything beyond status, method, counterexample and reason, read-only, with the keys
        the JSON report writes."""
        out: dict[str, Any] = self.evidence.as_dict() if self.evidence is not None else {}
        for key in ("how", "reading", "trace"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.readings is not None:
            out["readings"] = [r.as_dict() for r in self.readings]
        if self.relations:
            out["relations"] = list(self.relations)
        if self.layers:
            out["layers"] = list(self.layers)
        return FrozenMap(out)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "method": self.method.value,
                "counterexample": self.counterexample, "reason": self.reason,
                "seconds": round(self.seconds, 4), "details": self.details}
