"""Monte Carlo decisions with stated error rates.

A check compares a Monte Carlo mean with a closed form (E_p[f] = c), or the mean of paired
differences with 0 (E_p[f] = E_q[h], both sides drawn with common random numbers).  It declares

- a false-fail rate ``false_fail`` (probability of reporting ``fails`` when the identity holds;
  default 1e-6 per check), and
- a minimum detectable discrepancy ``delta = max(rel_tol |target|, abs_floor)`` that is detected
  with probability at least ``power`` (default 0.999).

The sample size comes from a pilot estimate of the standard deviation (inflated to an upper
confidence bound so the power holds): n = ((z_{1 - false_fail/2} + z_{power}) sd / delta)^2.
The test is the two-sided z-test |mean - target| / stderr > z_{1 - false_fail/2}.  Draws come in
batches so memory stays bounded; every stream derives from the seed, so a run replays exactly.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Callable

import numpy as np

from derive.derivation import FAILS, HOLDS, UNDECIDED, Verdict

Draw = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class MCSettings:
    false_fail: float = 1e-6
    power: float = 0.999
    rel_tol: float = 0.01
    abs_floor: float = 1e-3
    pilot: int = 4096
    batch: int = 262_144
    max_n: int = 4_000_000

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


DEFAULT = MCSettings()


@dataclass
class Estimate:
    mean: float
    stderr: float
    n: int
    sd: float


def _accumulate(draw: Draw, rng: np.random.Generator, n: int, batch: int) -> Estimate:
    total, total_sq, count = 0.0, 0.0, 0
    shift = None
    while count < n:
        k = min(batch, n - count)
        values = np.asarray(draw(rng, k), dtype=np.float64).reshape(-1)
        if values.shape[0] != k:
            raise ValueError(f"draw returned {values.shape[0]} values, expected {k}")
        if not np.all(np.isfinite(values)):
            raise FloatingPointError("the Monte Carlo draw produced a non-finite value")
        if shift is None:
            shift = float(values.mean())  # shifted sums keep the variance accurate
        centered = values - shift
        total += float(centered.sum())
        total_sq += float((centered ** 2).sum())
        count += k
    mean_c = total / count
    var = max(total_sq / count - mean_c ** 2, 0.0) * count / max(count - 1, 1)
    sd = math.sqrt(var)
    return Estimate(mean_c + shift, sd / math.sqrt(count), count, sd)


def decide(draw: Draw, target: float, seed: int = 0, settings: MCSettings = DEFAULT,
           scale: float | None = None, what: str = "") -> Verdict:
    """Test E[draw] == target.  ``scale`` sets the size the relative tolerance refers to
    (default |target|; for differences of two sides pass the size of one side)."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    delta = settings.delta(abs(target) if scale is None else abs(scale))
    pilot = _accumulate(draw, rng, settings.pilot, settings.batch)
    # upper 99.9% confidence bound of the sd from the pilot (chi-square via normal approximation)
    sd_upper = pilot.sd * (1 + 3.1 / math.sqrt(2 * max(settings.pilot - 1, 1)))
    n = settings.sample_size(sd_upper, delta)
    estimate = _accumulate(draw, rng, n, settings.batch)
    details = {"estimate": estimate.mean, "target": target, "stderr": estimate.stderr,
               "n": estimate.n, "delta": delta, "false_fail": settings.false_fail,
               "power": settings.power, "seed": seed}
    if what:
        details["what"] = what
    elapsed = time.perf_counter() - started
    if estimate.stderr == 0.0:
        z = 0.0 if estimate.mean == target else math.inf
    else:
        z = (estimate.mean - target) / estimate.stderr
    details["z"] = z
    achieved = (settings.z_reject + settings.z_power) * estimate.stderr
    if achieved > delta * 1.05:
        details["detectable"] = achieved
    if abs(z) > settings.z_reject:
        return Verdict(FAILS, "monte-carlo", seconds=elapsed, details=details,
                       counterexample={"seed": seed, "estimate": estimate.mean, "closed_form": target,
                                       "stderr": estimate.stderr, "z": z, "n": estimate.n},
                       reason=f"|z| = {abs(z):.2f} > {settings.z_reject:.2f}")
    if achieved > 2 * delta:
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, details=details,
                       reason=f"the sample cap {settings.max_n} only detects discrepancies of "
                              f"{achieved:.3g}, not the declared {delta:.3g}")
    return Verdict(HOLDS, "monte-carlo", seconds=elapsed, details=details,
                   reason=f"|z| = {abs(z):.2f} <= {settings.z_reject:.2f} (false-fail rate "
                          f"{settings.false_fail:g}; detects {delta:.3g} with power {settings.power})")


@dataclass
class MonteCarloCheck:
    """A step check: E[draw] == target, decided by :func:`decide` (``name`` is the method)."""

    what: str
    draw: Draw
    target: float
    scale: float | None = None
    settings: MCSettings = field(default_factory=MCSettings)
    name: str = "monte-carlo"

    def run(self, seed: int) -> Verdict:
        return decide(self.draw, self.target, seed, self.settings, self.scale, self.what)
