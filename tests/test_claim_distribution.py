"""``diffproof claim`` on steps that hold in distribution (Luo 2022 Eqs. 63-70): merged
independent standard normal noises, latents replaced by their forward laws, ``\\ldots`` links and
``\\prod_{i=1}^t \\alpha_i``."""
import json

import sympy as sp

from diffproof.derive.notation_reader import parse_expression
from diffproof.derive.symbols import TABLE
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.readings.distribution import READING, _compose, laws
from diffproof.proofs.claims.readings.noises import is_noise
from diffproof.proofs.claims.run import check_text
from diffproof.proofs.cli import main

OPTIONS = Options(budget=1.0, max_examples=60)
MERGE = (r"\sqrt{\alpha_t\alpha_{t-1}} x_{t-2} + \sqrt{\alpha_t - \alpha_t\alpha_{t-1}}"
         r"\epsilon_{t-2}^* + \sqrt{1-\alpha_t}\epsilon_{t-1}^* = \sqrt{\alpha_t\alpha_{t-1}} x_{t-2}"
         r" + {}\epsilon_{t-2}")


def _step(latex, assume=()):
    (claim,) = check_text([(latex, None)], list(assume), OPTIONS)
    return claim, claim.steps[0].verdict


def test_merging_noises_holds_symbolically_in_distribution():
    claim, verdict = _step(MERGE.replace("{}", r"\sqrt{1 - \alpha_t\alpha_{t-1}}"))
    assert claim.status == "holds" and verdict.method == "symbolic"
    assert verdict.details["reading"] == READING


def test_wrong_merges_fail_with_the_variances_at_the_counterexample():
    for coefficient in (r"\sqrt{1-\alpha_t}", r"(1 - \alpha_t\alpha_{t-1})",
                        r"(\sqrt{\alpha_t - \alpha_t\alpha_{t-1}} + \sqrt{1-\alpha_t})"):
        claim, verdict = _step(MERGE.replace("{}", coefficient))
        assert claim.status == "fails", coefficient
        point = verdict.counterexample
        a, b = (sp.Rational(point[k]) for k in ("alpha_t", "alpha_tm1"))
        assert abs(point["lhs"] - float(1 - a * b)) < 1e-12      # the variance of the lhs
        assert abs(point["lhs"] - point["rhs"]) > 1e-6
        assert "variances differ" in verdict.reason


def test_same_noises_keep_the_pointwise_reading():
    # eps is symmetric, so this holds in distribution; written with eps_0 on both sides (through
    # the reparametrization) it is a pointwise sign slip and must fail
    claim, verdict = _step(r"x_t = \sqrt{\bar\alpha_t} x_0 - \sqrt{1-\bar\alpha_t}\epsilon_0")
    assert claim.status == "fails" and "reading" not in verdict.details
    claim, verdict = _step(r"x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\epsilon_0}{\sqrt{\bar\alpha_t}}")
    assert claim.status == "holds" and "reading" not in verdict.details


def test_a_deterministic_side_is_not_read_in_distribution():
    claim, verdict = _step(r"\sqrt{v_1} z_1 + \sqrt{v_2} z_2 = \sqrt{v_1 + v_2}")
    assert claim.status == "fails" and "reading" not in verdict.details


def test_forward_step_substitution_and_json(capsys, tmp_path):
    path = tmp_path / "unroll.tex"
    path.write_text(r"""\begin{align*}
x_t &= \sqrt{\alpha_t} x_{t-1} + \sqrt{1-\alpha_t}\epsilon_{t-1}^* \\
&= \sqrt{\alpha_t}(\sqrt{\alpha_{t-1}} x_{t-2} + \sqrt{1-\alpha_{t-1}}\epsilon_{t-2}^*) + \sqrt{1-\alpha_t}\epsilon_{t-1}^*
\end{align*}""")
    assert main(["claim", "--json", "--file", str(path)]) == 0
    steps = json.loads(capsys.readouterr().out)["claims"][0]["steps"]
    assert steps[0]["method"] == "definition" and steps[0]["reading"] == "pointwise"
    assert steps[1]["reading"] == READING and steps[1]["method"] == "symbolic"
    assert any("x_{t-1} = sqrt(alpha_{t-1}) x_{t-2}" in r for r in steps[1]["relations"])


def test_forward_laws_compose_to_the_marginal():
    """(x_t | x_{t-1}) after (x_{t-1} | x_0) is (x_t | x_0), with abar_t = alpha_t abar_{t-1}."""
    x_t, x_tm1, x_0 = TABLE["x_t"], TABLE["x_tm1"], TABLE["x_0"]
    both = _compose(laws()[(x_t, x_tm1)], laws()[(x_tm1, x_0)], "")
    marginal = laws()[(x_t, x_0)]
    for a, b in ((both.mean, marginal.mean), (both.variance, marginal.variance)):
        assert sp.simplify(TABLE.expand_definitions(a - b)) == 0


def test_noise_names():
    names = [r"\epsilon", r"\epsilon_0", r"\epsilon_{t-1}^*", r"\boldsymbol{\epsilon}_{t-2}", r"z",
             r"\mathbf{z}_i", r"\varepsilon_k", r"\bar{\boldsymbol{\epsilon}}_{t-2}"]
    assert all(is_noise(parse_expression(n)) for n in names)
    assert not any(is_noise(parse_expression(n)) for n in
                   (r"\hat\epsilon", r"\tilde\epsilon_t", r"x_t", r"\epsilon_\theta(x_t, t)"))


def test_cumulative_products_are_abar():
    assert parse_expression(r"\prod_{i=1}^t \alpha_i") == TABLE["abar_t"]
    assert parse_expression(r"\prod_{s=1}^{t-1} (1 - \beta_s)") == TABLE["abar_tm1"]
    assert isinstance(parse_expression(r"\prod_{i=2}^t \alpha_i"), sp.Product)


def test_ellipses():
    claim, verdict = _step(r"S = 1 + 2 + \ldots + n")
    assert claim.status == "undecided" and "elided" in verdict.reason
    claim, verdict = _step(r"x_t = \sqrt{\alpha_t} x_{t-1} + \sqrt{1-\alpha_t}\epsilon = \ldots")
    assert claim.status == "undecided"
    # an elided link is checked through the chain's subject: a wrong conclusion fails there
    (claim,) = check_text([(r"x_t &= \sqrt{\alpha_t} x_{t-1} + \sqrt{1-\alpha_t}\epsilon_{t-1}^* \\ "
                            r"&= \ldots = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon_0",
                            None)], [], OPTIONS)
    assert claim.status == "fails" and claim.first_failure().index == 2
    assert claim.steps[1].elided
