"""Step checks built on the decision: a catalog step carries one, and the checker calls
``run(seed)``.  One base holds what every check declares (what it tests, its settings, the
parameters reported with the seed so a failure replays)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from diffproof.derive.verdict import Verdict
from diffproof.numeric.montecarlo.decide import compare, decide
from diffproof.numeric.montecarlo.draws import with_control_variates
from diffproof.numeric.montecarlo.settings import CV_ROUNDOFF, Draw, MCSettings, PairDraw


@dataclass
class _Check:
    """The fields every Monte Carlo check declares; subclasses add the draw and ``run``."""

    what: str

    def run(self, seed: int) -> Verdict:
        raise NotImplementedError


@dataclass
class MonteCarloCheck(_Check):
    """E[draw] == target, decided by :func:`decide`; ``bounds`` and ``variance`` are passed on
    (declared range of a draw, its variance under the identity)."""

    draw: Draw
    target: Any
    scale: float | str | None = None
    settings: MCSettings = field(default_factory=MCSettings)
    name: str = "monte-carlo"
    params: dict[str, Any] = field(default_factory=dict)
    bounds: tuple[float, float] | None = None
    variance: Any = None

    def run(self, seed: int) -> Verdict:
        return decide(self.draw, self.target, seed, self.settings, self.scale, self.what,
                      self.params, bounds=self.bounds, variance=self.variance)


@dataclass
class PairedCheck(_Check):
    """E[left] - E[right] == offset with common random numbers (:func:`compare`)."""

    draw_pair: PairDraw
    offset: Any = 0.0
    scale: float | str | None = "rms"
    settings: MCSettings = field(default_factory=MCSettings)
    name: str = "monte-carlo"
    params: dict[str, Any] = field(default_factory=dict)

    def run(self, seed: int) -> Verdict:
        return compare(self.draw_pair, seed, self.settings, self.offset, self.scale, self.what,
                       self.params)


@dataclass
class ControlVariateCheck(_Check):
    """E[f] == target with controls g of known means subtracted (:func:`with_control_variates`;
    the coefficients are fitted on a pilot stream derived from the run's seed, so it replays)."""

    draw_fg: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
    known_means: Any
    target: Any
    scale: float | str | None = None
    settings: MCSettings = field(default_factory=MCSettings)
    name: str = "monte-carlo"
    params: dict[str, Any] = field(default_factory=dict)

    def run(self, seed: int) -> Verdict:
        draw, coef = with_control_variates(self.draw_fg, self.known_means, seed, self.settings.pilot)
        verdict = decide(draw, self.target, seed, self.settings, self.scale, self.what, self.params,
                         noise_floor=CV_ROUNDOFF * draw.raw_rms)
        return verdict.but(evidence=replace(verdict.evidence, control_variates=int(np.size(coef))))


class LazyCheck:
    """A step check built on first use: ``factory()`` returns the check (so importing a catalog
    module does not compute its closed forms or simulations)."""

    def __init__(self, factory: Callable[[], Any], name: str = "monte-carlo"):
        self.factory, self.name, self._check = factory, name, None

    @property
    def check(self):
        if self._check is None:
            self._check = self.factory()
        return self._check

    def run(self, seed: int) -> Verdict:
        return self.check.run(seed)
