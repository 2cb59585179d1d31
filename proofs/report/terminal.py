"""The terminal report: the table of ``diffproof check`` (README 'Quick start').  Text only: the
command prints it through :func:`proofs.output.say`, which escapes control characters."""
from __future__ import annotations

from collections import Counter

from derive.derivation import HOLDS
from proofs.checker import DerivationResult
from proofs.report.points import format_point
from proofs.report.summary import check_summary

MARK = {"holds": "ok", "fails": "FAIL", "undecided": "??"}


def check_report(results: list[DerivationResult], verbose: bool = False) -> str:
    """One row per derivation (status, steps held, time, methods of the steps that hold), each
    step that does not hold (every step with ``verbose``) below it, and the totals."""
    lines = []
    width = max((len(r.derivation.id) for r in results), default=10)
    header = f"{'derivation':<{width}}  {'status':<9} {'steps':>7}  {'time':>7}  methods"
    lines += [header, "-" * len(header)]
    for res in results:
        held = sum(r.verdict.status == HOLDS for r in res.steps)
        lines.append(f"{res.derivation.id:<{width}}  {res.status:<9} {held:>3}/{len(res.steps):<3}"
                     f"  {res.seconds:>6.2f}s  {_methods(res)}")
        for r in res.steps:
            v = r.verdict
            if v.status != HOLDS or verbose:
                lines.append(f"    step {r.index} [{MARK[v.status]}] {v.status} ({v.method}): "
                             f"{r.step.justification}")
                lines.append(f"        source: {r.step.source}")
                if v.counterexample:
                    lines.append("        counterexample: " + format_point(v.counterexample,
                                                                           rounded=True))
                if v.reason and (v.status != HOLDS or verbose):
                    lines.append(f"        reason: {v.reason}")
                if verbose and v.details.get("how"):
                    lines.append(f"        how: {v.details['how']}")
    s = check_summary(results)
    evidence = Counter(r.verdict.method for res in results for r in res.steps
                       if r.verdict.status == HOLDS and not r.verdict.proved)
    lines.append("-" * len(header))
    lines.append(f"{s['derivations']} derivations, {s['steps']} steps: {s['holds']} hold, "
                 f"{s['fails']} fail, {s['undecided']} undecided ({s['seconds']:.2f}s)")
    if evidence:
        kinds = ", ".join(f"{method} {n}" for method, n in evidence.most_common())
        lines.append(f"note: {sum(evidence.values())} step(s) hold by evidence, not by proof "
                     f"({kinds})")
    return "\n".join(lines)


def _methods(result: DerivationResult) -> str:
    counts = Counter(r.verdict.method for r in result.steps if r.verdict.status == HOLDS)
    return ", ".join(f"{method} {n}" for method, n in counts.most_common()) or "-"

