"""Calibration of the Monte Carlo decisions: empirical false-fail and detection rates, and timing.

For every Monte Carlo check of the catalog (proofs/catalog/vdm_simulation.py), and for the
engine's hard cases (a rare event P(Z > 4) as an indicator and by importance sampling, the same
indicator undeclared, and a sample size capped below what the power needs):

1. run it on the true identity with many seeds and count ``fails`` (the false-fail rate) and
   ``undecided``;
2. plant an error of exactly the minimum detectable size delta that the run declares (the
   closed form moved by delta) and count ``fails`` (the detection rate), next to the power at
   delta that those runs state (the declared power, or less when the cap binds).

At the default settings (false-fail 1e-6, power 0.999) the expected counts over a few dozen seeds
are 0 false fails and 0 misses, which says little about the rates themselves; so the same checks
also run at loose settings (false-fail 0.05, power 0.9, 5% tolerance) where both rates are
observable.  Timing: mean seconds per decision at the default settings, against a baseline
fixed-size test with the sample cap (4e6 draws, no pilot sizing).

    python benchmarks/bench_mc_calibration.py            # 20 minutes at load 11 on 2 cores
    python benchmarks/bench_mc_calibration.py --quick    # about a fifth of that
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statistics import NormalDist  # noqa: E402

from diffproof.derive.verdict import FAILS, UNDECIDED
from diffproof.numeric.montecarlo import MCSettings, MonteCarloCheck, PairedCheck, shifted_normal  # noqa: E402
from diffproof.proofs.catalog import vdm_simulation as V  # noqa: E402

P4 = 1 - NormalDist().cdf(4.0)                              # P(Z > 4) = 3.17e-5

DEFAULT = MCSettings()
LOOSE = MCSettings(false_fail=0.05, power=0.9, rel_tol=0.05)
BASELINE = MCSettings(rel_tol=0.0, abs_floor=1e-12)          # always draws the cap, 4e6


def catalog_checks(settings: MCSettings):
    """(name, check) for every MC check of the catalog, built with ``settings``."""
    mean, var = V.forward_chain_checks(settings=settings)
    posterior = V.posterior_checks(settings=settings)
    dsm = V.dsm_checks(settings=settings)
    return [
        ("forward chain: mean", mean), ("forward chain: variance", var),
        ("posterior: E[r] = 0", posterior[0]), ("posterior: E[r x_t] = 0", posterior[1]),
        ("posterior: E[r x_0] = 0", posterior[2]), ("posterior: E[r^2] = Sigma_q", posterior[3]),
        ("Tweedie, Gaussian d=1", V.tweedie_check(V.GAUSS, [V.XT_1D], V.ABAR, settings)),
        ("Tweedie, mixture d=2", V.tweedie_check(V.MIXTURE, V.XT_2D, V.ABAR, settings)),
        ("score = -E[eps|x_t]/sd, Gaussian", V.score_check(V.GAUSS, [V.XT_1D], V.ABAR, settings)),
        ("score = -E[eps|x_t]/sd, mixture", V.score_check(V.MIXTURE, V.XT_2D, V.ABAR, settings)),
        ("DSM = ESM + C, affine (CRN+CV)", dsm[1]),
        ("DSM = ESM + C, tanh (CRN+CV)", dsm[3]),
        ("DSM - ESM model-free, mixture", V.dsm_independence_checks(settings=settings)[1]),
    ] + hard_cases(settings)


def _indicator(rng, k):
    return (rng.standard_normal(k) > 4.0).astype(float)


def hard_cases(settings: MCSettings):
    """(name, check): P(Z > 4) with delta = P(Z > 4) (a doubling) as a [0, 1] indicator (exact
    binomial), by a shifted-normal proposal with weights in [0, e^-8] (Bernstein), and undeclared
    (the z-test; delta as in the settings); N(0, 1) draws with delta 0.05 and a cap below what the
    power needs (1e4 draws, 1e3 at the loose settings)."""
    rare = dataclasses.replace(settings, rel_tol=0.0, abs_floor=P4, max_n=max(settings.max_n, 8_000_000))
    tilted = shifted_normal(lambda y: (y[:, 0] > 4.0).astype(float), 4.0)
    cap = 10_000 if settings.false_fail < 1e-3 else 1_000
    capped = dataclasses.replace(settings, rel_tol=0.05, pilot=min(1000, cap), max_n=cap)
    return [
        ("P(Z > 4), indicator (exact binomial)",
         MonteCarloCheck("P(Z > 4)", _indicator, P4, settings=rare, bounds=(0.0, 1.0))),
        ("P(Z > 4), importance sampling (Bernstein)",
         MonteCarloCheck("P(Z > 4)", tilted, P4, settings=rare, bounds=(0.0, math.exp(-8.0)))),
        ("P(Z > 4), indicator undeclared (z-test)",
         MonteCarloCheck("P(Z > 4)", _indicator, P4, settings=settings)),
        ("capped n: N(0,1), delta 0.05, cap 1e4",
         MonteCarloCheck("E[z] = 0", lambda rng, k: rng.standard_normal(k), 0.0, scale=1.0,
                         settings=capped)),
    ]


HARD = {name for name, _ in hard_cases(MCSettings())}
# rows too slow to repeat at the loose settings (every run draws the 4e6 cap): default only
DEFAULT_ONLY = {"P(Z > 4), indicator undeclared (z-test)"}


def plant(check, amount: float):
    """The same check with its closed form moved by ``amount``."""
    if isinstance(check, PairedCheck):
        return dataclasses.replace(check, offset=check.offset + amount)
    return dataclasses.replace(check, target=check.target + amount)


def rates(check, seeds: range) -> dict:
    """Over ``seeds``: false fails and undecided verdicts of the true identity, detections of an
    error of the declared delta and the mean power those planted runs state, mean wall and CPU
    seconds and mean n of the true runs."""
    out = {"ff": 0, "und": 0, "det": 0, "stated": [], "wall": 0.0, "cpu": 0.0, "n": 0.0}
    for seed in seeds:
        started, cpu_started = time.perf_counter(), time.process_time()
        verdict = check.run(seed)
        out["wall"] += time.perf_counter() - started
        out["cpu"] += time.process_time() - cpu_started
        out["n"] += verdict.details["n"]
        out["ff"] += verdict.status == FAILS
        out["und"] += verdict.status == UNDECIDED
        planted = plant(check, verdict.details["delta"]).run(seed)
        out["det"] += planted.status == FAILS
        if planted.details.get("power") is not None:      # None: the run states no power
            out["stated"].append(planted.details["power"])
    for key in ("wall", "cpu", "n"):
        out[key] /= len(seeds)
    out["stated"] = (f"{sum(out['stated']) / len(out['stated']):.3f}" if out["stated"]
                     else "none stated")
    return out


def upper95(k: int, n: int) -> float:
    """One-sided 95% upper bound of a rate from k events in n trials (Clopper-Pearson for k = 0,
    Wilson otherwise)."""
    if k == 0:
        return 1 - 0.05 ** (1 / n)
    p, z = k / n, 1.645
    return (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds (about a fifth of the time)")
    parser.add_argument("--runs", type=int, default=None, help="seeds at the default settings")
    parser.add_argument("--loose-runs", type=int, default=None, help="seeds at the loose settings")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 20)
    loose_runs = args.loose_runs or (60 if args.quick else 300)

    print(f"default: false-fail {DEFAULT.false_fail:g}, power {DEFAULT.power}, tolerance "
          f"{DEFAULT.rel_tol:.0%}; {runs} seeds each")
    print(f"loose:   false-fail {LOOSE.false_fail:g}, power {LOOSE.power}, tolerance "
          f"{LOOSE.rel_tol:.0%}; {loose_runs} seeds each\n")
    print("| check | default: false fails | default: undecided | default: detected at delta "
          "(stated power) | loose: false-fail rate | loose: detection rate (stated power) "
          "| s / decision (wall, CPU) | n | baseline CPU s (n = 4e6) |")
    print("|---|---|---|---|---|---|---|---|---|")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    totals = {"ff": 0, "det": 0, "runs": 0, "lff": 0, "ldet": 0, "lruns": 0}
    for (name, check), (_, loose), (_, base) in zip(catalog_checks(DEFAULT), catalog_checks(LOOSE),
                                                    catalog_checks(BASELINE)):
        r = rates(check, range(1000, 1000 + runs))
        if name in DEFAULT_ONLY:
            loose_cells = "- | -"
        else:
            lr = rates(loose, range(5000, 5000 + loose_runs))
            loose_cells = (f"{lr['ff'] / loose_runs:.3f} | {lr['det'] / loose_runs:.3f} "
                           f"({lr['stated']})")
            totals["lff"] += lr["ff"]
            totals["ldet"] += lr["det"]
            totals["lruns"] += loose_runs
        base_seconds = "-"                        # the hard cases have no fixed-size baseline
        if name not in HARD:
            started = time.process_time()
            base.run(0)
            base_seconds = f"{time.process_time() - started:.2f}"
        totals["ff"] += r["ff"]
        totals["det"] += r["det"]
        totals["runs"] += runs
        print(f"| {name} | {r['ff']}/{runs} | {r['und']}/{runs} | {r['det']}/{runs} "
              f"({r['stated']}) | {loose_cells} | {r['wall']:.3f}, {r['cpu']:.3f} | "
              f"{r['n']:,.0f} | {base_seconds} |", flush=True)
    print(f"\nall checks, default settings: {totals['ff']}/{totals['runs']} false fails (95% upper "
          f"bound {upper95(totals['ff'], totals['runs']):.3g}), {totals['det']}/{totals['runs']} "
          "planted errors detected")
    print(f"load average at start {load:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    print(f"all checks, loose settings: false-fail rate {totals['lff'] / totals['lruns']:.3f} "
          f"(declared {LOOSE.false_fail}), detection rate {totals['ldet'] / totals['lruns']:.3f} "
          f"(declared >= {LOOSE.power} where the cap does not bind)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
