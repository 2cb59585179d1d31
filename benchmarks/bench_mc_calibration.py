"""Calibration of the Monte Carlo decisions: empirical false-fail and detection rates, and timing.

For every Monte Carlo check of the catalog (proofs/catalog/vdm_simulation.py):

1. run it on the true identity with many seeds and count ``fails`` (the false-fail rate);
2. plant an error of exactly the minimum detectable size delta that the run declares (the
   closed form moved by delta) and count ``fails`` (the detection rate, declared >= power).

At the default settings (false-fail 1e-6, power 0.999) the expected counts over a few dozen seeds
are 0 false fails and 0 misses, which says little about the rates themselves; so the same checks
also run at loose settings (false-fail 0.05, power 0.9, 5% tolerance) where both rates are
observable.  Timing: mean seconds per decision at the default settings, against a baseline
fixed-size test with the sample cap (4e6 draws, no pilot sizing).

    python benchmarks/bench_mc_calibration.py            # about 5 minutes on 2 cores
    python benchmarks/bench_mc_calibration.py --quick    # about 1 minute
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

from derive.derivation import FAILS  # noqa: E402
from numeric.montecarlo import MCSettings, PairedCheck  # noqa: E402
from proofs.catalog import vdm_simulation as V  # noqa: E402

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
    ]


def plant(check, amount: float):
    """The same check with its closed form moved by ``amount``."""
    if isinstance(check, PairedCheck):
        return dataclasses.replace(check, offset=check.offset + amount)
    return dataclasses.replace(check, target=check.target + amount)


def rates(check, seeds: range) -> tuple[int, int, float, float, float]:
    """(false fails, detections, mean wall seconds, mean CPU seconds, mean n) over ``seeds``."""
    false_fails = detections = 0
    seconds = cpu = n = 0.0
    for seed in seeds:
        started, cpu_started = time.perf_counter(), time.process_time()
        verdict = check.run(seed)
        seconds += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        n += verdict.details["n"]
        false_fails += verdict.status == FAILS
        detections += plant(check, verdict.details["delta"]).run(seed).status == FAILS
    return false_fails, detections, seconds / len(seeds), cpu / len(seeds), n / len(seeds)


def upper95(k: int, n: int) -> float:
    """One-sided 95% upper bound of a rate from k events in n trials (Clopper-Pearson for k = 0,
    Wilson otherwise)."""
    if k == 0:
        return 1 - 0.05 ** (1 / n)
    p, z = k / n, 1.645
    return (p + z * z / (2 * n) + z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds (about 1 minute)")
    parser.add_argument("--runs", type=int, default=None, help="seeds at the default settings")
    parser.add_argument("--loose-runs", type=int, default=None, help="seeds at the loose settings")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 20)
    loose_runs = args.loose_runs or (60 if args.quick else 300)

    print(f"default: false-fail {DEFAULT.false_fail:g}, power {DEFAULT.power}, tolerance "
          f"{DEFAULT.rel_tol:.0%}; {runs} seeds each")
    print(f"loose:   false-fail {LOOSE.false_fail:g}, power {LOOSE.power}, tolerance "
          f"{LOOSE.rel_tol:.0%}; {loose_runs} seeds each\n")
    header = ("| check | default: false fails | default: detected at delta | loose: false-fail rate "
              "| loose: detection rate | s / decision (wall, CPU) | n | baseline s (n = 4e6, CPU) |")
    print(header)
    print("|---|---|---|---|---|---|---|---|")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    totals = [0, 0, 0, 0]
    for (name, check), (_, loose), (_, base) in zip(catalog_checks(DEFAULT), catalog_checks(LOOSE),
                                                    catalog_checks(BASELINE)):
        ff, det, seconds, cpu, n = rates(check, range(1000, 1000 + runs))
        lff, ldet, *_ = rates(loose, range(5000, 5000 + loose_runs))
        started = time.process_time()
        base.run(0)
        base_seconds = time.process_time() - started
        totals = [totals[0] + ff, totals[1] + det, totals[2] + lff, totals[3] + ldet]
        print(f"| {name} | {ff}/{runs} | {det}/{runs} | {lff / loose_runs:.3f} | "
              f"{ldet / loose_runs:.3f} | {seconds:.3f}, {cpu:.3f} | {n:,.0f} | {base_seconds:.2f} |",
              flush=True)
    checks = len(catalog_checks(DEFAULT))
    total_runs, total_loose = runs * checks, loose_runs * checks
    print(f"\nall checks, default settings: {totals[0]}/{total_runs} false fails (95% upper bound "
          f"{upper95(totals[0], total_runs):.3g}), {totals[1]}/{total_runs} planted errors detected")
    print(f"load average at start {load:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    print(f"all checks, loose settings: false-fail rate {totals[2] / total_loose:.3f} "
          f"(declared {LOOSE.false_fail}), detection rate {totals[3] / total_loose:.3f} "
          f"(declared >= {LOOSE.power})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
