"""Issue 12 regressions on the claim reader and the checker (each example of the audit)."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.symbols import TABLE
from diffproof.proofs.checker import Options, check_derivation
from diffproof.proofs.cli import main

x_t, x_0, eps_0 = TABLE["x_t"], TABLE["x_0"], TABLE["eps_0"]
abar_t = TABLE["abar_t"]


def claim(capsys, *argv):
    code = main(["claim", "--json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out)["claims"][0] if out.strip() else None, err


def test_elided_link_after_an_inequality_is_not_proved(capsys):
    """abar_t <= abar_{t-1} = ... = abar_t: the elided link compared abar_t with abar_t."""
    code, result, _ = claim(capsys, r"\bar\alpha_t \le \bar\alpha_{t-1} = \ldots = \bar\alpha_t")
    assert code == 1 and result["steps"][1]["status"] == "undecided"
    assert "not an equality" in result["steps"][1]["reason"]


def test_elided_link_after_a_propto_link_is_not_proved(capsys):
    text = (r"q(x_{t-1} \mid x_t, x_0) \propto \exp(-\frac{x_{t-1}^2}{2}) = \ldots "
            r"= q(x_{t-1} \mid x_t, x_0)")
    code, result, _ = claim(capsys, text)
    elided = [s for s in result["steps"] if s["elided"]]
    assert code == 1 and elided and all(s["status"] != "holds" for s in elided)


def test_elided_link_after_equalities_still_holds(capsys):
    text = r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon_0 = \ldots = x_t"
    code, result, _ = claim(capsys, text)
    assert code == 0 and result["steps"][1]["status"] == "holds"


def test_propto_in_a_variable_a_definition_eliminates_is_not_proved(capsys):
    code, result, _ = claim(capsys, "--assume",
                            r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon_0",
                            r"q(x_t \mid x_0) \propto 1")
    assert code == 1 and result["steps"][0]["status"] == "undecided"
    assert "a definition expresses" in result["steps"][0]["reason"]


def test_propto_in_a_defined_variable_in_a_derivation_file_is_not_proved():
    density = sp.exp(-(x_t - sp.sqrt(abar_t) * x_0) ** 2 / (2 * (1 - abar_t)))
    derivation = Derivation("d", "propto", start=density, steps=[
        Step(sp.Integer(1), "eliminated", relation="propto", wrt=(x_t,))],
        definitions={x_t: sp.sqrt(abar_t) * x_0 + sp.sqrt(1 - abar_t) * eps_0})
    verdict = check_derivation(derivation, options=Options(max_examples=10)).steps[0].verdict
    assert verdict.status == "undecided" and "definition" in verdict.reason


@pytest.mark.parametrize("text,status", [
    (r"\cos^{-1}(\frac{1}{2}) = \frac{\pi}{3}", "holds"),
    (r"\sin^{-1}(1) = \frac{\pi}{2}", "holds"),
    (r"\tanh^{-1}(0) = 0", "holds"),
    (r"\cos^{-1}(\frac{1}{2}) = 2", "fails"),
])
def test_inverse_function_notation_means_the_inverse(capsys, text, status):
    code, result, _ = claim(capsys, text)
    assert result["status"] == status


@pytest.mark.parametrize("text", [r"\log(x)^2 = 2\log x", r"\exp^{-1}(x) = 1"])
def test_ambiguous_function_powers_are_refused_naming_the_readings(capsys, text):
    code, result, _ = claim(capsys, text)
    assert code == 2 and result["status"] == "unparsable" and "reads as" in result["error"]


@pytest.mark.parametrize("text", [
    r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon_1",
    r"x_t - \sqrt{\bar\alpha_t} x_0 = \sqrt{1-\bar\alpha_t}\epsilon_1",
    r"\sqrt{1-\bar\alpha_t}\epsilon_1 + \sqrt{\bar\alpha_t} x_0 - x_t = 0",
])
def test_the_reparametrization_holds_whichever_side_its_terms_stand(capsys, text):
    code, result, _ = claim(capsys, text)
    assert code == 0 and result["status"] == "holds"


def test_a_rearranged_false_reparametrization_still_fails(capsys):
    code, result, _ = claim(capsys, r"x_t - \sqrt{\bar\alpha_t} x_0 = \sqrt{\bar\alpha_t}\epsilon_1")
    assert code == 1 and result["status"] == "fails" and "variances differ" in \
        result["steps"][0]["reason"]


def test_python_floats_in_derivation_files_are_exact_decimals_or_reported():
    t = sp.Symbol("t", positive=True)

    def verdict(start, expr):
        derivation = Derivation("f", "floats", start=start, steps=[Step(expr, "floats")])
        return check_derivation(derivation, options=Options(max_examples=10)).steps[0].verdict

    assert verdict(0.1 * t, t / 10).status == "holds"                 # 0.1 read as 1/10
    evaluated = verdict(sp.sqrt(0.1 * t), sp.sqrt(t / 10))            # SymPy made 0.316227...
    assert evaluated.status == "undecided" and "round-off of the floats" in evaluated.reason
    assert verdict(sp.sqrt(0.1 * t), sp.sqrt(t / 9)).status == "fails"


def test_slow_integration_stops_at_the_hard_limit(capsys):
    """ran 20 minutes inside SymPy's integration before the hard limit existed."""
    code, result, _ = claim(capsys, "--limit", "2",
                            r"\int_0^1 \frac{\log(1+u)}{1+u^2}\,du = \frac{\pi}{8}\log 2")
    assert code in (0, 1) and result["status"] in ("holds", "undecided")


