"""Exact closed forms on linear-Gaussian chains (numeric/elbo_exact.py; Luo 2022 Eqs. 5-58)."""
import pytest
import sympy as sp

from diffproof.derive import logdensity as L
from diffproof.derive.gaussian import Normal, kl_divergence, marginalize
from diffproof.numeric.elbo_exact import (ClosedFormCheck, ExactEvaluator, LinearGaussianChain, evaluator,
                                random_vdm, with_posterior_encoder)
from diffproof.numeric.elbo_mc import P_JOINT, P_T, Q_JOINT, SECOND, p_theta, q

x = lambda i: L.Var("x", i)  # noqa: E731
EVIDENCE = L.Log(L.Density("p", (x(0),), (), "p"))
ELBO = L.E(Q_JOINT, L.Log(L.Ratio(P_JOINT, Q_JOINT)))


def test_evidence_from_the_joint_matches_marginalize():
    """log p(x_0) by integrating the joint equals the chain of derive.gaussian.marginalize."""
    ev = evaluator(3, 5)
    law = Normal(ev.X[3], sp.Integer(0), sp.Integer(1))
    for k in (3, 2, 1):
        law = marginalize(law, ev.p_dec(k))
    expected = law.log_density().subs(ev.X[0], ev.chain.x0)
    assert abs(sp.N(ev.number(EVIDENCE) - expected, 30)) < 1e-25


def test_elbo_below_evidence_and_kl_nonnegative():
    for T in (2, 4):
        ev = evaluator(T, 1)
        assert sp.N(ev.number(EVIDENCE) - ev.number(ELBO)) > 0
        assert sp.N(ev.number(L.KL(q(x(T), x(0)), P_T))) > 0


def test_posterior_encoder_closes_the_gap():
    ev = ExactEvaluator(with_posterior_encoder(random_vdm(1, 3)), L.VAE)
    zero = ev.number(L.sub(L.Log(L.Density("p", (x(0),), (), "p")), ELBO))
    assert abs(sp.N(zero, 30)) < 1e-25
    other = ExactEvaluator(random_vdm(1, 3), L.VAE)
    assert abs(sp.N(other.number(L.sub(EVIDENCE, ELBO)))) > 1e-3   # a random encoder leaves a gap


def test_second_decomposition_equals_raw_elbo_and_its_sign_error_does_not():
    good = ClosedFormCheck(ELBO, L.E(Q_JOINT, SECOND), Ts=(2, 3)).run(0)
    assert good.status == "holds" and good.method == "closed-form"
    flipped = L.lin((1, L.Log(p_theta(x(0), x(1)))), (-1, L.KL(q(x(L.T), x(0)), P_T)),
                    (1, L.ISum(L.KL(q(x(L.t - 1), x(L.t), x(0)), p_theta(x(L.t - 1), x(L.t))), 2, L.T)))
    bad = ClosedFormCheck(ELBO, L.E(Q_JOINT, flipped), Ts=(2, 3)).run(0)
    assert bad.status == "fails"
    example = bad.counterexample
    assert example["T"] == 2 and example["lhs"] != example["rhs"] and "decoder (a, b, c)" in example


def test_kl_term_uses_the_gaussian_algebra():
    ev = evaluator(2, 0)
    kl = ev.value(L.KL(q(x(2), x(0)), P_T))
    normal = ev.normal_of(q(x(2), x(0)), {})
    expected = kl_divergence(normal, Normal(ev.X[2], sp.Integer(0), sp.Integer(1)))
    assert sp.simplify(kl - expected) == 0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="variance at step 1 must be positive"):
        LinearGaussianChain(1, sp.Integer(0), ((1, 0, -1),), ((1, 0, 1),))
    with pytest.raises(ValueError, match="positive integer"):
        LinearGaussianChain(0, sp.Integer(0), (), ())
    ev = evaluator(2, 0)
    with pytest.raises(ValueError, match="no expectation integrates"):
        ev.number(L.E(q(x(1), x(0)), L.Log(p_theta(x(1), x(2)))))   # x_2 is left free
    with pytest.raises(ValueError, match="outside any expectation"):
        ev.number(L.Log(p_theta(x(0), x(1))))
