"""What a Monte Carlo decision measured (:class:`MonteCarloEvidence`), as a verdict carries it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from diffproof.derive.verdict import Evidence, FrozenMap


@dataclass(frozen=True)
class MonteCarloEvidence(Evidence):
    """The settings, sample size, estimate and test of one decision (one entry per coordinate
    where a list).  ``power`` and ``detectable`` are None when they rest on an approximation that
    does not hold; they are shown even then.  ``per_test`` holds what a particular test adds
    (skewness, hits, p_value, threshold, tied), flattened into the details."""

    n: int
    delta: float
    false_fail: float
    declared_power: float
    seed: int
    coordinates: int | None = None
    what: str | None = None
    params: Mapping[str, Any] | None = None
    estimate: Any = None
    target: Any = None
    stderr: Any = None
    z: Any = None
    critical: Any = None
    power: float | None = field(default=None, metadata={"always": True})
    detectable: float | None = field(default=None, metadata={"always": True})
    test: Any = None
    per_test: Mapping[str, Any] | None = field(default=None, metadata={"flatten": True})
    pilot: str | None = None
    left_mean: Any = None
    right_mean: Any = None
    paired: str | None = None
    control_variates: int | None = None

    def __post_init__(self) -> None:
        for name in ("params", "per_test"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, FrozenMap(value))
