"""Every display the package emits for a notebook (a derivation's ``_repr_latex_``) renders in the
real engines (issue 14: 51 of 64 catalog displays failed in KaTeX, with ``_`` inside ``\\text``):
KaTeX and MathJax 3 from their npm packages run by node (KaTeX with ``throwOnError``; MathJax with
errors thrown, undefined macros as errors and no backslash escape shown verbatim in ``\\text``),
and pdflatex with amsmath.  ``.ci/run`` installs the npm packages at the versions of
``.ci/node/package-lock.json`` (``npm ci --prefix .ci/node``) and pdflatex."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from diffproof.derive.latex.text import math_text
from diffproof.proofs import catalog

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
KATEX = Path(os.environ.get("KATEX_PATH", NODE_MODULES / "katex"))
MATHJAX = Path(os.environ.get("MATHJAX_PATH", NODE_MODULES / "mathjax-full"))
ENGINES = {"katex": ("KATEX_PATH", KATEX), "mathjax": ("MATHJAX_PATH", MATHJAX)}


def displays() -> list[dict]:
    every = list(catalog.derivations()) + [e.claim for e in catalog.errata()]
    out = []
    for derivation in every:
        shown = derivation._repr_latex_()
        assert shown.startswith("$$") and shown.endswith("$$")
        out.append({"id": derivation.id, "latex": shown[2:-2]})
    return out


def render_failures(engine: str, items: list[dict]) -> list[dict]:
    """The displays of ``items`` ([{id, latex}]) that ``engine`` rejects, with its messages."""
    variable, path = ENGINES[engine]
    done = subprocess.run(["node", str(ROOT / "tests" / "render_displays.js"), engine],
                          input=json.dumps(items),
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, variable: str(path)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _installed(engine: str):
    return pytest.param(engine, marks=pytest.mark.skipif(
        shutil.which("node") is None or not ENGINES[engine][1].is_dir(),
        reason=f"node and the {engine} npm package (.ci/run installs them)"))


every_engine = pytest.mark.parametrize("engine", [_installed("katex"), _installed("mathjax")])


@every_engine
def test_every_catalog_display_renders(engine):
    items = displays()
    assert len(items) == 103
    assert render_failures(engine, items) == []


@every_engine
@pytest.mark.parametrize("latex", [r"x && \text{q_phi(z|x)}", r"x = \undefinedmacro{y}",
                                   r"\frac{1}{"])
def test_the_render_check_has_teeth(engine, latex):
    """The old form (``_`` inside ``\\text{...}``; in MathJax it shows verbatim), an unknown macro
    and a broken brace are each rejected by the same harness."""
    assert len(render_failures(engine, [{"id": "bad", "latex": latex}])) == 1


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex (.ci/run installs it)")
def test_every_catalog_display_compiles_with_pdflatex(tmp_path):
    body = "\n".join(r"\[" + item["latex"] + r"\]" for item in displays())
    (tmp_path / "displays.tex").write_text(
        r"\documentclass{article}\usepackage{amsmath,amssymb}"
        r"\usepackage[margin=0.3in,paperwidth=30in,paperheight=200in]{geometry}"
        "\\begin{document}\n" + body + "\n\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "displays.tex"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, [line for line in done.stdout.splitlines() if line.startswith("!")]


def test_text_in_math_keeps_underscores_and_carets_out_of_text():
    shown = math_text("q_phi(z|x) ∝ x^2 {a} \\b $c$ & 5%")
    assert shown == (r"\text{q}\_\text{phi(z|x) }\propto\text{ x}{\hat{}}\text{2 (a) /b c and 5 "
                     r"percent}")
    assert math_text("") == r"\text{}"


@every_engine
def test_the_markdown_document_renders(engine):
    """The Markdown document (``diffproof latex --markdown``: notation, formula sheet, every step
    with its verdict tag, for every status and method) in each engine: display blocks and inline
    math."""
    import re

    from diffproof.proofs.report.markdown import markdown_document
    from tests.test_latex_document import _cycled
    results = [_cycled(d, i) for i, d in enumerate(catalog.derivations())]
    pairs = [(e, _cycled(e.claim, 4)) for e in catalog.errata()]
    text = markdown_document(results, pairs)
    blocks = re.findall(r"\$\$(.+?)\$\$", text, re.S)
    inline = re.findall(r"(?<!\$)\$([^$\n]+?)\$(?!\$)", re.sub(r"\$\$.+?\$\$", "", text, flags=re.S))
    assert len(blocks) > 250 and len(inline) > 50
    items = [{"id": f"display {i}", "latex": b} for i, b in enumerate(blocks)] + \
        [{"id": f"inline {i}", "latex": b} for i, b in enumerate(inline)]
    assert render_failures(engine, items) == []


@every_engine
def test_a_checked_result_displays_itself_in_a_notebook(engine):
    """DerivationResult and Claim render as a Markdown table (formula, verdict, method) whose math
    each engine renders, with the reasons of the steps that do not hold."""
    import re

    from diffproof.proofs.checker import Options, check_derivation
    from diffproof.proofs.claims.run import check_text
    result = check_derivation(catalog.get("ddpm-posterior"), options=Options(max_examples=10))
    table = result._repr_markdown_()
    assert "**ddpm-posterior**" in table and "| 2 | $" in table and "| holds | symbolic |" in table
    claim = check_text([(r"\bar\alpha_t \ge \bar\alpha_{t-1}", None)], [],
                       Options(max_examples=10))[0]
    shown = claim._repr_markdown_()
    assert "| fails | " in shown and "- step 1.1: fails at " in shown
    cells = re.findall(r"\| \$(.+?)\$ \|", table)
    assert len(cells) == 2 and render_failures(engine, [{"id": "cell", "latex": c} for c in cells]) == []


def test_the_readme_notebook_example_runs_as_its_comments_say():
    """The README's 'Checking from Python' cell, executed: the derivation holds in 2 steps and
    the claim fails with a point, and both display as tables."""
    import ast
    import re
    readme = (ROOT / "README.md").read_text()
    cell = re.search(r"Checking from Python, in a notebook cell:\n\n```python\n(.+?)```", readme,
                     re.S).group(1)
    namespace: dict = {}
    values = []
    for statement in ast.parse(cell).body:
        if isinstance(statement, ast.Expr):
            values.append(eval(compile(ast.Expression(statement.value), "README", "eval"),
                               namespace))
        else:
            exec(compile(ast.Module([statement], []), "README", "exec"), namespace)
    derivation, claim = values
    assert derivation.status == "holds" and len(derivation.steps) == 2
    assert claim.status == "fails" and claim.steps[0].verdict.counterexample
    assert "| holds |" in derivation._repr_markdown_() and "fails at" in claim._repr_markdown_()
