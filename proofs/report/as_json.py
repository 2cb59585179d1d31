"""The ``--json`` objects of ``diffproof check`` and ``diffproof claim`` (docs/commands.md 'Commands',
'JSON'); values JSON cannot hold are written as strings."""
from __future__ import annotations

import json

from diffproof.derive.latex.printer import plain_text, to_latex
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.claims.steps import Claim, ClaimStep, latex_text
from diffproof.proofs.report.summary import check_summary, claim_summary


def check_report(results: list[DerivationResult]) -> dict:
    """``{"derivations": [...], "summary": {...}}``: every derivation with every step."""
    out = []
    for res in results:
        d = res.derivation
        steps = []
        for r in res.steps:
            v = r.verdict
            steps.append({"index": r.index, "status": v.status, "method": v.method,
                          "relation": r.step.relation,
                          "latex": to_latex(r.step.expr), "justification": r.step.justification,
                          "source": str(r.step.source), "counterexample": v.counterexample,
                          "reason": v.reason, "details": _jsonable(v.details),
                          "seconds": round(v.seconds, 4)})
        out.append({"id": d.id, "title": d.title, "topic": d.topic,
                    "sources": [str(s) for s in d.sources], "conditions": list(d.conditions),
                    "status": res.status, "steps": steps, "seconds": round(res.seconds, 4)})
    return {"derivations": out, "summary": check_summary(results)}


def _jsonable(value):
    """``value`` as JSON can hold it: keys as strings, tuples as lists, other objects as str."""
    try:
        json.dumps(value)
        return value
    except TypeError:
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_jsonable(v) for v in value]
        return plain_text(value)


def claim_report(claims: list[Claim]) -> dict:
    """``{"claims": [...], "summary": {...}}``: every claim with every step, its reading and the
    built-in relations it used."""
    return {"claims": [_claim(c) for c in claims], "summary": claim_summary(claims)}


def _claim(claim: Claim) -> dict:
    out = {"index": claim.index, "latex": claim.latex.strip(), "line": claim.line,
           "status": claim.status, "steps": [_step(s) for s in claim.steps]}
    if claim.error is not None:
        out["error"] = claim.error
    if claim.internal is not None:
        out["internal_error"] = claim.internal
    if claim.reason is not None:
        out["reason"] = claim.reason
    first = claim.first_failure()
    out["first_failing_step"] = first.index if first else None
    return out


def _step(step: ClaimStep) -> dict:
    v = step.verdict
    return {"index": step.index, "status": v.status, "method": v.method,
            "counterexample": v.counterexample, "reason": v.reason,
            "relation": step.relation, "line": step.source,
            "lhs": latex_text(step.lhs) if step.lhs is not None else None,
            "rhs": latex_text(step.rhs) if step.rhs is not None else None,
            "relations": list(v.relations),
            "reading": v.reading or "pointwise",
            "readings": [r.as_dict() for r in v.readings] if v.readings is not None else None,
            "elided": step.elided,
            "seconds": round(v.seconds, 4)}
