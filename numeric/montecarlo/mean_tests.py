"""The tests of a mean, one coordinate at a time: the z-test with its checks of the normal
approximation, the exact binomial test for two-valued draws, and Bernstein bounds for bounded
draws.  Each returns an :class:`MeanTestOutcome` with the statistic, its threshold and the power."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from diffproof.numeric.montecarlo import binomial
from diffproof.numeric.montecarlo.moments import Sums
from diffproof.numeric.montecarlo.settings import (EDGEWORTH_MAX, EDGEWORTH_SIZE, KURTOSIS_MAX, KURTOSIS_SIZE,
                                         NORMAL, PILOT_MOMENTS, SIZE_MARGIN, TIES_MIN, MCSettings)


def tail_factor(z: float) -> float:
    """The relative first-order Edgeworth correction of the Studentized mean's tail at z per unit
    of skewness / sqrt(n): q1(z) phi(z) / (1 - Phi(z)) with q1(z) = (2 z^2 + 1) / 6."""
    return (2 * z * z + 1) / 6 * NORMAL.pdf(z) / NORMAL.cdf(-z)


def critical_value(half_alpha: float, g: float) -> float:
    """The z with 1 - Phi(z) + g (2 z^2 + 1) / 6 phi(z) = half_alpha (g = |skewness| / sqrt(n)):
    the normal critical value widened by the first-order Edgeworth term of either tail."""
    z0 = NORMAL.inv_cdf(1 - half_alpha)
    if g <= 0:
        return z0
    excess = lambda z: NORMAL.cdf(-z) + g * (2 * z * z + 1) / 6 * NORMAL.pdf(z) - half_alpha  # noqa: E731
    lo, hi = z0, z0 + 1.0
    while excess(hi) > 0 and hi < z0 + 40:
        lo, hi = hi, hi + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return hi


@dataclass
class MeanTestOutcome:
    """One coordinate's decision: statistic, critical value, standard error, the power at delta
    and the discrepancy detected with the declared power, and whether the rate is guaranteed."""

    test: str
    z: float
    critical: float
    stderr: float
    power: float
    detectable: float
    reject: bool
    reliable: bool = True
    why: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ZTest:
    """The z-test with the engine's checks of its normal approximation."""

    name = "z-test (normal approximation, Edgeworth-corrected critical value)"

    def __init__(self, per: MCSettings, delta: float, var0: float | None):
        self.per, self.delta, self.var0 = per, delta, var0
        self.half = per.false_fail / 2
        self.tail = tail_factor(per.z_reject)

    def plan(self, s: Sums, j: int, floor: float, pilot: bool = False) -> tuple[float, str]:
        """The n this coordinate needs (power, then the skewness and kurtosis checks).  From the
        pilot the moment checks ask for at most PILOT_MOMENTS times the power's n: a pilot's
        skewness is noisy, and the main sample re-sizes from its own."""
        sd = max(float(s.sd_upper()[j]), math.sqrt(self.var0 or 0.0))
        if s.off[j] < TIES_MIN and self.var0 is None:
            return math.inf, f"only {int(s.off[j])} of {s.n} pilot draws differ from {float(s.ref[j]):.6g}"
        if sd == 0:
            return 0, ""
        n = (((self.per.z_reject + self.per.z_power) * sd) / self.delta) ** 2
        g1, m = abs(float(s.skewness[j])), max(float(s.kurtosis[j]) - 1, 0.0)
        for _ in range(3):           # the critical value depends on n through the skewness term
            rho = min(1.0, sd / math.sqrt(max(n, 1)) / max(floor, 1e-300))
            crit = critical_value(self.half, g1 * rho ** 3 / math.sqrt(max(n, 1)))
            n = max(n, ((crit + self.per.z_power) * sd / self.delta) ** 2)
        n *= SIZE_MARGIN
        noise_matters = (2 * sd / floor) ** 2 if floor > 0 else math.inf
        n_skew = min((g1 * self.tail / EDGEWORTH_SIZE) ** 2, noise_matters)
        n_kurt = min(m / KURTOSIS_SIZE ** 2, noise_matters)
        if pilot:
            n_skew = min(n_skew, PILOT_MOMENTS * max(n, self.per.pilot))
            n_kurt = min(n_kurt, PILOT_MOMENTS * max(n, self.per.pilot))
        return max(n, n_skew, n_kurt), ""

    def outcome(self, s: Sums, j: int, target: float, floor: float) -> MeanTestOutcome:
        n, mean = s.n, float(s.mean[j])
        skew, kurt = float(s.skewness[j]), float(s.kurtosis[j])
        rel_var = math.sqrt(max(kurt - 1, 0.0) / n)
        se_sample = float(s.sd_upper()[j]) / math.sqrt(n)
        se = max(se_sample, math.sqrt((self.var0 or 0.0) / n), floor)
        # rho < 1: the round-off floor dominates the sampling noise (a declared variance does not
        # count here: it does not make the sample's skewness or tails any better behaved)
        rho = se_sample / max(se_sample, floor)
        g = abs(skew) / math.sqrt(n) * rho ** 3
        crit = critical_value(self.half, g)
        z = (mean - target) / se
        power = NORMAL.cdf(self.delta / se - crit) + NORMAL.cdf(-self.delta / se - crit)
        out = MeanTestOutcome(self.name, z, crit, se, power, (crit + self.per.z_power) * se,
                       abs(z) > crit, extra={"skewness": skew, "kurtosis": kurt})
        r = g * self.tail
        if s.off[j] < TIES_MIN:
            out.extra["tied"] = int(n - s.off[j])
            if abs(mean - target) > crit * floor:
                out.reliable = False
                out.why = (f"all but {int(s.off[j])} of the {n} draws equal {float(s.ref[j]):.6g}: "
                           "the spread cannot be estimated (a rare event?); declare bounds (exact "
                           "binomial / Bernstein test) or sample the rare event by importance "
                           "sampling (shifted_normal)")
        elif rho >= 0.5 and r > EDGEWORTH_MAX:
            out.reliable = False
            need = (abs(skew) * self.tail / EDGEWORTH_SIZE) ** 2
            out.why = (f"skewness {skew:.3g}: the normal approximation misstates the tail by "
                       f"{r:.0%} at n = {n} (needs n >= {need:.3g}); declare bounds or a variance, "
                       "or use importance sampling")
        elif rho >= 0.5 and rel_var > KURTOSIS_MAX:
            out.reliable = False
            out.why = (f"kurtosis {kurt:.3g} (heavy tails): the variance estimate has relative "
                       f"error {rel_var:.2f} at n = {n}, so the false-fail rate cannot be "
                       f"guaranteed (needs n >= {(kurt - 1) / KURTOSIS_SIZE ** 2:.3g}, or bounds)")
        return out


