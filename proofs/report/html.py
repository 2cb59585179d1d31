"""The pages of ``diffproof html``: an index with the totals, a page per derivation (each step's
formula, verdict, method, justification, source, reason and counterexample) and the errata page.

Every text is HTML-escaped; math goes into a ``data-tex`` attribute (escaped, and shown as text
until KaTeX renders it), so no user string is ever markup or script.  The pages load only the
files :mod:`proofs.report.html_site` writes beside them: KaTeX and ``report.js``, which renders
each ``data-tex`` element.
"""
from __future__ import annotations

from html import escape

from diffproof.derive.latex.ascii_math import title_pieces
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.errata import errata_summary
from diffproof.proofs.report.document import (AS_CHECKED, AS_WRITTEN, TITLE, derivation_verdict,
                                              step_formulas, steps_by_verdict, verdict_tag)
from diffproof.proofs.report.points import format_point
from diffproof.proofs.report.summary import summary_line

WIDE = 70.0     # estimated characters (derive.latex.text.estimate_width) that fit a page's line
# scripts and styles only from the report's own files (KaTeX sets inline styles on its spans)
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "font-src 'self'; img-src 'self' data:")


def page(title: str, body: str, root: str = "") -> str:
    """A whole page; ``root`` is the relative path from the page to the report's folder."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{root}katex/katex.min.css">
<link rel="stylesheet" href="{root}report.css">
<script defer src="{root}katex/katex.min.js"></script>
<script defer src="{root}report.js"></script>
</head>
<body>
<nav><a href="{root}index.html">index</a><a href="{root}errata.html">errata</a></nav>
{body}
</body>
</html>
"""


def math(tex: str) -> str:
    """A display formula: the TeX in ``data-tex`` (rendered by report.js) and as fallback text."""
    return f'<div class="math" data-tex="{escape(tex)}">{escape(tex)}</div>'


def title(text: str) -> str:
    """A catalog title with its formulas as inline math (derive.latex.ascii_math), words as text."""
    return "".join(f'<span class="math inline" data-tex="{escape(piece)}">{escape(piece)}</span>'
                   if is_math else escape(piece) for is_math, piece in title_pieces(text))


def verdict(status: str, words: str | None = None) -> str:
    return f'<span class="verdict v-{escape(status)}">{escape(words or status)}</span>'


def _link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _fields(rows: list[tuple[str, str | None]]) -> str:
    """A ``<dl>`` of the rows whose value is set (values are HTML already)."""
    items = "".join(f"<dt>{escape(name)}</dt><dd>{value}</dd>" for name, value in rows if value)
    return f"<dl>{items}</dl>" if items else ""


def derivation_page(result: DerivationResult, erratum=None) -> str:
    """The page of one checked derivation (or of an erratum's claim)."""
    d = result.derivation
    about = [("id", f"<code>{escape(d.id)}</code>"),
             ("topic", escape(d.topic) if d.topic else None),
             ("verdict", verdict(result.status, derivation_verdict(result, erratum))),
             ("steps", escape(steps_by_verdict(result))),
             ("sources", escape("; ".join(str(s) for s in d.sources)) if d.sources else None),
             ("conditions", escape("; ".join(d.conditions)) if d.conditions else None)]
    if erratum is not None:
        about += [(f"{erratum.seed.kind} erratum", escape(f"{erratum.seed}: {erratum.what}")),
                  ("correct version", escape(erratum.correct) if erratum.correct else None)]
    body = [f"<h1>{title(d.title)}</h1>", _fields(about)]
    if erratum is not None and erratum.written:          # verbatim: never rebuilt by SymPy
        body += [f"<p>{escape(AS_WRITTEN)}</p>",
                 math(rf"\begin{{gathered}} {erratum.written} \end{{gathered}}"),
                 f"<p>{escape(AS_CHECKED)}</p>"]
    for r, tex in zip(result.steps, step_formulas(result, width=WIDE)):
        body.append(_step(r, tex))
    return page(d.title, "\n".join(body), root="../")


def _step(r, tex: str) -> str:
    v = r.verdict
    point = format_point(v.counterexample, rounded=True) if v.counterexample else None
    rows = [("method", escape(v.method)),
            ("justification", escape(r.step.justification)),
            ("source", escape(str(r.step.source))),
            ("reason", escape(v.reason) if v.reason else None),
            ("counterexample", f'<span class="counterexample">{escape(point)}</span>'
             if point else None)]
    words = verdict_tag(v.status, v.method)          # "fails (numeric)": the badge says "fails"
    words = words[len(v.status):].strip() if words.startswith(v.status) else words
    return (f'<section class="step v-{escape(v.status)}">\n'
            f"<h3>Step {r.index}: {verdict(v.status)} {escape(words)}</h3>\n"
            f"{math(tex)}\n{_fields(rows)}\n</section>")


def index_page(results: list[DerivationResult], names: dict[int, str], rows: list[dict]) -> str:
    """The totals (as ``diffproof check`` prints them) and a row linking each derivation."""
    lines = ["<tr><th>derivation</th><th>title</th><th>status</th><th>steps</th>"
             "<th>steps by verdict</th><th>time</th></tr>"]
    for result in results:
        held = sum(r.verdict.status == "holds" for r in result.steps)
        lines.append(
            f"<tr><td>{_link(names[id(result)], result.derivation.id)}</td>"
            f"<td>{title(result.derivation.title)}</td><td>{verdict(result.status)}</td>"
            f"<td>{held}/{len(result.steps)}</td><td>{escape(steps_by_verdict(result))}</td>"
            f"<td>{result.seconds:.2f}s</td></tr>")
    errata = (f'<p>{_link("errata.html", "Seed errata")}: {escape(errata_summary(rows))}.</p>'
              if rows else "<p>No seed errata were selected.</p>")
    body = [f"<h1>{escape(TITLE)}</h1>", f'<p class="summary">{escape(summary_line(results))}</p>',
            errata, "<table>", *lines, "</table>"]
    return page(TITLE, "\n".join(body))


def errata_page(rows: list[dict], errata_names: dict[str, str], names_by_id: dict[str, str]) -> str:
    """The seed errata as ``diffproof errata`` reports them: refuted or not, with the evidence;
    each links its claim's page and the correct version's page when the report has one."""
    body = ["<h1>Seed errata</h1>", f'<p class="summary">{escape(errata_summary(rows))}</p>']
    for row in rows:
        refuted = verdict("fails", "refuted") if row["refuted"] else verdict("error", "NOT REFUTED")
        point = format_point(row["counterexample"], rounded=True) if row["counterexample"] else None
        correct = row["correct"]
        if correct:
            correct = _link(names_by_id[correct], correct) if correct in names_by_id else \
                f"<code>diffproof check {escape(correct)}</code>"
        fields = [(row.get("found_in", "seed"), escape(row["seed"])), ("claim", escape(row["what"])),
                  ("verdict", refuted),
                  ("failing step", f"{row['step']} ({escape(str(row['method']))})"
                   if row["step"] else None),
                  ("counterexample", f'<span class="counterexample">{escape(point)}</span>'
                   if point else None),
                  ("reason", escape(row["reason"]) if row["reason"] else None),
                  ("correct version", correct)]
        body.append(f'<section class="step v-{"fails" if row["refuted"] else "error"}">'
                    f"<h3>{_link(errata_names[row['id']], row['id'])}</h3>{_fields(fields)}"
                    "</section>")
    return page("Seed errata", "\n".join(body))
