"""Built-in continuous-time schedules of notation.md in ``diffproof claim`` (VE / VP from diffproof.derive.sde)."""
from __future__ import annotations

import json

import sympy as sp

from diffproof.derive import sde
from diffproof.derive.symbols import t
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.readings.schedules import SCHEDULES
from diffproof.proofs.claims.run import check_file_text, check_text
from diffproof.proofs.cli import main

OPTIONS = Options(seed=0)
VE_G = (r"g(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^t"
        r"\sqrt{2\log\frac{\sigma_{\max}}{\sigma_{\min}}}")


def test_builtin_bodies_are_the_sde_classes():
    ve = SCHEDULES["VE"].functions({"|sigma|", "|g|", "|f|"})
    vp = SCHEDULES["VP"].functions({"|beta|", "|g|", "|f|"})
    assert ve["|sigma|"].body == sde.VE.sigma(t) and ve["|g|"].body == sde.VE.g(t)
    assert ve["|f|"].body == 0
    assert vp["|beta|"].body == sde.VP.beta(t) and vp["|g|"].body == sde.VP.g(t)
    assert sp.simplify(vp["|f|"].body + vp["|beta|"].body / 2) == 0


def test_reading_is_stated_in_json(capsys):
    code = main(["claim", VE_G, "--json"])
    step = json.loads(capsys.readouterr().out)["claims"][0]["steps"][0]
    assert code == 0 and step["status"] == "holds"
    assert step["relations"] == [SCHEDULES["VE"].text]
    code = main(["claim", r"g(t) = \sqrt{\beta(t)}", "--json"])
    step = json.loads(capsys.readouterr().out)["claims"][0]["steps"][0]
    assert code == 0 and step["relations"] == [SCHEDULES["VP"].text]


def test_sigma_at_zero_is_the_formula():
    (wrong,) = check_text([(r"\sigma(t)^2 - \sigma(0)^2 = \sigma_{\min}^2"
                            r"(\sigma_{\max}/\sigma_{\min})^{2t}", None)], [], OPTIONS)
    (right,) = check_text([(r"\sigma(0) = \sigma_{\min}", None)], [], OPTIONS)
    assert wrong.status == "fails" and right.status == "holds"


def test_without_cues_g_and_f_stay_undefined():
    (g,) = check_text([(r"g(t) = 2t", None)], [], OPTIONS)
    assert g.status == "undecided" and "definition of g(t)" in g.steps[0].verdict.reason
    assert not g.steps[0].verdict.details.get("relations")


def test_both_schedules_name_both_readings():
    (claim,) = check_text([(r"f(t) = -\frac{1}{2}\beta(t) + \sigma_{\min} - \sigma_{\min}", None)],
                          [], OPTIONS)
    reason = claim.steps[0].verdict.reason
    assert claim.status == "undecided" and "VE (" in reason and "VP (" in reason


def test_user_assumption_wins():
    # a user sigma(t) = t: VE g is not built in from notation.md's sigma
    (sigma,) = check_text([(r"\sigma(t) = t", None)], [r"\sigma(t) = t"], OPTIONS)
    assert sigma.status == "holds" and not sigma.steps[0].verdict.details.get("relations")
    (g,) = check_text([(r"g(t) = \sqrt{2\sigma_{\min}}", None)], [r"g(t) = \sqrt{2\sigma_{\min}}"],
                      OPTIONS)
    assert g.status == "holds"


def test_bare_sigma_elsewhere_in_a_ve_file_is_a_symbol():
    text = ("$$\\sigma(1) = \\sigma_{\\max}$$\n"
            "$$\\log\\mathcal{N}(x; \\mu, \\sigma^2) = -\\frac{(x-\\mu)^2}{2\\sigma^2} "
            "- \\frac{1}{2}\\log(2\\pi\\sigma^2)$$\n")
    claims = check_file_text(text, [], OPTIONS)
    assert [c.status for c in claims] == ["holds", "holds"]


def test_schedule_cues_see_every_derivative_spelling():
    from diffproof.proofs.claims.readings.schedules import applied_functions
    for text in (r"\dot\sigma(t)", r"\dot{\sigma}(t)", r"\ddot{\sigma}(t)", r"\sigma'(t)",
                 r"\frac{d\sigma}{dt}", r"\frac{\mathrm{d}\sigma}{\mathrm{d}t}",
                 r"\partial_t \sigma(t)"):
        assert applied_functions(text) == {"|sigma|"}, text
    assert applied_functions(r"\frac{dg(t)}{dt}") == {"|g|"}
    assert applied_functions(r"\frac{1}{\sigma}(x)") == set()      # a product, not sigma(x)


def test_sigma_dot_over_sigma_is_the_ve_rate():
    (claim,) = check_text([(r"\frac{\dot\sigma(t)}{\sigma(t)} = \log\frac{\sigma_{\max}}{\sigma_{\min}}",
                            None)], [], OPTIONS)
    assert claim.status == "holds"
