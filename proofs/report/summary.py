"""Tallies and exit codes of ``diffproof check`` and ``diffproof claim`` (docs/commands.md 'Commands',
'Limits and safety'), shared by the terminal and JSON reports."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from diffproof.derive.verdict import ERROR, FAILS, HOLDS, UNDECIDED
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.claims.steps import UNPARSABLE, Claim


def check_summary(results: Iterable[DerivationResult]) -> dict:
    """Derivations, steps by status, and the seconds spent, over checked derivations."""
    results = list(results)
    statuses = Counter(r.verdict.status for res in results for r in res.steps)
    return {"derivations": len(results), "steps": sum(statuses.values()),
            "holds": statuses.get(HOLDS, 0), "fails": statuses.get(FAILS, 0),
            "undecided": statuses.get(UNDECIDED, 0),
            "seconds": round(sum(r.seconds for r in results), 3)}


def summary_line(results: Iterable[DerivationResult]) -> str:
    """``3 derivations, 9 steps: 8 hold, 1 fail, 0 undecided (1.20s)``: the totals line."""
    s = check_summary(results)
    return (f"{s['derivations']} derivations, {s['steps']} steps: {s['holds']} hold, "
            f"{s['fails']} fail, {s['undecided']} undecided ({s['seconds']:.2f}s)")


def check_exit_code(results: Iterable[DerivationResult]) -> int:
    """3 an internal error, 0 every derivation holds, 1 otherwise."""
    statuses = {r.status for r in results}
    if ERROR in statuses:
        return 3
    return 0 if statuses <= {HOLDS} else 1


def claim_summary(claims: list[Claim]) -> dict:
    """Claims by status, and their steps by status."""
    statuses = [c.status for c in claims]
    steps = [s.verdict.status for c in claims for s in c.steps if s.verdict]
    return {"claims": len(claims), "holds": statuses.count(HOLDS), "fails": statuses.count(FAILS),
            "undecided": statuses.count(UNDECIDED), "unparsable": statuses.count(UNPARSABLE),
            "errors": statuses.count(ERROR),
            "steps": len(steps), "steps_hold": steps.count(HOLDS),
            "steps_fail": steps.count(FAILS), "steps_undecided": steps.count(UNDECIDED)}


def claim_exit_code(claims: list[Claim]) -> int:
    """3 an internal error, 2 an unparsable claim, 0 every claim holds, 1 otherwise."""
    statuses = {c.status for c in claims}
    if ERROR in statuses:
        return 3
    if UNPARSABLE in statuses:
        return 2
    return 0 if statuses <= {HOLDS} else 1
