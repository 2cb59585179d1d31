"""The ``--json`` object of ``diffproof check`` (README 'Commands'); values JSON cannot hold are
written as strings."""
from __future__ import annotations

import json

from derive.latex.printer import to_latex
from proofs.checker import DerivationResult
from proofs.report.summary import check_summary


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
        return str(value)

