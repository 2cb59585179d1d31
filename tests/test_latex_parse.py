"""The LaTeX reader: names resolve to the table's symbols, the grammar covers the papers' notation,
the vocabulary is the computed one, and bad or ambiguous input gets a positioned error."""
import pytest
import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.latex.tokens import AmbiguousLatexError, LatexParseError, UnsupportedLatexError
from diffproof.derive.notation_reader import (new_context, parse_expression, parse_function_definition,
                                    parse_relation)
from diffproof.derive.symbols import (TABLE, abar_t, abar_tm1, alpha_t, beta_t, betatilde_t, dt, eps_0,
                            epshat, score, sigma, sigma_max, sigma_min, t, x, x_0, x_t, x_tm1, xhat)

P = parse_expression


@pytest.mark.parametrize("text, symbol", [
    (r"\bar{\alpha}_{t-1}", abar_tm1), (r"\bar\alpha_{t-1}", abar_tm1),
    (r"\overline{\alpha}_{t-1}", abar_tm1), (r"\bar{\alpha_{t-1}}", abar_tm1),
    (r"\bar{\alpha}_{t - 1}", abar_tm1), (r"\bar\alpha_t", abar_t), (r"\alpha_t", alpha_t),
    (r"\beta_t", beta_t), (r"\tilde{\beta}_t", betatilde_t), (r"\tilde\beta_{t}", betatilde_t),
    (r"x_t", x_t), (r"\mathbf{x}_t", x_t), (r"\boldsymbol{x}_t", x_t), (r"\boldsymbol{x_t}", x_t),
    (r"\mathbf{x}_{t-1}", x_tm1), (r"x", x), (r"\epsilon_0", eps_0), (r"\varepsilon_0", eps_0),
    (r"\boldsymbol{\epsilon}_0", eps_0), (r"\sigma_{\min}", sigma_min), (r"\sigma_\max", sigma_max),
    (r"\sigma_{\mathrm{min}}", sigma_min), (r"\Delta t", dt), (r"\sigma", sigma),
    (r"\hat{\boldsymbol{x}}_\theta(\boldsymbol{x}_t, t)", xhat), (r"\hat{x}_\theta", xhat),
    (r"\hat{\epsilon}_\theta(x_t, t)", epshat), (r"\nabla_{x_t} \log p(x_t)", score),
    (r"\nabla \log p(\mathbf{x}_t)", score),
])
def test_names_are_the_tables_symbols(text, symbol):
    assert P(text) is symbol


def test_bar_alpha_is_one_symbol_not_a_product():
    expr = P(r"\sqrt{\bar\alpha_{t-1}}(1-\alpha_t)")
    assert expr.free_symbols == {abar_tm1, alpha_t}


@pytest.mark.parametrize("text, expected", [
    (r"\frac{1}{2}", sp.Rational(1, 2)), (r"\frac12", sp.Rational(1, 2)), (r"x^23", 3 * x ** 2),
    (r"\sqrt[3]{8}", 2), (r"2 \cdot 3", 6), (r"2 \times 3", 6), (r"e^{x}", sp.exp(x)),
    (r"\exp\left(-\frac{x^2}{2}\right)", sp.exp(-x ** 2 / 2)), (r"\ln x", sp.log(x)),
    (r"\log(x)", sp.log(x)), (r"|x - 1|", sp.Abs(x - 1)), (r"\left| x \right|", sp.Abs(x)),
    (r"\min(x, 1)", sp.Min(x, 1)), (r"\max\left(x, 1\right)", sp.Max(x, 1)),
    (r"-x^2", -x ** 2), (r"2x_t x_0", 2 * x_t * x_0), (r"\pi", sp.pi), (r"\mathbf{I}", 1),
    (r"\sigma^2_t", sp.Symbol("sigma_t", real=True) ** 2), (r"{x}^{2}", x ** 2),
    (r"\frac{d}{dt} t^3", 3 * t ** 2), (r"\frac{d^2}{dt^2} t^3", 6 * t),
    (r"\frac{\partial}{\partial x} x^2 x_0", 2 * x * x_0), (r"\frac{\partial x^2}{\partial x}", 2 * x),
    (r"\nabla_{x} x^2", 2 * x), (r"\int_0^1 u^2 \, du", sp.Rational(1, 3)),
    (r"\int_{0}^{1} 2\xi \,\mathrm{d}\xi", 1), (r"\sum_{i=1}^{3} i^2", 14),
    (r"\prod_{k=1}^{4} k", 24), (r"\binom{4}{2}", 6), (r"3!", 6),
])
def test_grammar(text, expected):
    value = P(text).doit()
    assert sp.simplify(value - expected) == 0


