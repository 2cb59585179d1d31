"""``diffproof latex``: the document compiles cleanly, its PDF text holds the formulas and verdicts.

The whole catalog is typeset (every derivation and erratum, so the renderer meets every kind of
expression the catalog holds).  Running the full checker would take ~25 s, so the layout
document gets its verdicts from a fixed cycle of kinds (each tag appears, a failure carries a
counterexample); the tags of real checker results are tested on three quick derivations.
The compile tests skip only when pdflatex / poppler are not installed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from diffproof.derive.verdict import Verdict
from diffproof.derive.latex.ascii_math import title_latex
from diffproof.derive.latex.printer import to_latex
from diffproof.proofs import catalog
from diffproof.proofs.checker import DerivationResult, StepResult, check_derivation
from diffproof.proofs.cli import main
from diffproof.proofs.commands.latex import compile_pdf, log_errors
from diffproof.proofs.report.document import verdict_tag
from diffproof.proofs.report.formula_sheet import formula_sheet
from diffproof.proofs.report.japanese import cjk_available
from diffproof.proofs.report.latex import derivation_section, latex_document, notation_section
from diffproof.proofs.report.markdown import markdown_document

HAS_PDFLATEX = shutil.which("pdflatex") is not None
HAS_POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
needs_pdflatex = pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex not installed")
needs_poppler = pytest.mark.skipif(not (HAS_PDFLATEX and HAS_POPPLER),
                                   reason="pdflatex or poppler-utils not installed")

CYCLE = [("holds", "symbolic"), ("holds", "numeric"), ("holds", "monte-carlo"),
         ("holds", "closed-form"), ("fails", "numeric"), ("undecided", "symbolic")]


def _cycled(derivation, offset: int) -> DerivationResult:
    steps = []
    for index, lhs, step in derivation.links():
        status, method = CYCLE[(index + offset) % len(CYCLE)]
        point = {"alpha_t": 0.5, "x_t": 1.25} if status == "fails" else None
        steps.append(StepResult(index, step, lhs, Verdict(status, method, counterexample=point)))
    return DerivationResult(derivation, steps, 0.0)


@pytest.fixture(scope="module")
def layout_inputs():
    results = [_cycled(d, i) for i, d in enumerate(catalog.derivations())]
    pairs = [(e, _cycled(e.claim, 4)) for e in catalog.errata()]
    return results, pairs


@pytest.fixture(scope="module")
def built(layout_inputs, tmp_path_factory):
    if not HAS_PDFLATEX:
        pytest.skip("pdflatex not installed")
    results, pairs = layout_inputs
    folder = tmp_path_factory.mktemp("latex")
    tex = folder / "catalog.tex"
    tex.write_text(latex_document(results, pairs), encoding="utf-8")
    pdf = folder / "catalog.pdf"
    return tex, pdf, compile_pdf(str(tex), str(pdf))


# -- the document -----------------------------------------------------------------------------
def test_the_document_has_every_part(layout_inputs):
    results, pairs = layout_inputs
    text = latex_document(results, pairs)
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    for package in ("amsmath", "amssymb"):
        assert rf"\usepackage{{{package}}}" in text
    assert text.count(r"\section{") == 3 + len(results) + len(pairs)   # notation, sheet, summary
    assert text.count(r"\begin{align*}") >= len(results)
    assert "(could not be typeset" not in text
    for result in results:
        assert rf"\ref{{d:{result.derivation.id}}}" in text       # the summary table row
    tags = {verdict_tag(s, m) for s, m in CYCLE}
    assert tags == {"proved symbolically", "supported numerically", "supported by Monte Carlo",
                    "exact at sampled parameters", "fails (numeric)", "undecided"}
    for tag in tags:
        assert tag in text, tag
    assert "alpha_t = 0.5, x_t = 1.25".replace("_", r"\_") in text    # the counterexample


def test_the_notation_section_lists_every_symbol_with_its_assumption(layout_inputs):
    from diffproof.derive.symbols import TABLE
    section = notation_section(TABLE)
    for spec in TABLE:
        assert f"${spec.domain.latex(spec.latex)}$" in section, spec.key
    assert r"\bar{\alpha}_t = \bar{\alpha}_{t-1} \alpha_t" in section   # a definition, from the table


def test_real_verdicts_are_tagged_by_the_checker_result():
    expected = {"conditional-score-noise": "proved symbolically",
                "mc-tweedie": "supported by Monte Carlo",
                "tweedie-pointwise-claim": "fails"}
    for identifier, tag in expected.items():
        result = check_derivation(catalog.get(identifier))
        section = derivation_section(result)
        assert tag in section, identifier
        for r in result.steps:
            assert verdict_tag(r.verdict.status, r.verdict.method) in section


def test_markdown_has_one_display_per_step_and_no_latex_only_commands(layout_inputs):
    results, pairs = layout_inputs
    text = markdown_document(results, pairs)
    steps = sum(len(r.steps) for r in results) + sum(len(r.steps) for _, r in pairs)
    written = sum(bool(e.written) for e, _ in pairs)     # each erratum's formula as written
    assert text.count("$$") == 2 * (steps + len(formula_sheet()) + written)
    for latex_only in (r"\tag", r"\intertext", r"\fitmath", r"\label", r"\ref"):
        assert latex_only not in text
    assert "| symbol | key | meaning | assumption | definition |" in text


# -- compiling ----------------------------------------------------------------------------------
@needs_pdflatex
def test_the_whole_catalog_compiles_without_errors_or_undefined_references(built):
    tex, pdf, result = built
    assert result.ok, "\n".join(result.problems)
    assert result.problems == []                   # no undefined reference, no rerun request
    assert "Reference" not in result.log or "undefined" not in result.log
    assert pdf.stat().st_size > 10_000
    # layout: nothing runs more than a little into the margin
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", result.log)]
    assert max(overfull, default=0.0) < 30.0, sorted(overfull)[-5:]


def _pdf_text(pdf) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    return _plain(re.sub(r"\s+", "", out))


def _plain(text: str) -> str:
    """Accents dropped (pdftotext writes a hat or bar as a combining mark): compare base glyphs."""
    text = text.replace("’", "'").replace("‘", "'").replace("”", "''").replace("“", "``")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


_GLYPHS = [(r"\bar", ""), (r"\alpha", "α"), (r"\beta", "β"), (r"\sigma", "σ"),
           (r"\epsilon", "ϵ"), (r"\mu", "µ"), (r"\Sigma", "Σ"), (r"\lambda", "λ"), (r"\Delta", "∆"),
           (r"\xi", "ξ"), (r"\omega", "ω"), (r"\theta", "θ"), (r"\min", "min"), (r"\max", "max"),
           (r"\left(", "("), (r"\right)", ")"), (r"\mathrm{SNR}", "SNR"), (r"\hat", ""),
           (r"\tilde", ""), (r"\boldsymbol", ""), ("-", "−")]


def _glyphs(latex: str) -> str | None:
    """What pdftotext shows for a simple LaTeX formula (whitespace removed); None if not simple."""
    if re.search(r"\\(frac|sqrt|exp|log|nabla|mathcal|mathbb|operatorname|int|sum|prod)", latex) \
            or "^" in latex:                      # pdftotext moves superscripts to other lines
        return None
    for command, glyph in _GLYPHS:
        latex = latex.replace(command, glyph)
    if "\\" in latex:
        return None
    return _plain(re.sub(r"[\s_{}^]", "", latex))


def _frac_parts(latex: str) -> list[str]:
    """Numerator and denominator of a top-level ``\\frac{a}{b}`` (pdftotext puts them apart)."""
    from diffproof.derive.latex.text import _group
    match = latex.find(r"\frac{")
    if match < 0:
        return [latex]
    num, end = _group(latex, match + len(r"\frac"))
    den, _ = _group(latex, end)
    return [num, den]


@needs_poppler
def test_the_pdf_text_contains_the_formulas_and_verdicts(built, layout_inputs):
    tex, pdf, result = built
    assert result.ok
    text = _pdf_text(pdf)
    checked = 0
    for entry in formula_sheet():                  # the formula sheet, piece by piece
        for piece in _frac_parts(to_latex(entry.expr)):
            expected = _glyphs(piece)
            if expected and len(expected) >= 3:
                assert expected in text, (entry.title, piece, expected)
                checked += 1
    assert checked >= 8, "too few formula pieces were simple enough to look for"
    from diffproof.derive.symbols import TABLE
    for spec in TABLE:                             # the notation table
        expected = _glyphs(spec.latex)
        if expected:
            assert expected in text, spec.key
    for words in ("provedsymbolically", "supportednumerically", "supportedbyMonteCarlo", "fails"):
        assert words in text
    results, _ = layout_inputs
    letters = re.sub(r"[^A-Za-z0-9]", "", text)
    for r in results:                              # every section title's words are there
        words = re.split(r"\$[^$]*\$", title_latex(r.derivation.title))
        longest = max((re.sub(r"[^A-Za-z0-9]", "", w) for w in words), key=len)
        assert longest[:30] in letters, r.derivation.id


@needs_poppler
def test_the_first_page_renders_to_png(built, tmp_path):
    tex, pdf, result = built
    assert result.ok
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page1")], check=True, capture_output=True)
    png = (tmp_path / "page1.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


@needs_poppler
def test_the_seeds_japanese_slide_titles_are_in_the_pdf(built):
    """Issue 14: the slide titles printed as [ja]; with the CJK package they are set as written."""
    if not cjk_available():
        pytest.skip("pdflatex's CJK package (latex-cjk-japanese) is not installed")
    tex, pdf, result = built
    text = _pdf_text(pdf)
    for title in ("Diffusion Models の新しいLoss", "Diffusion Models の修正したLoss"):
        assert _plain(title.replace(" ", "")) in text, title
    assert "[ja]" not in text


@needs_poppler
def test_without_the_cjk_package_japanese_is_shown_in_english(tmp_path):
    pairs = [(e, _cycled(e.claim, 4)) for e in catalog.errata() if e.id.startswith("seed001")]
    tex = tmp_path / "english.tex"
    tex.write_text(latex_document([], pairs, formulas=[], cjk=False), encoding="utf-8")
    assert "CJKutf8" not in tex.read_text(encoding="utf-8")
    result = compile_pdf(str(tex), str(tmp_path / "english.pdf"))
    assert result.ok, "\n".join(result.problems)
    text = _pdf_text(tmp_path / "english.pdf")
    assert "DiffusionModelscorrected†Loss" in text and "Japanesewordsoftheseeds" in text
    assert "[ja]" not in text and "修正" not in text


def test_every_erratum_shows_its_formula_as_the_seed_writes_it(layout_inputs):
    """Issue 14: an erratum's claim is built in SymPy, whose evaluation may rewrite it before
    printing; the section shows the seed's own LaTeX (``written``), verbatim, line by line."""
    _, pairs = layout_inputs
    for erratum, result in pairs:
        assert erratum.written, erratum.id
        section = derivation_section(result, erratum)
        lines = [line.strip() for line in erratum.written.split("\\\\")]
        shown = re.findall(r"\\fitmath\{\\linewidth\}\{(.*)\}(?: \\\\)?$", section.split(
            "As the seed writes it:")[1].split(r"\end{gather*}")[0], re.MULTILINE)
        assert shown == lines, erratum.id


