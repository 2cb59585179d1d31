"""``diffproof errata``: every seed claim the checker refutes, with the evidence."""
from __future__ import annotations

import json

from diffproof.proofs import catalog
from diffproof.proofs.checker import Options, check_derivation
from diffproof.proofs.report.points import format_point


def run_errata(options: Options, as_json: bool = False) -> int:
    """Check every erratum; exit 0 when each one is refuted as expected, 1 otherwise."""
    rows = []
    all_refuted = True
    for erratum in catalog.errata():
        result = check_derivation(erratum.claim, options=options)
        failing = result.first_failure()
        refuted = failing is not None
        all_refuted &= refuted
        rows.append({
            "id": erratum.id, "seed": str(erratum.seed), "what": erratum.what,
            "correct": erratum.correct, "refuted": refuted,
            "step": failing.index if failing else None,
            "method": failing.verdict.method if failing else None,
            "counterexample": failing.verdict.counterexample if failing else None,
            "evidence": failing.verdict.details if failing else None,
            "reason": None if refuted else "the checker did not refute this claim",
        })
    if as_json:
        print(json.dumps({"errata": rows, "summary": {"errata": len(rows), "refuted": sum(
            r["refuted"] for r in rows)}}, indent=2, default=str))
    else:
        for row in rows:
            mark = "refuted" if row["refuted"] else "NOT REFUTED"
            print(f"{row['id']}  [{mark}]  {row['seed']}")
            print(f"    {row['what']}")
            if row["counterexample"]:
                point = format_point(row["counterexample"], rounded=True)
                print(f"    counterexample ({row['method']}): {point}")
            if row["correct"]:
                print(f"    correct version: diffproof check {row['correct']}")
        print(f"{sum(r['refuted'] for r in rows)} of {len(rows)} seed errata refuted")
    return 0 if all_refuted else 1
