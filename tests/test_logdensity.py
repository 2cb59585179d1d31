"""The log-density rules (derive/logdensity/): each rule carries a true identity and refuses a
planted wrong one (Luo 2022 Eqs. 5-58; seed 001)."""
import pytest
import sympy as sp

from diffproof.derive import logdensity as L
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.logdensity import (E, IProd, ISum, KL, Log, LogE, Prod, Ratio, RuleGap, Span, Var, add,
                               equal_by_rules, greater_by_rules, lin, sub)

t, T = L.t, L.T
x = lambda i: Var("x", i)  # noqa: E731
q = lambda out, *given: L.Density("q", (out,), tuple(given), "q")  # noqa: E731
dec = lambda k: L.Density("p", (x(k - 1),), (x(k),), r"p_\theta")  # noqa: E731
marg = lambda k: q(x(k), x(0))  # noqa: E731
post = lambda k: q(x(k - 1), x(k), x(0))  # noqa: E731
QJ = L.Density("q", (Span("x", 1, T),), (x(0),), "q")
PJ = L.Density("p", (Span("x", 0, T),), (), "p")
PT = L.Density("p", (x(T),), (), "p")


def test_log_of_product_and_quotient():
    lhs = E(QJ, Log(Ratio(Prod((dec(1), PT)), q(x(1), x(0)))))
    rhs = lin((1, E(QJ, Log(dec(1)))), (1, E(QJ, Log(PT))), (-1, E(QJ, Log(q(x(1), x(0))))))
    result = equal_by_rules(lhs, rhs)
    assert result.equal and "log-product" in result.rules
    wrong = add(E(QJ, Log(dec(1))), E(QJ, Log(PT)), E(QJ, Log(q(x(1), x(0)))))   # + instead of -
    assert not equal_by_rules(lhs, wrong).equal


def test_linearity_and_marginalization():
    lhs = E(QJ, add(Log(dec(1)), Log(PT)))
    rhs = add(E(q(x(1), x(0)), Log(dec(1))), E(marg(T), Log(PT)))
    result = equal_by_rules(lhs, rhs)
    assert result.equal and {"linearity", "marginalization"} <= set(result.rules)
    with pytest.raises(RuleGap, match="not integrated"):
        equal_by_rules(E(q(x(1), x(0)), Log(dec(2))), E(QJ, Log(dec(2))))   # x_2 is not integrated


def test_markov_and_bayes_pointwise():
    markov = L.RulesCheck(Log(q(x(t), x(t - 1))), Log(q(x(t), x(t - 1), x(0))), pointwise=True,
                          index_range=(2, T)).run(0)
    assert markov.status == "holds" and "markov" in markov.reason
    bayes = Ratio(Prod((post(t), marg(t))), marg(t - 1))
    good = equal_by_rules(Log(q(x(t), x(t - 1))), Log(bayes), pointwise=True, index_range=(2, T))
    assert good.equal and "bayes" in good.rules
    missing_division = Prod((post(t), marg(t)))
    assert not equal_by_rules(Log(q(x(t), x(t - 1))), Log(missing_division), pointwise=True,
                              index_range=(2, T)).equal
    with pytest.raises(RuleGap):   # two steps back is not a Markov factor
        equal_by_rules(Log(q(x(t), x(t - 2))), Log(q(x(t), x(t - 1))), pointwise=True,
                       index_range=(3, T))


def test_telescoping_sum_and_off_by_one():
    lhs = E(QJ, ISum(Log(Ratio(marg(t - 1), marg(t))), 2, T))
    rhs = E(QJ, Log(Ratio(marg(1), marg(T))))
    result = equal_by_rules(lhs, rhs)
    assert result.equal and {"telescoping", "reindex"} <= set(result.rules)
    shifted = E(QJ, ISum(Log(Ratio(marg(t - 1), marg(t))), 3, T))
    assert not equal_by_rules(shifted, rhs).equal


