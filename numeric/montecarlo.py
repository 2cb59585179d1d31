"""Monte Carlo decisions with stated error rates.

A check compares a Monte Carlo mean with a closed form (E_p[f] = c), or the mean of paired
differences with 0 (E_p[f] = E_q[h], both sides drawn with common random numbers: :func:`compare`).
It declares

- a false-fail rate ``false_fail`` (probability of reporting ``fails`` when the identity holds;
  default 1e-6 per check), and
- a minimum detectable discrepancy ``delta = max(rel_tol * scale, abs_floor)`` that is detected
  with probability at least ``power`` (default 0.999); ``scale`` is |target| unless given, and
  ``scale="rms"`` takes the root-mean-square of the summand from the pilot (for targets near 0).

The sample size comes from a pilot estimate of the standard deviation (inflated to an upper
confidence bound so the power holds): n = ((z_{1 - false_fail/2} + z_{power}) sd / delta)^2.
The test is the two-sided z-test |mean - target| / stderr > z_{1 - false_fail/2}, the way
TensorFlow Probability's ``statistical_testing`` states a false-fail and a false-pass rate.  A
draw may return d coordinates per sample (shape (n, d)); each coordinate is tested at
false_fail / d (Bonferroni), so the whole check keeps the declared rate.

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
        return NormalDist().inv_cdf(1 - self.false_fail / 2)

    @property
    def z_power(self) -> float:
        return NormalDist().inv_cdf(self.power)

    def delta(self, target: float) -> float:
        return max(self.rel_tol * abs(target), self.abs_floor)

    def sample_size(self, sd: float, delta: float) -> int:
        n = ((self.z_reject + self.z_power) * sd / delta) ** 2
        return int(min(max(math.ceil(n), self.pilot), self.max_n))

    def for_dimension(self, d: int) -> "MCSettings":
        """The per-coordinate settings of a d-coordinate check (Bonferroni)."""
        if d == 1:
            return self
        return MCSettings(self.false_fail / d, self.power, self.rel_tol, self.abs_floor,
                          self.pilot, self.batch, self.max_n)


DEFAULT = MCSettings()


@dataclass
class Estimate:
    """Per-coordinate mean, standard error, sd and root-mean-square of n draws."""

    mean: np.ndarray
    stderr: np.ndarray
    n: int
    sd: np.ndarray
    rms: np.ndarray


def _as_2d(values, k: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != k:
        raise ValueError(f"draw returned shape {values.shape}, expected ({k},) or ({k}, d)")
    if not np.all(np.isfinite(values)):
        raise FloatingPointError("the Monte Carlo draw produced a non-finite value")
    return values


def _accumulate(draw: Draw, rng: np.random.Generator, n: int, batch: int) -> Estimate:
    total = total_sq = raw_sq = None
    shift = None
    count = 0
    while count < n:
        k = min(batch, n - count)
        values = _as_2d(draw(rng, k), k)
        if shift is None:
            shift = values.mean(axis=0)  # shifted sums keep the variance accurate
            total = np.zeros_like(shift)
            total_sq = np.zeros_like(shift)
            raw_sq = np.zeros_like(shift)
        centered = values - shift
        total += centered.sum(axis=0)
        total_sq += (centered ** 2).sum(axis=0)
        raw_sq += (values ** 2).sum(axis=0)
        count += k
    mean_c = total / count
    var = np.maximum(total_sq / count - mean_c ** 2, 0.0) * count / max(count - 1, 1)
    sd = np.sqrt(var)
    return Estimate(mean_c + shift, sd / math.sqrt(count), count, sd, np.sqrt(raw_sq / count))


def _plain(value: np.ndarray):
    """A float for one coordinate, a list for several (JSON-friendly details)."""
    value = np.asarray(value, dtype=np.float64).reshape(-1)
    return float(value[0]) if value.size == 1 else [float(v) for v in value]


def decide(draw: Draw, target, seed: int = 0, settings: MCSettings = DEFAULT,
           scale: float | str | None = None, what: str = "",
           params: dict[str, Any] | None = None, noise_floor: float = 0.0) -> Verdict:
    """Test E[draw] == target (a number, or one per coordinate when the draw has d columns).

    ``scale`` sets the size the relative tolerance refers to: default max |target|; a number
    (for differences of two sides pass the size of one side); or ``"rms"``, the pilot's
    root-mean-square of the draw.  ``params`` (the identity's parameters) go into the report so
    a failure replays exactly with the same seed.  ``noise_floor`` is a lower bound of the
    standard error (round-off of an estimator whose noise cancels exactly).
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    pilot = _accumulate(draw, rng, settings.pilot, settings.batch)
    d = pilot.mean.shape[0]
    target_arr = np.broadcast_to(np.asarray(target, dtype=np.float64), (d,)).astype(np.float64)
    if not np.all(np.isfinite(target_arr)):
        raise FloatingPointError(f"the closed form is not finite: {target!r} (params {params})")
    if scale == "rms":
        size = float(pilot.rms.max())
    elif scale is None:
        size = float(np.abs(target_arr).max())
    else:
        size = abs(float(scale))
    delta = settings.delta(size)
    per_coord = settings.for_dimension(d)
    # upper 99.9% confidence bound of the sd from the pilot (chi-square via normal approximation)
    sd_upper = float(pilot.sd.max()) * (1 + 3.1 / math.sqrt(2 * max(settings.pilot - 1, 1)))
    n = per_coord.sample_size(sd_upper, delta)
    estimate = _accumulate(draw, rng, n, settings.batch)
    floor = np.maximum(ROUNDOFF * (np.abs(target_arr) + estimate.rms + size), noise_floor) \
        + np.finfo(float).tiny
    stderr = np.maximum(estimate.stderr, floor)
    z = (estimate.mean - target_arr) / stderr
    worst = int(np.argmax(np.abs(z)))
    details: dict[str, Any] = {"estimate": _plain(estimate.mean), "target": _plain(target_arr),
                               "stderr": _plain(stderr), "z": _plain(z), "n": estimate.n,
                               "delta": delta, "false_fail": settings.false_fail,
                               "power": settings.power, "seed": seed}
    if d > 1:
        details["coordinates"] = d
    if what:
        details["what"] = what
    if params:
        details["params"] = dict(params)
    achieved = (per_coord.z_reject + per_coord.z_power) * float(stderr.max())
    if achieved > delta * 1.05:
        details["detectable"] = achieved
    elapsed = time.perf_counter() - started
    if abs(z[worst]) > per_coord.z_reject:
        counterexample = {"seed": seed, **(params or {}),
                          "estimate": float(estimate.mean[worst]), "closed_form": float(target_arr[worst]),
                          "stderr": float(stderr[worst]), "z": float(z[worst]), "n": estimate.n}
        if d > 1:
            counterexample["coordinate"] = worst
        return Verdict(FAILS, "monte-carlo", seconds=elapsed, details=details,
                       counterexample=counterexample,
                       reason=f"{what + ': ' if what else ''}|z| = {abs(z[worst]):.2f} > "
                              f"{per_coord.z_reject:.2f}; replay with seed {seed}"
                              + (f" and {params}" if params else ""))
    if achieved > 2 * delta:
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, details=details,
                       reason=f"the sample cap {settings.max_n} only detects discrepancies of "
                              f"{achieved:.3g}, not the declared {delta:.3g}")
    return Verdict(HOLDS, "monte-carlo", seconds=elapsed, details=details,
                   reason=f"|z| = {abs(z[worst]):.2f} <= {per_coord.z_reject:.2f} (false-fail rate "
                          f"{settings.false_fail:g}; detects {delta:.3g} with power {settings.power}; "
                          f"n = {estimate.n}): sampled evidence, not proof")


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
    """

    what: str
    draw: Draw
    target: Any
    scale: float | str | None = None
    settings: MCSettings = field(default_factory=MCSettings)
    name: str = "monte-carlo"
    params: dict[str, Any] = field(default_factory=dict)

    def run(self, seed: int) -> Verdict:
        return decide(self.draw, self.target, seed, self.settings, self.scale, self.what,
                      self.params)


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