def test_gaussian_density_is_the_normal_density():
    mu, v = sp.symbols("mu v", real=True)
    expr = P(r"\mathcal{N}(x; \mu, \sigma^2)")
    expected = sp.exp(-(x - TABLE["mu"]) ** 2 / (2 * sigma ** 2)) / sp.sqrt(2 * sp.pi * sigma ** 2)
    assert sp.simplify(expr - expected) == 0
    total = P(r"\int_{-\infty}^{\infty} \mathcal{N}(x; \mu, \sigma^2) \, dx").doit()
    assert sp.simplify(total) == 1


def test_vocabulary_is_the_computed_posterior():
    assert sp.simplify(P(r"\mu_q(x_t, x_0)") - F.posterior_mean()) == 0
    assert sp.simplify(P(r"\tilde{\mu}_t(\mathbf{x}_t, \mathbf{x}_0)") - F.posterior_mean()) == 0
    assert sp.simplify(P(r"\Sigma_q(t)") - F.posterior_variance()) == 0
    assert sp.simplify(P(r"\sigma_q^2(t)") - F.posterior_variance()) == 0
    assert sp.simplify(P(r"\mathrm{SNR}(t)") - F.snr(abar_t)) == 0
    assert sp.simplify(P(r"\text{SNR}(t-1)") - F.snr(abar_tm1)) == 0
    assert sp.simplify(P(r"\nabla_{x_t}\log q(x_t \mid x_0)") - F.conditional_score()) == 0
    # the arguments are substituted
    swapped = P(r"\mu_q(x_0, x_t)")
    assert sp.simplify(swapped - F.posterior_mean().xreplace({x_t: x_0, x_0: x_t}, )) == 0
    # the table definition of tilde beta equals the computed posterior variance
    expanded = TABLE.expand_definitions(P(r"\tilde\beta_t") - P(r"\Sigma_q(t)"))
    assert sp.simplify(expanded) == 0


def test_vocabulary_refuses_unknown_times():
    with pytest.raises(LatexParseError, match="t or t-1"):
        P(r"\mathrm{SNR}(s)")


def test_user_functions_are_applications():
    ctx = new_context(TABLE)
    key, fdef = parse_function_definition(
        r"\sigma(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{t}", ctx)
    ctx.functions[key] = fdef
    value = parse_expression(r"\sigma(1)", context=ctx)
    assert sp.simplify(value - sigma_max) == 0
    derivative = parse_expression(r"\frac{d}{dt}\sigma(t)", context=ctx)
    assert sp.simplify(derivative - fdef.body * sp.log(sigma_max / sigma_min)) == 0
    prime = parse_expression(r"\sigma'(t)", context=ctx)
    assert sp.simplify(prime - derivative) == 0


def test_relations_and_chains():
    rel = parse_relation(r"a = b \le c")
    assert rel.ops == ["=", "<="] and len(rel.terms) == 3
    assert parse_relation(r"x \propto y").op == "propto"
    assert parse_relation(r"x \geq y").op == ">="
    assert parse_relation(r"x >= y").op == ">="


@pytest.mark.parametrize("text, where", [
    (r"\sigma(t)", 0), (r"\log 2\pi\sigma^2", 6), (r"a/b c", 1), (r"\frac{dx}{dt}", 7),
    (r"x \pm 1", 2),
])
def test_ambiguous_input_names_both_readings(text, where):
    with pytest.raises(AmbiguousLatexError) as info:
        P(text)
    assert info.value.position == where
    assert " or " in info.value.message


