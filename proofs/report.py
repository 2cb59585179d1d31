"""Reports of checker results: a terminal table and the JSON object of ``diffproof check --json``."""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from derive.latex.printer import to_latex
from proofs.checker import DerivationResult


def _methods(result: DerivationResult) -> str:
    counts = Counter(r.verdict.method for r in result.steps if r.verdict.status == "holds")
    return ", ".join(f"{method} {n}" for method, n in counts.most_common()) or "-"


def summary(results: Iterable[DerivationResult]) -> dict:
    results = list(results)
    statuses = Counter(r.verdict.status for res in results for r in res.steps)
    return {"derivations": len(results), "steps": sum(statuses.values()),
            "holds": statuses.get("holds", 0), "fails": statuses.get("fails", 0),
            "undecided": statuses.get("undecided", 0),
            "seconds": round(sum(r.seconds for r in results), 3)}


def to_json(results: list[DerivationResult]) -> dict:
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
    return {"derivations": out, "summary": summary(results)}


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_jsonable(v) for v in value]
        return str(value)


MARK = {"holds": "ok", "fails": "FAIL", "undecided": "??"}


def terminal(results: list[DerivationResult], verbose: bool = False) -> str:
    lines = []
    width = max((len(r.derivation.id) for r in results), default=10)
    header = f"{'derivation':<{width}}  {'status':<9} {'steps':>7}  {'time':>7}  methods"
    lines += [header, "-" * len(header)]
    for res in results:
        held = sum(r.verdict.status == "holds" for r in res.steps)
        lines.append(f"{res.derivation.id:<{width}}  {res.status:<9} {held:>3}/{len(res.steps):<3}"
                     f"  {res.seconds:>6.2f}s  {_methods(res)}")
        for r in res.steps:
            v = r.verdict
            if v.status != "holds" or verbose:
                lines.append(f"    step {r.index} [{MARK[v.status]}] {v.status} ({v.method}): "
                             f"{r.step.justification}")
                lines.append(f"        source: {r.step.source}")
                if v.counterexample:
                    lines.append("        counterexample: " + _format_point(v.counterexample))
                if v.reason and (v.status != "holds" or verbose):
                    lines.append(f"        reason: {v.reason}")
                if verbose and v.details.get("how"):
                    lines.append(f"        how: {v.details['how']}")
    s = summary(results)
    evidence = Counter(r.verdict.method for res in results for r in res.steps
                       if r.verdict.status == "holds" and not r.verdict.proved)
    lines.append("-" * len(header))
    lines.append(f"{s['derivations']} derivations, {s['steps']} steps: {s['holds']} hold, "
                 f"{s['fails']} fail, {s['undecided']} undecided ({s['seconds']:.2f}s)")
    if evidence:
        kinds = ", ".join(f"{method} {n}" for method, n in evidence.most_common())
        lines.append(f"note: {sum(evidence.values())} step(s) hold by evidence, not by proof "
                     f"({kinds})")
    return "\n".join(lines)


def _format_point(point: dict) -> str:
    def fmt(v):
        return f"{v:.6g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{k} = {fmt(v)}" for k, v in point.items())
