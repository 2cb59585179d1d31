"""The LaTeX printer: table names, applications, a person's fractions, fallbacks, round trip.

The round trip parses every printed formula of the catalog and of the formula sheet back with
the claim parser (derive.notation_reader) and asserts it equals the SymPy expression it came from.
Exact strings below pin layout only; each is paired with a parse-back check of its value.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.latex.context import NO_VOCABULARY, Context, FunctionDef
from diffproof.derive.latex.parser import name_key
from diffproof.derive.latex.printer import derivation_display, to_latex
from diffproof.derive.latex.text import estimate_width, text_escape
from diffproof.derive.notation_reader import parse_expression
from diffproof.derive.decide.zero import is_zero
from diffproof.derive.symbols import (TABLE, abar_t, abar_tm1, alpha_t, dt, score, sigma_max, sigma_min, t,
                            x_0, x_t, xhat)

def _parse(text, context=None):
    return parse_expression(text, TABLE, context) if context else parse_expression(text, TABLE)


def _equal(expr, back) -> bool:
    """Equal as functions.  A symbol outside the table comes back from the parser as a new real
    symbol of the same name (the parser cannot know its assumptions): it is matched by name."""
    expr = sp.sympify(expr)
    if expr.is_number and expr.has(sp.Float):     # a Monte Carlo estimate: printed in decimals
        return abs(complex(expr - back)) <= 1e-12 * (1 + abs(complex(expr)))
    by_name = {symbol.name: symbol for symbol in expr.free_symbols}
    back = back.xreplace({symbol: by_name[symbol.name] for symbol in back.free_symbols
                          if symbol.name in by_name and by_name[symbol.name] != symbol
                          and TABLE.spec(by_name[symbol.name]) is None})
    if expr == back:
        return True
    difference = expr - back
    if sp.expand(difference) == 0:              # the usual case: signs and order moved
        return True
    answer, _ = is_zero(difference, TABLE, budget=1.0)
    return answer is True


# -- names ----------------------------------------------------------------------------------------
def test_every_table_symbol_prints_with_its_table_name():
    for spec in TABLE:
        assert to_latex(spec.symbol) == spec.latex, spec.key


def test_table_name_wins_over_sympys_guess():
    # SymPy alone reads the name abar_t as a-with-a-bar; the table says alpha-bar
    assert sp.latex(abar_t) == r"\bar{a}_{t}"
    assert to_latex(abar_t) == r"\bar{\alpha}_t"
    assert to_latex(abar_tm1) == r"\bar{\alpha}_{t-1}"
    assert to_latex(sigma_min) == r"\sigma_{\min}"


def test_every_table_name_parses_back_to_the_same_symbol():
    for spec in TABLE:
        assert _parse(to_latex(spec.symbol)) == spec.symbol, spec.key


# -- layout -----------------------------------------------------------------------------------------
def test_applied_functions_print_as_applications():
    sigma_f, g = sp.Function("sigma"), sp.Function("g")
    assert to_latex(sigma_f(t)) == r"\sigma(t)"
    assert to_latex(g(t) ** 2) == r"g(t)^{2}"
    assert to_latex(sigma_f(t) * g(t)) in (r"\sigma(t) g(t)", r"g(t) \sigma(t)")
    text = to_latex(sp.Integral(g(t) ** 2, (t, 0, 1)))
    assert "g(t)^{2}" in text and r"{\left(" not in text


def test_applied_functions_parse_back_with_the_functions_declared():
    sigma_f, g = sp.Function("sigma"), sp.Function("g")
    expr = sigma_f(t) * g(t) ** 2 + sp.Integral(g(t) ** 2, (t, 0, 1))
    context = Context(TABLE, vocabulary=NO_VOCABULARY)
    for func in (sigma_f, g):
        name = to_latex(func(t)).split("(")[0]
        key = name_key(name)
        context.functions[key] = FunctionDef(name, (), apply_fn=lambda args, f=func: f(*args))
    assert _equal(expr, _parse(to_latex(expr), context))


def test_fractions_are_laid_out_as_a_person_writes_them():
    variance = F.posterior_variance()           # SymPy holds -(abar_tm1 - 1)(alpha_t - 1)/(abar_t - 1)
    text = to_latex(variance)
    assert text == (r"\frac{\left(1 - \bar{\alpha}_{t-1}\right) \left(1 - \alpha_t\right)}"
                    r"{1 - \bar{\alpha}_t}")
    mean = to_latex(F.posterior_mean())
    # coefficient over its denominator, then the variable
    assert mean.endswith(r"{1 - \bar{\alpha}_t} \boldsymbol{x}_t")
    assert r"\alpha_t - 1" not in mean and r"\bar{\alpha}_t - 1" not in mean
    half_sum = sp.Mul(sp.Rational(1, 2), x_t - x_0, evaluate=False)   # SymPy would distribute
    assert to_latex(half_sum) == r"\frac{1}{2} \left(\boldsymbol{x}_t - \boldsymbol{x}_0\right)"
    assert to_latex(2 * x_t / (2 - 2 * abar_t)) == r"\frac{\boldsymbol{x}_t}{1 - \bar{\alpha}_t}"


def test_layout_examples_parse_back_to_their_values():
    for expr in (F.posterior_variance(), F.posterior_mean(),
                 sp.Mul(sp.Rational(1, 2), x_t - x_0, evaluate=False),
                 2 * x_t / (2 - 2 * abar_t), -(1 - alpha_t) / (1 - abar_t) * x_t):
        assert _equal(expr, _parse(to_latex(expr))), expr


def test_signs_of_sums_follow_the_table_domains():
    from diffproof.derive.symbols import T, beta_max, beta_min, x
    i = sp.Symbol("i", positive=True)
    # sigma_min < sigma_max in the table: the positive difference is written, the sign in front
    assert to_latex((sigma_min - sigma_max) * x) == \
        r"- \left(\sigma_{\max} - \sigma_{\min}\right) \boldsymbol{x}"
    # T >= 1 is an integer: T - 1, not 1 - T; i's sign is unknown, so no leading minus is made
    assert to_latex((beta_max - beta_min) * (i - 1) / (T - 1)) == \
        r"\frac{\left(i - 1\right) \left(\beta_{\max} - \beta_{\min}\right)}{T - 1}"


def test_sign_examples_parse_back_to_their_values():
    from diffproof.derive.symbols import T, beta_max, beta_min, x
    i = sp.Symbol("i", positive=True)
    for expr in ((sigma_min - sigma_max) * x, (beta_max - beta_min) * (i - 1) / (T - 1)):
        assert _equal(expr, _parse(to_latex(expr))), expr


def test_compound_names_are_parenthesized_under_powers():
    assert to_latex(score ** 2) == r"\left(\nabla_{\boldsymbol{x}_t} \log p(\boldsymbol{x}_t)\right)^{2}"
    assert to_latex(dt ** 2) == r"\left(\Delta t\right)^{2}"
    assert to_latex(xhat ** 2) == r"\hat{\boldsymbol{x}}_\theta(\boldsymbol{x}_t, t)^{2}"   # one word: an application


def test_long_exponents_use_exp_and_short_ones_e():
    assert to_latex(sp.exp(-t)) == "e^{- t}"
    long_exponent = -(sigma_max - sigma_min) ** 2 * t ** 2 / 2 - sigma_min * t + sigma_max * alpha_t
    assert to_latex(sp.exp(long_exponent)).startswith(r"\exp\left(")


def test_any_sympy_object_prints_balanced_latex():
    from diffproof.derive.symbols import alpha_t as a, x, xi
    k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True, positive=True)
    f = sp.Function("f")
    objects = [sp.Piecewise((t, t < sp.Rational(1, 2)), (1 - t, True)), sp.Matrix([[a, 1], [0, abar_t]]),
               sp.Integral(sp.exp(-xi ** 2), (xi, 0, t)), sp.Sum(1 / k ** 2, (k, 1, n)),
               sp.Product(a, (k, 1, n)), sp.Derivative(f(t, x), t, 2), sp.Limit(1 / t, t, 0),
               sp.IndexedBase("X")[k] * x_t, sp.oo, sp.zoo, sp.nan, sp.I * a, sp.Float(0.125) * x,
               sp.Eq(x_t, sp.sqrt(abar_t) * x_0), sp.Le(abar_t, a), sp.Lambda(t, t ** 2),
               sp.Interval(0, 1), sp.Abs(x_t - x_0), sp.Max(sigma_min, t), sp.erf(x),
               sp.Mul(-1, 1 - a, evaluate=False), sp.Pow(x_t, -1, evaluate=False),
               sp.UnevaluatedExpr(a) * 2, 1 / (score * sigma_max), score * xhat]
    for obj in objects:
        text = to_latex(obj)
        assert text and text.count("{") == text.count("}"), obj
        assert text.count(r"\left") == text.count(r"\right"), obj
        assert not text.startswith(r"\text{") or obj is sp.nan, obj   # printed, not the fallback


def test_a_several_word_name_is_never_followed_by_another_factor():
    assert to_latex(1 / (score * sigma_max)) == \
        r"\frac{1}{\sigma_{\max} \nabla_{\boldsymbol{x}_t} \log p(\boldsymbol{x}_t)}"
    assert to_latex(score * xhat).endswith(r"\nabla_{\boldsymbol{x}_t} \log p(\boldsymbol{x}_t)")


def test_an_unprintable_object_falls_back_to_text_and_never_raises():
    class Broken(sp.Expr):
        def _latex(self, printer):
            raise RuntimeError("no LaTeX for me")

        def __str__(self):
            return "Broken_thing{1}"

    text = to_latex(Broken() )
    assert text == r"\text{Broken\_thing\{1\}}"
    assert to_latex(None) == ""


def test_text_escape_is_pdflatex_safe():
    raw = "q(x_{t-1} | x_t) ∝ exp(-a^2) & 50% #1 $ ~ <> \\ スライド"
    out = text_escape(raw)
    assert out.endswith(r"\ja{スライド}{Japanese text}")     # set by the CJK package, or in English
    assert out[:-len("スライド") - 20].isascii()
    for escaped in (r"\_", r"\{", r"\}", r"\textbar{}", r"$\propto$", r"\textasciicircum{}", r"\&", r"\%", r"\#",
                    r"\$", r"\textasciitilde{}", r"\textless{}", r"\textgreater{}", r"\textbackslash{}"):
        assert escaped in out, escaped
    assert text_escape("Models の新しいLoss é") == r"Models \ja{の新しい}{new}Loss [?]"
    assert "|" not in out          # OT1 would print | as an em dash


def test_estimate_width_orders_short_and_long_formulas():
    short = estimate_width(to_latex(abar_t))
    long = estimate_width(to_latex(F.posterior_mean()))
    assert 0 < short < 5 < long
    assert estimate_width("\\") >= 0          # never raises on a stray backslash


def test_repr_latex_of_every_catalog_derivation_is_a_balanced_display():
    from diffproof.proofs import catalog
    for derivation in list(catalog.derivations()) + [e.claim for e in catalog.errata()]:
        text = derivation._repr_latex_()
        assert text.startswith("$$\\begin{aligned}") and text.endswith("\\end{aligned}$$")
        assert text.count("{") == text.count("}"), derivation.id
        assert text.count(r"\left") == text.count(r"\right"), derivation.id
        assert derivation_display(derivation) == text


# -- round trip over the catalog and the formula sheet ---------------------------------------------
def _plain_sympy(expr) -> bool:
    """Built from SymPy's own classes and table symbols only (no catalog-specific objects such as
    expectations or density placeholders, which print themselves and the parser does not read)."""
    from sympy.core.function import AppliedUndef
    for node in sp.preorder_traversal(expr):
        if isinstance(node, AppliedUndef):
            return False
        if not type(node).__module__.startswith("sympy"):
            return False
    return True


def _catalog_formulas():
    from diffproof.proofs import catalog
    found = []
    for derivation in list(catalog.derivations()) + [e.claim for e in catalog.errata()]:
        for index, lhs, step in derivation.links():
            for expr in (step.expr, lhs if step.lhs is not None or index == 1 else None):
                if isinstance(expr, sp.Basic) and _plain_sympy(expr):
                    found.append((f"{derivation.id} step {index}", expr))
    return found


def test_round_trip_of_every_catalog_formula():
    formulas = _catalog_formulas()
    assert len(formulas) >= 60, "the catalog's plain formulas should be many; scope shrank?"
    failures = []
    for where, expr in formulas:
        text = to_latex(expr)
        try:
            back = _parse(text)
        except Exception as error:  # noqa: BLE001 - collect, report all at once
            failures.append(f"{where}: parse error {type(error).__name__}: {error}\n  {text}")
            continue
        if not _equal(expr, back):
            failures.append(f"{where}: {text}\n  parsed {back}\n  from   {expr}")
    assert not failures, "\n".join(failures)


def test_round_trip_of_the_formula_sheet():
    from diffproof.derive.gaussian import Normal
    from diffproof.proofs.report.formula_sheet import formula_sheet, value_latex
    entries = [e for e in formula_sheet() if isinstance(e.expr, Normal) or _plain_sympy(e.expr)]
    assert len(entries) >= 15
    for entry in entries:
        text = value_latex(entry.expr)
        back = _parse(text)
        value = entry.expr.density() if isinstance(entry.expr, Normal) else entry.expr
        assert _equal(value, back), f"{entry.title}: {text} parsed {back}"
