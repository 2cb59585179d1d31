"""``diffproof claim``: the corpus of true claims and realistic mistakes, the CLI's exit codes and
JSON, assumptions, and the safeguards against refuting a true claim."""
import json
import os
import re

import pytest

from diffproof.proofs.checker import Options
from diffproof.proofs.claims.document import extract_displays, split_lines
from diffproof.proofs.claims.run import check_file_text, check_text
from diffproof.derive.symbols import TABLE
from diffproof.proofs.cli import main

CORPUS = os.path.join(os.path.dirname(__file__), "claims")
FILES = sorted(f for f in os.listdir(CORPUS) if f.endswith((".tex", ".md")))
OPTIONS = Options(budget=1.0, max_examples=60)


def _expected(name: str) -> tuple[str, int | None]:
    """File names carry the verdict: holds__*, undecided__* (a definition, not an identity),
    fails__* (step 1 or a one-step claim), failsN__* (the first failing step of a chain is N)."""
    match = re.match(r"(holds|fails|undecided)(\d*)__", name)
    assert match, f"corpus file {name} has no expected verdict in its name"
    status, step = match.group(1), match.group(2)
    return status, (int(step) if step else (1 if status == "fails" else None))


@pytest.mark.parametrize("name", FILES)
def test_corpus(name):
    status, first = _expected(name)
    with open(os.path.join(CORPUS, name), encoding="utf-8") as handle:
        claims = check_file_text(handle.read(), options=OPTIONS)
    assert claims, name
    for claim in claims:
        assert claim.status == status, (name, [(s.index, s.verdict.status, s.verdict.reason)
                                               for s in claim.steps], claim.error)
        failing = claim.first_failure()
        assert (failing.index if failing else None) == first
        if failing is not None:
            point = failing.verdict.counterexample
            assert point is not None and "lhs" in point and "rhs" in point


def test_corpus_is_balanced():
    statuses = [_expected(name)[0] for name in FILES]
    assert statuses.count("holds") >= 60 and statuses.count("fails") >= 50
    assert sum(1 for name in FILES if re.match(r"fails[2-9]", name)) >= 2


def test_chain_splitting():
    display = r"""\begin{align*}
    a &= b + c && \text{by (1)} \\
      &= d \nonumber \\
      &\quad + e \\
    f &\le g, \tag{3}
    \end{align*}"""
    assert split_lines(display) == ["a = b + c", "= d + e", "f \\le g"]


def test_display_extraction():
    text = "intro $x$ inline\n$$a = b$$\n\\[c = d\\]\n\\begin{equation*}e = f\\end{equation*}\n" \
           "\\begin{align}g &= h\\end{align}\n"
    displays = extract_displays(text)
    assert [d.latex.strip() for d in displays] == ["a = b", "c = d", "e = f", "g &= h"]
    assert [d.line for d in displays] == [2, 3, 4, 5]


