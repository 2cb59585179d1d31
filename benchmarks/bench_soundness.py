"""Soundness benchmark: the generators of tests/test_soundness_properties.py at a larger size.

For each category (true identities, false identities, true inequalities, false inequalities) it
draws ``--count`` cases (case ``i`` depends on ``(--seed, category, i)`` alone, so any one
reproduces), confirms each false one false with the independent mpmath evaluator (cases it cannot
confirm are counted as discarded, not checked), checks each with
``proofs.checker.check_relation`` in a worker under the hard CPU limit, and prints:

- true cases  -> holds (proof) / holds (numeric) / undecided / fails (must be 0) / error;
- false cases -> fails / undecided / holds by proof (must be 0) / holds (numeric) / error, and the
  baseline "fraction refuted" (fails / checked);
- the time per case (wall and CPU, the CPU of the worker processes included).

A false case held by numeric evidence (not a soundness problem: evidence is labelled as such,
but the search missed a violation) is printed with ``~~`` and a violating point.  Every
soundness problem (a true case refuted, a false one proved, an internal error, a
refutation whose counterexample is outside the domain or not a violation, a proved inequality the
dense probe violates) is listed with a reproducer and, with ``--out``, written as JSON.  Exit
status 1 when there is one, 0 otherwise.  Problems of a bug already pinned by an xfail test of
the suite (``KNOWN BUG: ...``) are counted on their own line and do not set the exit status.

    python benchmarks/bench_soundness.py --count 2000
    python benchmarks/bench_soundness.py --count 50 --categories true-identity false-inequality
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis.errors import HypothesisDeprecationWarning  # noqa: E402

from diffproof.proofs.checker import Options  # noqa: E402
from tests import test_soundness_properties as gen  # noqa: E402

CATEGORIES = {name.replace(" ", "-"): name for name in gen.GENERATORS}
TRUE_COLUMNS = ("holds-proof", "holds-numeric", "undecided", "fails", "error")
FALSE_COLUMNS = ("fails", "undecided", "holds-proof", "holds-numeric", "error")


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the checker's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_category(name: str, count: int, seed: int, options: Options, verbose: bool):
    label = CATEGORIES[name]
    counts: Counter = Counter()
    walls, cpus, problems = [], [], []
    for i in range(count):
        if i and i % 100 == 0:
            print(f"  [{label}] {i}/{count} ...", flush=True)
        rng = random.Random(f"{seed}:{name}:{i}")
        case = gen.GENERATORS[label](rng)
        reason = gen.admit(label, case, random.Random(i))
        if reason is not None:
            counts[reason] += 1
            if reason == gen.GENERATOR_BUG:
                problems.append({"category": label, "index": i, "problems": [reason],
                                 "case": str(case)})
            continue
        wall, cpu = time.perf_counter(), cpu_seconds()
        verdict = gen.check(case, options)
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
        result = gen.outcome(verdict)
        counts[result] += 1
        found = gen.soundness_problems(label, case, verdict, random.Random(i))
        for known in (p for p in found if p.startswith(gen.KNOWN)):
            counts[known] += 1
        found = [p for p in found if not p.startswith(gen.KNOWN)]
        if found:
            problems.append({"category": label, "index": i, "problems": found,
                             "reproducer": gen.reproducer(case, verdict)})
            print(f"  !! {label} #{i}: {'; '.join(found)}\n     {gen.reproducer(case, verdict)}",
                  flush=True)
        elif label.startswith("false") and verdict.status == "holds":
            # not a soundness problem (evidence, not proof), but a violation the search missed
            print(f"  ~~ {label} #{i} held by {verdict.method} evidence: {case}\n     violated at "
                  f"{gen.find_violation(case.lhs, case.rhs, case.relation, random.Random(i), dense=True)}",
                  flush=True)
        if verbose:
            print(f"  {label} #{i}: {result} ({walls[-1]:.2f} s)  {case}", flush=True)
    return label, counts, walls, cpus, problems


def report(label: str, counts: Counter, walls: list, cpus: list) -> list[str]:
    checked = len(walls)
    columns = TRUE_COLUMNS if label.startswith("true") else FALSE_COLUMNS
    known = sorted(k for k in counts if k.startswith(gen.KNOWN))
    skipped_keys = (gen.NOT_GENERATED, gen.NOT_FALSE, gen.GENERATOR_BUG)
    others = sorted(k for k in counts if k not in columns and k not in known
                    and k not in skipped_keys)
    cells = [f"{c} {counts.get(c, 0)}" for c in columns + tuple(others)]
    lines = [f"{label}: {checked} checked -> " + " / ".join(cells)]
    lines += [f"    {k} (pinned by an xfail test, not counted as a new problem): {counts[k]}"
              for k in known]
    skipped = {k: n for k, n in counts.items() if k in skipped_keys}
    if skipped:
        lines.append("    skipped: " + ", ".join(f"{k} {n}" for k, n in sorted(skipped.items())))
    if label.startswith("false") and checked:
        lines.append(f"    fraction refuted (baseline): {counts.get('fails', 0) / checked:.3f}"
                     f"  ({counts.get('fails', 0)}/{checked})")
    if checked:
        lines.append(f"    time per case: wall mean {statistics.mean(walls):.3f} s, median "
                     f"{statistics.median(walls):.3f} s, max {max(walls):.2f} s; CPU mean "
                     f"{statistics.mean(cpus):.3f} s, max {max(cpus):.2f} s")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="cases per category")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--categories", nargs="+", choices=sorted(CATEGORIES),
                        default=list(CATEGORIES))
    parser.add_argument("--budget", type=float, default=1.0, help="Options.budget (CPU s)")
    parser.add_argument("--max-examples", type=int, default=30, help="Options.max_examples")
    parser.add_argument("--limit", type=float, default=30.0, help="Options.limit (CPU s per step)")
    parser.add_argument("--out", help="write the soundness problems found as JSON here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    # the checker's numeric search may use Hypothesis in ways it deprecates: noise in a report
    warnings.simplefilter("ignore", HypothesisDeprecationWarning)
    if args.count < 1:
        parser.error("--count must be positive")
    options = Options(budget=args.budget, max_examples=args.max_examples, limit=args.limit)
    print(f"bench_soundness: {args.count} cases per category, seed {args.seed}, budget "
          f"{args.budget:g} s, max_examples {args.max_examples}, limit {args.limit:g} s", flush=True)
    started, all_problems, lines = time.perf_counter(), [], []
    for name in args.categories:
        label, counts, walls, cpus, problems = run_category(name, args.count, args.seed, options,
                                                            args.verbose)
        all_problems += problems
        block = report(label, counts, walls, cpus)
        lines += block
        print("\n".join(block), flush=True)
    print("-" * 72)
    print("\n".join(lines))
    print(f"soundness problems: {len(all_problems)}; total wall {time.perf_counter() - started:.0f} s")
    for problem in all_problems:
        print(f"  {problem['category']} #{problem['index']}: {'; '.join(problem['problems'])}")
    if args.out:
        Path(args.out).write_text(json.dumps(all_problems, indent=2, default=str) + "\n",
                                  encoding="utf-8")
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
