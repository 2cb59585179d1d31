"""``diffproof claim``: the Tweedie reading of marginal-score steps (Luo Eqs. 131-151) and the
model mean mu_theta read through the prediction a claim uses (Luo Eqs. 95, 125, 143)."""
import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.decide.zero import is_zero
from diffproof.derive.symbols import TABLE, abar_t, s_theta, score
from diffproof.derive.formulas import tweedie_noise, tweedie_x0
from diffproof.derive.vocabulary import conditional_mean_given_xt
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.readings.model_mean import model_mean_parametrizations
from diffproof.proofs.claims.run import check_file_text
from diffproof.proofs.report.as_json import claim_report

OPTIONS = Options(budget=1.0, max_examples=60)
MU_Q = (r"\frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})x_t + \sqrt{\bar\alpha_{t-1}}(1-\alpha_t)x_0}"
        r"{1-\bar\alpha_t}")


def _zero(expr) -> bool:
    """Proved identically zero (is_zero answers True; None, undecided, does not count)."""
    return is_zero(TABLE.expand_definitions(expr), TABLE, 1.0)[0] is True


def _nonzero_somewhere(expr) -> bool:
    """Nonzero at an admissible rational point (every symbol in (0, 1), distinct values)."""
    expanded = TABLE.expand_definitions(expr)
    point = {s: sp.Rational(i + 2, 2 * i + 5) for i, s in
             enumerate(sorted(expanded.free_symbols, key=str))}
    value = sp.nsimplify(expanded.xreplace(point))
    return value.is_number and value != 0


def test_tweedie_matches_bayes_for_gaussian_data():
    """E[x_0 | x_t] by Bayes' rule for x_0 ~ N(m, s^2) equals Tweedie's formula with the exact
    score of that model: the relation the Tweedie reading uses is not typed in unchecked."""
    exact = tweedie_x0(F.gaussian_data_score())
    assert sp.simplify(exact - F.gaussian_data_posterior_mean()) == 0
    assert _zero(tweedie_noise(TABLE["eps_0"]) + sp.sqrt(1 - abar_t) * score)


def test_parametrizations_agree_on_consistent_predictions():
    """mu_theta through xhat, epshat and s_theta coincide when the predictions are the Tweedie
    estimates of one score s_theta (Luo Eqs. 95, 125, 143 are one mean)."""
    by_kind = {p.kind: p for p in model_mean_parametrizations()}
    x0, noise, sc = by_kind["x0"], by_kind["noise"], by_kind["score"]
    assert _zero(x0.value.xreplace({x0.prediction: tweedie_x0(s_theta)}) - sc.value)
    assert _zero(noise.value.xreplace({noise.prediction: tweedie_noise(TABLE["eps_0"], s_theta)})
                 - sc.value)
    wrong = noise.value.xreplace({noise.prediction: s_theta}) - sc.value   # score where eps goes
    assert not _zero(wrong) and _nonzero_somewhere(wrong)


def test_conditional_mean_refuses_what_it_cannot_compute():
    for body, given in ((TABLE["x_0"] ** 2, TABLE["x_t"]), (TABLE["x_0"], TABLE["x_tm1"]),
                        (sp.Symbol("u") * TABLE["x_0"], TABLE["x_t"])):
        try:
            conditional_mean_given_xt(body, given)
        except ValueError:
            continue
        raise AssertionError(f"E[{body} | {given}] should be refused")


def _steps(text):
    (claim,) = check_file_text(text, options=OPTIONS)
    return claim, claim_report([claim])["claims"][0]["steps"]


def test_tweedie_chain_names_both_readings():
    claim, steps = _steps(r"\begin{align*}\mu_q &= " + MU_Q + r" \\ &= \frac{1}{\sqrt{\alpha_t}}x_t"
                          r" + \frac{1-\alpha_t}{\sqrt{\alpha_t}}\nabla\log p(x_t)\end{align*}")
    assert claim.status == "undecided" and steps[0]["status"] == "holds"
    readings = steps[1]["readings"]
    assert [r["status"] for r in readings] == ["fails", "holds"]
    assert readings[0]["reading"] == "pointwise" and "Tweedie" in readings[1]["reading"]
    assert "pointwise: fails at" in steps[1]["reason"] and "holds" in steps[1]["reason"]


def test_tweedie_sign_slip_fails_in_both_readings():
    claim, steps = _steps(r"\begin{align*}\mu_q &= " + MU_Q + r" \\ &= \frac{1}{\sqrt{\alpha_t}}x_t"
                          r" - \frac{1-\alpha_t}{\sqrt{\alpha_t}}\nabla\log p(x_t)\end{align*}")
    assert claim.status == "fails" and claim.first_failure().index == 2
    assert [r["status"] for r in steps[1]["readings"]] == ["fails", "fails"]


def test_mu_theta_relation_is_reported():
    claim, steps = _steps(r"$$\frac{1}{2\sigma_q^2(t)}\left\|\mu_\theta - \mu_q\right\|^2 = "
                          r"\frac{1}{2\sigma_q^2(t)}\frac{(1-\alpha_t)^2}{(1-\bar\alpha_t)\alpha_t}"
                          r"\left\|\hat\epsilon_\theta(x_t,t) - \epsilon_0\right\|^2$$")
    assert claim.status == "holds"
    assert any("mu_theta" in r and "Luo Eq. 125" in r for r in steps[0]["relations"])


def test_free_mu_theta_uses_no_parametrization():
    claim, steps = _steps(r"$$D_{\mathrm{KL}}(\mathcal{N}(\mu_q, \sigma_q^2(t)\mathbf{I}) \parallel "
                          r"\mathcal{N}(\mu_\theta, \sigma_q^2(t)\mathbf{I})) = "
                          r"\frac{1}{2\sigma_q^2(t)}\left\|\mu_q - \mu_\theta\right\|^2$$")
    assert claim.status == "holds"
    assert not any("mu_theta" in r for r in steps[0]["relations"])


def test_two_predictions_are_ambiguous():
    claim, steps = _steps(r"$$\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}x_t - "
                          r"\frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}\sqrt{\alpha_t}}"
                          r"\hat\epsilon_\theta(x_t, t) + (\hat{x}_\theta(x_t, t) - x_0)$$")
    assert claim.status == "undecided"
    readings = steps[0]["readings"]
    assert len(readings) == 2 and "Luo Eq. 95" in readings[0]["reading"]
    assert "Luo Eq. 125" in readings[1]["reading"] and "ambiguous" in steps[0]["reason"]


def test_unknown_function_values_keep_partial_derivatives_apart():
    from diffproof.proofs.claims.readings.definitions import generic_values
    x, y, t = sp.symbols("x y t", real=True)
    u, gamma = sp.Function("u", real=True), sp.Function("gamma", real=True)
    lhs, rhs, names, groups, *_ = generic_values(sp.diff(u(x, y), x, 2), sp.diff(u(x, y), x, y))
    assert lhs != rhs and len(set(names)) == 3           # u, u_xx, u_xy
    assert generic_values(sp.Subs(sp.diff(gamma(t), t), t, 2 * t), gamma(t)) is None
    lhs, rhs, _, groups, *_ = generic_values(sp.diff(gamma(t) ** 2, t), sp.diff(gamma(t), t))
    assert groups[rhs] == frozenset(lhs.free_symbols)             # one function, both sides