def run(capsys, *argv):
    code = main(["claim", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_codes(capsys):
    assert run(capsys, r"\bar\alpha_t = \alpha_t \bar\alpha_{t-1}")[0] == 0
    code, out, _ = run(capsys, r"\bar\alpha_t = \alpha_t \bar\alpha_{t}")
    assert code == 1 and "counterexample" in out
    code, out, _ = run(capsys, r"\frac{1}{ = 2")
    assert code == 2 and "at character" in out
    code, out, _ = run(capsys, r"x \approx x + 10^{-9}")
    assert code == 1 and "undecided" in out


def test_usage_errors(capsys):
    assert run(capsys, "--file", "/nonexistent/notes.tex")[0] == 2
    assert run(capsys)[0] == 2


def test_json_schema(capsys, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("<!-- assume: 0 < a_1 < 1 -->\n"
                     "$$\\sqrt{a_1^2} = a_1$$\n\n"
                     "$$\\begin{aligned} (a_1 + 1)^2 &= a_1^2 + 2a_1 + 1 \\\\ &= a_1^2 + 1"
                     "\\end{aligned}$$\n")
    code, out, _ = run(capsys, "--file", str(notes), "--json")
    data = json.loads(out)
    assert code == 1
    first, second = data["claims"]
    assert set(first) >= {"index", "latex", "status", "steps"}
    assert set(first["steps"][0]) >= {"index", "status", "method", "counterexample", "reason"}
    assert first["status"] == "holds" and first["steps"][0]["method"] == "symbolic"
    assert second["status"] == "fails" and second["first_failing_step"] == 2
    assert [s["status"] for s in second["steps"]] == ["holds", "fails"]
    point = second["steps"][1]["counterexample"]
    assert 0 < float(eval_fraction(point["a_1"])) < 1          # the assumption is respected
    assert data["summary"]["claims"] == 2 and data["summary"]["fails"] == 1


def eval_fraction(text):
    from fractions import Fraction
    return Fraction(str(text))


def test_assume_option_defines_functions(capsys):
    code, out, _ = run(capsys, r"\frac{d}{dt} g(t) = 2t", "--assume", "g(t) = t^2")
    assert code == 0, out
    # without a definition, h(t) is an undefined function: never a verdict of holds
    assert "h" not in TABLE.specs
    code, out, _ = run(capsys, r"\frac{d}{dt} h(t) = 2t")
    assert code == 1 and "undecided (definition)" in out and "h'(t)" in out
    assert "% assume: h(t) = ..." in out                  # the definition that makes it work


def test_bounds_are_respected():
    claims = check_text([(r"\sqrt{(h_a - 1)^2} = 1 - h_a", None)], ["h_a < 1"], OPTIONS)
    assert claims[0].status == "holds"
    claims = check_text([(r"\sqrt{(h_a - 1)^2} = 1 - h_a", None)], ["h_a > 0"], OPTIONS)
    assert claims[0].status == "fails"
    assert float(eval_fraction(claims[0].steps[0].verdict.counterexample["h_a"])) > 1


def test_widening_a_builtin_domain_is_refused():
    claims = check_text([(r"\alpha_t = \alpha_t", None)], [r"-1 < \alpha_t < 1"], OPTIONS)
    assert claims[0].status == "unparsable" and "widens" in claims[0].error


def test_contradicting_a_builtin_definition_is_refused():
    claims = check_text([("x = x", None)], [r"\bar\alpha_t = \alpha_t"], OPTIONS)
    assert claims[0].status == "unparsable" and "contradicts" in claims[0].error


@pytest.mark.parametrize("latex", [
    r"\sqrt{h_a}\sqrt{h_b} = \sqrt{h_a h_b}",     # fails only where a radicand is negative
    r"\log(h_a h_b) = \log h_a + \log h_b",       # fails only where a log argument is negative
    r"\sqrt{h_a^2} = h_a",                        # true for h_a >= 0; its domain not stated
])
def test_unknown_domains_never_give_a_false_refutation(latex):
    assert "h_a" not in TABLE.specs and "h_b" not in TABLE.specs
    (claim,) = check_text([(latex, None)], [], OPTIONS)
    assert claim.status in ("holds", "undecided"), claim.steps[0].verdict
    # with the domain stated, the claim holds
    (stated,) = check_text([(latex, None)], ["h_a > 0", "h_b > 0"], OPTIONS)
    assert stated.status == "holds"


def test_a_real_refutation_with_unknown_symbols_is_kept():
    (claim,) = check_text([(r"(h_a + h_b)^2 = h_a^2 + h_b^2", None)], [], OPTIONS)
    assert claim.status == "fails"
    point = claim.steps[0].verdict.counterexample
    assert point["lhs"] != point["rhs"]


def test_squared_definitions_define_a_positive_symbol():
    (claim,) = check_text([(r"\frac{\sigma_t}{\sqrt{1-\bar\alpha_t}} = 1", None)],
                          [r"\sigma_t^2 = 1 - \bar\alpha_t"], OPTIONS)
    assert claim.status == "holds" and claim.steps[0].verdict.method == "symbolic"


def test_unsupported_lines_are_undecided_and_the_rest_is_checked():
    (claim,) = check_text([(r"\log p(x) &\ge \mathbb{E}_q[\log p(x)] \\ &= y \\ y &= 2y - y", None)],
                          [], OPTIONS)
    assert [s.verdict.status for s in claim.steps] == ["undecided", "undecided", "holds"]
    assert claim.status == "undecided"


def test_the_reparametrization_is_used_and_reported(capsys):
    claim = r"x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_0}{\sqrt{\bar\alpha_t}}"
    code, out, _ = run(capsys, claim)
    assert code == 0 and "using x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0 (Luo Eq. 69)" in out
    code, out, _ = run(capsys, claim, "--json")
    step = json.loads(out)["claims"][0]["steps"][0]
    assert step["status"] == "holds" and step["relations"] == [
        "x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0 (Luo Eq. 69)"]
    # without the noise, no relation is used
    (plain,) = check_text([(r"\alpha_t = 1 - \beta_t", None)], [], OPTIONS)
    assert plain.steps[0].verdict.details.get("relations") is None


def test_a_user_definition_overrides_the_reparametrization():
    claim = r"x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_0}{\sqrt{\bar\alpha_t}}"
    (other,) = check_text([(claim, None)], [r"x_t = \sqrt{\bar\alpha_t}x_0 + 2\epsilon_0"], OPTIONS)
    assert other.status == "fails" and not other.steps[0].verdict.details.get("relations")


@pytest.mark.parametrize("latex, status", [
    (r"g(t) = \sqrt{2}\alpha_t", "undecided"),               # g is named, not defined
    (r"g(t) = \sqrt{2}\sigma_{\min}", "fails"),               # VE: g is notation.md's
    (r"\nabla_x \log p(x) = -x", "undecided"),                 # true for one p only
    (r"\lambda(t) = 1 - \bar\alpha_t", "undecided"),
    (r"\tilde\beta_t = \beta_t", "fails"),                     # every symbol is defined
    (r"\nabla_x \log p(x) + x = x + \nabla_x \log p(x)", "holds"),
    (r"2\nabla_x \log p(x) = \nabla_x \log p(x)", "fails"),    # for every p
    (r"\gamma'(t) = 2t", "undecided"),                         # defines gamma
    (r"\frac{d}{dt}\gamma(t)^2 = \gamma'(t)", "fails"),        # gamma on both sides: every gamma
    (r"\frac{d}{dt}(\gamma(t)^2) = 2\gamma(t)\dot\gamma(t)", "holds"),
    (r"\frac{\partial^2}{\partial x^2} u(x, y) + u(x, y) = "
     r"\frac{\partial}{\partial y}\frac{\partial}{\partial x} u(x, y) + u(x, y)", "fails"),  # u_xx, u_xy
    (r"\frac{\partial^2}{\partial x^2} u(x, y) = \frac{\partial}{\partial y}\frac{\partial}{\partial x} u(x, y)",
     "undecided"),                                            # each side defines a derivative
    (r"\frac{\partial}{\partial x}\frac{\partial}{\partial y} u(x, y) = "
     r"\frac{\partial}{\partial y}\frac{\partial}{\partial x} u(x, y)", "holds"),
])
def test_undefined_names(latex, status):
    (claim,) = check_text([(latex, None)], [], OPTIONS)
    assert claim.status == status, claim.steps[0].verdict


def test_starred_names_are_symbols_not_powers():
    (claim,) = check_text([(r"\epsilon_{t-1}^* + a^{*} = a^* + \epsilon_{t-1}^{*}", None)], [], OPTIONS)
    assert claim.status == "holds"
    (claim,) = check_text([(r"2\epsilon_{t-1}^* = \epsilon_{t-1}^*", None)], [], OPTIONS)
    assert claim.status == "fails"
