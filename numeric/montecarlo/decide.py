"""The decision: a pilot sizes the sample, the main sample is drawn (and re-sized once from its own
moments), each coordinate is tested, and the outcomes become one verdict (fails only on a
reliable rejection; undecided when the test's rate or power cannot be guaranteed)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED, Verdict
from diffproof.numeric.montecarlo.evidence import MonteCarloEvidence
from diffproof.numeric.montecarlo.mean_tests import BernsteinTest, BinomialTest, MeanTestOutcome, ZTest, evidence
from diffproof.numeric.montecarlo.moments import Sums, fill, plain
from diffproof.numeric.montecarlo.settings import (DEFAULT, ROUNDOFF, TIES_MIN, Draw, MCSettings,
                                         PairDraw)


@dataclass
class _Problem:
    """What one decision tests: the target per coordinate, the declared variance and bounds, the
    detectable discrepancy ``delta`` and the per-coordinate settings."""

    settings: MCSettings
    pilot: Sums
    target: np.ndarray
    var0: np.ndarray | None
    bounds: tuple[float, float] | None
    size: float
    noise_floor: float

    @property
    def d(self) -> int:
        return self.pilot.d

    @property
    def delta(self) -> float:
        return self.settings.delta(self.size)

    @property
    def per(self) -> MCSettings:
        return self.settings.for_dimension(self.d)

    def tests_for(self, s: Sums) -> list:
        """z-test without bounds; exact binomial for two-valued bounded draws; Bernstein else."""
        out = []
        for j in range(self.d):
            v0 = None if self.var0 is None else float(self.var0[j])
            if self.bounds is None:
                out.append(ZTest(self.per, self.delta, v0))
            elif self.pilot.inner[j] == 0 and s.inner[j] == 0:
                out.append(BinomialTest(self.per, self.delta, self.bounds))
            else:
                lo, hi = self.bounds
                bd = (self.target[j] - lo) * (hi - self.target[j])            # Bhatia-Davis
                bound_var = float(bd if v0 is None else min(bd, v0))
                empirical = (self.pilot.off[j] >= TIES_MIN
                             and float(self.pilot.sd_upper()[j]) ** 2 <= bound_var / 2)
                out.append(BernsteinTest(self.per, self.delta, self.bounds, bound_var, empirical))
        return out

    def floor_of(self, s: Sums) -> np.ndarray:
        """The round-off floor of the standard error (never read as a discrepancy)."""
        return np.maximum(ROUNDOFF * (np.abs(self.target) + s.rms + self.size), self.noise_floor) \
            + np.finfo(float).tiny

    def required(self, s: Sums) -> tuple[int, str]:
        """The sample size every coordinate's test needs, and why the pilot could not size it."""
        need, why, floors = 0.0, "", self.floor_of(s)
        for j, test in enumerate(self.tests_for(s)):
            if isinstance(test, ZTest):
                n_j, note = test.plan(s, j, float(floors[j]), pilot=s is self.pilot)
                why = why or note
            elif isinstance(test, BinomialTest):
                n_j = test.plan(float(self.target[j]))
            else:
                n_j = test.plan(float(s.sd_upper()[j]) if test.empirical else math.sqrt(test.var0))
            need = max(need, n_j)
        return self.settings.clip(need), why

    def outcomes(self, s: Sums) -> list[MeanTestOutcome]:
        floors = self.floor_of(s)
        return [test.outcome(s, j, float(self.target[j]), float(floors[j]))
                if isinstance(test, ZTest) else test.outcome(s, j, float(self.target[j]))
                for j, test in enumerate(self.tests_for(s))]


def _checked_bounds(bounds) -> tuple[float, float] | None:
    if bounds is None:
        return None
    bounds = (float(bounds[0]), float(bounds[1]))
    if not (math.isfinite(bounds[0]) and math.isfinite(bounds[1]) and bounds[0] < bounds[1]):
        raise ValueError(f"bounds must be finite with lo < hi, got {bounds}")
    return bounds


