"""The standalone LaTeX (or Markdown) document of checked derivations: ``diffproof latex``.

Layout: a notation section (every symbol of the table with its assumptions and definition), a
formula sheet (the derived results, each in one display, computed by ``derive``), one section per
derivation (its chain in an ``align``, each line tagged with its verdict and followed by its
justification and source), the seed errata, and a summary table.  The LaTeX needs only
amsmath, amssymb, graphicx, geometry and longtable (Debian's texlive-latex-base).

Rendering never crashes the document: a formula that cannot be built or printed becomes a note.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import sympy as sp

from derive.derivation import PROOF_METHODS
from derive.latex.printer import RELATION_LATEX, add_terms, normal_latex, to_latex
from derive.latex.text import estimate_width, text_escape
from derive.symbols import TABLE, SymbolTable
from proofs.checker import DerivationResult

TITLE = "diffproof: derived formulas of diffusion models"
LINE_WIDTH = 62.0       # estimated character widths that fit one display line (17 cm text block)

PROOF_TAGS = {"symbolic": "proved symbolically", "rules": "proved by rewriting rules"}
EVIDENCE_TAGS = {"numeric": "supported numerically", "monte-carlo": "supported by Monte Carlo",
                 "closed-form": "exact at sampled parameters"}


def verdict_tag(status: str, method: str) -> str:
    """The words a document uses for a verdict: "proved" only for a proof method
    (derive.derivation.PROOF_METHODS); every other ``holds`` is labelled as evidence."""
    if status == "holds":
        if method in PROOF_METHODS:
            return PROOF_TAGS.get(method, f"proved ({method})")
        return EVIDENCE_TAGS.get(method, f"supported ({method}, evidence)")
    if status == "fails":
        return "fails" if method in ("", "none") else f"fails ({method})"
    return "undecided"


# ------------------------------------------------------------------------------------------------
@dataclass
class Formula:
    """One entry of the formula sheet: ``lhs relation expr`` (lhs is LaTeX), and its origin."""

    title: str
    lhs: str
    expr: object                 # a SymPy expression (or a Normal)
    origin: str                  # the function that computed it
    relation: str = "="


def _formula_builders() -> list[tuple[str, str, str, Callable[[], object]]]:
    from derive import formulas as F  # noqa: PLC0415
    from derive import sde  # noqa: PLC0415
    from derive.symbols import abar_t, t  # noqa: PLC0415

    x_0t = r"\boldsymbol{x}_t, \boldsymbol{x}_0"
    out = [
        ("forward marginal", r"q(\boldsymbol{x}_t \mid \boldsymbol{x}_0)",
         "derive.formulas.forward_marginal_by_induction", F.forward_marginal_by_induction),
        ("posterior mean", rf"\mu_q({x_0t})", "derive.formulas.posterior_mean", F.posterior_mean),
        ("posterior variance", r"\Sigma_q(t)", "derive.formulas.posterior_variance",
         F.posterior_variance),
        ("signal-to-noise ratio", r"\mathrm{SNR}(t)", "derive.formulas.snr", lambda: F.snr(abar_t)),
        ("x_0 from the noise", r"\boldsymbol{x}_0", "derive.formulas.x0_from_noise",
         F.x0_from_noise),
        ("conditional score", r"\nabla_{\boldsymbol{x}_t} \log q(\boldsymbol{x}_t \mid \boldsymbol{x}_0)",
         "derive.formulas.conditional_score", F.conditional_score),
        ("model mean (x_0-prediction)", r"\boldsymbol{\mu}_\theta(\boldsymbol{x}_t, t)",
         "derive.formulas.model_mean_x0", F.model_mean_x0),
    ]
    try:
        from proofs.catalog.vdm_gaussian import tweedie_x0  # noqa: PLC0415
        out.append(("Tweedie's formula", r"\mathbb{E}[\boldsymbol{x}_0 \mid \boldsymbol{x}_t]",
                    "proofs.catalog.vdm_gaussian.tweedie_x0 (checked by tweedie-gaussian-data)",
                    lambda: tweedie_x0))
    except ImportError:
        pass
    for process in (sde.VE, sde.VP, sde.SUBVP):
        name = process.name
        out += [
            (f"{name} SDE drift coefficient", r"f(t)", f"derive.sde.{type(process).__name__}.f",
             lambda p=process: p.f(t)),
            (f"{name} SDE diffusion coefficient", r"g(t)", f"derive.sde.{type(process).__name__}.g",
             lambda p=process: p.g(t)),
            (f"{name} SDE kernel mean scale", r"s(t)", f"derive.sde.{type(process).__name__}.scale",
             lambda p=process: p.scale),
            (f"{name} SDE kernel variance", r"\operatorname{Var}[\boldsymbol{x}(t) \mid \boldsymbol{x}(0)]",
             f"derive.sde.{type(process).__name__}.kernel_variance",
             lambda p=process: p.kernel_variance),
        ]
    try:
        from derive import losses as L  # noqa: PLC0415
    except ImportError:
        return out
    kl_q = r"D_{\mathrm{KL}}\left(q(\boldsymbol{x}_{t-1} \mid \boldsymbol{x}_t, \boldsymbol{x}_0) \parallel p_\theta(\boldsymbol{x}_{t-1} \mid \boldsymbol{x}_t)\right)"
    for title, lhs, attr in [
            ("ELBO denoising term, x_0-prediction", kl_q, "x0_prediction_kl"),
            ("ELBO denoising term, noise prediction", kl_q, "noise_prediction_kl"),
            ("ELBO weight of the x_0 error", r"w_{\boldsymbol{x}_0}(t)", "x0_kl_weight"),
            ("ELBO weight of the noise error", r"w_{\boldsymbol{\epsilon}}(t)", "noise_kl_weight"),
            ("denoising score matching term", r"\ell_{\mathrm{DSM}}", "dsm_term")]:
        if hasattr(L, attr):
            out.append((title, lhs, f"derive.losses.{attr}", getattr(L, attr)))
    return out


# The ELBO as the catalog's chains derive it: (derivation id, title).  The sheet shows
# ``start REL final line``; an id missing from the catalog is skipped.
ELBO_CHAINS = (("vdm-elbo-second", "VDM ELBO: reconstruction, prior matching, denoising matching"),
               ("vdm-elbo-first", "VDM ELBO, first form: with consistency terms"))


def _chain_entries() -> list[Formula]:
    from proofs import catalog  # noqa: PLC0415
    entries = []
    for identifier, title in ELBO_CHAINS:
        try:
            derivation = catalog.get(identifier)
        except KeyError:
            continue
        relations = {step.relation for step in derivation.steps}
        if derivation.start is None or any(step.lhs is not None for step in derivation.steps) \
                or not relations <= {"=", ">="} or derivation.steps[-1].expr is None:
            continue
        relation = ">=" if ">=" in relations else "="
        entries.append(Formula(title, to_latex(derivation.start), derivation.steps[-1].expr,
                               f"start and last line of {identifier}", relation))
    return entries


def formula_sheet() -> list[Formula]:
    """The derived formulas, computed by ``derive`` (once per process); a failure becomes a note."""
    return list(_formula_sheet())


@lru_cache(maxsize=1)
def _formula_sheet() -> tuple[Formula, ...]:
    entries = []
    for title, lhs, origin, build in _formula_builders():
        try:
            value = build()
        except Exception as error:  # noqa: BLE001 - the sheet never crashes on one formula
            value = sp.Symbol("unavailable")
            origin = f"{origin} raised {type(error).__name__}: {error}"
        entries.append(Formula(title, lhs, display_form(value), origin))
    try:
        entries += _chain_entries()
    except Exception:  # noqa: BLE001 - the sheet never crashes on the catalog
        pass
    return tuple(entries)


def display_form(expr, table: SymbolTable = TABLE):
    """The shortest-printing of a few equal forms of ``expr`` (as computed, factored, cancelled,
    simplified, with products like alpha_t abar_{t-1} written as the defined symbol abar_t).

    Every candidate equals ``expr`` on the table's domain: SymPy identities, plus the table's own
    definitions read backwards.  A Normal gets the same treatment for its mean and variance.
    """
    from derive.gaussian import Normal  # noqa: PLC0415
    if isinstance(expr, Normal):
        return Normal(expr.var, display_form(expr.mean, table), display_form(expr.variance, table))
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    backwards = {}
    for symbol, value in table.definitions.items():
        if isinstance(value, sp.Mul):
            backwards[sp.sqrt(value)] = sp.sqrt(symbol)    # SymPy splits sqrt(a b) into sqrt(a) sqrt(b)
            backwards[value] = symbol
    candidates = [expr]
    preferred = [expr]        # as computed, or as computed with a definition read backwards
    small = sp.count_ops(expr) <= 40
    for transform in (sp.factor, sp.cancel, sp.simplify):
        if transform is sp.simplify and not small:
            continue
        try:
            candidates.append(transform(expr))
        except Exception:  # noqa: BLE001
            continue
    for candidate in list(candidates[:2]):       # as computed and factored, never expanded forms
        try:
            rewritten = candidate.subs(backwards)
        except Exception:  # noqa: BLE001
            continue
        if rewritten != candidate:
            candidates.append(rewritten)
            if candidate is expr:
                preferred.append(rewritten)
            try:
                candidates.append(sp.factor(rewritten))   # cancels (1 - abar_t) / (abar_t - 1)
            except Exception:  # noqa: BLE001
                pass

    def longest_sum(candidate) -> int:
        return max((len(add.args) for add in candidate.atoms(sp.Add)), default=0) \
            if hasattr(candidate, "atoms") else 0

    def width(candidate):
        # as a person writes: factored (short sums) wins over expanded; e^(a+b) never as e^a e^b;
        # the form as computed wins ties
        penalty = 1.15 * len(candidate.atoms(sp.exp)) / max(1, len(expr.atoms(sp.exp)))
        latex = to_latex(candidate, table)
        size = estimate_width(latex) * (penalty if candidate.has(sp.exp) else 1) \
            + 1.5 * longest_sum(candidate) + 0.02 * len(latex)
        return size * (1.0 if any(candidate is p for p in preferred) else 1.1)
    return min(candidates, key=width)


# ------------------------------------------------------------------------------------------------
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


def _rhs_lines(expr, lhs_width: float) -> list[str]:
    """An expression broken at its top-level + and - into lines that fit."""
    terms = add_terms(expr)
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


def _step_tag(index: int, status: str, method: str) -> str:
    return rf"\footnotesize ({index}) {verdict_tag(status, method)}"


def derivation_section(result: DerivationResult, erratum=None) -> str:
    """One ``\\section`` for a checked derivation (or an erratum's claim)."""
    d = result.derivation
    out = [rf"\section{{{text_escape(d.title)}}}\label{{{_label(d.id)}}}",
           rf"\noindent Id {_tt(d.id)};" + (f" topic {_tt(d.topic)};" if d.topic else "") +
           rf" "
           rf"verdict: \textbf{{{text_escape(_derivation_verdict(result, erratum))}}}.\\"]
    if d.sources:
        out.append(r"Sources: " + text_escape("; ".join(str(s) for s in d.sources)) + r".\\")
    if erratum is not None:
        out.append(r"Seed erratum: " + text_escape(f"{erratum.seed}: {erratum.what}")
                   + (f" Correct version: {_tt(erratum.correct)}." if erratum.correct else "")
                   + r"\\")
    if d.conditions:
        out.append(r"Conditions: " + text_escape("; ".join(d.conditions)) + ".")
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
            note += r" \textbf{Counterexample:} " + text_escape(_point(r.verdict.counterexample)) + "."
        rows.append(("note", rf"{{\footnotesize\hspace*{{1.5em}}{note} "
                             rf"[{text_escape(str(step.source))}]}}"))
    out.append(_join_rows(rows))
    return "\n".join(out)


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


def _point(point: dict) -> str:
    return ", ".join(f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in point.items())


def _derivation_verdict(result: DerivationResult, erratum=None) -> str:
    if erratum is not None:
        return "fails, as expected (seed erratum)" if result.status == "fails" else \
            f"{result.status} (an erratum the checker should refute)"
    if result.status != "holds":
        return result.status
    tags = sorted({verdict_tag(r.verdict.status, r.verdict.method) for r in result.steps})
    return "holds: " + ", ".join(tags)


def _methods(result: DerivationResult) -> str:
    counts: dict[str, int] = {}
    for r in result.steps:
        key = verdict_tag(r.verdict.status, r.verdict.method)
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{n} {k}" for k, n in counts.items())


# ------------------------------------------------------------------------------------------------
def notation_section(table: SymbolTable = TABLE) -> str:
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
    out = [r"\section{Formula sheet}\label{s:formulas}",
           r"The derived results, each computed by the algebra in \texttt{derive} (never typed in "
           r"from a paper) and shown in one display; the catalog sections below check the forms "
           r"the papers and seeds write against them."]
    for entry in entries:
        out.append(rf"\paragraph{{{text_escape(entry.title)}}} {{\footnotesize [{text_escape(entry.origin)}]}}")
        rel = RELATION_LATEX[entry.relation]
        value = _value_latex(entry.expr)
        if estimate_width(f"{entry.lhs} {rel} {value}") <= LINE_WIDTH or not isinstance(entry.expr, sp.Add):
            out.append(r"\begin{equation*}" + "\n" + _fit(f"{entry.lhs} {rel} {value}", share="0.95")
                       + "\n" + r"\end{equation*}")
        else:                                      # a long sum: one display, broken at + and -
            lines = _rhs_lines(entry.expr, estimate_width(entry.lhs) + 2)
            rows = [rf"{entry.lhs} &{rel} {lines[0]}"] + [rf"&\quad {line}" for line in lines[1:]]
            out.append(r"\begin{align*}" + "\n" + " \\\\\n".join(rows) + "\n" + r"\end{align*}")
    return "\n".join(out)


def _value_latex(value) -> str:
    from derive.gaussian import Normal  # noqa: PLC0415
    return normal_latex(value) if isinstance(value, Normal) else to_latex(value)


def summary_section(results: list[DerivationResult], errata_pairs) -> str:
    rows = []
    for result in results:
        held = sum(r.verdict.status == "holds" for r in result.steps)
        rows.append(rf"{_tt(result.derivation.id)} & \ref{{{_label(result.derivation.id)}}} & "
                    rf"{held}/{len(result.steps)} & {text_escape(_methods(result))} & "
                    rf"{text_escape(result.status)} \\")
    for erratum, result in errata_pairs:
        rows.append(rf"{_tt(erratum.id)} & \ref{{{_label(result.derivation.id)}}} & "
                    rf"-- & {text_escape(_methods(result))} & "
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
                   formulas: Iterable[Formula] | None = None) -> str:
    """The whole standalone document (compile twice for the summary's section references)."""
    formulas = formula_sheet() if formulas is None else list(formulas)
    errata_pairs = list(errata_pairs)
    parts = [PREAMBLE, rf"\title{{{text_escape(TITLE)}}}", r"\author{generated by \texttt{diffproof latex}}",
             r"\date{}", r"\begin{document}", r"\maketitle",
             _intro(results, errata_pairs), notation_section(table), formula_section(formulas)]
    parts += [_safe_section(result) for result in results]
    parts += [_safe_section(result, erratum) for erratum, result in errata_pairs]
    parts += [summary_section(results, errata_pairs), r"\end{document}", ""]
    return "\n\n".join(parts)


def _intro(results, errata_pairs) -> str:
    steps = [r for res in results for r in res.steps]
    counts: dict[str, int] = {}
    for r in steps:
        key = verdict_tag(r.verdict.status, r.verdict.method)
        counts[key] = counts.get(key, 0) + 1
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
    try:
        return derivation_section(result, erratum)
    except Exception as error:  # noqa: BLE001 - a document never crashes on one derivation
        return (rf"\section{{{text_escape(result.derivation.id)}}}\label{{{_label(result.derivation.id)}}}"
                "\n" + rf"(could not be typeset: {text_escape(type(error).__name__)}: "
                rf"{text_escape(str(error))})")


# ------------------------------------------------------------------------------------------------
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
                f"$$ {entry.lhs} {RELATION_LATEX[entry.relation]} {_value_latex(entry.expr)} $$", ""]
    for result in results:
        out += _markdown_section(result)
    for erratum, result in errata_pairs:
        out += _markdown_section(result, erratum)
    out += ["## Summary", "", "| derivation | holds | steps by verdict | status |", "|---|---|---|---|"]
    for result in results:
        held = sum(r.verdict.status == "holds" for r in result.steps)
        out.append(f"| `{result.derivation.id}` | {held}/{len(result.steps)} | {_methods(result)} | "
                   f"{result.status} |")
    for erratum, result in errata_pairs:
        out.append(f"| `{erratum.id}` | - | {_methods(result)} | "
                   f"{'refuted' if result.status == 'fails' else 'NOT refuted'} |")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", r"\|").replace("*", r"\*").replace("_", r"\_").replace("<", "&lt;")


