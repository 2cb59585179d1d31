"""Benchmark: the whole catalog check (`diffproof check`), one worker against the default workers.

Both runs happen in this run, each in a fresh Python process (SymPy import, building the catalog
and checking every step, as a user runs it):

- baseline: ``diffproof check --json --jobs 1`` (one worker, the catalog built before checking);
- default: ``diffproof check --json`` (one worker per usable core up to 4: topics checked side by
  side, the next topic built while the workers check).

It prints each run's wall time and CPU time (this process's children), the ratio of wall times,
and whether the default run meets issue 16's target (under 20 s on 2 cores; meaningful only on
an otherwise idle machine).  The verdicts of the two runs must be the same, step by step.

    python benchmarks/bench_catalog_check.py [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 20.0


def run(extra: list[str]) -> tuple[float, float, list]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "diffproof", "check", "--json", *extra],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"diffproof check {' '.join(extra)} exited {done.returncode}:\n"
                         f"{done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    report = json.loads(done.stdout)
    verdicts = [(d["id"], s["index"], s["status"], s["method"])
                for d in report["derivations"] for s in d["steps"]]
    return wall, cpu, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (the best is kept)")
    args = parser.parse_args()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    print(f"cores usable: {cores}; load average before: {os.getloadavg()[0]:.2f}")
    best = {}
    for name, extra in (("baseline (--jobs 1)", ["--jobs", "1"]), ("default", [])):
        runs = [run(extra) for _ in range(args.repeat)]
        wall, cpu, verdicts = min(runs, key=lambda r: r[0])
        best[name] = (wall, cpu, verdicts)
        print(f"{name:<20} {wall:7.1f} s wall  {cpu:7.1f} s CPU  {len(verdicts)} steps")
    (base_wall, _, base_verdicts), (wall, _, verdicts) = best.values()
    if verdicts != base_verdicts:
        raise SystemExit("the verdicts differ between the two runs")
    print(f"ratio default/baseline (wall): {wall / base_wall:.2f}  (same verdicts on every step)")
    print(f"target: under {TARGET:g} s -> {'met' if wall < TARGET else 'NOT met'} "
          f"({wall:.1f} s, load average after: {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