def _per_coordinate(value, d: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (d,)).astype(np.float64)


def _problem(pilot: Sums, target, variance, scale, settings: MCSettings, bounds,
             noise_floor: float, params) -> _Problem:
    d = pilot.d
    target_arr = _per_coordinate(target, d)
    if not np.all(np.isfinite(target_arr)):
        raise FloatingPointError(f"the closed form is not finite: {target!r} (params {params})")
    var0 = None
    if variance is not None:
        var0 = _per_coordinate(variance, d)
        if not np.all(np.isfinite(var0)) or np.any(var0 < 0):
            raise ValueError(f"variance must be finite and >= 0, got {variance!r}")
    if scale == "rms":
        size = float(pilot.rms.max())
    elif scale is None:
        size = float(np.abs(target_arr).max())
    else:
        size = abs(float(scale))
    return _Problem(settings, pilot, target_arr, var0, bounds, size, noise_floor)


def _outside_bounds(problem: _Problem, evidence: MonteCarloEvidence, seed, params, label,
                    started) -> Verdict | None:
    """A closed form beyond round-off outside the declared range: no mean can equal it.  Within
    round-off it is clipped into the range."""
    lo, hi = problem.bounds
    slack = ROUNDOFF * max(abs(lo), abs(hi), hi - lo)
    outside = (problem.target < lo - slack) | (problem.target > hi + slack)
    if not np.any(outside):
        problem.target = np.clip(problem.target, lo, hi)
        return None
    j = int(np.argmax(outside))
    value = float(problem.target[j])
    return Verdict(FAILS, "monte-carlo", seconds=time.perf_counter() - started,
                   evidence=replace(evidence, target=plain(problem.target)),
                   counterexample={"seed": seed, **(params or {}), "closed_form": value,
                                   "bounds": [lo, hi]},
                   reason=f"{label}the closed form {value:.6g} lies outside the declared range "
                          f"{[lo, hi]} of the draw, so no mean can equal it")


def _measured(evidence: MonteCarloEvidence, outcomes: list[MeanTestOutcome], main: Sums,
              problem: _Problem, tie_note: str) -> MonteCarloEvidence:
    """The evidence completed with the main sample's estimate and every coordinate's test."""
    per_test = {}
    for key in sorted({k for o in outcomes for k in o.extra}):
        values = [o.extra.get(key, math.nan) for o in outcomes]
        numeric = all(isinstance(o.extra.get(key, 0), (int, float)) for o in outcomes)
        per_test[key] = plain(values) if numeric else [o.extra.get(key) for o in outcomes]
    shaky = any(not o.reliable for o in outcomes)       # power rests on the same approximation
    return replace(
        evidence, estimate=plain(main.mean), target=plain(problem.target),
        stderr=plain([o.stderr for o in outcomes]), z=plain([o.z for o in outcomes]),
        critical=plain([o.critical for o in outcomes]), n=main.n,
        power=None if shaky else min(o.power for o in outcomes),
        detectable=None if shaky else max(o.detectable for o in outcomes),
        test=outcomes[0].test if len({o.test for o in outcomes}) == 1
        else [o.test for o in outcomes], per_test=per_test or None,
        pilot=tie_note + ": the pilot cannot size the sample, so the cap is drawn"
        if tie_note else None)


def _ratio(o: MeanTestOutcome) -> float:
    return abs(o.z) / o.critical if o.critical > 0 else math.inf


