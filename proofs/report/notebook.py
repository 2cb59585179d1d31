"""A checked result in a notebook: a Markdown table with each step's formula (as math Jupyter,
KaTeX and MathJax render), verdict and method, then the reasons of the steps that do not hold
(``DerivationResult._repr_markdown_``, ``Claim._repr_markdown_``)."""
from __future__ import annotations

from diffproof.derive.latex.printer import RELATION_LATEX, to_latex
from diffproof.derive.latex.text import math_text
from diffproof.proofs.report.points import format_point


def _cell_math(latex: str) -> str:
    """Math for a table cell: a bar would end the cell, so it is written \\vert."""
    return "$" + latex.replace("|", r"\vert ") + "$" if latex.strip() else ""


def _cell_text(text: str) -> str:
    return str(text or "").replace("|", "/").replace("\n", " ")


def derivation_markdown(result) -> str:
    """The derivation's id, title and status, and one row per step."""
    held = sum(r.verdict.status == "holds" for r in result.steps)
    lines = [f"**{result.derivation.id}**: {_cell_text(result.derivation.title)}: "
             f"**{result.status}** ({held}/{len(result.steps)} steps hold)", "",
             "| step | formula | verdict | method | justification |", "|---|---|---|---|---|"]
    notes = []
    for r in result.steps:
        if r.step.expr is None:
            formula = math_text("(decided by its checks)")
        else:
            left = to_latex(r.lhs) if r.lhs is not None else ""
            formula = f"{left} {RELATION_LATEX[r.step.relation]} {to_latex(r.step.expr)}"
        v = r.verdict
        lines.append(f"| {r.index} | {_cell_math(formula)} | {v.status} | {v.method} | "
                     f"{_cell_text(r.step.justification)} |")
        if v.status != "holds":
            notes.append(_note(r.index, v))
    return "\n".join(lines + ([""] + notes if notes else []))


def claims_markdown(claims) -> str:
    """Each claim's status and one row per step (its LaTeX as the author wrote it)."""
    lines = ["| claim | step | verdict | method | reading |", "|---|---|---|---|---|"]
    notes = []
    for claim in claims:
        if not claim.steps:
            lines.append(f"| {claim.index} | | {claim.status} | | {_cell_text(claim.error)} |")
        for step in claim.steps:
            v = step.verdict
            lines.append(f"| {claim.index} | {_cell_math(step.source)} | {v.status} | {v.method} "
                         f"| {_cell_text(v.reading or 'pointwise')} |")
            if v.status != "holds":
                notes.append(_note(f"{claim.index}.{step.index}", v))
    return "\n".join(lines + ([""] + notes if notes else []))


def _note(where, verdict) -> str:
    point = f" at {format_point(verdict.counterexample, rounded=True)}" \
        if verdict.counterexample else ""
    reason = f": {_cell_text(verdict.reason)}" if verdict.reason else ""
    return f"- step {where}: {verdict.status}{_cell_text(point)}{reason}"
