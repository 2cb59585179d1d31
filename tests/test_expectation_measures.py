"""Every expectation carries its full measure q(A | B): its variables AND its conditions.

The rules (derive/logdensity/) combine an inner expectation with the outer measure only by the
tower property E_{q(S|x_0)}[E_{q(A|B)}[f]] = E_{q(S,A|x_0)}[f], when q(A|B) = q(A|S, x_0) (the
Markov property of the forward chain); the exact evaluator (numeric/elbo_exact.py) integrates
against the stated conditional and leaves a function of the conditions that are free.
Regressions: E_{q(x_2|x_1)}[log q(x_2|x_0)] is not E_{q(x_2|x_0)}[log q(x_2|x_0)], and Luo 2022
Eq. 45 (erratum luo45-consistency-kl) fails with the KL written as an inner expectation too.
"""
from functools import partial

import pytest
import sympy as sp

from diffproof.derive import logdensity as L
from diffproof.derive.derivation import Derivation
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.derive.logdensity import E, ISum, Log, Ratio, RuleGap, Var, equal_by_rules, lin
from diffproof.numeric.elbo_exact import ClosedFormCheck, evaluator
from diffproof.proofs.catalog import elbo as C
from diffproof.proofs.checker import Options, check_derivation

t, T = L.t, L.T
x = lambda i: Var("x", i)  # noqa: E731
q = lambda out, *given: L.Density("q", (out,), tuple(given), "q")  # noqa: E731
q2 = lambda a, b, *given: L.Density("q", (a, b), tuple(given), "q")  # noqa: E731
q3 = lambda a, b, c, *given: L.Density("q", (a, b, c), tuple(given), "q")  # noqa: E731
p_th = lambda out, given: L.Density("p", (out,), (given,), r"p_\theta")  # noqa: E731


def _layers(lhs, rhs, **kwargs):
    return L.RulesCheck(lhs, rhs).run(0), ClosedFormCheck(lhs, rhs, Ts=(2, 3), **kwargs).run(0)


def test_measure_conditioned_on_x1_is_not_the_marginal_given_x0():
    lhs = E(q(x(2), x(1)), Log(q(x(2), x(0))))
    rhs = E(q(x(2), x(0)), Log(q(x(2), x(0))))
    with pytest.raises(RuleGap, match="conditions on x at 1"):
        equal_by_rules(lhs, rhs)
    rules, closed = _layers(lhs, rhs)
    assert rules.status == "undecided"
    assert closed.status == FAILS and "X1" in closed.counterexample["at"]
    ev = evaluator(2, 0)
    left, right = ev.value(lhs), ev.value(rhs)
    assert left.has(ev.X[1]) and not right.has(ev.X[1])     # a function of x_1 on the left only
    assert sp.expand(left.subs(ev.X[1], ev.X[0] * sp.Rational(1, 3)) - right) != 0


def test_a_true_identity_with_a_free_condition_holds_in_closed_form():
    # Markov (Luo Eq. 46): q(x_2|x_1, x_0) = q(x_2|x_1), so both sides are the same function of x_1
    lhs = E(q(x(2), x(1)), Log(q(x(2), x(1))))
    rhs = E(q(x(2), x(1)), Log(q(x(2), x(1), x(0))))
    assert ClosedFormCheck(lhs, rhs, Ts=(2, 3)).run(0).status == HOLDS


def _luo45(consistency):
    return lin((1, C.RECON), (-1, C.PRIOR_FIRST), (-1, ISum(consistency, 1, T - 1)))


INNER_45 = E(q2(x(t - 1), x(t + 1), x(0)),
             E(q(x(t), x(t - 1)), Log(Ratio(q(x(t), x(t - 1)), p_th(x(t), x(t + 1))))))