def test_sympy_evaluation_no_longer_changes_what_the_seed_wrote():
    """Issue 14: the code of E002-dsm-loss-sqrt computes torch.sqrt(((scores - target)**2).sum())
    * lmd; built in SymPy, sqrt(d**2) of a real d evaluates to |d|, so the document showed an
    absolute value the code never wrote.  E002-alg-g-of-t: (0*x - g^2 score) dt evaluated to
    + g^2 score dt, and the algorithm's f(t_i) vanished."""
    errata = {e.id: e for e in catalog.errata()}
    loss = errata["E002-dsm-loss-sqrt"]
    built = to_latex(loss.claim.steps[0].lhs)
    assert r"\left|" in built and r"\sqrt" not in built          # what SymPy makes of it
    section = derivation_section(_cycled(loss.claim, 4), loss)
    assert r"\mathtt{torch.sqrt}(((\mathtt{scores} - \mathtt{target})^{2})" in section
    update = errata["E002-alg-g-of-t"]
    assert "f(t" not in to_latex(update.claim.steps[0].expr)
    section = derivation_section(_cycled(update.claim, 4), update)
    assert r"\left[f(t_i) - g(t_i)^2 s_{\theta}(\boldsymbol{x}, t_i)\right] \Delta t_i" in section


# -- the command ----------------------------------------------------------------------------------
@needs_pdflatex
def test_the_command_builds_a_pdf_of_named_derivations(tmp_path, capsys):
    out = tmp_path / "one.pdf"
    assert main(["latex", "conditional-score-noise", "tweedie-pointwise", "--pdf", "-o", str(out)]) == 0
    assert out.stat().st_size > 5_000 and (tmp_path / "one.tex").exists()
    assert "wrote" in capsys.readouterr().err


