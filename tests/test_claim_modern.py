"""``diffproof claim`` with the modern family's names as papers write them (derive/vocabulary.py):
the v-prediction (Salimans & Ho 2022), EDM's preconditioning (Karras et al. 2022, Eq. 7, Table 1),
Lipman et al. 2023's OT path beside sigma_min, both conventions of classifier-free guidance, and
zero terminal SNR (Lin et al. 2023): holds, fails, refusals, and the singular point named."""
import json

import pytest
import sympy as sp

from diffproof.derive import edm, flow_matching as FM
from diffproof.derive.notation_reader import new_context, parse_expression
from diffproof.derive.paths import DDPM, v_theta
from diffproof.derive.symbols import x_t, xhat
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.run import check_file_text
from diffproof.proofs.cli import main

OPTIONS = Options(budget=1.0, max_examples=60)


def verdicts(text: str) -> list:
    claims = check_file_text(text, options=OPTIONS)
    assert claims and all(c.error is None for c in claims), [c.error for c in claims]
    return [step.verdict for c in claims for step in c.steps]


def only(text: str):
    (verdict,) = verdicts(text)
    return verdict


def run(capsys, *argv):
    code = main(["claim", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the names are the derive modules' values --------------------------------------------------
def test_names_read_the_derive_values():
    assert parse_expression(r"v_\theta(x_t, t)") == v_theta
    assert parse_expression(r"\hat v") == v_theta == parse_expression(r"\hat{v}_\theta")
    assert parse_expression(r"c_{\text{skip}}(\sigma)") == edm.table_c_skip()
    assert parse_expression(r"c_{\mathrm{out}}(\sigma)") == edm.table_c_out()
    assert parse_expression(r"c_{\text{in}}(\sigma)") == edm.table_c_in()
    assert parse_expression(r"c_{\text{noise}}(\sigma)") == edm.table_c_noise()
    assert parse_expression(r"\sigma_{\text{data}}") == edm.sigma_data
    denoiser = parse_expression(r"D_\theta(x; \sigma)")
    raw = parse_expression(r"F_\theta(c_{\text{in}}(\sigma) x; c_{\text{noise}}(\sigma))")
    assert sp.simplify(denoiser - edm.preconditioned(raw)) == 0


def read(text: str):
    """The expression as a claim reads it: the claim's text is the scope that cues the OT path."""
    context = new_context()
    context.scope = text
    return parse_expression(text, context=context)


def test_ot_names_need_sigma_min_in_the_claim_or_its_assumptions():
    x = parse_expression("x")
    flow = read(r"\psi_t(x) + 0\sigma_{\min}")
    assert sp.expand(flow - FM.OT.sample(FM.x_1, x)) == 0
    velocity = read(r"u_t(x \mid x_1) + 0\sigma_{\min}")
    assert sp.simplify(velocity - FM.conditional_velocity(FM.OT, FM.x_1, x)) == 0
    # without the cue the names are read as before: unknown functions, products, symbols
    assert isinstance(read(r"u_t(x \mid x_1)"), sp.core.function.AppliedUndef)
    assert read(r"\sigma_t(x_1 + 1) + 0\sigma_{\min}") == \
        read(r"\sigma_t \cdot (x_1 + 1) + 0\sigma_{\min}")
    assert read(r"\sigma_t").is_Symbol


# -- v-prediction ----------------------------------------------------------------------------------
def test_x_from_v_holds_and_its_sign_slip_fails():
    verdict = only(r"$$\hat x_\theta = \sqrt{\bar\alpha_t} x_t - \sqrt{1-\bar\alpha_t} v_\theta(x_t,t)$$")
    assert verdict.status == "holds" and verdict.method == "symbolic"
    assert any("Salimans & Ho 2022" in r for r in verdict.relations)
    slip = only(r"$$\hat x_\theta = \sqrt{\bar\alpha_t} x_t + \sqrt{1-\bar\alpha_t} v_\theta(x_t,t)$$")
    assert slip.status == "fails" and slip.counterexample is not None


def test_the_derived_x_is_the_paths_conversion():
    from diffproof.proofs.claims.readings.prediction import from_v
    assert sp.simplify(from_v("x") - DDPM.convert(v_theta, "v", "x", x_t)) == 0
    assert xhat not in from_v("x").free_symbols


def test_a_definition_of_a_prediction_wins_over_the_v_reading():
    # the assumption says x_hat is the eps-model's: then the v reading does not tie it to v
    text = ("% assume: \\hat{x}_\\theta(x_t, t) = x_t\n"
            r"$$\hat x_\theta(x_t, t) = \sqrt{\bar\alpha_t} x_t - \sqrt{1-\bar\alpha_t} v_\theta(x_t,t)$$")
    assert only(text).status == "fails"


def test_a_bound_on_the_v_prediction_is_refused(capsys):
    code, out, _ = run(capsys, "--assume", r"v_\theta(x_t, t) > 0", r"v_\theta(x_t, t) = 1")
    assert code == 2 and "built in" in out and "Traceback" not in out


# -- EDM -----------------------------------------------------------------------------------------
def test_edm_table_one_holds_and_a_swap_fails():
    assert only(r"$$c_{\text{skip}}(\sigma) = \frac{\sigma_{\text{data}}^2}{\sigma^2+\sigma_{\text{data}}^2}$$"
                ).status == "holds"
    swapped = only(r"$$c_{\text{skip}}(\sigma) = \frac{\sigma^2}{\sigma^2+\sigma_{\text{data}}^2}$$")
    assert swapped.status == "fails" and swapped.counterexample is not None
    assert only(r"$$c_{\text{out}}(\sigma) = \frac{\sigma\sigma_{\text{data}}}{\sigma^2+\sigma_{\text{data}}^2}$$"
                ).status == "fails"


def test_edm_eq7_holds():
    verdict = only(r"$$D_\theta(x;\sigma) = c_{\text{skip}}(\sigma) x + c_{\text{out}}(\sigma) "
                   r"F_\theta(c_{\text{in}}(\sigma) x; c_{\text{noise}}(\sigma))$$")
    assert verdict.status == "holds" and verdict.method == "symbolic"


@pytest.mark.parametrize("claim, message", [
    (r"c_{\text{skip}}(\sigma, t) = 1", "takes one argument"),
    (r"D_\theta(x) = x", "takes two arguments"),
])
def test_edm_wrong_arguments_are_refused(capsys, claim, message):
    code, out, _ = run(capsys, claim)
    assert code == 2 and message in out and "Traceback" not in out


def test_edm_declaring_a_builtin_is_refused_and_defining_it_replaces_it(capsys):
    code, out, _ = run(capsys, "--assume", r"c_{\text{skip}}(\sigma) > 0", r"c_{\text{skip}}(\sigma) = 1")
    assert code == 2 and "c_{skip} is built in" in out
    # a definition in the assumptions replaces the built-in (docs/claims.md): another c_skip
    code, out, _ = run(capsys, "--assume", r"c_{\text{skip}}(\sigma) = 1", r"c_{\text{skip}}(\sigma) = 1")
    assert code == 0 and "it replaces the built-in: EDM's skip weight" in out


# -- classifier-free guidance --------------------------------------------------------------------------
CFG = (r"$$(1+w)\epsilon_\theta(z,c) - w\epsilon_\theta(z) = "
       r"\epsilon_\theta(z) + s(\epsilon_\theta(z,c) - \epsilon_\theta(z))$$")


def test_cfg_conventions_agree_exactly_when_s_is_one_plus_w():
    assert only("% assume: s = 1 + w\n" + CFG).status == "holds"
    assert only("% assume: s = w\n" + CFG).status == "fails"
    assert only(CFG).status == "fails"           # s and w unrelated


# -- Lipman's OT path ---------------------------------------------------------------------------------
def test_ot_path_holds_and_slips_fail():
    cue = "% assume: 0 < \\sigma_{\\min} < 1\n"
    assert only(cue + r"$$\psi_t(x) = \sigma_t(x_1) x + \mu_t(x_1)$$").status == "holds"
    assert only(cue + r"$$\psi_t(x) = (1-(1-\sigma_{\min})t)x + t x_1$$").status == "holds"
    assert only(cue + r"$$u_t(x|x_1) = \frac{x_1 - (1-\sigma_{\min})x}{1-(1-\sigma_{\min})t}$$"
                ).status == "holds"
    assert only(cue + r"$$u_t(x|x_1) = \frac{x_1 + (1-\sigma_{\min})x}{1-(1-\sigma_{\min})t}$$"
                ).status == "fails"


def test_without_sigma_min_the_velocity_is_an_unknown_function():
    verdict = only(r"$$u_t(x|x_1) = \frac{x_1 - x}{1-t}$$")
    assert verdict.status == "undecided" and "definition" in verdict.reason


# -- zero terminal SNR ----------------------------------------------------------------------------------
X0_AT_T = r"x_0 = \frac{x_T - \sqrt{1-\bar\alpha_T}\epsilon}{\sqrt{\bar\alpha_T}}"
X0_AT_t = r"x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\epsilon}{\sqrt{\bar\alpha_t}}"


def test_x0_from_eps_at_zero_snr_names_the_singular_point():
    verdict = only("% assume: \\bar\\alpha_T = 0\n% assume: x_T = \\sqrt{\\bar\\alpha_T}x_0 + "
                   "\\sqrt{1-\\bar\\alpha_T}\\epsilon\n$$" + X0_AT_T + "$$")
    assert verdict.status == "undecided" and verdict.counterexample is None
    assert "undefined at SNR = 0" in verdict.reason and r"\sqrt{\bar{\alpha}_{T}} = 0 divides" in verdict.reason


def test_x0_from_eps_for_every_t_up_to_a_zero_snr_step():
    verdict = only("% assume: \\bar\\alpha_T = 0\n% assume: t \\le T\n$$" + X0_AT_t + "$$")
    assert verdict.status == "undecided" and "t = T" in verdict.reason
    assert "% assume: t < T" in verdict.reason
    # what the reason says decides it: strictly before T the formula holds
    assert only("% assume: \\bar\\alpha_T = 0\n% assume: t < T\n$$" + X0_AT_t + "$$").status == "holds"
    # and without a zero-SNR step nothing changes
    assert only("$$" + X0_AT_t + "$$").status == "holds"


def test_zero_snr_through_the_cli_and_json_has_no_nan(capsys):
    code, out, _ = run(capsys, "--json", "--assume", r"\bar\alpha_T = 0", X0_AT_T)
    assert code == 1
    data = json.loads(out)
    step = data["claims"][0]["steps"][0]
    assert step["status"] == "undecided" and "SNR = 0" in step["reason"]
    assert "NaN" not in out and "Traceback" not in out


def test_a_denominator_zero_by_a_user_definition_is_named():
    verdict = only("% assume: h = 0\n$$\\frac{1}{h} = \\frac{1}{h}$$")
    assert verdict.status == "undecided" and "divides by zero" in verdict.reason