@pytest.mark.parametrize("text", [r"\mathbb{E}[x]", r"\int x \, dx", r"\mathcal{N}(0, 1)",
                                  r"\lim_{t} x", r"2^{10^{9}}", r"\sum_{i=1}^{10^9} i"])
def test_unsupported_input_is_refused_clearly(text):
    with pytest.raises(UnsupportedLatexError):
        P(text)


@pytest.mark.parametrize("text, position", [
    (r"x +", 3), (r"\frac{1}{", 9), (r"(x", 2), (r"x )", 2), ("x @ y", 2), (r"\sqrt", 5),
    ("", 0), (r"\foo x", 0),
])
def test_unparsable_input_has_a_position(text, position):
    with pytest.raises(LatexParseError) as info:
        P(text)
    assert info.value.position == position
    assert "at character" in str(info.value) or not text


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(LatexParseError, match="nesting"):
        P("(" * 500 + "x" + ")" * 500)


def _display_only(expr) -> bool:
    """Display-only objects of other modules (their own _latex), not formulas."""
    return any(type(node).__module__.split(".")[0] not in ("sympy",)
               for node in sp.preorder_traversal(expr) if not isinstance(node, sp.Symbol))


def test_catalog_formulas_round_trip_through_to_latex():
    """derive.latex.printer.to_latex output of every catalog expression parses back to the same value
    (compared at a random admissible point, exactly)."""
    from diffproof.proofs import catalog

    rng_point = {}
    checked = 0
    for derivation in catalog.derivations():
        for _, lhs, step in derivation.links():
            for expr in (lhs, step.expr):
                if expr is None or not step.symbolic or _display_only(expr):
                    continue
                parsed = parse_expression(to_latex(expr))
                difference = (parsed - expr)
                if difference == 0:
                    checked += 1
                    continue
                free = sorted(difference.free_symbols, key=lambda s: s.name)
                named = sorted(expr.free_symbols | difference.free_symbols, key=lambda s: s.name)
                for s in named:            # distinct values by name, inside each symbol's domain
                    domain = TABLE.domain(s)
                    k = len(rng_point)
                    bounded = domain.hi is not None
                    rng_point.setdefault(s.name, sp.Rational(1, k + 3) if bounded
                                         else sp.Rational(7 * k + 17, 7))
                # symbols outside the table are new real symbols with the same name
                value = difference.doit().xreplace({s: rng_point[s.name] for s in free})
                if not value.is_number:       # undefined functions: compare structurally
                    assert sp.simplify(value) == 0, to_latex(expr)
                else:   # relative to the size of the value (exp(900) - exp(900) is 0 to 30 digits)
                    scale = 1 + abs(complex(sp.N(expr.doit().xreplace(
                        {s: rng_point[s.name] for s in expr.free_symbols}), 60)))
                    tolerance = 1e-12 if expr.has(sp.Float) else 1e-20   # Monte Carlo decimals
                    assert abs(complex(sp.N(value, 60))) <= tolerance * scale, to_latex(expr)
                checked += 1
    assert checked > 50


def test_model_predictions_and_words():
    assert P(r"\boldsymbol{\epsilon}_\theta(\mathbf{x}_t, t)") is epshat
    assert P(r"\epsilon_\theta") is epshat
    other = P(r"\epsilon_\theta(x_{t-1}, t)")       # another argument: not the table's value
    assert other != epshat and isinstance(other, sp.core.function.AppliedUndef)
    assert isinstance(P(r"\mathrm{Var}(x)"), sp.core.function.AppliedUndef)
    assert P(r"\|x\|_2^2") == sp.Abs(x) ** 2


def test_kl_and_densities_are_computed():
    from diffproof.derive.gaussian import Normal, kl_divergence

    kl = P(r"D_{\mathrm{KL}}(\mathcal{N}(\mu_1, v_1) \parallel \mathcal{N}(\mu_2, v_2))")
    d = sp.Dummy("x", real=True)
    expected = kl_divergence(Normal(d, TABLE["mu_1"], TABLE["v_1"]),
                             Normal(d, TABLE["mu_2"], TABLE["v_2"]))
    assert sp.simplify(kl - expected) == 0
    assert sp.simplify(P(r"q(\mathbf{x}_t \mid \mathbf{x}_{t-1})") - F.forward_step().density()) == 0
    assert sp.simplify(P(r"q(x_{t-1} | x_0, x_t)") - F.posterior().density()) == 0
    # an unknown conditional stays an (opaque) function
    assert isinstance(P(r"q(x_0 | x_t)"), sp.core.function.AppliedUndef)