class BinomialTest:
    """The exact two-sided binomial test of P(draw = hi) = (c - lo)/(hi - lo) for two-valued draws."""

    name = "exact binomial"

    def __init__(self, per: MCSettings, delta: float, bounds: tuple[float, float]):
        self.per, self.bounds = per, bounds
        self.width = bounds[1] - bounds[0]
        self.dp = delta / self.width
        self.half = per.false_fail / 2

    def _critical(self, n: int, p0: float) -> tuple[int, int]:
        """(k_lo, k_hi): reject when K <= k_lo or K >= k_hi; each tail has probability <= alpha/2."""
        if p0 <= 0:
            return -1, 1
        if p0 >= 1:
            return n - 1, n + 1
        k_hi = int(binomial.isf(self.half, n, p0)) + 1
        while k_hi > 0 and binomial.sf(k_hi - 2, n, p0) <= self.half:
            k_hi -= 1
        while binomial.sf(k_hi - 1, n, p0) > self.half:
            k_hi += 1
        k_lo = int(binomial.ppf(self.half, n, p0))
        while k_lo >= 0 and binomial.cdf(k_lo, n, p0) > self.half:
            k_lo -= 1
        return k_lo, k_hi

    def _power(self, n: int, p0: float, d: float) -> float:
        """The smaller of the powers against p0 + d and p0 - d (a side outside [0, 1] is
        impossible and skipped)."""
        k_lo, k_hi = self._critical(n, p0)
        powers = [float(binomial.sf(k_hi - 1, n, p1) + (binomial.cdf(k_lo, n, p1) if k_lo >= 0 else 0.0))
                  for p1 in (p0 + d, p0 - d) if 0 <= p1 <= 1]
        return min(powers) if powers else 1.0

    def _detectable(self, n: int, p0: float) -> float:
        """The smallest d whose power reaches the declared power (bisection; power grows with d)."""
        top = max(p0, 1 - p0)
        if self._power(n, p0, top) < self.per.power:
            return math.inf
        lo, hi = 0.0, top
        while hi - lo > 1e-4 * hi:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self._power(n, p0, mid) < self.per.power else (lo, mid)
        return hi

    def plan(self, target: float) -> float:
        p0 = (target - self.bounds[0]) / self.width
        za, zb = self.per.z_reject, self.per.z_power
        n = 0.0
        for p1 in (p0 + self.dp, p0 - self.dp):
            if 0 <= p1 <= 1:
                n = max(n, ((za * math.sqrt(p0 * (1 - p0)) + zb * math.sqrt(p1 * (1 - p1))) / self.dp) ** 2)
        n = self.per.clip(n)
        for _ in range(30):           # discreteness: grow n until the exact power is reached
            if n >= self.per.max_n or self._power(n, p0, self.dp) >= self.per.power:
                break
            n = self.per.clip(n * 1.1)
        return n

    def outcome(self, s: Sums, j: int, target: float) -> MeanTestOutcome:
        n, k = s.n, int(s.at_hi[j])
        p0 = (target - self.bounds[0]) / self.width
        upper = float(binomial.sf(k - 1, n, p0))      # P(K >= k)
        lower = float(binomial.cdf(k, n, p0))         # P(K <= k)
        se = self.width * math.sqrt(p0 * (1 - p0) / n)
        z = (float(s.mean[j]) - target) / se if se > 0 else (0.0 if upper > 0 and lower > 0 else math.inf)
        k_lo, k_hi = self._critical(n, p0)
        return MeanTestOutcome(self.name, z, self.per.z_reject, se, self._power(n, p0, self.dp),
                        self.width * self._detectable(n, p0), min(upper, lower) <= self.half,
                        extra={"hits": k, "p_value": min(1.0, 2 * min(upper, lower)),
                               "reject_if": f"K <= {k_lo} or K >= {k_hi}"})


