"""Benchmark: ``diffproof list`` and a mistyped id with the lazy catalog, against building it eagerly.

Each run is a fresh Python process, so both pay the same start-up costs:

- lazy: ``python -m diffproof list`` and ``python -m diffproof check <mistyped id>`` as shipped (they read
  the catalog's index only; SymPy is not imported);
- eager (the baseline, what both commands did before the catalog was lazy): the same commands after
  building every derivation and erratum of the catalog in that process.

It prints the median wall time of each and the ratio eager / lazy, and checks that both print the
same listing.

    python benchmarks/bench_catalog_list.py [runs]   (default 5 runs each)
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MISTYPED = "elbo-evidnce"
EAGER = ("import sys; from diffproof.proofs import catalog; catalog.derivations(); catalog.errata(); "
         "from diffproof.proofs.cli import main; sys.exit(main(sys.argv[1:]))")


def timed(argv: list[str], eager: bool) -> tuple[float, str]:
    """Wall seconds and stdout of one fresh process running ``diffproof argv``."""
    command = [sys.executable, "-c", EAGER, *argv] if eager else [sys.executable, "-m", "diffproof", *argv]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(done.stderr)
    return elapsed, done.stdout


def median_run(argv: list[str], eager: bool, runs: int) -> tuple[float, str]:
    results = [timed(argv, eager) for _ in range(runs)]
    return statistics.median(t for t, _ in results), results[0][1]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for label, argv in (("list", ["list"]), (f"check {MISTYPED}", ["check", MISTYPED])):
        lazy, lazy_out = median_run(argv, eager=False, runs=runs)
        eager, eager_out = median_run(argv, eager=True, runs=runs)
        if lazy_out != eager_out:
            raise SystemExit(f"{label}: the lazy and eager outputs differ")
        print(f"{label:<22} lazy {lazy:6.2f} s   eager (baseline) {eager:6.2f} s   "
              f"ratio eager / lazy {eager / lazy:5.1f}x   (median of {runs} fresh processes)")


if __name__ == "__main__":
    main()