def test_gaussian_expectations_are_moments():
    assert P(r"\mathbb{E}_{\epsilon\sim\mathcal{N}(0,1)}[\epsilon^2]") == 1
    assert sp.simplify(P(r"\mathbb{E}_{x \sim \mathcal{N}(\mu, \sigma^2)}\left[(x-\mu)^2\right]")
                       - sigma ** 2) == 0
    second = P(r"\mathbb{E}_{x_t \sim q(x_t \mid x_0)}[x_t^2]")
    assert sp.expand(second - (abar_t * x_0 ** 2 + 1 - abar_t)) == 0
    with pytest.raises(UnsupportedLatexError, match="polynomial"):
        P(r"\mathbb{E}_{x\sim\mathcal{N}(0,1)}[\exp(x)]")


def test_transpose_and_old_style_differentials():
    assert P(r"\mathbf{x}_{t-1}^\top \mathbf{x}_{t-1}") == x_tm1 ** 2
    assert P(r"\int_0^1 u\,{\rm d}u").doit() == sp.Rational(1, 2)


def _with(definition: str):
    ctx = new_context(TABLE)
    key, fdef = parse_function_definition(definition, ctx)
    ctx.functions[key] = fdef
    return ctx


@pytest.mark.parametrize("text", [
    r"\dot{\sigma}(t)", r"\dot\sigma(t)", r"\sigma'(t)", r"\frac{d\sigma}{dt}",
    r"\frac{d}{dt}\sigma(t)", r"\frac{\mathrm{d}\sigma(t)}{\mathrm{d}t}", r"\partial_t \sigma(t)",
    r"\partial_{t} \sigma(t)", r"\frac{\partial}{\partial t}\sigma(t)",
    r"\frac{\partial \sigma}{\partial t}",
])
def test_time_derivative_spellings_of_a_defined_function(text):
    ctx = _with(r"\sigma(t) = t^3")
    assert sp.expand(parse_expression(text, context=ctx) - 3 * t ** 2) == 0


def test_second_time_derivatives():
    ctx = _with(r"\sigma(t) = t^3")
    for text in (r"\ddot\sigma(t)", r"\sigma''(t)", r"\partial_t^2 \sigma(t)",
                 r"\frac{d^2}{dt^2}\sigma(t)"):
        assert sp.expand(parse_expression(text, context=ctx) - 6 * t) == 0


def test_derivatives_of_unknown_functions_are_sympy_derivatives():
    gamma = sp.Function("gamma", real=True)
    assert P(r"\gamma'(t)") == sp.Derivative(gamma(t), t)
    assert P(r"\dot\gamma(t)") == sp.Derivative(gamma(t), t)
    assert P(r"\frac{d}{dt}(\gamma(t)^2)") == 2 * gamma(t) * sp.Derivative(gamma(t), t)
    assert P(r"\gamma(t) + \frac{d\gamma}{dt}") == gamma(t) + sp.Derivative(gamma(t), t)
    assert isinstance(P(r"\gamma'(2t)"), sp.Subs)


@pytest.mark.parametrize("text, function, args", [
    (r"\lambda(\sigma)", "lambda", (sigma,)), (r"c_{\mathrm{mid}}(\sigma)", "c_mid", (sigma,)),
    (r"\gamma(t)", "gamma", (t,)), (r"D(\mathbf{x}; \sigma)", "D", (x, sigma)),
    (r"F_\theta(x, \sigma)", "F_theta", (x, sigma)),
    (r"u_t(\mathbf{x} \mid \mathbf{x}_1)", "u_t", (x, sp.Symbol("x_1", real=True))),
    (r"u_t(x | x_1)", "u_t", (x, sp.Symbol("x_1", real=True))),
    (r"p_t(x \mid x_1)", "p_t", (x, sp.Symbol("x_1", real=True))),
])
def test_undefined_names_applied_to_one_name_or_a_list_are_functions(text, function, args):
    value = P(text)
    assert value.func.__name__ == function and value.args == args