def test_the_command_writes_markdown_to_stdout(capsys):
    assert main(["latex", "conditional-score-noise", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# ") and "$$" in out and "proved symbolically" in out


def test_a_missing_pdflatex_is_reported_with_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))       # an empty directory: no pdflatex on PATH
    assert main(["latex", "conditional-score-noise", "--pdf", "-o", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "pdflatex" in err and "apt-get install texlive-latex-base" in err
    assert not (tmp_path / "x.pdf").exists()


def test_bad_options_and_ids_exit_2(capsys):
    assert main(["latex", "--pdf", "--markdown"]) == 2
    assert main(["latex", "no-such-derivation"]) == 2
    assert "unknown derivation id" in capsys.readouterr().err


@needs_pdflatex
def test_a_compile_error_is_reported_with_the_log_excerpt(tmp_path):
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\\begin{document}$\\notacommand x$\\end{document}\n")
    result = compile_pdf(str(tex), str(tmp_path / "broken.pdf"))
    assert not result.ok
    assert any("Undefined control sequence" in p and "notacommand" in p for p in result.problems)
    assert log_errors(result.log) == result.problems
    assert not (tmp_path / "broken.pdf").exists()


def test_proved_evidence_and_failing_tags_look_different():
    """Issue 14: the PDF's "fails" and "proved" tags looked alike.  Each kind now has its own
    mark and weight, visible in black and white."""
    from diffproof.proofs.report.latex import _step_tag
    proved, evidence = _step_tag(1, "holds", "symbolic"), _step_tag(2, "holds", "numeric")
    fails, undecided = _step_tag(3, "fails", "numeric"), _step_tag(4, "undecided", "none")
    assert r"$\checkmark$ proved symbolically" in proved and r"\textbf" not in proved
    assert r"$\circ$ supported numerically" in evidence
    assert r"\textbf{$\times$ fails (numeric)}" in fails and r"\textit{? undecided}" in undecided


def test_a_wide_fraction_breaks_across_lines_instead_of_shrinking():
    """Issue 14: vdm-posterior step 11's left side, one fraction with a 12-term numerator, was
    scaled to a hairline.  It is now 1/D ( ... ) broken at the numerator's + and -."""
    from diffproof.derive.latex.text import estimate_width
    from diffproof.proofs.report.latex import LINE_WIDTH, _align_rows
    derivation = catalog.get("vdm-posterior")
    lhs, step = next((lhs, step) for index, lhs, step in derivation.links() if index == 11)
    rows = _align_rows(lhs, step.relation, step.expr, "tag")
    left = rows[:-1]
    assert len(left) >= 3 and r"\Big(" in left[0] and r"\Big)" in left[-1]
    assert all(estimate_width(row) < 1.2 * LINE_WIDTH for row in left)
