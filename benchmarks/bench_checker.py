"""Benchmark: diffproof's symbolic checker against naive ``simplify(lhs - rhs) == 0``.

Both run on the same steps in the same run.  The checker is timed end to end in a fresh Python
process (SymPy import included) with ``--no-numeric --no-checks`` (symbolic only); the baseline
simplifies each step's residual (definitions expanded, the same residual the checker builds) with
a cap of CAP seconds per step, and counts the steps it could not prove.  Prints the ratio.

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
    done = subprocess.run([sys.executable, "-m", "proofs", "check", *ids, "--no-numeric",
                           "--no-checks", "--json"], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return elapsed, json.loads(done.stdout)


def naive_run(ids: list[str]) -> tuple[float, int, int, float]:
    import sympy as sp

    from derive.symbols import TABLE
    from derive.zero import Timeout, time_limit
    from proofs import catalog
    from proofs.checker import residual_for

    total, proved, steps, worst = 0.0, 0, 0, 0.0
    for identifier in ids:
        derivation = catalog.get(identifier)
        for _, lhs, step in derivation.links():
            if step.expr is None or not step.symbolic or lhs is None:
                continue
            steps += 1
            residual = residual_for(lhs, step, derivation.definitions, TABLE).residual
            started = time.perf_counter()
            try:
                with time_limit(CAP):
                    proved += sp.simplify(residual) == 0
            except Timeout:
                pass
            elapsed = time.perf_counter() - started
            worst = max(worst, elapsed)
            total += elapsed
    return total, proved, steps, worst


def main() -> None:
    from proofs.catalog import vdm_gaussian

    ids = sys.argv[1:] or [d.id for d in vdm_gaussian.DERIVATIONS]
    wall, report = checker_run(ids)
    s = report["summary"]
    worst_step = max(st["seconds"] for d in report["derivations"] for st in d["steps"])
    naive, naive_proved, naive_steps, naive_worst = naive_run(ids)
    print(f"steps: {s['steps']} in {s['derivations']} derivations")
    print(f"diffproof check --no-numeric (fresh process, import included): {wall:.2f} s, "
          f"{s['holds']}/{s['steps']} proved symbolically, slowest step {worst_step:.2f} s "
          f"(budget 2 s)")
    print(f"naive simplify(lhs - rhs) == 0 (import excluded, cap {CAP:g} s/step): {naive:.2f} s, "
          f"{naive_proved}/{naive_steps} proved, slowest step {naive_worst:.2f} s")
    print(f"ratio naive / diffproof: {naive / wall:.2f}x")


if __name__ == "__main__":
    main()
