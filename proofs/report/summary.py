"""Tallies and the exit code of ``diffproof check`` (README 'Commands'), shared by the terminal
and JSON reports."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from derive.derivation import ERROR, FAILS, HOLDS, UNDECIDED
from proofs.checker import DerivationResult


def check_summary(results: Iterable[DerivationResult]) -> dict:
    """Derivations, steps by status, and the seconds spent, over checked derivations."""
    results = list(results)
    statuses = Counter(r.verdict.status for res in results for r in res.steps)
    return {"derivations": len(results), "steps": sum(statuses.values()),
            "holds": statuses.get(HOLDS, 0), "fails": statuses.get(FAILS, 0),
            "undecided": statuses.get(UNDECIDED, 0),
            "seconds": round(sum(r.seconds for r in results), 3)}


def check_exit_code(results: Iterable[DerivationResult]) -> int:
    """3 an internal error, 0 every derivation holds, 1 otherwise."""
    statuses = {r.status for r in results}
    if ERROR in statuses:
        return 3
    return 0 if statuses <= {HOLDS} else 1

