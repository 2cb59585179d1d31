"""Log-densities under \\log and expectations of them (issue 15): \\log N(x; m, v) is
derive.gaussian.Normal.log_density, log(q/p) splits over densities, and E_q[...] of the result is
computed from the Gaussian's moments."""
import pytest
import sympy as sp

from diffproof.derive.gaussian import Normal
from diffproof.derive.latex.parser import name_key
from diffproof.derive.latex.tokens import UnsupportedLatexError
from diffproof.derive.notation_reader import new_context, parse_expression, parse_function_definition
from diffproof.derive.symbols import sigma, x

P = parse_expression
mu = P(r"\mu")


def _defined(*definitions):
    ctx = new_context()
    for text in definitions:
        key, fdef = parse_function_definition(text, ctx)
        ctx.functions[key] = fdef
    return ctx


def _function(ctx, latex: str):
    return ctx.functions[name_key(latex)]


def _zero(expr) -> bool:
    return sp.simplify(expr) == 0


def test_log_of_a_gaussian_density_is_its_log_density():
    expected = Normal(x, mu, sigma ** 2).log_density()
    assert _zero(P(r"\log \mathcal{N}(x; \mu, \sigma^2)") - expected)
    assert not P(r"\log \mathcal{N}(x; \mu, \sigma^2)").has(sp.exp)
    assert _zero(P(r"\log\left(2\mathcal{N}(x; \mu, \sigma^2)\right)") - expected - sp.log(2))


def test_a_log_that_does_not_split_keeps_the_density():
    density = Normal(x, 0, 1).density()
    assert P(r"\log(1 + \mathcal{N}(x; 0, 1))") == sp.log(1 + density)


def test_a_log_over_an_integral_of_a_density_is_not_expanded_wrongly():
    # the placeholder reading would integrate a constant: the two readings differ, the plain wins
    assert _zero(P(r"\log \int_{-\infty}^{\infty} \mathcal{N}(x; \mu, \sigma^2) dx"))


def test_an_expectation_inside_a_log_is_not_taken_of_a_placeholder():
    with pytest.raises(UnsupportedLatexError, match="polynomial"):
        P(r"\log \mathbb{E}_{y \sim \mathcal{N}(0, 1)}[\mathcal{N}(y; 0, 1)]")


def test_defined_gaussians_are_recorded_and_split_in_a_log_ratio():
    ctx = _defined(r"q(x) = \mathcal{N}(x; \mu_1, \sigma_1^2)", r"p(x) = \mathcal{N}(x; \mu_2, s)")
    m1, s1, m2, s = (P(n) for n in (r"\mu_1", r"\sigma_1", r"\mu_2", "s"))
    assert _function(ctx, "q").normal == Normal(x, m1, s1 ** 2)
    ratio = P(r"\log \frac{q(x)}{p(x)}", context=ctx)
    assert _zero(ratio - Normal(x, m1, s1 ** 2).log_density() + Normal(x, m2, s).log_density())
    # applied elsewhere than its parameter: the density at that point
    assert _zero(P(r"\log q(y)", context=ctx) - Normal(x, m1, s1 ** 2).log_density(P("y")))


def test_a_definition_that_is_not_one_density_records_no_gaussian():
    ctx = _defined(r"f(x) = 2\mathcal{N}(x; 0, 1)")
    assert _function(ctx, "f").normal is None


@pytest.mark.parametrize("text", [
    r"-\mathbb{E}_{x \sim \mathcal{N}(\mu, \sigma^2)}[\log \mathcal{N}(x; \mu, \sigma^2)]",
    r"\mathbb{E}_{q}[-\log q(x)]", r"\mathbb{E}_{q(x)}[-\log q(x)]",
    r"\mathbb{E}_{x \sim q}[-\log q(x)]", r"-\mathbb{E}_{y \sim q(y)}[\log q(y)]",
])
def test_gaussian_entropy_in_its_spellings(text):
    ctx = _defined(r"q(x) = \mathcal{N}(x; \mu, \sigma^2)")
    assert _zero(P(text, context=ctx) - sp.log(2 * sp.pi * sp.E * sigma ** 2) / 2)


def test_cross_entropy_and_kl_as_expectations():
    m1, s1, m2, s2 = (P(n) for n in (r"\mu_1", r"\sigma_1", r"\mu_2", r"\sigma_2"))
    cross = P(r"-\mathbb{E}_{x\sim\mathcal{N}(\mu_1,\sigma_1^2)}[\log\mathcal{N}(x;\mu_2,\sigma_2^2)]")
    assert _zero(cross - sp.log(2 * sp.pi * s2 ** 2) / 2 - (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2))
    ctx = _defined(r"q(x) = \mathcal{N}(x; \mu_1, \sigma_1^2)",
                   r"p(x) = \mathcal{N}(x; \mu_2, \sigma_2^2)")
    kl = P(r"\mathbb{E}_{q}\left[\log \frac{q(x)}{p(x)}\right]", context=ctx)
    closed = (sp.log(s2 ** 2) - sp.log(s1 ** 2) - 1 + s1 ** 2 / s2 ** 2 + (m2 - m1) ** 2 / s2 ** 2) / 2
    assert _zero(sp.expand_log(kl - closed))


def test_an_unsupported_integrand_says_what_would_decide_it():
    with pytest.raises(UnsupportedLatexError, match="write the integrand"):
        P(r"\mathbb{E}_{x\sim\mathcal{N}(0,1)}[\log(1 + x^2)]")


def test_undecided_subscripts_say_what_would_decide_them():
    ctx = _defined(r"q(x) = 2\mathcal{N}(x; 0, 1)")
    with pytest.raises(UnsupportedLatexError, match="not defined as one Gaussian density"):
        P(r"\mathbb{E}_{q}[x]", context=ctx)
    with pytest.raises(UnsupportedLatexError, match="define the density"):
        P(r"\mathbb{E}_{p}[x]")
