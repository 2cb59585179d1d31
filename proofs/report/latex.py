"""The standalone LaTeX document of checked derivations: ``diffproof latex`` (docs/latex.md 'LaTeX of the
derived formulas').

Layout: a notation section (every symbol of the table with its assumptions and definition), a
formula sheet (the derived results, each in one display, computed by ``derive``:
:mod:`proofs.report.formula_sheet`), one section per derivation (its chain in an ``align``, each
line tagged with its verdict and followed by its justification and source), the seed errata, and a
summary table.  The LaTeX needs only amsmath, amssymb, graphicx, geometry and longtable (Debian's
texlive-latex-base); Japanese uses the CJK package when installed (:mod:`proofs.report.japanese`).

Rendering never crashes the document: a formula that cannot be built or printed becomes a note.
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp

from diffproof.derive.latex.ascii_math import title_latex
from diffproof.derive.latex.printer import RELATION_LATEX, add_terms, to_latex
from diffproof.derive.latex.text import estimate_width, text_escape
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.report import japanese
from diffproof.proofs.report.document import (AS_CHECKED, AS_WRITTEN, TITLE, derivation_verdict,
                                              steps_by_verdict, verdict_counts, verdict_tag)
from diffproof.proofs.report.formula_sheet import Formula, formula_sheet, value_latex
from diffproof.proofs.report.points import format_point

LINE_WIDTH = 62.0       # estimated character widths that fit one display line (17 cm text block)


def _label(identifier: str) -> str:
    return "d:" + "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in identifier)


def _tt(text: str) -> str:
    return r"\texttt{" + text_escape(text) + "}"


def _fit(latex: str, limit: float = LINE_WIDTH, share: str = "0.8") -> str:
    """A math piece estimated wider than a line goes through ``\\fitmath``, which scales it
    down to ``share`` of the line only if its real width exceeds that (see PREAMBLE)."""
    if estimate_width(latex) <= 0.5 * limit:     # the estimate is rough: let LaTeX measure
        return latex
    return rf"\fitmath{{{share}\linewidth}}{{{latex}}}"


def _split_fraction(expr) -> list[str] | None:
    """A wide fraction with a sum on top, as ``\\frac{1}{D} \\Big(`` and the numerator's terms,
    closed by ``\\Big)`` (so it breaks across lines instead of shrinking to a hairline), or
    None when the expression is not such a fraction."""
    if not isinstance(expr, sp.Mul):
        return None
    numerator, denominator = sp.fraction(expr)
    if denominator == 1 or not isinstance(sp.expand(numerator), sp.Add):
        return None
    terms = add_terms(sp.expand(numerator))
    if len(terms) < 2:
        return None
    return [rf"\frac{{1}}{{{to_latex(denominator)}}} \Big( {terms[0]}"] + terms[1:-1] + \
        [terms[-1] + r" \Big)"]


def _rhs_lines(expr, lhs_width: float) -> list[str]:
    """An expression broken at its top-level + and - into lines that fit (a single wide
    fraction at the + and - of its numerator)."""
    terms = add_terms(expr)
    if len(terms) == 1 and estimate_width(terms[0]) > LINE_WIDTH - lhs_width:
        terms = _split_fraction(expr) or terms
    lines: list[str] = []
    current = ""
    budget = LINE_WIDTH - lhs_width
    for term in terms:
        candidate = f"{current} {term}".strip()
        if current and estimate_width(candidate) > budget:
            lines.append(current)
            current = term
            budget = LINE_WIDTH - 4
        else:
            current = candidate
    lines.append(current)
    return [_fit(line, LINE_WIDTH - 4, share="0.7") for line in lines]


def _align_rows(lhs, relation: str, expr, tag: str) -> list[str]:
    """Rows of an ``align*`` for ``lhs relation expr`` (lhs None: a continuation line); the
    verdict tag goes on the last row.  A long left side gets rows of its own (broken like the
    right side), so the alignment column stays narrow."""
    rel = RELATION_LATEX[relation]
    lhs_latex = to_latex(lhs) if lhs is not None else ""
    lhs_width = estimate_width(lhs_latex)
    rows = []
    if lhs_width > LINE_WIDTH / 4:
        lhs_lines = _rhs_lines(lhs, 0.0)
        rows.append(rf"&{lhs_lines[0]}")
        rows += [rf"&\quad {line}" for line in lhs_lines[1:]]
        lhs_latex, lhs_width = "", 0.0
    body = _rhs_lines(expr, lhs_width + 2)
    rows.append(rf"{lhs_latex} &{rel} {body[0]}")
    rows += [rf"&\quad {line}" for line in body[1:]]
    rows[-1] += rf" \tag*{{{tag}}}"
    return rows


# a mark and a weight per verdict, so the tags differ at a glance and in black and white:
# a proof is checked, evidence is a hollow circle, a failure is bold with a cross
_TAG_STYLE = {"proved": (r"$\checkmark$", "{}"), "holds": (r"$\circ$", "{}"),
              "fails": (r"$\times$", r"\textbf{{{}}}"), "undecided": ("?", r"\textit{{{}}}"),
              "error": ("!", r"\textbf{{{}}}")}


def _step_tag(index: int, status: str, method: str) -> str:
    words = verdict_tag(status, method)
    key = "proved" if words.startswith("proved") else status
    mark, style = _TAG_STYLE.get(key, ("", "{}"))
    return rf"\footnotesize ({index}) " + style.format(f"{mark} {words}")


def derivation_section(result: DerivationResult, erratum=None) -> str:
    """One ``\\section`` for a checked derivation (or an erratum's claim)."""
    d = result.derivation
    out = [rf"\section{{{title_latex(d.title)}}}\label{{{_label(d.id)}}}",
           rf"\noindent Id {_tt(d.id)};" + (f" topic {_tt(d.topic)};" if d.topic else "") +
           rf" "
           rf"verdict: \textbf{{{text_escape(derivation_verdict(result, erratum))}}}.\\"]
    if d.sources:
        out.append(r"Sources: " + text_escape("; ".join(str(s) for s in d.sources)) + r".\\")
    if erratum is not None:
        out.append(f"{erratum.seed.kind.capitalize()} erratum: " + text_escape(f"{erratum.seed}: {erratum.what}")
                   + (f" Correct version: {_tt(erratum.correct)}." if erratum.correct else "")
                   + r"\\")
    if d.conditions:
        out.append(r"Conditions: " + text_escape("; ".join(d.conditions)) + ".")
    if erratum is not None and erratum.written:
        out[-1] += "" if out[-1].endswith("\\\\") else "\\\\"     # its own line
        out.append(written_display(erratum.written))
    rows: list[tuple[str, str]] = []
    previous_expr = d.start
    for r in result.steps:
        step = r.step
        tag = _step_tag(r.index, r.verdict.status, r.verdict.method)
        try:
            if step.expr is None:
                methods = ", ".join(getattr(c, "name", "check") for c in step.checks)
                rows.append(("eq", rf"&\text{{(decided by its checks: {text_escape(methods)})}}"
                                   rf" \tag*{{{tag}}}"))
            else:
                show_lhs = r.lhs is not None and (step.lhs is not None or r.index == 1
                                                  or previous_expr is None)
                rows += [("eq", row) for row in _align_rows(r.lhs if show_lhs else None,
                                                             step.relation, step.expr, tag)]
                previous_expr = step.expr
        except Exception as error:  # noqa: BLE001 - one odd step never crashes the document
            rows.append(("eq", rf"&\text{{(step could not be typeset: "
                               rf"{text_escape(type(error).__name__)})}} \tag*{{{tag}}}"))
        note = text_escape(step.justification)
        if r.verdict.status == "fails" and r.verdict.counterexample:
            note += r" \textbf{Counterexample:} " + \
                text_escape(format_point(r.verdict.counterexample, rounded=True)) + "."
        rows.append(("note", rf"{{\footnotesize\hspace*{{1.5em}}{note} "
                             rf"[{text_escape(str(step.source))}]}}"))
    out.append(_join_rows(rows))
    return "\n".join(out)


def written_display(written: str) -> str:
    """A seed's formula as its author wrote it (never rebuilt by SymPy, so nothing is simplified
    away), one display line per ``\\\\``-separated line, then the lead-in to the checked chain."""
    lines = [line.strip() for line in written.split("\\\\")]
    body = " \\\\\n".join(rf"\fitmath{{\linewidth}}{{{line}}}" for line in lines)
    return f"{AS_WRITTEN}\n\\begin{{gather*}}\n{body}\n\\end{{gather*}}\n{AS_CHECKED}"


def _join_rows(rows: list[tuple[str, str]]) -> str:
    """Equation rows and notes as one ``align*``; the last note follows the environment."""
    tail = ""
    if rows and rows[-1][0] == "note":
        tail = rows.pop()[1]
    body, after_note = "", False
    for kind, text in rows:
        if kind == "eq":
            body += ("\n" if after_note else " \\\\\n" if body else "") + text
        else:
            body += " \\\\\n" + rf"\intertext{{{text}}}"
        after_note = kind == "note"
    out = [r"\begin{align*}", body, r"\end{align*}"] if body else []
    if tail:
        out.append(tail + "\\par\n")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
def notation_section(table: SymbolTable = TABLE) -> str:
    """Every symbol of the table: its LaTeX, key, meaning, assumption and definition."""
    rows = []
    for spec in table:
        definition = table.definitions.get(spec.symbol)
        defined = rf"${spec.latex} = {to_latex(definition, table)}$" if definition is not None else ""
        rows.append(rf"${spec.latex}$ & {_tt(spec.key)} & {text_escape(spec.meaning)} & "
                    rf"${spec.domain.latex(spec.latex)}$ & {defined} \\")
    orders = ", ".join(rf"${to_latex(lo, table)} < {to_latex(hi, table)}$" for lo, hi in table.orderings)
    return "\n".join([
        r"\section{Notation}\label{s:notation}",
        r"Every symbol diffproof reads and writes, from the symbol table \texttt{derive.symbols.TABLE}: "
        r"its LaTeX name, its key, its meaning, its assumptions (the domain random points are drawn "
        r"from) and its definition when it is a defined symbol."
        + (f" Orderings: {orders}." if orders else ""),
        r"{\small",
        r"\begin{longtable}{lllll}",
        r"symbol & key & meaning & assumption & definition \\ \hline \endhead",
        *rows,
        r"\end{longtable}}",
    ])


def formula_section(entries: list[Formula]) -> str:
    """The formula sheet: each entry in one display (a long sum broken at + and -)."""
    out = [r"\section{Formula sheet}\label{s:formulas}",
           r"The derived results, each computed by the algebra in \texttt{derive} (never typed in "
           r"from a paper) and shown in one display; the catalog sections below check the forms "
           r"the papers and seeds write against them."]
    for entry in entries:
        out.append(rf"\paragraph{{{title_latex(entry.title)}}} {{\footnotesize [{text_escape(entry.origin)}]}}")
        rel = RELATION_LATEX[entry.relation]
        value = value_latex(entry.expr)
        if estimate_width(f"{entry.lhs} {rel} {value}") <= LINE_WIDTH or not isinstance(entry.expr, sp.Add):
            out.append(r"\begin{equation*}" + "\n" + _fit(f"{entry.lhs} {rel} {value}", share="0.95")
                       + "\n" + r"\end{equation*}")
        else:                                      # a long sum: one display, broken at + and -
            lines = _rhs_lines(entry.expr, estimate_width(entry.lhs) + 2)
            rows = [rf"{entry.lhs} &{rel} {lines[0]}"] + [rf"&\quad {line}" for line in lines[1:]]
            out.append(r"\begin{align*}" + "\n" + " \\\\\n".join(rows) + "\n" + r"\end{align*}")
    return "\n".join(out)


def summary_section(results: list[DerivationResult], errata_pairs) -> str:
    """One row per derivation and erratum: its section, steps held, steps by verdict, status."""
    rows = []
    for result in results:
        held = sum(r.verdict.status == "holds" for r in result.steps)
        rows.append(rf"{_tt(result.derivation.id)} & \ref{{{_label(result.derivation.id)}}} & "
                    rf"{held}/{len(result.steps)} & {text_escape(steps_by_verdict(result))} & "
                    rf"{text_escape(result.status)} \\")
    for erratum, result in errata_pairs:
        rows.append(rf"{_tt(erratum.id)} & \ref{{{_label(result.derivation.id)}}} & "
                    rf"-- & {text_escape(steps_by_verdict(result))} & "
                    rf"{'refuted' if result.status == 'fails' else 'NOT refuted'} \\")
    return "\n".join([
        r"\section{Summary}\label{s:summary}",
        r"{\small",
        r"\begin{longtable}{llrp{5.8cm}l}",
        r"derivation & section & holds & steps by verdict & status \\ \hline \endhead",
        *rows,
        r"\end{longtable}}",
    ])


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{graphicx}
\usepackage{longtable}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\sloppy
\setlength{\emergencystretch}{3em}
% \fitmath{width}{math}: the display as is, or scaled down to width when it is wider
\newsavebox{\fitmathbox}
\newcommand{\fitmath}[2]{\sbox{\fitmathbox}{$\displaystyle #2$}%
  \ifdim\wd\fitmathbox>#1\relax\resizebox{#1}{!}{\usebox{\fitmathbox}}\else\usebox{\fitmathbox}\fi}
"""


def latex_document(results: list[DerivationResult], errata_pairs=(), table: SymbolTable = TABLE,
                   formulas: Iterable[Formula] | None = None, cjk: bool | None = None) -> str:
    """The whole standalone document (compile twice for the summary's section references);
    ``cjk``: set Japanese with the CJK package (default: when kpsewhich finds it)."""
    formulas = formula_sheet() if formulas is None else list(formulas)
    errata_pairs = list(errata_pairs)
    parts = [_intro(results, errata_pairs), notation_section(table), formula_section(formulas)]
    parts += [_safe_section(result) for result in results]
    parts += [_safe_section(result, erratum) for erratum, result in errata_pairs]
    parts += [summary_section(results, errata_pairs), r"\end{document}", ""]
    cjk = japanese.cjk_available() if cjk is None else cjk
    if not cjk and any(r"\ja{" in part for part in parts):
        parts[0] += " " + japanese.NOTE
    head = [PREAMBLE + japanese.preamble(cjk), rf"\title{{{text_escape(TITLE)}}}",
            r"\author{generated by \texttt{diffproof latex}}", r"\date{}", r"\begin{document}",
            r"\maketitle"]
    return "\n\n".join(head + parts)


def _intro(results, errata_pairs) -> str:
    """What the document holds, its steps by verdict, and what each verdict tag means."""
    steps = [r for res in results for r in res.steps]
    counts = verdict_counts(steps)
    tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return (rf"{len(results)} derivations with {len(steps)} steps ({text_escape(tally) or 'none'}); "
            rf"{len(errata_pairs)} seed errata. Each line of a chain is tagged with its verdict: "
            r"\emph{proved symbolically} (the residual simplifies to zero), \emph{supported "
            r"numerically} (no counterexample at many random points: evidence, not proof), "
            r"\emph{supported by Monte Carlo} (a sampled expectation within its stated error rate), "
            r"\emph{exact at sampled parameters} (both sides computed exactly at random parameter "
            r"sets: evidence, not proof), "
            r"or \emph{fails} (with a counterexample). Summary in Section~\ref{s:summary}.")


def _safe_section(result: DerivationResult, erratum=None) -> str:
    """:func:`derivation_section`, or a section saying why it could not be typeset."""
    try:
        return derivation_section(result, erratum)
    except Exception as error:  # noqa: BLE001 - a document never crashes on one derivation
        return (rf"\section{{{text_escape(result.derivation.id)}}}\label{{{_label(result.derivation.id)}}}"
                "\n" + rf"(could not be typeset: {text_escape(type(error).__name__)}: "
                rf"{text_escape(str(error))})")
