"""Settings of a Monte Carlo decision: error rates, tolerance, sample sizes, and the constants of
the engine's checks of its own approximations (see the package docstring)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable

import numpy as np

Draw = Callable[[np.random.Generator, int], np.ndarray]
PairDraw = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]

# relative size of float64 round-off in a mean of O(1e6) terms; a standard error below this
# (an estimator whose noise cancels exactly) is floored so round-off is never read as a discrepancy
ROUNDOFF = 1e-12
# control variates that absorb (almost) all the noise leave the round-off of the raw summand
# (formulas like 1/(1 - abar) lose up to eps/(1 - abar) relative accuracy), floored at this fraction
CV_ROUNDOFF = 1e-8
# the z-test's checks of its normal approximation: r = |skewness| * tail / sqrt(n) is the relative
# first-order Edgeworth correction of the tail at z_crit; above EDGEWORTH_MAX the test is not
# trusted, and the sample is sized for EDGEWORTH_SIZE.  sqrt((kurtosis - 1) / n) is the relative
# standard error of the variance estimate: above KURTOSIS_MAX not trusted, sized for KURTOSIS_SIZE.
EDGEWORTH_MAX, EDGEWORTH_SIZE = 1.0, 0.5
KURTOSIS_MAX, KURTOSIS_SIZE = 0.25, 0.125
# the sample size for the power is planned this much larger than the estimates ask for, so a
# re-estimated sd after more draws still gives the declared power
SIZE_MARGIN = 1.05
PILOT_MOMENTS = 2
# fewer draws than this differing from the pilot's median: the sample shows no spread to estimate
TIES_MIN = 30

_N = NormalDist()


NORMAL = NormalDist()

@dataclass(frozen=True)
class MCSettings:
    false_fail: float = 1e-6
    power: float = 0.999
    rel_tol: float = 0.01
    abs_floor: float = 1e-3
    pilot: int = 4096
    batch: int = 262_144
    max_n: int = 4_000_000

    def __post_init__(self) -> None:
        if not 0 < self.false_fail < 1 or not 0 < self.power < 1:
            raise ValueError("false_fail and power must lie in (0, 1)")
        if self.rel_tol < 0 or self.abs_floor < 0 or self.rel_tol + self.abs_floor == 0:
            raise ValueError("rel_tol and abs_floor must be >= 0 and not both 0")
        if self.pilot < 2 or self.batch < 1 or self.max_n < self.pilot:
            raise ValueError("need pilot >= 2, batch >= 1 and max_n >= pilot")

    @property
    def z_reject(self) -> float:
        return NORMAL.inv_cdf(1 - self.false_fail / 2)

    @property
    def z_power(self) -> float:
        return NORMAL.inv_cdf(self.power)

    def delta(self, target: float) -> float:
        return max(self.rel_tol * abs(target), self.abs_floor)

    def sample_size(self, sd: float, delta: float) -> int:
        n = ((self.z_reject + self.z_power) * sd / delta) ** 2
        return self.clip(n)

    def clip(self, n: float) -> int:
        """n rounded up into [pilot, max_n]."""
        if not math.isfinite(n):
            return self.max_n
        return int(min(max(math.ceil(n), self.pilot), self.max_n))

    def for_dimension(self, d: int) -> "MCSettings":
        """The per-coordinate settings of a d-coordinate check (Bonferroni)."""
        if d == 1:
            return self
        return MCSettings(self.false_fail / d, self.power, self.rel_tol, self.abs_floor,
                          self.pilot, self.batch, self.max_n)


DEFAULT = MCSettings()
