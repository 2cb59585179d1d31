"""The terminal reports: the table of ``diffproof check`` and the claims of ``diffproof claim``
(docs/getting-started.md, docs/claims.md).  Text only: the commands print it
through :func:`proofs.output.say`, which escapes control characters."""
from __future__ import annotations

from collections import Counter

from diffproof.derive.verdict import HOLDS
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.claims.steps import Claim
from diffproof.proofs.report.points import SIDES, format_point
from diffproof.proofs.report.summary import claim_summary, summary_line

MARK = {"holds": "ok", "fails": "FAIL", "undecided": "??", "error": "ERROR"}


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
                if verbose and v.how:
                    lines.append(f"        how: {v.how}")
    evidence = Counter(r.verdict.method for res in results for r in res.steps
                       if r.verdict.status == HOLDS and not r.verdict.proved)
    lines.append("-" * len(header))
    lines.append(summary_line(results))
    if evidence:
        kinds = ", ".join(f"{method} {n}" for method, n in evidence.most_common())
        lines.append(f"note: {sum(evidence.values())} step(s) hold by evidence, not by proof "
                     f"({kinds})")
    return "\n".join(lines)


def _methods(result: DerivationResult) -> str:
    counts = Counter(r.verdict.method for r in result.steps if r.verdict.status == HOLDS)
    return ", ".join(f"{method} {n}" for method, n in counts.most_common()) or "-"


def claim_report(claims: list[Claim]) -> str:
    """Each claim with its status and text, then each step: its verdict and reading, the
    counterexample (coordinates, implied values, both sides), the relations used, the reason;
    then the totals."""
    lines = []
    for claim in claims:
        where = f" (line {claim.line})" if claim.line else ""
        text = " ".join(claim.latex.split())
        lines.append(f"claim {claim.index}{where}: {claim.status}")
        lines.append(f"  {text[:160]}{'...' if len(text) > 160 else ''}")
        if claim.error:
            lines.append("  error: " + claim.error.replace("\n", "\n         "))
            continue
        if claim.internal:
            lines.append(f"  internal error: {claim.internal} (a bug in diffproof: please report "
                         "it with this claim)")
            continue
        if claim.reason:
            lines.append(f"  reason: {claim.reason}")
        first = claim.first_failure()
        for step in claim.steps:
            v = step.verdict
            marker = "  <- first failing step" if first is step else ""
            source = step.source if len(step.source) <= 100 else step.source[:97] + "..."
            reading = v.reading
            how = f"{v.method}, {reading}" if reading else v.method
            lines.append(f"  step {step.index} [{v.status} ({how})]: {source}{marker}")
            if v.counterexample:
                lines.append(f"      counterexample: {format_point(v.counterexample, skip=SIDES)}")
                lines.append(f"      {format_point(v.counterexample, only=('lhs', 'rhs'))}")
            for used in v.relations:
                lines.append(f"      using {used}")
            if v.reason and v.status != HOLDS:
                lines.append(f"      reason: {v.reason}")
            elif v.status == HOLDS and step.elided:
                lines.append(f"      ({v.reason})")
            elif v.status == HOLDS and v.method == "numeric":
                lines.append(f"      ({v.reason or 'numeric evidence, not a proof'})")
    s = claim_summary(claims)
    lines.append(f"{s['claims']} claim(s): {s['holds']} hold, {s['fails']} fail, "
                 f"{s['undecided']} undecided, {s['unparsable']} unparsable"
                 f"{', ' + str(s['errors']) + ' internal error(s)' if s['errors'] else ''}; "
                 f"{s['steps']} step(s)")
    return "\n".join(lines)