def test_luo45_with_the_kl_as_an_inner_expectation_fails_like_the_kl_form():
    with pytest.raises(RuleGap, match="side condition fails"):
        equal_by_rules(C.F44, _luo45(INNER_45))
    rules, closed = _layers(C.F44, _luo45(INNER_45))
    assert rules.status == "undecided" and closed.status == FAILS
    assert abs(closed.counterexample["difference"]) > 1e-3
    # the inner expectation is the KL: both forms are the same (wrong) line
    both = ClosedFormCheck(_luo45(INNER_45), C.F45_SEED, Ts=(2, 3)).run(0)
    assert both.status == HOLDS
    make = partial(Derivation, "luo45-inner-claim", "Luo Eq. 45, the KL as an inner expectation",
                   expect_fail=True)
    claim = C.chain(make, C.F44, [(_luo45(INNER_45), "Definition of KL Divergence (as written)",
                                   C.f_cite(12, "45"), {})])
    step = check_derivation(claim, options=Options(max_examples=20)).steps[0]
    assert step.verdict.status == FAILS and step.verdict.method == "closed-form"


def test_tower_rule_with_the_markov_property():
    ratio = lambda k: Log(Ratio(p_th(x(k - 1), x(k)), q(x(k), x(k - 1))))  # noqa: E731
    nested = lambda k: E(q(x(k - 1), x(0)), E(q(x(k), x(k - 1)), ratio(k)))  # noqa: E731
    joint = lambda k: E(q2(x(k - 1), x(k), x(0)), ratio(k))  # noqa: E731
    result = equal_by_rules(ISum(nested(t), 2, T), ISum(joint(t), 2, T))
    assert result.equal and {"tower", "markov"} <= set(result.rules) <= set(L.RULES)
    assert ClosedFormCheck(nested(2), joint(2), Ts=(2, 3)).run(0).status == HOLDS
    # x_t given x_{t-1} and x_{t+1}: both neighbours are needed, and then the tower rule applies
    f = lambda k: Log(Ratio(p_th(x(k), x(k + 1)), q(x(k), x(k - 1))))  # noqa: E731
    bridged = lambda k: E(q2(x(k - 1), x(k + 1), x(0)), E(q(x(k), x(k - 1), x(k + 1)), f(k)))  # noqa: E731
    triple = lambda k: E(q3(x(k - 1), x(k), x(k + 1), x(0)), f(k))  # noqa: E731
    assert equal_by_rules(ISum(bridged(t), 1, T - 1), ISum(triple(t), 1, T - 1)).equal
    assert ClosedFormCheck(bridged(2), triple(2), Ts=(3, 4)).run(0).status == HOLDS


def test_inner_measure_must_be_the_forward_conditional():
    f = Log(p_th(x(2), x(3)))
    with pytest.raises(RuleGap, match="conditions on x at 2"):          # x_2 is not integrated
        equal_by_rules(E(q(x(1), x(0)), E(q(x(3), x(2)), f)), E(q2(x(2), x(3), x(0)), f))
    with pytest.raises(RuleGap, match="side condition fails"):          # x_2 depends on x_3 too
        equal_by_rules(E(q2(x(1), x(3), x(0)), E(q(x(2), x(1)), Log(p_th(x(1), x(2))))),
                       E(q3(x(1), x(2), x(3), x(0)), Log(p_th(x(1), x(2)))))
    with pytest.raises(RuleGap, match="identity of log-densities"):
        equal_by_rules(E(q(x(1), x(0)), Log(q(x(1), x(0)))), lin(), pointwise=True)


def test_encoder_conditional_without_x0_must_not_depend_on_x0():
    backwards = E(q(x(1), x(2)), Log(q(x(1), x(0))))      # q(x_1|x_2) needs a law of x_0
    verdict = ClosedFormCheck(backwards, backwards, Ts=(2,)).run(0)
    assert verdict.status == "undecided" and "depends on x_0" in verdict.reason


def test_index_signs_are_not_decided_at_the_smallest_T_only():
    from diffproof.derive.logdensity import rules as R

    ctx = R.RuleContext(L.VDM, set(), None, (sp.Integer(1), T - 1))
    assert R._sign(t - 1, ctx) == R.NONNEG          # 0 at t = 1, positive later: not "equal"
    assert R._sign(T - 5, R.RuleContext(L.VDM, set())) is None     # negative at T = 2 only
    assert R._sign(T - 1, R.RuleContext(L.VDM, set())) == 1
