"""The catalog's ASCII titles typeset as mathematics (derive.latex.ascii_math): every title's
formulas are in math mode, no ASCII notation is left in the text, and all of them compile."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from diffproof.derive.latex.ascii_math import title_latex
from diffproof.derive.latex.text import GREEK_NAMES
from diffproof.proofs import catalog
from diffproof.proofs.commands.latex import compile_pdf
from diffproof.proofs.report.formula_sheet import formula_sheet


def _titles() -> list[str]:
    return ([d.title for d in catalog.derivations()] + [e.claim.title for e in catalog.errata()]
            + [f.title for f in formula_sheet()])


def _text_parts(latex: str) -> str:
    return re.sub(r"\$[^$]*\$", " ", latex)


# what ASCII notation becomes when it is escaped as text instead of read as math
_RAW = re.compile(r"\\textgreater|\\textless|\\_|\\textasciicircum|\\textbar|\\textasciitilde|"
                  r"\bsqrt\b|\bgrad\b|\babar\b|\beps\b|\b(" + "|".join(GREEK_NAMES) + r")\b")


def test_no_title_leaves_ascii_notation_in_text():
    for title in _titles():
        latex = title_latex(title)
        assert latex.count("$") % 2 == 0, title
        assert not _RAW.search(_text_parts(latex)), (title, latex)
        for math in re.findall(r"\$([^$]*)\$", latex):
            assert math.count("{") == math.count("}"), (title, math)
            assert not re.search(r">=|<=|!=|->|\|\||_[a-z]{2}|sqrt\(", math), (title, math)


def test_titles_read_as_math():
    assert title_latex("q_phi(z|x) >= ELBO") == r"$q_{\phi}(z \mid x) \ge \mathrm{ELBO}$"
    assert title_latex("the posterior in DDPM's beta notation: mu-tilde_t and beta-tilde_t") == (
        r"the posterior in DDPM's $\beta$ notation: $\tilde{\mu}_{t}$ and $\tilde{\beta}_{t}$")
    assert title_latex("g(t) = sigma(t) sqrt(2 log(sigma_max/sigma_min))") == (
        r"$g(t) = \sigma (t) \sqrt{2 \log (\sigma _{\max}/\sigma _{\min})}$")
    # words, hyphens, equation numbers and bracketed prose stay text
    assert title_latex("Euler-Maruyama as written in (3.22) (biased)") == \
        "Euler-Maruyama as written in (3.22) (biased)"
    assert title_latex("a theta-free constant, E_p[s'] -> 0") == \
        r"a $\theta$-free constant, $\mathbb{E}_{p}[s'] \to 0$"
    # characters outside the convention stay text, escaped (never raw in math)
    assert title_latex("slide の新しいLoss: 50% of x_t, N(0, 1 $ 2)") == (
        r"slide \ja{の新しい}{new}Loss: 50\% of $x_{t}$, $\mathcal{N}(0, 1 \text{\$} 2)$")


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="pdflatex or poppler-utils not installed")
def test_every_title_compiles_and_shows_its_glyphs(tmp_path):
    sections = "\n".join(rf"\section{{{title_latex(t)}}} text." for t in _titles())
    tex = tmp_path / "titles.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
                   + sections + "\n\\end{document}\n", encoding="utf-8")
    result = compile_pdf(str(tex), str(tmp_path / "titles.pdf"))
    assert result.ok, "\n".join(result.problems)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "titles.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")
    text = re.sub(r"\s+", "", text)
    assert "logp(x)=ELBO+KL(qϕ(z|x)∥p(z|x))≥ELBO" in text
    assert "KL(p∥q)≥0" in text
    assert "σ" in text and "∇logp" in text and "sqrt" not in text and "abar" not in text
