"""The Markdown document of ``diffproof latex --markdown``: the same content as the LaTeX
document (:mod:`proofs.report.latex`) for GitHub and Jupyter, one ``$$`` block per step and
tables in Markdown."""
from __future__ import annotations

from typing import Iterable

from diffproof.derive.latex.printer import RELATION_LATEX, to_latex
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.report.document import (AS_CHECKED, AS_WRITTEN, TITLE, derivation_verdict,
                                              step_formulas, steps_by_verdict, verdict_tag)
from diffproof.proofs.report.formula_sheet import Formula, formula_sheet, value_latex
from diffproof.proofs.report.points import format_point


def markdown_document(results: list[DerivationResult], errata_pairs=(), table: SymbolTable = TABLE,
                      formulas: Iterable[Formula] | None = None) -> str:
    """The same content for GitHub and Jupyter: ``$$`` blocks, tables in Markdown."""
    formulas = formula_sheet() if formulas is None else list(formulas)
    errata_pairs = list(errata_pairs)
    out = [f"# {TITLE}", "", "## Notation", "",
           "| symbol | key | meaning | assumption | definition |", "|---|---|---|---|---|"]
    for spec in table:
        definition = table.definitions.get(spec.symbol)
        defined = f"${spec.latex} = {to_latex(definition, table)}$" if definition is not None else ""
        out.append(f"| ${spec.latex}$ | `{spec.key}` | {_md(spec.meaning)} | "
                   f"${spec.domain.latex(spec.latex)}$ | {defined} |")
    out += ["", "## Formula sheet", ""]
    for entry in formulas:
        out += [f"**{_md(entry.title)}** (`{entry.origin}`)", "",
                f"$$ {entry.lhs} {RELATION_LATEX[entry.relation]} {value_latex(entry.expr)} $$", ""]
    for result in results:
        out += _markdown_section(result)
    for erratum, result in errata_pairs:
        out += _markdown_section(result, erratum)
    out += ["## Summary", "", "| derivation | holds | steps by verdict | status |", "|---|---|---|---|"]
    for result in results:
        held = sum(r.verdict.status == "holds" for r in result.steps)
        out.append(f"| `{result.derivation.id}` | {held}/{len(result.steps)} | {steps_by_verdict(result)} | "
                   f"{result.status} |")
    for erratum, result in errata_pairs:
        out.append(f"| `{erratum.id}` | - | {steps_by_verdict(result)} | "
                   f"{'refuted' if result.status == 'fails' else 'NOT refuted'} |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text with the characters Markdown would read as markup escaped."""
    return str(text).replace("|", r"\|").replace("*", r"\*").replace("_", r"\_").replace("<", "&lt;")


def _markdown_section(result: DerivationResult, erratum=None) -> list[str]:
    """One derivation (or erratum): its verdict, sources, and a ``$$`` block and note per step."""
    d = result.derivation
    out = [f"## {_md(d.title)}", "", f"Id `{d.id}`; verdict: **{derivation_verdict(result, erratum)}**."]
    if d.sources:
        out.append("Sources: " + _md("; ".join(str(s) for s in d.sources)) + ".")
    if erratum is not None:
        out.append(f"{erratum.seed.kind.capitalize()} erratum: {_md(str(erratum.seed))}: {_md(erratum.what)}")
    if d.conditions:
        out.append("Conditions: " + _md("; ".join(d.conditions)) + ".")
    if erratum is not None and erratum.written:          # verbatim: never rebuilt by SymPy
        out += ["", AS_WRITTEN, "", rf"$$ \begin{{gathered}} {erratum.written} \end{{gathered}} $$",
                "", AS_CHECKED]
    out.append("")
    for r, math in zip(result.steps, step_formulas(result)):
        step = r.step
        note = f"({r.index}) *{verdict_tag(r.verdict.status, r.verdict.method)}*: " \
               f"{_md(step.justification)} [{_md(str(step.source))}]"
        if r.verdict.status == "fails" and r.verdict.counterexample:
            note += f" Counterexample: {_md(format_point(r.verdict.counterexample, rounded=True))}."
        out += [f"$$ {math} $$", "", note, ""]
    return out
