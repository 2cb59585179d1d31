"""Monte Carlo decisions with stated error rates.

A check compares a Monte Carlo mean with a closed form (E_p[f] = c), or the mean of paired
differences with 0 (E_p[f] = E_q[h], both sides drawn with common random numbers: :func:`compare`).
It declares

- a false-fail rate ``false_fail`` (probability of reporting ``fails`` when the identity holds;
  default 1e-6 per check), and
- a minimum detectable discrepancy ``delta = max(rel_tol * scale, abs_floor)`` that is detected
  with probability at least ``power`` (default 0.999); ``scale`` is |target| unless given, and
  ``scale="rms"`` takes the root-mean-square of the summand from the pilot (for targets near 0).

Which test decides (per coordinate; d coordinates are tested at false_fail / d, Bonferroni):

- ``bounds=(lo, hi)`` declared and every draw is lo or hi (an indicator): the exact two-sided
  binomial test at the claimed probability (no approximation; power computed exactly).
- ``bounds`` declared, other values: a Bernstein bound with the variance bound at the claimed mean
  ((c - lo)(hi - c), or the declared ``variance`` if smaller), or the empirical Bernstein bound
  (Maurer & Pontil 2009) when the pilot shows a much smaller variance.  Both hold for every law
  on [lo, hi]: the false-fail rate is guaranteed, not approximate.
- otherwise the z-test |mean - c| / stderr > z_crit.  Its rate rests on the normal approximation,
  so the engine checks it: z_crit carries the first-order Edgeworth correction for the sample
  skewness (Hall 1992, the Studentized mean), the standard error uses an upper bound of the sd
  (from the sample kurtosis) or the declared ``variance`` if larger, and the verdict is
  ``undecided`` (never ``fails``) when the draws are tied (all but a few equal: no spread to
  estimate, e.g. a rare indicator), too skewed (the Edgeworth correction exceeds 100% of the
  tail) or too heavy-tailed (the variance estimate's relative error sqrt((kurtosis - 1)/n) > 0.25).

Sample size: a pilot sizes n for the stated power (from the pilot's sd upper bound, the declared
variance or the bounds; tied pilots draw the cap), plus what the skewness and kurtosis checks
need; after the main sample n is re-sized once from its own moments.  The report's ``power`` is
the power at delta at the n actually drawn and ``detectable`` the discrepancy found with the
declared power; when the cap keeps the power below the declared one the verdict is ``undecided``
(a discrepancy still found is ``fails``).  Tails: :func:`shifted_normal` samples a shifted normal
with likelihood-ratio weights (importance sampling).

Draws come in batches so memory stays bounded; every stream derives from the seed, so a run
replays exactly.  Variance reduction where it pays: :func:`compare` (common random numbers),
:func:`antithetic` (pairs z, -z), :func:`with_control_variates` (controls with known means).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Callable

import numpy as np

from derive.derivation import FAILS, HOLDS, UNDECIDED, Verdict

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
        return _N.inv_cdf(1 - self.false_fail / 2)

    @property
    def z_power(self) -> float:
        return _N.inv_cdf(self.power)

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


# -- running sums ---------------------------------------------------------------------------------
class _Sums:
    """Per-coordinate running moments of one stream of draws (sums about a shift, so the variance,
    skewness and kurtosis stay accurate), extremes, and counts of ties and of bound values."""

    def __init__(self, bounds: tuple[float, float] | None = None, ref: np.ndarray | None = None):
        self.n, self.bounds, self.ref = 0, bounds, ref

    def add(self, values: np.ndarray) -> None:
        if self.n == 0:
            self.shift = values.mean(axis=0)
            zero = np.zeros_like(self.shift)
            self.s1, self.s2, self.s3, self.s4, self.raw_sq = (zero.copy() for _ in range(5))
            self.off, self.at_hi, self.inner = (np.zeros(zero.shape, dtype=np.int64) for _ in range(3))
            if self.ref is None:
                self.ref = np.median(values, axis=0)
        c = values - self.shift
        c2 = c * c
        self.s1 += c.sum(axis=0)
        self.s2 += c2.sum(axis=0)
        self.s3 += (c2 * c).sum(axis=0)
        self.s4 += (c2 * c2).sum(axis=0)
        self.raw_sq += (values * values).sum(axis=0)
        self.off += (values != self.ref).sum(axis=0)
        if self.bounds is not None:
            lo, hi = self.bounds
            if np.any(values < lo) or np.any(values > hi):
                bad = values[(values < lo) | (values > hi)][0]
                raise ValueError(f"a draw ({bad!r}) lies outside the declared bounds {self.bounds}")
            self.at_hi += (values == hi).sum(axis=0)
            self.inner += ((values != lo) & (values != hi)).sum(axis=0)
        self.n += values.shape[0]

    @property
    def d(self) -> int:
        return self.shift.shape[0]

    def _central(self):
        n, c1 = self.n, self.s1 / self.n
        e2, e3, e4 = self.s2 / n, self.s3 / n, self.s4 / n
        m2 = np.maximum(e2 - c1 ** 2, 0.0)
        m3 = e3 - 3 * c1 * e2 + 2 * c1 ** 3
        m4 = np.maximum(e4 - 4 * c1 * e3 + 6 * c1 ** 2 * e2 - 3 * c1 ** 4, 0.0)
        return m2, m3, m4

    @property
    def mean(self) -> np.ndarray:
        return self.shift + self.s1 / self.n

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(self._central()[0] * self.n / max(self.n - 1, 1))

    @property
    def rms(self) -> np.ndarray:
        return np.sqrt(self.raw_sq / self.n)

    @property
    def skewness(self) -> np.ndarray:
        m2, m3, _ = self._central()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(m2 > 0, m3 / np.maximum(m2, np.finfo(float).tiny) ** 1.5, 0.0)

    @property
    def kurtosis(self) -> np.ndarray:
        m2, _, m4 = self._central()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(m2 > 0, m4 / np.maximum(m2, np.finfo(float).tiny) ** 2, 1.0)

    def sd_upper(self) -> np.ndarray:
        """The sd plus about three standard errors of it (relative se of the variance
        sqrt((kurtosis - 1)/n), halved for the sd)."""
        return self.sd * (1 + 1.5 * np.sqrt(np.maximum(self.kurtosis - 1, 0) / self.n))


def _as_2d(values, k: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != k:
        raise ValueError(f"draw returned shape {values.shape}, expected ({k},) or ({k}, d)")
    if not np.all(np.isfinite(values)):
        raise FloatingPointError("the Monte Carlo draw produced a non-finite value")
    return values


def _fill(sums: _Sums, draw: Draw, rng: np.random.Generator, n: int, batch: int) -> None:
    count = 0
    while count < n:
        k = min(batch, n - count)
        sums.add(_as_2d(draw(rng, k), k))
        count += k


def _plain(value: np.ndarray):
    """A float for one coordinate, a list for several (JSON-friendly details)."""
    value = np.asarray(value, dtype=np.float64).reshape(-1)
    return float(value[0]) if value.size == 1 else [float(v) for v in value]


# -- the tests, one coordinate at a time ----------------------------------------------------------
def _tail_factor(z: float) -> float:
    """The relative first-order Edgeworth correction of the Studentized mean's tail at z per unit
    of skewness / sqrt(n): q1(z) phi(z) / (1 - Phi(z)) with q1(z) = (2 z^2 + 1) / 6."""
    return (2 * z * z + 1) / 6 * _N.pdf(z) / _N.cdf(-z)


def _critical(half_alpha: float, g: float) -> float:
    """The z with 1 - Phi(z) + g (2 z^2 + 1) / 6 phi(z) = half_alpha (g = |skewness| / sqrt(n)):
    the normal critical value widened by the first-order Edgeworth term of either tail."""
    z0 = _N.inv_cdf(1 - half_alpha)
    if g <= 0:
        return z0
    excess = lambda z: _N.cdf(-z) + g * (2 * z * z + 1) / 6 * _N.pdf(z) - half_alpha  # noqa: E731
    lo, hi = z0, z0 + 1.0
    while excess(hi) > 0 and hi < z0 + 40:
        lo, hi = hi, hi + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return hi


@dataclass
class _Outcome:
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


class _ZTest:
    """The z-test with the engine's checks of its normal approximation."""

    name = "z-test (normal approximation, Edgeworth-corrected critical value)"

    def __init__(self, per: MCSettings, delta: float, var0: float | None):
        self.per, self.delta, self.var0 = per, delta, var0
        self.half = per.false_fail / 2
        self.tail = _tail_factor(per.z_reject)

    def plan(self, s: _Sums, j: int, floor: float, pilot: bool = False) -> tuple[float, str]:
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
            crit = _critical(self.half, g1 * rho ** 3 / math.sqrt(max(n, 1)))
            n = max(n, ((crit + self.per.z_power) * sd / self.delta) ** 2)
        n *= SIZE_MARGIN
        noise_matters = (2 * sd / floor) ** 2 if floor > 0 else math.inf
        n_skew = min((g1 * self.tail / EDGEWORTH_SIZE) ** 2, noise_matters)
        n_kurt = min(m / KURTOSIS_SIZE ** 2, noise_matters)
        if pilot:
            n_skew = min(n_skew, PILOT_MOMENTS * max(n, self.per.pilot))
            n_kurt = min(n_kurt, PILOT_MOMENTS * max(n, self.per.pilot))
        return max(n, n_skew, n_kurt), ""

    def outcome(self, s: _Sums, j: int, target: float, floor: float) -> _Outcome:
        n, mean, sd = s.n, float(s.mean[j]), float(s.sd[j])
        skew, kurt = float(s.skewness[j]), float(s.kurtosis[j])
        rel_var = math.sqrt(max(kurt - 1, 0.0) / n)
        se_sample = float(s.sd_upper()[j]) / math.sqrt(n)
        se = max(se_sample, math.sqrt((self.var0 or 0.0) / n), floor)
        # rho < 1: the round-off floor dominates the sampling noise (a declared variance does not
        # count here: it does not make the sample's skewness or tails any better behaved)
        rho = se_sample / max(se_sample, floor)
        g = abs(skew) / math.sqrt(n) * rho ** 3
        crit = _critical(self.half, g)
        z = (mean - target) / se
        power = _N.cdf(self.delta / se - crit) + _N.cdf(-self.delta / se - crit)
        out = _Outcome(self.name, z, crit, se, power, (crit + self.per.z_power) * se,
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


class _BinomialTest:
    """The exact two-sided binomial test of P(draw = hi) = (c - lo)/(hi - lo) for two-valued draws."""

    name = "exact binomial"

    def __init__(self, per: MCSettings, delta: float, bounds: tuple[float, float]):
        self.per, self.bounds = per, bounds
        self.width = bounds[1] - bounds[0]
        self.dp = delta / self.width
        self.half = per.false_fail / 2

    def _critical(self, n: int, p0: float) -> tuple[int, int]:
        """(k_lo, k_hi): reject when K <= k_lo or K >= k_hi; each tail has probability <= alpha/2."""
        from scipy.stats import binom
        if p0 <= 0:
            return -1, 1
        if p0 >= 1:
            return n - 1, n + 1
        k_hi = int(binom.isf(self.half, n, p0)) + 1
        while k_hi > 0 and binom.sf(k_hi - 2, n, p0) <= self.half:
            k_hi -= 1
        while binom.sf(k_hi - 1, n, p0) > self.half:
            k_hi += 1
        k_lo = int(binom.ppf(self.half, n, p0))
        while k_lo >= 0 and binom.cdf(k_lo, n, p0) > self.half:
            k_lo -= 1
        return k_lo, k_hi

    def _power(self, n: int, p0: float, d: float) -> float:
        """The smaller of the powers against p0 + d and p0 - d (a side outside [0, 1] is
        impossible and skipped)."""
        from scipy.stats import binom
        k_lo, k_hi = self._critical(n, p0)
        powers = [float(binom.sf(k_hi - 1, n, p1) + (binom.cdf(k_lo, n, p1) if k_lo >= 0 else 0.0))
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

    def outcome(self, s: _Sums, j: int, target: float) -> _Outcome:
        from scipy.stats import binom
        n, k = s.n, int(s.at_hi[j])
        p0 = (target - self.bounds[0]) / self.width
        upper = float(binom.sf(k - 1, n, p0))      # P(K >= k)
        lower = float(binom.cdf(k, n, p0))         # P(K <= k)
        se = self.width * math.sqrt(p0 * (1 - p0) / n)
        z = (float(s.mean[j]) - target) / se if se > 0 else (0.0 if upper > 0 and lower > 0 else math.inf)
        k_lo, k_hi = self._critical(n, p0)
        return _Outcome(self.name, z, self.per.z_reject, se, self._power(n, p0, self.dp),
                        self.width * self._detectable(n, p0), min(upper, lower) <= self.half,
                        extra={"hits": k, "p_value": min(1.0, 2 * min(upper, lower)),
                               "reject_if": f"K <= {k_lo} or K >= {k_hi}"})


class _BernsteinTest:
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

    def outcome(self, s: _Sums, j: int, target: float) -> _Outcome:
        n, sd = s.n, float(s.sd[j])
        t = self.threshold(n, sd * sd)
        se = max(float(s.sd_upper()[j]), 1e-300) / math.sqrt(n)
        gap = float(s.mean[j]) - target
        power = _N.cdf((self.delta - t) / se)
        return _Outcome(self.name, gap / se, t / se, se, power, t + self.per.z_power * se,
                        abs(gap) > t, extra={"threshold": t})


def _evidence(o: _Outcome, n: int, gap: float) -> str:
    """The test statistic against its rejection threshold, in words."""
    if "p_value" in o.extra:
        return (f"{o.extra['hits']} of {n} draws at the upper bound, two-sided p = "
                f"{o.extra['p_value']:.3g} ({'<=' if o.reject else '>'} false-fail rate)")
    if "threshold" in o.extra:
        return f"|estimate - closed form| = {abs(gap):.3g} {'>' if o.reject else '<='} {o.extra['threshold']:.3g}"
    return f"|z| = {abs(o.z):.2f} {'>' if o.reject else '<='} {o.critical:.2f}"


# -- the decision ---------------------------------------------------------------------------------
def decide(draw: Draw, target, seed: int = 0, settings: MCSettings = DEFAULT,
           scale: float | str | None = None, what: str = "",
           params: dict[str, Any] | None = None, noise_floor: float = 0.0,
           bounds: tuple[float, float] | None = None, variance=None) -> Verdict:
    """Test E[draw] == target (a number, or one per coordinate when the draw has d columns).

    ``scale`` sets the size the relative tolerance refers to: default max |target|; a number
    (for differences of two sides pass the size of one side); or ``"rms"``, the pilot's
    root-mean-square of the draw.  ``params`` (the identity's parameters) go into the report so
    a failure replays exactly with the same seed.  ``noise_floor`` is a lower bound of the
    standard error (round-off of an estimator whose noise cancels exactly).  ``bounds=(lo, hi)``
    declares that every draw lies in [lo, hi] (checked on each draw): exact binomial or Bernstein
    tests.  ``variance`` (a number or one per coordinate) is the draw's variance when the
    identity holds, or an upper bound of it, from the closed form: the test's standard error is
    never below it.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    if bounds is not None:
        bounds = (float(bounds[0]), float(bounds[1]))
        if not (math.isfinite(bounds[0]) and math.isfinite(bounds[1]) and bounds[0] < bounds[1]):
            raise ValueError(f"bounds must be finite with lo < hi, got {bounds}")
    pilot = _Sums(bounds)
    _fill(pilot, draw, rng, settings.pilot, settings.batch)
    d = pilot.d
    target_arr = np.broadcast_to(np.asarray(target, dtype=np.float64), (d,)).astype(np.float64)
    if not np.all(np.isfinite(target_arr)):
        raise FloatingPointError(f"the closed form is not finite: {target!r} (params {params})")
    var0 = None
    if variance is not None:
        var0 = np.broadcast_to(np.asarray(variance, dtype=np.float64), (d,)).astype(np.float64)
        if not np.all(np.isfinite(var0)) or np.any(var0 < 0):
            raise ValueError(f"variance must be finite and >= 0, got {variance!r}")
    if scale == "rms":
        size = float(pilot.rms.max())
    elif scale is None:
        size = float(np.abs(target_arr).max())
    else:
        size = abs(float(scale))
    delta = settings.delta(size)
    per = settings.for_dimension(d)
    details: dict[str, Any] = {"n": pilot.n, "delta": delta, "false_fail": settings.false_fail,
                               "declared_power": settings.power, "seed": seed}
    if d > 1:
        details["coordinates"] = d
    if what:
        details["what"] = what
    if params:
        details["params"] = dict(params)
    label = what + ": " if what else ""
    replay = f"replay with seed {seed}" + (f" and {params}" if params else "")

    if bounds is not None:
        # beyond round-off outside the range, the claim is impossible; within it, clipped
        slack = ROUNDOFF * max(abs(bounds[0]), abs(bounds[1]), bounds[1] - bounds[0])
        outside = (target_arr < bounds[0] - slack) | (target_arr > bounds[1] + slack)
        claimed, target_arr = target_arr, np.clip(target_arr, *bounds)
    if bounds is not None and np.any(outside):
        target_arr = claimed
        j = int(np.argmax(outside))
        counterexample = {"seed": seed, **(params or {}), "closed_form": float(target_arr[j]),
                          "bounds": list(bounds)}
        return Verdict(FAILS, "monte-carlo", seconds=time.perf_counter() - started,
                       details={**details, "target": _plain(target_arr)}, counterexample=counterexample,
                       reason=f"{label}the closed form {float(target_arr[j]):.6g} lies outside the "
                              f"declared range {list(bounds)} of the draw, so no mean can equal it")

    def tests_for(s: _Sums) -> list:
        out = []
        for j in range(d):
            v0 = None if var0 is None else float(var0[j])
            if bounds is None:
                out.append(_ZTest(per, delta, v0))
            elif pilot.inner[j] == 0 and s.inner[j] == 0:
                out.append(_BinomialTest(per, delta, bounds))
            else:
                bd = (target_arr[j] - bounds[0]) * (bounds[1] - target_arr[j])   # Bhatia-Davis
                bound_var = float(bd if v0 is None else min(bd, v0))
                empirical = (pilot.off[j] >= TIES_MIN
                             and float(pilot.sd_upper()[j]) ** 2 <= bound_var / 2)
                out.append(_BernsteinTest(per, delta, bounds, bound_var, empirical))
        return out

    def floor_of(s: _Sums) -> np.ndarray:
        return np.maximum(ROUNDOFF * (np.abs(target_arr) + s.rms + size), noise_floor) \
            + np.finfo(float).tiny

    def required(s: _Sums) -> tuple[int, str]:
        need, why, floors = 0.0, "", floor_of(s)
        for j, test in enumerate(tests_for(s)):
            if isinstance(test, _ZTest):
                n_j, note = test.plan(s, j, float(floors[j]), pilot=s is pilot)
                why = why or note
            elif isinstance(test, _BinomialTest):
                n_j = test.plan(float(target_arr[j]))
            else:
                sd = float(s.sd_upper()[j]) if test.empirical else math.sqrt(test.var0)
                n_j = test.plan(sd)
            need = max(need, n_j)
        return settings.clip(need), why

    n_plan, tie_note = required(pilot)
    main = _Sums(bounds, pilot.ref)
    _fill(main, draw, rng, n_plan, settings.batch)
    n_again, _ = required(main)                   # re-sized once from the main sample's moments
    if n_again > main.n:
        _fill(main, draw, rng, n_again - main.n, settings.batch)
    floors = floor_of(main)
    outcomes = []
    for j, test in enumerate(tests_for(main)):
        if isinstance(test, _ZTest):
            outcomes.append(test.outcome(main, j, float(target_arr[j]), float(floors[j])))
        else:
            outcomes.append(test.outcome(main, j, float(target_arr[j])))
    power = min(o.power for o in outcomes)
    detectable = max(o.detectable for o in outcomes)
    details.update({"estimate": _plain(main.mean), "target": _plain(target_arr),
                    "stderr": _plain([o.stderr for o in outcomes]), "z": _plain([o.z for o in outcomes]),
                    "critical": _plain([o.critical for o in outcomes]), "n": main.n,
                    "power": power, "detectable": detectable,
                    "test": outcomes[0].test if len({o.test for o in outcomes}) == 1
                    else [o.test for o in outcomes]})
    for key in sorted({k for o in outcomes for k in o.extra}):
        details[key] = _plain([o.extra.get(key, math.nan) for o in outcomes]) \
            if all(isinstance(o.extra.get(key, 0), (int, float)) for o in outcomes) \
            else [o.extra.get(key) for o in outcomes]
    if tie_note:
        details["pilot"] = tie_note + ": the pilot cannot size the sample, so the cap is drawn"
    elapsed = time.perf_counter() - started
    gap = main.mean - target_arr
    ratio = lambda o: abs(o.z) / o.critical if o.critical > 0 else math.inf  # noqa: E731
    rejected = [j for j, o in enumerate(outcomes) if o.reject and o.reliable]
    if rejected:
        worst = max(rejected, key=lambda j: ratio(outcomes[j]))
        o = outcomes[worst]
        counterexample = {"seed": seed, **(params or {}), "estimate": float(main.mean[worst]),
                          "closed_form": float(target_arr[worst]), "stderr": o.stderr, "z": o.z,
                          "n": main.n}
        if d > 1:
            counterexample["coordinate"] = worst
        if "p_value" in o.extra:
            counterexample["p_value"] = o.extra["p_value"]
        return Verdict(FAILS, "monte-carlo", seconds=elapsed, details=details,
                       counterexample=counterexample,
                       reason=f"{label}{_evidence(o, main.n, gap[worst])} (false-fail rate {settings.false_fail:g}); {replay}")
    shaky = [o for o in outcomes if not o.reliable]
    if shaky:
        # the power rests on the same approximation as the rate: not stated
        details.update({"power": None, "detectable": None})
        o = max(shaky, key=ratio)
        seen = (f"|z| = {abs(o.z):.2f} > {o.critical:.2f}, but " if o.reject else "")
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, details=details,
                       reason=f"{label}{seen}{o.why}; the declared false-fail rate "
                              f"{settings.false_fail:g} is not guaranteed, so no verdict")
    if power < settings.power:
        capped = main.n >= settings.max_n
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, details=details,
                       reason=f"{label}" + (f"the sample cap {settings.max_n}" if capped else f"n = {main.n}")
                              + f" only detects discrepancies of {detectable:.3g} with power "
                              f"{settings.power}; at the declared {delta:.3g} the power is {power:.3g}")
    j = max(range(d), key=lambda i: ratio(outcomes[i]))
    return Verdict(HOLDS, "monte-carlo", seconds=elapsed, details=details,
                   reason=f"{label}{_evidence(outcomes[j], main.n, gap[j])} ({outcomes[j].test}; "
                          f"false-fail rate {settings.false_fail:g}; detects {delta:.3g} with power "
                          f"{power:.4g}; n = {main.n}): sampled evidence, not proof")


def shifted_normal(f: Callable[[np.ndarray], np.ndarray], shift) -> Draw:
    """Importance sampling for E[f(z)], z ~ N(0, I_d): draws y ~ N(shift, I_d) and returns
    f(y) w(y) with the likelihood ratio w(y) = exp(-shift . y + |shift|^2 / 2).  Unbiased; a shift
    towards a rare region (e.g. shift t for P(z > t)) makes the event common.  For the indicator of
    {u . z > t} with shift t u (|u| = 1) every draw lies in [0, exp(-t^2 / 2)]: declare those bounds."""
    shift = np.atleast_1d(np.asarray(shift, dtype=np.float64))
    if shift.ndim != 1 or not np.all(np.isfinite(shift)):
        raise ValueError("shift must be a finite vector")
    half_sq = 0.5 * float(shift @ shift)

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        y = shift + rng.standard_normal((k, shift.size))
        w = np.exp(half_sq - y @ shift)
        values = np.asarray(f(y), dtype=np.float64)
        return values * (w if values.ndim == 1 else w[:, None])

    return draw


def compare(draw_pair: PairDraw, seed: int = 0, settings: MCSettings = DEFAULT,
            offset=0.0, scale: float | str | None = "rms", what: str = "",
            params: dict[str, Any] | None = None) -> Verdict:
    """Test E[left] - E[right] == offset, where ``draw_pair(rng, n)`` returns both sides computed
    from the same random numbers (common random numbers: the shared noise cancels in the paired
    difference).  ``scale`` defaults to the pilot RMS of the difference; the report adds the two
    sides' means."""
    sums = {"left": 0.0, "right": 0.0, "n": 0, "seen": 0}

    def difference(rng: np.random.Generator, k: int) -> np.ndarray:
        left, right = draw_pair(rng, k)
        left = np.asarray(left, dtype=np.float64).reshape(k, -1)
        right = np.asarray(right, dtype=np.float64).reshape(k, -1)
        sums["seen"] += k
        if sums["seen"] <= settings.pilot:            # the pilot only sizes the sample
            return left - right
        sums["left"] = sums["left"] + left.sum(axis=0)
        sums["right"] = sums["right"] + right.sum(axis=0)
        sums["n"] += k
        return left - right

    verdict = decide(difference, offset, seed, settings, scale, what, params)
    verdict.details["left_mean"] = _plain(sums["left"] / max(sums["n"], 1))
    verdict.details["right_mean"] = _plain(sums["right"] / max(sums["n"], 1))
    verdict.details["paired"] = "common random numbers"
    return verdict


def antithetic(f: Callable[[np.ndarray], np.ndarray], width: int) -> Draw:
    """A draw averaging f(z) and f(-z) for z ~ N(0, I_width) (one sample per antithetic pair).

    Unbiased for E[f(z)]; pays when f is close to odd in z (monotone), where the two halves'
    errors cancel."""
    if width < 1:
        raise ValueError("antithetic draws need width >= 1")

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        z = rng.standard_normal((k, width))
        return 0.5 * (np.asarray(f(z), dtype=np.float64) + np.asarray(f(-z), dtype=np.float64))

    return draw


def with_control_variates(draw_fg: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
                          known_means, seed: int = 0, pilot: int = 4096) -> tuple[Draw, np.ndarray]:
    """Control variates: ``draw_fg(rng, n)`` returns f (shape (n,)) and controls g (shape (n, c))
    with known means E[g] = ``known_means``.  The regression coefficients b of f on g are fitted on
    an independent pilot stream (derived from ``seed``), then frozen, so the returned draw
    f - (g - E[g]) b is unbiased for E[f] with variance (1 - R^2) Var f.  Returns (draw, b)."""
    known = np.atleast_1d(np.asarray(known_means, dtype=np.float64))
    rng = np.random.default_rng([seed, 0xC0117])
    f, g = draw_fg(rng, pilot)
    f = np.asarray(f, dtype=np.float64).reshape(-1)
    g = np.asarray(g, dtype=np.float64).reshape(pilot, -1)
    if g.shape[1] != known.size:
        raise ValueError(f"{g.shape[1]} controls but {known.size} known means")
    gc = g - g.mean(axis=0)
    coef, *_ = np.linalg.lstsq(gc, f - f.mean(), rcond=None)

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        fk, gk = draw_fg(rng, k)
        gk = np.asarray(gk, dtype=np.float64).reshape(k, -1)
        return np.asarray(fk, dtype=np.float64).reshape(-1) - (gk - known) @ coef

    draw.raw_rms = float(np.sqrt(np.mean(f ** 2)))    # size of f before the controls, for round-off
    return draw, coef


@dataclass
class MonteCarloCheck:
    """A step check: E[draw] == target, decided by :func:`decide` (``name`` is the method).

    ``params`` are the identity's parameter values, reported with the seed so a failure replays.
    ``bounds`` and ``variance`` are passed to :func:`decide` (declared range, null variance).
    """

    what: str
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
class PairedCheck:
    """A step check: E[left] - E[right] == offset with common random numbers (:func:`compare`)."""

    what: str
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
class ControlVariateCheck:
    """A step check: E[f] == target, with controls g of known means subtracted
    (:func:`with_control_variates`; the coefficients are fitted on a pilot stream derived from the
    run's seed, so the check replays exactly)."""

    what: str
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
        verdict.details["control_variates"] = int(np.size(coef))
        return verdict


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
