"""Benchmark: diffproof's symbolic checker against naive ``simplify(lhs - rhs) == 0``.

Both run on the same steps, in the same run, each in a fresh Python process so both pay the same
fixed costs (SymPy import, building the catalog):

- diffproof: ``diffproof check IDS --no-numeric --no-checks --json`` (symbolic only);
- naive: the same residuals (definitions expanded, as the checker builds them) passed to
  ``sympy.simplify`` with a cap of CAP CPU seconds per step (in a limited worker).

It prints the end-to-end times, the time spent in the steps alone, and the ratios.

    python benchmarks/bench_checker.py [derivation ids...]   (default: the Gaussian core)
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CAP = 30.0


def checker_run(ids: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "diffproof", "check", *ids, "--no-numeric",
                           "--no-checks", "--json"], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return elapsed, json.loads(done.stdout)


def naive_worker(ids: list[str]) -> None:
    """Runs in its own process: simplify every residual, print the step times as JSON.  The steps
    run in one worker limited to CAP CPU seconds each (derive.decide.budget, as the checker's
    steps do); a step stopped there counts CAP seconds, unproved."""
    from functools import partial

    from diffproof.derive.decide.budget import run_each
    from diffproof.derive.symbols import TABLE
    from diffproof.proofs import catalog
    from diffproof.proofs.checker import residual_for

    residuals = []
    for identifier in ids:
        derivation = catalog.get(identifier)
        for _, lhs, step in derivation.links():
            if step.expr is None or not step.symbolic or lhs is None:
                continue
            residuals.append(residual_for(lhs, step, derivation.definitions, TABLE).residual)
    outcomes = run_each([partial(_naive_step, residual) for residual in residuals], CAP)
    times = [outcome.value[0] if outcome.ok else CAP for outcome in outcomes]
    proved = sum(1 for outcome in outcomes if outcome.ok and outcome.value[1])
    print(json.dumps({"times": times, "proved": proved}))


def _naive_step(residual) -> tuple[float, bool]:
    import sympy as sp

    started = time.perf_counter()
    proved = sp.simplify(residual) == 0
    return time.perf_counter() - started, bool(proved)


def naive_run(ids: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--naive-worker", *ids], capture_output=True,
                          text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed, json.loads(done.stdout)


def main() -> None:
    if sys.argv[1:2] == ["--naive-worker"]:
        naive_worker(sys.argv[2:])
        return
    from diffproof.proofs import catalog

    ids = sys.argv[1:] or [e.id for e in catalog.entries("vdm_gaussian")]
    wall, report = checker_run(ids)
    s = report["summary"]
    step_times = [st["seconds"] for d in report["derivations"] for st in d["steps"]]
    naive_wall, naive = naive_run(ids)
    print(f"steps: {s['steps']} in {s['derivations']} derivations")
    print(f"diffproof check --no-numeric: {wall:.2f} s end to end (fresh process, SymPy import "
          f"included), {sum(step_times):.2f} s in the steps, slowest step {max(step_times):.2f} s "
          f"(budget 2 s); {s['holds']}/{s['steps']} proved symbolically")
    print(f"naive simplify(lhs - rhs) == 0: {naive_wall:.2f} s end to end, "
          f"{sum(naive['times']):.2f} s in the steps, slowest step {max(naive['times']):.2f} s "
          f"(cap {CAP:g} s); {naive['proved']}/{len(naive['times'])} proved")
    print(f"ratio naive / diffproof: end to end {naive_wall / wall:.2f}x, "
          f"in the steps {sum(naive['times']) / max(sum(step_times), 1e-9):.2f}x")


if __name__ == "__main__":
    main()