def _verdict(outcomes: list[MeanTestOutcome], main: Sums, problem: _Problem,
             measured: MonteCarloEvidence, seed: int, params, label: str,
             elapsed: float) -> Verdict:
    """fails on a reliable rejection; undecided when the rate or the power is not guaranteed;
    holds otherwise (evidence, not proof)."""
    settings, gap = problem.settings, main.mean - problem.target
    rejected = [j for j, o in enumerate(outcomes) if o.reject and o.reliable]
    if rejected:
        worst = max(rejected, key=lambda j: _ratio(outcomes[j]))
        o = outcomes[worst]
        counterexample = {"seed": seed, **(params or {}), "estimate": float(main.mean[worst]),
                          "closed_form": float(problem.target[worst]), "stderr": o.stderr,
                          "z": o.z, "n": main.n}
        if problem.d > 1:
            counterexample["coordinate"] = worst
        if "p_value" in o.extra:
            counterexample["p_value"] = o.extra["p_value"]
        replay = f"replay with seed {seed}" + (f" and {params}" if params else "")
        return Verdict(FAILS, "monte-carlo", seconds=elapsed, evidence=measured,
                       counterexample=counterexample,
                       reason=f"{label}{evidence(o, main.n, gap[worst])} (false-fail rate "
                              f"{settings.false_fail:g}); {replay}")
    shaky = [o for o in outcomes if not o.reliable]
    if shaky:
        o = max(shaky, key=_ratio)
        seen = f"|z| = {abs(o.z):.2f} > {o.critical:.2f}, but " if o.reject else ""
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, evidence=measured,
                       reason=f"{label}{seen}{o.why}; the declared false-fail rate "
                              f"{settings.false_fail:g} is not guaranteed, so no verdict")
    power, detectable = measured.power, measured.detectable
    if power < settings.power:
        drawn = f"the sample cap {settings.max_n}" if main.n >= settings.max_n else f"n = {main.n}"
        return Verdict(UNDECIDED, "monte-carlo", seconds=elapsed, evidence=measured,
                       reason=f"{label}{drawn} only detects discrepancies of {detectable:.3g} with "
                              f"power {settings.power}; at the declared {problem.delta:.3g} the "
                              f"power is {power:.3g}")
    j = max(range(problem.d), key=lambda i: _ratio(outcomes[i]))
    return Verdict(HOLDS, "monte-carlo", seconds=elapsed, evidence=measured,
                   reason=f"{label}{evidence(outcomes[j], main.n, gap[j])} ({outcomes[j].test}; "
                          f"false-fail rate {settings.false_fail:g}; detects {problem.delta:.3g} "
                          f"with power {power:.4g}; n = {main.n}): sampled evidence, not proof")


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
    bounds = _checked_bounds(bounds)
    pilot = Sums(bounds)                                   # 1. the pilot sizes the sample
    fill(pilot, draw, rng, settings.pilot, settings.batch)
    problem = _problem(pilot, target, variance, scale, settings, bounds, noise_floor, params)
    started_evidence = MonteCarloEvidence(
        n=pilot.n, delta=problem.delta, false_fail=settings.false_fail,
        declared_power=settings.power, seed=seed,
        coordinates=problem.d if problem.d > 1 else None, what=what or None,
        params=dict(params) if params else None)
    label = what + ": " if what else ""
    if bounds is not None:                                 # 2. a closed form out of range
        impossible = _outside_bounds(problem, started_evidence, seed, params, label, started)
        if impossible is not None:
            return impossible
    n_plan, tie_note = problem.required(pilot)             # 3. the main sample, re-sized once
    main = Sums(bounds, pilot.ref)
    fill(main, draw, rng, n_plan, settings.batch)
    n_again, _ = problem.required(main)
    if n_again > main.n:
        fill(main, draw, rng, n_again - main.n, settings.batch)
    outcomes = problem.outcomes(main)                      # 4. one test per coordinate
    measured = _measured(started_evidence, outcomes, main, problem, tie_note)
    return _verdict(outcomes, main, problem, measured, seed, params, label,
                    time.perf_counter() - started)


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
    return verdict.but(evidence=replace(
        verdict.evidence, left_mean=plain(sums["left"] / max(sums["n"], 1)),
        right_mean=plain(sums["right"] / max(sums["n"], 1)), paired="common random numbers"))
