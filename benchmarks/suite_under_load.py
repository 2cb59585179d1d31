"""Run the test suite repeatedly with both cores saturated by other processes and fresh
Hypothesis seeds: the suite must stay green under load (no test depends on wall-clock time).

    python benchmarks/suite_under_load.py [--runs 5] [--load 2] [-- extra pytest args]

Starts ``--load`` busy-loop processes (each stops by itself after ``--max-minutes``), runs
``python -m pytest -n 2 -q`` ``--runs`` times with ``HYPOTHESIS_PROFILE=explore`` (random seeds,
printed by Hypothesis on a failure so it reproduces), and prints one line per run and a summary.
The whole output of a failing run (Hypothesis's falsifying example and seed included) is kept in
``--logs DIR/run-N.log``.  Exits 1 if any run failed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUSY = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def start_load(count: int, seconds: float) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", BUSY.format(seconds=seconds)])
            for _ in range(count)]


def run_suite(extra: list[str]) -> tuple[int, str, float]:
    env = dict(os.environ, HYPOTHESIS_PROFILE="explore")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-q", *extra], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--load", type=int, default=2, help="busy processes (default 2)")
    parser.add_argument("--max-minutes", type=float, default=120.0)
    parser.add_argument("--logs", default="suite-under-load-logs",
                        help="directory for the full output of failing runs")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    load = start_load(args.load, args.max_minutes * 60)
    failures = 0
    try:
        for run in range(1, args.runs + 1):
            code, output, seconds = run_suite(args.pytest_args)
            last = next((line for line in reversed(output.splitlines())
                         if re.search(r"\d+ (passed|failed)", line)), "(no summary)")
            print(f"run {run}: exit {code} in {seconds:.0f} s: {last.strip()}", flush=True)
            if code != 0:
                failures += 1
                os.makedirs(args.logs, exist_ok=True)
                log = os.path.join(args.logs, f"run-{run}.log")
                with open(log, "w", encoding="utf-8") as handle:
                    handle.write(output)
                print(f"    full output: {log}")
                for line in output.splitlines():
                    if line.startswith(("FAILED", "ERROR")):
                        print(f"    {line}")
    finally:
        for process in load:
            process.kill()
    print(f"{args.runs - failures} of {args.runs} runs passed with {args.load} busy "
          f"process(es) on {os.cpu_count()} cores")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