def test_factorizations_of_the_joints():
    lhs = E(QJ, Log(Ratio(PJ, QJ)))
    rhs = E(QJ, Log(Ratio(Prod((PT, IProd(dec(t), 1, T))), IProd(q(x(t), x(t - 1)), 1, T))))
    result = equal_by_rules(lhs, rhs)
    assert result.equal
    assert {"encoder-factorization", "generative-factorization"} <= set(result.rules)
    short = E(QJ, Log(Ratio(Prod((PT, IProd(dec(t), 2, T))), IProd(q(x(t), x(t - 1)), 1, T))))
    assert not equal_by_rules(lhs, short).equal                      # p_theta(x_0|x_1) dropped


def test_kl_definition_and_its_side_condition():
    kl = E(marg(t), KL(post(t), dec(t)))
    expanded = E(L.Density("q", (x(t), x(t - 1)), (x(0),), "q"), Log(Ratio(post(t), dec(t))))
    assert equal_by_rules(ISum(kl, 2, T), ISum(expanded, 2, T)).equal
    # Luo Eq. 45: x_t given (x_{t-1}, x_{t+1}) is not distributed as q(x_t | x_{t-1})
    luo45 = E(L.Density("q", (x(t - 1), x(t + 1)), (x(0),), "q"),
              KL(q(x(t), x(t - 1)), L.Density("p", (x(t),), (x(t + 1),), r"p_\theta")))
    with pytest.raises(RuleGap, match="kl-def side condition"):
        equal_by_rules(ISum(luo45, 1, T - 1), lin())
    verdict = L.RulesCheck(ISum(luo45, 1, T - 1), lin()).run(0)
    assert verdict.status == "undecided" and "side condition" in verdict.reason


def test_jensen_and_gibbs():
    lhs = LogE(QJ, Ratio(PJ, QJ))
    assert greater_by_rules(lhs, E(QJ, Log(Ratio(PJ, QJ)))).equal
    assert not L.jensen_applies(lhs, E(QJ, Log(Ratio(PT, QJ))))
    evidence = Log(L.Density("p", (x(0),), (), "p"))
    posterior = L.Density("p", (Span("x", 1, T),), (x(0),), "p")
    elbo = E(QJ, Log(Ratio(PJ, QJ)))
    result = greater_by_rules(evidence, elbo, witness=KL(QJ, posterior))
    assert result.equal and "gibbs" in result.rules
    wrong_witness = KL(q(x(T), x(0)), PT)
    assert not greater_by_rules(evidence, elbo, witness=wrong_witness).equal
    with pytest.raises(RuleGap):
        greater_by_rules(evidence, elbo)                              # no pattern, no witness


def test_vae_bayes_and_kl():
    xv, zv = Var("x"), Var("z")
    qz = L.Density("q", (zv,), (xv,), r"q_\phi")
    joint = L.Density("p", (xv, zv), (), "p")
    posterior = L.Density("p", (zv,), (xv,), "p")
    evidence = Log(L.Density("p", (xv,), (), "p"))
    rhs = add(E(qz, Log(Ratio(joint, qz))), KL(qz, posterior))
    assert equal_by_rules(evidence, rhs, L.VAE).equal
    assert not equal_by_rules(evidence, sub(E(qz, Log(Ratio(joint, qz))), KL(qz, posterior)),
                              L.VAE).equal


def test_display_renders_latex():
    expr = L.to_sympy(sub(E(q(x(1), x(0)), Log(dec(1))),
                          ISum(E(marg(t), KL(post(t), dec(t))), 2, T)))
    text = to_latex(expr)
    assert r"\mathbb{E}" in text and r"D_{\mathrm{KL}}" in text and r"\sum_{t=2}^{T}" in text
    assert r"\mid" in text


def test_rule_table_names_every_rule_used():
    used = set()
    for lhs, rhs in [(E(QJ, Log(Ratio(PJ, QJ))), E(QJ, Log(Ratio(Prod((PT, IProd(dec(t), 1, T))),
                                                                IProd(q(x(t), x(t - 1)), 1, T)))))]:
        used |= set(equal_by_rules(lhs, rhs).rules)
    assert used <= set(L.RULES)
    assert sp.Symbol("t", integer=True, positive=True) == t