def _markdown_section(result: DerivationResult, erratum=None) -> list[str]:
    d = result.derivation
    out = [f"## {_md(d.title)}", "", f"Id `{d.id}`; verdict: **{_derivation_verdict(result, erratum)}**."]
    if d.sources:
        out.append("Sources: " + _md("; ".join(str(s) for s in d.sources)) + ".")
    if erratum is not None:
        out.append(f"Seed erratum: {_md(str(erratum.seed))}: {_md(erratum.what)}")
    if d.conditions:
        out.append("Conditions: " + _md("; ".join(d.conditions)) + ".")
    out.append("")
    previous = d.start
    for r in result.steps:
        step = r.step
        try:
            if step.expr is None:
                math = r"\text{(decided by its checks)}"
            else:
                show = r.lhs is not None and (step.lhs is not None or r.index == 1 or previous is None)
                left = to_latex(r.lhs) if show else ""
                math = f"{left} {RELATION_LATEX[step.relation]} {to_latex(step.expr)}"
                previous = step.expr
        except Exception as error:  # noqa: BLE001
            math = rf"\text{{(could not be typeset: {type(error).__name__})}}"
        note = f"({r.index}) *{verdict_tag(r.verdict.status, r.verdict.method)}*: " \
               f"{_md(step.justification)} [{_md(str(step.source))}]"
        if r.verdict.status == "fails" and r.verdict.counterexample:
            note += f" Counterexample: {_md(_point(r.verdict.counterexample))}."
        out += [f"$$ {math} $$", "", note, ""]
    return out
