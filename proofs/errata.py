"""``diffproof errata``: every seed claim (and every library formula) the checker refutes, with
the evidence."""
from __future__ import annotations

import json

from diffproof.proofs import catalog
from diffproof.proofs.checker import DerivationResult, Options, check_derivations
from diffproof.proofs.report.points import format_point


def check_errata(options: Options, errata=None, progress=None) -> list[tuple]:
    """(erratum, result of checking its claim) for every seed erratum (or the given ones), in one
    worker; ``progress(done, total)`` after each step."""
    errata = list(catalog.errata() if errata is None else errata)
    results = check_derivations([e.claim for e in errata], options=options, progress=progress)
    return list(zip(errata, results))


def errata_row(erratum, result: DerivationResult) -> dict:
    """What ``diffproof errata`` reports of one erratum: refuted or not, and the evidence."""
    failing = result.first_failure()
    refuted = failing is not None
    return {
        "id": erratum.id, "seed": str(erratum.seed), "found_in": erratum.seed.kind,
        "what": erratum.what,
        "correct": erratum.correct, "refuted": refuted,
        "step": failing.index if failing else None,
        "method": failing.verdict.method if failing else None,
        "counterexample": failing.verdict.counterexample if failing else None,
        "evidence": failing.verdict.details if failing else None,
        "reason": None if refuted else "the checker did not refute this claim",
    }


def errata_summary(rows: list[dict]) -> str:
    refuted = sum(r["refuted"] for r in rows)
    libraries = sum(r.get("found_in") == "library" for r in rows)
    if not libraries:
        return f"{refuted} of {len(rows)} seed errata refuted"
    return (f"{refuted} of {len(rows)} errata refuted ({len(rows) - libraries} seed, "
            f"{libraries} library)")


def run_errata(options: Options, as_json: bool = False) -> int:
    """Check every erratum; exit 0 when each one is refuted as expected, 1 otherwise."""
    rows = [errata_row(erratum, result) for erratum, result in check_errata(options)]
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
        print(errata_summary(rows))
    return 0 if all(row["refuted"] for row in rows) else 1