@pytest.mark.parametrize("text", [
    r"h \le 0",                # true for h <= 0: the positive search is only a guess
    r"\sqrt{h^2} = -h",        # true for every h <= 0
    r"\log h = h - 1 + (h-1)^2",
])
def test_a_refutation_that_depends_on_the_guessed_domain_is_undecided(capsys, text):
    code, result, _ = claim(capsys, text)
    step = result["steps"][0]
    assert code == 1 and step["status"] == "undecided"
    assert "% assume:" in step["reason"] and "domain of h is unknown" in step["reason"]
    assert step["counterexample"]          # the point found is still shown


@pytest.mark.parametrize("text,why", [
    (r"h^2 = h", "fails on every interval"),               # analytic in h: fails almost everywhere
    (r"e^h = 1 + h + \frac{h^2}{2}", "fails on every interval"),
    (r"h^2 + 1 \le 0", "fails for every real value"),      # the opposite inequality is proved
    (r"h > h", "fails for every real value"),
])
def test_a_refutation_that_holds_on_every_domain_stays_a_refutation(capsys, text, why):
    code, result, _ = claim(capsys, text)
    step = result["steps"][0]
    assert code == 1 and step["status"] == "fails" and why in step["reason"]


@pytest.mark.parametrize("claim_text", [r"y \ge \frac{1}{3}", r"e^{y - 1/3} \ge 1",
                                        r"\sin^2(y) + \cos^2(y) + y \ge \frac{4}{3}"])
def test_a_rational_bound_is_exact_no_point_breaks_it(capsys, claim_text):
    """y >= 1/3 was stored as the float 0.333...31 < 1/3, so the search refuted claims that
    restate the assumption at that float (a false refutation)."""
    code, result, _ = claim(capsys, "--assume", r"y \ge 1/3", claim_text)
    assert result["steps"][0]["status"] == "holds", result["steps"][0]


def test_an_irrational_bound_is_read_and_kept_inside(capsys):
    """y > sqrt(2) was an internal error (the simple values took Fraction of sqrt(2))."""
    code, result, _ = claim(capsys, "--assume", r"y > \sqrt{2}", r"y^2 \ge 2")
    assert code == 0 and result["steps"][0]["status"] == "holds"
    code, result, _ = claim(capsys, "--assume", r"y > \sqrt{2}", r"y^2 \ge 3")
    step = result["steps"][0]
    assert step["status"] == "fails"
    value = step["counterexample"]["y"]
    assert sp.Rational(value) ** 2 > 2 if isinstance(value, str) else value ** 2 > 2


@pytest.mark.parametrize("text,where", [
    (r"(x^3-2)^2 > 0", "x = 2**(1/3)"),                       # an irrational minimum, 0
    (r"(x^5 - x - 1)^2 > 0", "CRootOf(x**5 - x - 1, 0)"),     # no radical form
    (r"(\bar\alpha_t - \frac{\sqrt{2}}{2})^2 > 0", "sqrt(2)"),  # algebraic coefficients
])
def test_a_strict_inequality_that_is_0_at_an_irrational_point_fails(capsys, text, where):
    """Issue 12: (x^3 - 2)^2 > 0 held (numeric): no rational point shows the 0 at x = 2^(1/3).
    The independent probe now tries the exact real roots of the difference, so the claim fails
    with the exact point in the reason."""
    code, result, _ = claim(capsys, text)
    step = result["steps"][0]
    assert code == 1 and (step["status"], step["method"]) == ("fails", "symbolic")
    assert where in step["reason"] and "exactly 0" in step["reason"]


@pytest.mark.parametrize("text", [r"(x^3-2)^2 \ge 0", r"(x^2 - 2)(x^2 - 3) + 7 > 0"])
def test_the_exact_roots_refute_nothing_true(capsys, text):
    """The controls: the same square non-strictly, and a quartic > 0 with no real zero, hold."""
    code, result, _ = claim(capsys, text)
    assert code == 0 and result["steps"][0]["status"] == "holds"


def test_an_exact_root_is_shown_in_the_point_s_own_symbol():
    """SymPy caches real roots by the generator-free polynomial: after other claims in the same
    process the root of x^5 - x - 1 printed as CRootOf(z**5 - z - 1, 0) (seen in a full CI run).
    The point is written in its own symbol, whatever generator the root carries."""
    from diffproof.derive.decide.inequality import _show
    x, z = sp.Symbol("x", real=True), sp.Symbol("z", real=True)
    assert _show({x: sp.CRootOf(z**5 - z - 1, 0)}) == "x = CRootOf(x**5 - x - 1, 0)"
    assert _show({x: sp.Rational(1, 2)}) == "x = 1/2"
