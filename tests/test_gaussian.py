"""The Gaussian algebra against closed forms computed independently (integrals, known moments)."""
import sympy as sp
import pytest

from diffproof.derive.gaussian import (NotGaussian, Normal, complete_the_square, condition, kl_divergence,
                             linear_coefficients, marginalize, sum_of_independent)
from diffproof.derive.symbols import a, b, mu, mu_1, mu_2, v, v_1, v_2, x, z

y = sp.Symbol("y", real=True)


def _integral(expr, var):
    return sp.simplify(sp.integrate(expr, (var, -sp.oo, sp.oo), conds="none"))


def test_density_integrates_to_one_and_moments_match_integrals():
    n = Normal(x, mu, v)
    assert sp.simplify(_integral(n.density(), x) - 1) == 0
    for k in range(5):
        by_integral = _integral(x ** k * n.density(), x)
        assert sp.simplify(n.moment(k) - by_integral) == 0, k


def test_expect_of_polynomial_uses_moments():
    n = Normal(x, mu, v)
    assert sp.expand(n.expect(3 * x ** 2 - 2 * x + 5) - (3 * (v + mu ** 2) - 2 * mu + 5)) == 0
    assert sp.expand(n.expect((x - mu) ** 4) - 3 * v ** 2) == 0


def test_expect_rejects_non_polynomial():
    with pytest.raises(NotGaussian):
        Normal(x, mu, v).expect(sp.exp(x))


def test_complete_the_square_recovers_mean_and_variance():
    n, rest = complete_the_square(-(x - 3) ** 2 / 8 + 7, x)
    assert n.mean == 3 and n.variance == 4
    assert sp.simplify(rest - (7 + sp.log(2 * sp.pi * 4) / 2)) == 0
    with pytest.raises(NotGaussian):
        complete_the_square(x ** 3, x)
    with pytest.raises(NotGaussian):
        complete_the_square(2 * x + 1, x)


def test_product_of_gaussians_matches_bayes_by_integration():
    prior = Normal(x, mu, v_1)
    likelihood = Normal(y, a * x + b, v_2)
    posterior = condition(prior, likelihood)
    joint = prior.density() * likelihood.density()
    evidence = marginalize(prior, likelihood)
    # the normalized product equals joint / evidence pointwise (checked at a rational point)
    point = {x: sp.Rational(1, 3), y: sp.Rational(-1, 2), mu: 1, v_1: 2, v_2: sp.Rational(1, 2),
             a: sp.Rational(3, 2), b: sp.Rational(1, 4)}
    lhs = posterior.density().subs(point)
    rhs = (joint / evidence.density()).subs(point)
    assert abs(sp.N(lhs - rhs, 40)) < 1e-35


def test_marginal_of_linear_gaussian_by_integration():
    prior = Normal(x, mu, v_1)
    likelihood = Normal(y, a * x + b, v_2)
    evidence = marginalize(prior, likelihood)
    assert sp.simplify(evidence.mean - (a * mu + b)) == 0
    assert sp.simplify(evidence.variance - (a ** 2 * v_1 + v_2)) == 0
    numeric = {mu: 1, v_1: 2, v_2: 3, a: 2, b: -1}
    integral = sp.integrate((prior.density() * likelihood.density()).subs(numeric), (x, -sp.oo, sp.oo))
    at = {y: sp.Rational(1, 2)}
    assert abs(sp.N((integral - evidence.density().subs(numeric)).subs(at), 30)) < 1e-25


def test_sum_of_independent_is_the_convolution():
    """The density of x_1 + x_2 against the convolution integral, at a rational point."""
    values = {mu_1: sp.Rational(1, 2), mu_2: -1, v_1: 2, v_2: sp.Rational(3, 2)}
    total = sum_of_independent(Normal(x, mu_1, v_1), Normal(x, mu_2, v_2), z)
    first, second = Normal(x, mu_1, v_1).density(), Normal(x, mu_2, v_2).density()
    at = sp.Rational(1, 3)
    integrand = (first * second.xreplace({x: at - x})).subs(values)
    convolution = sp.Integral(integrand, (x, -sp.oo, sp.oo)).evalf(30)
    assert abs(convolution - sp.N(total.density().subs(values).xreplace({z: at}), 30)) < 1e-20


def test_affine_map_is_the_change_of_variables():
    """p_{a x + b}(z) = p_x((z - b) / a) / |a|, at rational points, for a of either sign."""
    source = Normal(x, mu, v)
    for scale in (sp.Rational(3, 2), sp.Rational(-2, 5)):
        values = {mu: sp.Rational(1, 4), v: 3, a: scale, b: -2}
        image = source.affine(a, b, z).density().subs(values)
        for at in (sp.Rational(-1, 2), sp.Integer(2)):
            expected = source.density().subs(values).xreplace({x: (at - values[b]) / scale}) \
                / abs(scale)
            assert abs(sp.N(image.xreplace({z: at}) - expected, 30)) < 1e-25


def test_kl_closed_form_against_integral():
    q, p = Normal(x, mu_1, v_1), Normal(x, mu_2, v_2)
    known = sp.log(sp.sqrt(v_2 / v_1)) + (v_1 + (mu_1 - mu_2) ** 2) / (2 * v_2) - sp.Rational(1, 2)
    assert sp.simplify(sp.expand_log(kl_divergence(q, p) - known, force=True)) == 0
    values = {mu_1: sp.Rational(1, 2), mu_2: -1, v_1: 2, v_2: sp.Rational(3, 2)}
    integrand = (q.density() * (q.log_density() - p.log_density())).subs(values)
    by_quadrature = sp.Integral(integrand, (x, -sp.oo, sp.oo)).evalf(30)
    assert abs(by_quadrature - sp.N(kl_divergence(q, p).subs(values), 30)) < 1e-20
    assert kl_divergence(q, q) == 0


def test_linear_coefficients_rejects_nonlinear():
    assert linear_coefficients(3 * x + 2, x) == (3, 2)
    with pytest.raises(NotGaussian):
        linear_coefficients(x ** 2, x)