class BernsteinTest:
    """Bounded draws: Bernstein's inequality with the variance bound at the claimed mean, or the
    empirical Bernstein bound (Maurer & Pontil 2009, Thm 4) with the sample variance; both hold
    for every law on [lo, hi]."""

    def __init__(self, per: MCSettings, delta: float, bounds: tuple[float, float],
                 var0: float, empirical: bool):
        self.per, self.delta, self.var0, self.empirical = per, delta, var0, empirical
        self.width = bounds[1] - bounds[0]
        self.name = "empirical Bernstein bound" if empirical else "Bernstein bound (variance at the claim)"

    def threshold(self, n: int, var: float) -> float:
        """|mean - c| above this has probability <= false_fail when the identity holds."""
        a = self.per.false_fail
        if self.empirical:
            log = math.log(4 / a)
            return math.sqrt(2 * var * log / n) + 7 * self.width * log / (3 * max(n - 1, 1))
        log = math.log(2 / a)
        b = self.width * log / 3
        return (b + math.sqrt(b * b + 2 * n * self.var0 * log)) / n

    def plan(self, sd: float) -> float:
        zb = self.per.z_power
        sd *= math.sqrt(SIZE_MARGIN) if self.empirical else 1.0
        lo, hi = self.per.pilot, self.per.max_n
        if self.threshold(hi, sd * sd) + zb * sd / math.sqrt(hi) > self.delta:
            return hi
        while hi - lo > max(1, lo // 100):
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.threshold(mid, sd * sd) + zb * sd / math.sqrt(mid) > self.delta else (lo, mid)
        return hi

    def outcome(self, s: Sums, j: int, target: float) -> MeanTestOutcome:
        n, sd = s.n, float(s.sd[j])
        t = self.threshold(n, sd * sd)
        se = max(float(s.sd_upper()[j]), 1e-300) / math.sqrt(n)
        gap = float(s.mean[j]) - target
        power = NORMAL.cdf((self.delta - t) / se)
        return MeanTestOutcome(self.name, gap / se, t / se, se, power, t + self.per.z_power * se,
                        abs(gap) > t, extra={"threshold": t})


def evidence(o: MeanTestOutcome, n: int, gap: float) -> str:
    """The test statistic against its rejection threshold, in words."""
    if "p_value" in o.extra:
        return (f"{o.extra['hits']} of {n} draws at the upper bound, two-sided p = "
                f"{o.extra['p_value']:.3g} ({'<=' if o.reject else '>'} false-fail rate)")
    if "threshold" in o.extra:
        return f"|estimate - closed form| = {abs(gap):.3g} {'>' if o.reject else '<='} {o.extra['threshold']:.3g}"
    return f"|z| = {abs(o.z):.2f} {'>' if o.reject else '<='} {o.critical:.2f}"