@pytest.mark.parametrize("text", [r"\sigma(t)", r"\gamma \cdot 2 + \gamma(t)", r"a(b)"])
def test_a_value_before_a_parenthesis_stays_ambiguous(text):
    with pytest.raises(AmbiguousLatexError) as info:
        P(text)
    assert "% assume:" in info.value.message


def test_a_value_times_a_parenthesised_expression_is_a_product():
    assert P(r"\sigma(t+1)") == sigma * (t + 1)
    assert P(r"\alpha_t(x_0 + 1)") == alpha_t * (x_0 + 1)


@pytest.mark.parametrize("text, words", [
    (r"\gamma'", ["derivative", r"\gamma'(t)", "% assume:"]),
    (r"\partial x", [r"\partial_t"]),
    (r"\frac{d\gamma}{dt}", [r"\frac{d}{dt}\gamma(t)", "% assume:"]),
])
def test_derivative_refusals_name_the_spelling_that_works(text, words):
    with pytest.raises(LatexParseError) as info:
        P(text)
    assert all(word in info.value.message for word in words)


def test_a_name_also_used_alone_is_ambiguous_when_applied():
    with pytest.raises(AmbiguousLatexError) as info:
        P(r"\kappa(x) + \kappa x")
    assert r"% assume: \kappa(x) = ..." in info.value.message
    gamma = sp.Function("gamma", real=True)
    # d\gamma in the numerator of d/dt is the function, not gamma standing alone
    assert P(r"\gamma(t) + \frac{d\gamma}{dt}") == gamma(t) + sp.Derivative(gamma(t), t)


def test_conditioning_bars_and_dotted_names_make_applications():
    x_fn = sp.Function("x", real=True)
    assert P(r"\dot{x}(t) + x(t)") == sp.Derivative(x_fn(t), t) + x_fn(t)
    assert P(r"\epsilon_\theta(x_t | y)").func.__name__ == "epsilon_theta"
    assert P(r"\sigma(|x|)") == sigma * sp.Abs(x)                # two bars: an absolute value


@pytest.mark.parametrize("latex", [r"\frac{d}{dt}\sigma(t)\cdot\sigma(t)", r"\frac{d}{dt}\sigma(t)\sigma(t)",
                                   r"\partial_t \gamma(t) \gamma(t)", r"\frac{d}{dt} 2\sigma(t)\sigma(t)",
                                   r"\frac{d}{dt}e^{-\gamma(t)}\left(\frac{z}{\sqrt{e^{-\gamma(t)}}}\right)^2"])
def test_a_derivative_before_a_product_that_varies_is_ambiguous(latex):
    """EDM's -\\dot\\sigma(t)\\sigma(t) typed as -\\frac{d}{dt}\\sigma(t)\\cdot\\sigma(t) was read as
    d(sigma^2)/dt and a true claim was refuted; both readings are plausible, so it is refused."""
    from diffproof.proofs.claims.assumptions import read_assumptions
    context = read_assumptions([r"\sigma(t) = t", r"\gamma(t) = t^2"]).context
    with pytest.raises(LatexParseError, match="ambiguous derivative of a product"):
        parse_expression(latex, context=context)


@pytest.mark.parametrize("latex, value", [(r"\frac{d}{dt} 2t", 2), (r"\frac{d}{dt} t^2 a", 30),
                                          (r"\frac{d}{dt}\left(t \cdot t\right)", 6),
                                          (r"\left(\frac{d}{dt} t^2\right) t", 18)])
def test_a_derivative_whose_readings_agree_is_read(latex, value):
    """A number before the product, or factors that do not vary with t: one reading (at t = 3,
    a = 5)."""
    expr = parse_expression(latex)
    point = {s: {"t": 3, "a": 5}[s.name] for s in expr.free_symbols}
    assert expr.subs(point) == value
