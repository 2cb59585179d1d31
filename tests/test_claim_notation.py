"""Issue 15, claims as papers write them: assumption chains, the bold zero and ones vectors,
the macros papers use around equations (docs/claims.md 'Assumptions and definitions', 'Checking
claims written in LaTeX')."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from diffproof.derive.latex.tokens import LatexParseError
from diffproof.derive.notation_reader import parse_expression
from diffproof.derive.symbols import TABLE
from diffproof.proofs.claims.assumptions import read_assumptions
from diffproof.proofs.claims.document import cut_trailer, split_lines, trailer_condition
from diffproof.proofs.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def claim_json(capsys, *argv):
    code, out = run(capsys, "claim", "--json", *argv)
    return code, json.loads(out)["claims"][0]


def symbols_of(table, *names):
    by_name = {spec.symbol.name: spec.symbol for spec in table.specs.values()}
    return [by_name[name] for name in names]


# ---------------------------------------------------------------------------------------------
# assumption chains
# ---------------------------------------------------------------------------------------------
def test_a_chain_bounds_each_symbol_by_its_nearest_numbers_and_orders_neighbours():
    table = read_assumptions([r"0 < u \le w < 1"]).table
    a, b = symbols_of(table, "u", "w")
    assert (a, b) in table.orderings
    for symbol in (a, b):
        domain = table.domain(symbol)
        assert (domain.lo, domain.hi, domain.lo_open, domain.hi_open) == (0, 1, True, True)
    assert a.is_positive and b.is_positive
    assert table.admits({a: Fraction(1, 3), b: Fraction(1, 2)})
    assert not table.admits({a: Fraction(1, 2), b: Fraction(1, 3)})


def test_a_chain_of_built_in_symbols_keeps_their_order():
    table = read_assumptions([r"0 < \sigma_{\min} < \sigma_{\max}"]).table
    sigma_min, sigma_max = TABLE["sigma_min"], TABLE["sigma_max"]
    assert table.orderings.count((sigma_min, sigma_max)) == 1
    assert table.domain(sigma_max).lo == 0


def test_a_descending_chain_reads_upwards():
    table = read_assumptions([r"1 > \alpha_t > 0", r"c \ge b > a"]).table
    a, b, c = symbols_of(table, "a", "b", "c")
    assert (a, b) in table.orderings and (b, c) in table.orderings
    domain = table.domain(TABLE["alpha_t"])
    assert (domain.lo, domain.hi) == (0, 1)


def test_an_order_declared_before_a_bound_uses_the_bounded_symbol():
    table = read_assumptions([r"u < w", r"u > 0"]).table
    a, b = symbols_of(table, "u", "w")
    assert a.is_positive and (a, b) in table.orderings
    assert len(table.orderings) == len(TABLE.orderings) + 1


@pytest.mark.parametrize("text, message", [
    (r"0 < a > b", "mixed directions"),
    (r"0 < a + b < 1", "is neither a number nor a single symbol"),
    (r"3 < a < 1", "3 < 1 is false"),
    (r"a < b < a", "occurs twice"),
    (r"0 < 1", "no symbol to bound"),
    (r"a = b < 1", "is not a bound"),
    (r"a \neq b", r"the relation '\\neq' is not a bound"),
])
def test_chains_that_cannot_be_used_say_why(text, message):
    with pytest.raises(LatexParseError, match=message):
        read_assumptions([text])


def test_orders_that_form_a_cycle_are_refused():
    with pytest.raises(LatexParseError, match="contradict each other"):
        read_assumptions([r"a < b", r"b \le c", r"c < a"])


@pytest.mark.parametrize("assume, claim, status", [
    (r"0 < \sigma_{\min} < \sigma_{\max}", r"\frac{\sigma_{\min}}{\sigma_{\max}} < 1", "holds"),
    (r"0 < a < b < 1", r"a^2 < b", "holds"),
    (r"0 < a < b < 1", r"b^2 < a", "fails"),
])
def test_claims_under_a_chain(capsys, assume, claim, status):
    code, result = claim_json(capsys, "--assume", assume, claim)
    assert result["status"] == status
    if status == "fails":
        point = result["steps"][0]["counterexample"]
        a, b = Fraction(point["a"]), Fraction(point["b"])
        assert 0 < a < b < 1            # a counterexample satisfies every assumption


# ---------------------------------------------------------------------------------------------
# the zero and ones vectors
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    (r"\mathbf{0}", 0), (r"\boldsymbol{0}", 0), (r"\mathbf 0", 0), (r"\mathbf{1}", 1),
    (r"\boldsymbol{1}", 1), (r"3\mathbf{1}", 3), (r"\mathbf{1}^2 + \mathbf{0}", 1),
])
def test_bold_zero_and_one_are_the_zero_and_ones_vectors_of_one_coordinate(text, value):
    assert parse_expression(text) == value


def test_bold_names_are_still_names():
    assert parse_expression(r"\mathbf{x}_0 + \mathbf{0}") == TABLE["x_0"]
    assert parse_expression(r"\mathbf{I}") == 1


def test_standard_normal_with_the_zero_vector(capsys):
    code, result = claim_json(capsys, r"\mathcal{N}(\mathbf{x}; \mathbf{0}, \mathbf{I}) = "
                                      r"(2\pi)^{-d/2}\exp(-\frac{1}{2}\|\mathbf{x}\|^2)")
    assert code == 0 and result["status"] == "holds"
    # the density of one coordinate, N(x; 0, 1), is that of R^d only for d = 1: not proved
    code, result = claim_json(capsys, r"\mathcal{N}(\mathbf{x}; \mathbf{0}, \mathbf{I}) = "
                                      r"\mathcal{N}(\mathbf{x}; 0, 1)")
    assert result["status"] == "undecided" and "d = 1" in result["steps"][0]["reason"]


def test_other_bold_numbers_are_refused_with_a_spelling():
    with pytest.raises(LatexParseError, match=r"write 2\\mathbf\{1\}"):
        parse_expression(r"\mathbf{2}")


# ---------------------------------------------------------------------------------------------
# macros around equations: trailers, marked equals, \approx
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, kept, trailer", [
    (r"a + a = 2a \quad \text{for all } a", "a + a = 2a", r"\quad \text{for all } a"),
    (r"a = b, \quad t \in [0,1]", "a = b", r"\quad t \in [0,1]"),
    (r"a = b \qquad (\text{Bayes})", "a = b", r"\qquad (\text{Bayes})"),
    (r"a = b \text{ where } b > 0", "a = b", r"\text{ where } b > 0"),
    (r"a = b \quad \forall t", "a = b", r"\quad \forall t"),
    (r"a = b \quad \text{(Bayes)} \quad = c", "a = b  = c", r"\quad \text{(Bayes)} \quad"),
    (r"a = b \qquad (\text{by } (3)) = c, \quad c > 0", "a = b  = c",
     r"\qquad (\text{by } (3)) \quad c > 0"),
    (r"a = b \quad + c", r"a = b \quad + c", ""),               # \quad inside the formula
    (r"a = \text{Var}[x]", r"a = \text{Var}[x]", ""),           # an operator name, not prose
    (r"x_{\text{data for all}} = y", r"x_{\text{data for all}} = y", ""),   # inside braces
    (r"\quad \text{for all } t", "", r"\quad \text{for all } t"),           # a line of prose
    (r"\text{SNR} = c", r"\text{SNR} = c", ""),                              # not prose
])
def test_cut_trailer(line, kept, trailer):
    assert cut_trailer(line) == (kept, trailer)


def test_split_lines_reports_the_trailers():
    trailers = []
    lines = split_lines(r"a &= b \quad \text{for all } t \\ &= c, \quad c > 0 \label{x}", trailers)
    assert lines == ["a = b", "= c"]
    assert trailers == [("a = b", r"\quad \text{for all } t"), ("= c", r"\quad c > 0")]
    assert [trailer_condition(text) for _, text in trailers] == [None, "c > 0"]


def test_a_line_of_prose_under_a_formula_is_a_trailer():
    trailers = []
    assert split_lines(r"a &= b \\ &\quad \text{where } b = c \\ &= d", trailers) == \
        ["a = b", "= d"]
    assert trailers == [("", r"\quad \text{where } b = c")]


@pytest.mark.parametrize("trailer, condition", [
    (r"\quad (t > 0)", "t > 0"), (r"\qquad (\text{since } s^2 = 1 - a)", "s^2 = 1 - a"),
    (r"\qquad (\text{Bayes})", None), (r"\quad \text{for all } t", None),
])
def test_trailer_conditions(trailer, condition):
    assert trailer_condition(trailer) == condition


@pytest.mark.parametrize("line, kept", [
    (r"c_{\text{out}}(\sigma) = c_{\text{skip}}(\sigma)",
     r"c_{\mathrm{out}}(\sigma) = c_{\mathrm{skip}}(\sigma)"),
    (r"\sigma_\text{data} = a", r"\sigma_{\mathrm{data}} = a"),
    (r"x^{\text{cond}}_{t} = a \quad \text{for all } t", r"x^{\mathrm{cond}}_{t} = a"),
    (r"c_{\textrm{in}} = a && \text{by (3)}", r"c_{\mathrm{in}} = a"),
])
def test_text_in_a_subscript_is_part_of_the_name(line, kept):
    r"""EDM's c_{\text{out}}: once deleted as prose, so that c_out, c_skip and c_in were one
    symbol and c_{\text{out}}(\sigma) = c_{\text{skip}}(\sigma) was proved."""
    assert split_lines(line) == [kept]


def test_distinct_text_subscripts_are_distinct_functions(capsys):
    code, result = claim_json(capsys, r"c_{\text{out}}(\sigma) = c_{\text{skip}}(\sigma)")
    assert result["status"] != "holds"
    code, result = claim_json(capsys, "--assume", r"\sigma_{\text{data}} > 0",
                              r"\sigma_{\text{data}}^2 = \sigma_\text{data}\sigma_{\mathrm{data}}")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, "--assume", r"\sigma_{\text{data}} > 0",
                              r"\sigma_{\text{data}}^2 = \sigma\sigma_{\mathrm{data}}")
    assert result["status"] == "fails"


def test_a_file_name_given_as_the_formula_points_to_file(capsys):
    assert main(["claim", "notes/edm.tex"]) == 2
    assert "--file notes/edm.tex" in capsys.readouterr().err


def test_a_declared_function_differentiated_at_another_point(capsys):
    """Lipman et al. 2023 write alpha'(1 - t): a derivative value at 1 - t, a free number like
    alpha(1 - t) (once: 'cannot be evaluated numerically', so a slip was undecided)."""
    assume = ["--assume", r"0 < \alpha(s) < 1"]
    code, result = claim_json(capsys, *assume, r"\alpha(1-t)\alpha'(1-t) = 2\alpha'(1-t)")
    assert result["status"] == "fails"
    assert "alpha'(1 - t)" in result["steps"][0]["reason"]
    code, result = claim_json(capsys, *assume,
                              r"\frac{d}{dt}\alpha(1-t)^2 = -2\alpha(1-t)\alpha'(1-t)")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, *assume,
                              r"\frac{d}{dt}\alpha(1-t)^2 = 2\alpha(1-t)\alpha'(1-t)")
    assert result["status"] == "fails"


def test_a_decorated_gradient_variable_is_the_variable_of_the_body(capsys):
    """nabla_{\tilde{x}}: the subscript's text form lost the decoration, so the gradient was taken
    in another symbol and was 0 (a true DSM score claim failed; found by a held-out set)."""
    code, result = claim_json(capsys, r"\nabla_{\tilde{x}}\log\mathcal{N}(\tilde{x}; x, \sigma^2) "
                                      r"= \frac{x - \tilde{x}}{\sigma^2}")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, r"\nabla_{\hat{x}_t}\hat{x}_t^2 = 2\hat{x}_t")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, r"\nabla_{\tilde{x}}\tilde{x}^2 = 3\tilde{x}")
    assert result["status"] == "fails"


def test_a_prose_trailer_is_dropped_and_noted(capsys):
    code, result = claim_json(capsys, r"a + a = 2a \quad \text{for all } a")
    step = result["steps"][0]
    assert code == 0 and step["status"] == "holds" and "read as a comment" in step["reason"]


def test_a_refutation_outside_a_stated_condition_is_undecided(capsys):
    code, result = claim_json(capsys, r"\sqrt{a^2} = a, \quad a > 0")
    step = result["steps"][0]
    assert step["status"] == "undecided" and step["counterexample"] is None
    assert "% assume: a > 0" in step["reason"]
    code, result = claim_json(capsys, "--assume", "a > 0", r"\sqrt{a^2} = a, \quad a > 0")
    assert result["status"] == "holds"


def test_a_slip_with_a_prose_trailer_still_fails(capsys):
    code, result = claim_json(capsys, r"a + a = 3a \quad \text{by linearity}")
    assert code == 1 and result["status"] == "fails"
    code, result = claim_json(capsys, r"a + a \quad \text{(linearity)} \quad = 2a = 3a")
    assert result["first_failing_step"] == 2 and result["steps"][0]["status"] == "holds"


@pytest.mark.parametrize("mark", [r"\text{def}", r"\mathrm{def}", "def", r"\triangle"])
@pytest.mark.parametrize("command", [r"\stackrel", r"\overset"])
def test_marked_equals_define(capsys, command, mark):
    code, result = claim_json(capsys, rf"\beta_t {command}{{{mark}}}{{=}} 1 - \alpha_t")
    assert result["status"] == "holds", result
    code, result = claim_json(capsys, rf"\gamma_t {command}{{{mark}}}{{=}} 1 - \alpha_t")
    assert result["status"] == "undecided" and result["steps"][0]["method"] == "definition"


def test_labelled_equals_are_equalities_and_other_marks_are_refused(capsys):
    code, result = claim_json(capsys, r"a + a \overset{(a)}{=} 2a \stackrel{(ii)}{=} 3a")
    assert result["status"] == "fails" and result["first_failing_step"] == 2
    code, out = run(capsys, "claim", r"x \overset{d}{=} y")
    assert code == 2 and r"\overset{d}{=} is not read" in out and "write = for an equality" in out


def test_a_definition_in_an_assumption_may_be_marked(capsys):
    code, result = claim_json(capsys, "--assume", r"g \stackrel{\text{def}}{=} a + 1", "g - 1 = a")
    assert result["status"] == "holds"


def test_approx_is_never_an_equality(capsys):
    code, result = claim_json(capsys, r"a + a \approx 2a")
    step = result["steps"][0]
    assert step["status"] == "undecided"
    assert step["reason"] == r"\approx is an approximation: not checked as an equality"


@pytest.mark.parametrize("claim", [r"\tfrac{1}{2} + \dfrac{1}{2} = 1 \label{eq:a} \nonumber",
                                   r"a + a = 2a \tag{3}", r"a + a = 2a \notag"])
def test_fraction_variants_and_labels(capsys, claim):
    code, result = claim_json(capsys, claim)
    assert code == 0 and result["status"] == "holds"


def test_a_prime_on_a_function_indexed_by_time_is_ambiguous():
    """Flow matching writes sigma_t'(x_1) for d/dt sigma_t(x_1); it was differentiated in x_1 and
    Lipman's Theorem 3 with the OT path was refuted (found by a held-out claim set)."""
    from diffproof.proofs.claims.run import check_text
    claim = check_text([(r"\sigma_t'(x_1) = -(1 - \sigma_{\min})", None)],
                       [r"\sigma_t(x_1) = 1 - (1 - \sigma_{\min})t"])[0]
    assert claim.error is not None and "d/dt" in claim.error and "ambiguous" not in claim.status
    plain = check_text([(r"g'(t) = 2t", None)], [r"g(t) = t^2"])[0]
    assert plain.status == "holds"


# ---------------------------------------------------------------------------------------------
# generic functions: % assume: a(t) > 0 (DPM-Solver's alpha_t, sigma_t left generic)
# ---------------------------------------------------------------------------------------------
def test_a_bound_on_a_function_head_declares_a_generic_function():
    assumptions = read_assumptions([r"a(t) > 0", r"0 < s(t) < 1", r"D(x;\sigma) \in \mathbb{R}"])
    functions = assumptions.context.functions
    a, s, d = functions["|a|"], functions["|s|"], functions["|D|"]
    assert a.generic and (a.domain.lo, a.domain.hi) == (0, None)
    assert (s.domain.lo, s.domain.hi) == (0, 1) and len(d.params) == 2
    value = parse_expression("a(t)", context=assumptions.context)
    assert value.is_positive and value.func.__name__ == "a"


def test_bounds_on_one_generic_function_add_up():
    assumptions = read_assumptions([r"a(t) > 0", r"a(t) < 2"])
    domain = assumptions.context.functions["|a|"].domain
    assert (domain.lo, domain.hi) == (0, 2)
    with pytest.raises(LatexParseError, match="leaves no value"):
        read_assumptions([r"a(t) > 3", r"a(t) < 2"])


@pytest.mark.parametrize("lines, message", [
    ([r"a(t) > 0", "a(t) = t"], "either defined"),
    ([r"\mu_q(x_t, x_0) > 0"], "is built in"),
    ([r"0 < a(t) < s(t)"], "bounded by numbers"),
])
def test_generic_functions_that_cannot_be_declared_say_why(lines, message):
    with pytest.raises(LatexParseError, match=message):
        read_assumptions(lines)


def test_the_ambiguity_of_a_value_before_a_parenthesis_suggests_the_declaration(capsys):
    code, out = run(capsys, "claim", r"\log a(t) = 1")
    assert code == 2 and "% assume: a(t) > 0" in out and r"a(t) \in \mathbb{R}" in out


def test_every_spelling_of_a_generic_functions_derivative_is_one_free_number(capsys):
    chain = (r"\frac{d\log a(t)}{dt} = \frac{\dot a(t)}{a(t)} = \frac{a'(t)}{a(t)} = "
             r"\frac{\frac{da}{dt}}{a(t)} = \frac{\frac{d}{dt}a(t)}{a(t)} = "
             r"\frac{\partial_t a(t)^2}{2a(t)^2}")
    code, result = claim_json(capsys, "--assume", "a(t) > 0", chain)
    assert code == 0 and result["status"] == "holds" and len(result["steps"]) == 5, result


def test_a_slip_with_generic_functions_fails_with_their_values_in_their_domains(capsys):
    code, result = claim_json(capsys, "--assume", "0 < a(t) < 1",
                              r"\frac{d}{dt}\log a(t) = a'(t)")
    step = result["steps"][0]
    assert result["status"] == "fails" and 0 < Fraction(step["counterexample"]["a(t)"]) < 1
    assert "in the domains the assumptions declare" in step["reason"]


# ---------------------------------------------------------------------------------------------
# derivatives of the table's functions of t, of indexed symbols, of defined symbols
# ---------------------------------------------------------------------------------------------
def test_the_tables_functions_of_t_have_derivatives(capsys):
    """s(t), f(t), g(t), lambda(t) are table symbols; d/dt of s(t)^2 was 0, so the false
    \\frac{d}{dt}(s(t)^2) = 0 held."""
    code, result = claim_json(capsys, r"\frac{d}{dt}\left(s(t)^2\right) = 2s(t)s'(t)")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, r"\frac{d}{dt}\left(s(t)^2\right) = 0")
    assert result["status"] != "holds"
    code, result = claim_json(capsys, r"\frac{d}{dt}\lambda(t)^2 = 2\lambda(t)\dot\lambda(t)")
    assert result["status"] == "holds"


@pytest.mark.parametrize("claim, name", [
    # where the letter may be a discrete schedule (alpha_{t-1}, sigma alone); without such a
    # spelling a derivative makes t continuous (tests/test_claim_time_derivatives.py)
    (r"\frac{d\log\alpha_t}{dt} = \alpha_{t-1}", r"\alpha(t)"),
    (r"\frac{d}{dt}\sigma_t^2 = \sigma", r"\sigma(t)"),
    (r"\partial_t p_t(x) = 0", "p(x, t)"),
])
def test_a_derivative_of_a_symbol_indexed_by_its_variable_is_ambiguous(capsys, claim, name):
    code, out = run(capsys, "claim", claim)
    assert code == 2 and "ambiguous derivative" in out and f"% assume: {name}" in out


def test_a_derivative_goes_through_a_symbol_defined_by_an_assumption(capsys):
    code, result = claim_json(capsys, "--assume", "h = t^2", r"\frac{d}{dt}h^2 = 4t^3")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, "--assume", "h = t^2", r"\frac{d}{dt}h^2 = 0")
    assert result["status"] == "fails"


# ---------------------------------------------------------------------------------------------
# ; in parameter lists: EDM's D(x; sigma), p(x; sigma)
# ---------------------------------------------------------------------------------------------
def test_a_function_definition_may_separate_its_parameters_with_a_semicolon(capsys):
    assumptions = read_assumptions([r"D(x;\sigma) = x - \sigma"])
    assert len(assumptions.context.functions["|D|"].params) == 2
    code, result = claim_json(capsys, "--assume", r"D(x;\sigma) = x - \sigma",
                              r"D(x;\sigma) + \sigma = x")
    assert result["status"] == "holds"


# ---------------------------------------------------------------------------------------------
# bounds on a function of one symbol, orders between expressions (DDIM's sigma_t^2)
# ---------------------------------------------------------------------------------------------
def test_a_bound_on_a_function_of_one_symbol_bounds_the_symbol():
    table = read_assumptions([r"0 < \sigma_{\max}^2 < 4"]).table      # sigma_max > 0 is kept
    domain = table.domain(TABLE["sigma_max"])
    assert (domain.lo, domain.hi) == (0, 2)
    table = read_assumptions([r"0 < \sigma^2 < 4"]).table      # sigma > 0 is replaced
    domain = table.domain(symbols_of(table, "sigma")[0])
    assert (domain.lo, domain.hi) == (-2, 2)
    table = read_assumptions([r"0 < \ln\kappa < 1"]).table
    domain = table.domain(symbols_of(table, "kappa")[0])
    assert domain.lo == 1 and abs(domain.hi - 2.718281828459045) < 1e-12


def test_a_square_of_a_symbol_of_unknown_sign_keeps_both_signs():
    table = read_assumptions([r"0 < \eta^2 < 1"]).table
    (eta,) = symbols_of(table, "eta")
    assert (table.domain(eta).lo, table.domain(eta).hi) == (-1, 1)
    assert table.admits({eta: Fraction(-1, 2)}) and not table.admits({eta: 0})


def test_an_order_between_expressions_constrains_every_point():
    table = read_assumptions([r"0 < \sigma_t^2 < 1 - \bar\alpha_{t-1}"]).table
    (sigma_t,) = symbols_of(table, "sigma_t")
    abar = TABLE["abar_tm1"]
    assert table.admits({sigma_t: Fraction(1, 2), abar: Fraction(1, 2)})
    assert not table.admits({sigma_t: Fraction(3, 4), abar: Fraction(1, 2)})


def test_a_bound_by_a_number_on_an_expression_of_several_symbols_names_the_spelling():
    with pytest.raises(LatexParseError, match=r"% assume: y = a \+ b"):
        read_assumptions([r"0 < a + b < 1"])
    read_assumptions([r"c_1 < a + b"])          # an order between expressions is read


def test_a_refutation_satisfies_an_order_between_expressions(capsys):
    code, result = claim_json(capsys, "--assume", r"0 < \sigma_t^2 < 1 - \bar\alpha_{t-1}",
                              r"\sigma_t^2 < \frac{1 - \bar\alpha_{t-1}}{2}")
    point = result["steps"][0]["counterexample"]
    assert result["status"] == "fails"
    assert 0 < Fraction(point["sigma_t"]) ** 2 < 1 - Fraction(point["abar_tm1"])


# ---------------------------------------------------------------------------------------------
# built-in letters with the papers' other meanings: w, c, u, \xi
# ---------------------------------------------------------------------------------------------
def test_a_bound_replaces_the_domain_of_a_letter_no_built_in_relation_uses(capsys):
    table = read_assumptions([r"0 < w < 10"]).table
    (w,) = symbols_of(table, "w")
    assert (table.domain(w).lo, table.domain(w).hi) == (0, 10)
    code, result = claim_json(capsys, "--assume", r"w \ge 0", r"(1+w)^2 \le 4")
    assert result["status"] == "fails"
    assert any("replaces the built-in 0 < w < 1" in r for r in result["steps"][0]["relations"])
    code, result = claim_json(capsys, "--assume", r"-5 < \xi < 5", r"\sqrt{\xi^2} = \xi")
    assert result["status"] == "fails"


@pytest.mark.parametrize("assume, advice", [
    (r"0 < t < 80", r"use another letter \(e\.g\. \\tilde\{t\}\)"),
    (r"-1 < \alpha_t < 1", "abar_t = abar_tm1\\*alpha_t uses it"),
])
def test_a_domain_a_built_in_relation_uses_is_kept_with_advice(assume, advice):
    with pytest.raises(LatexParseError, match=advice):
        read_assumptions([assume])


def test_the_reading_keys_cover_the_symbols_the_readings_use():
    from diffproof.derive.vocabulary import DDPM_PARAMETER_KEYS
    from diffproof.proofs.claims.assumptions import READING_KEYS, builtin_use
    from diffproof.proofs.claims.readings.definitions import UNDEFINED_QUANTITY_KEYS
    from diffproof.proofs.claims.steps import VARIABLE_KEYS
    assert set(VARIABLE_KEYS) | set(DDPM_PARAMETER_KEYS) | set(UNDEFINED_QUANTITY_KEYS) <= \
        READING_KEYS
    replaceable = {spec.key for spec in TABLE if builtin_use(spec) is None and
                   (spec.domain.lo is not None or spec.domain.hi is not None)}
    assert {"w", "c", "u", "xi"} <= replaceable and "t" not in replaceable


# ---------------------------------------------------------------------------------------------
# one unknown function at different arguments (CFG's eps(z, c) and eps(z))
# ---------------------------------------------------------------------------------------------
def test_applications_at_different_arguments_are_independent_numbers(capsys):
    code, result = claim_json(capsys, "--assume", "0 < y < 1", "--assume",
                              r"f(x) \in \mathbb{R}", "f(x) + f(y) = 2f(x)")
    point = result["steps"][0]["counterexample"]
    assert result["status"] == "fails" and point["x"] != point["y"]
    code, result = claim_json(capsys, "--assume", "0 < y < 1", "f(x) + f(y) = 2f(x)")
    assert result["status"] == "undecided" and r"% assume: f(x) \in \mathbb{R}" in \
        result["steps"][0]["reason"]


@pytest.mark.parametrize("claim", [
    r"\nabla_z\log p(c \mid z) = \nabla_z\log p(z \mid c) - \nabla_z\log p(z)",      # Bayes
    r"\log p_\theta(x_0, x_1) = \log p_\theta(x_1) + \log p_\theta(x_0 \mid x_1)",
    r"\mathrm{Var}(2x) + \mathrm{Var}(x) = 5\mathrm{Var}(x)",
])
def test_densities_and_functionals_are_not_read_at_several_arguments(capsys, claim):
    """p(c | z), p(z | c), p(z) are tied by Bayes' rule and Var is a functional: their values at
    different arguments are not independent numbers (the true Bayes identity was refuted)."""
    code, result = claim_json(capsys, claim)
    assert result["status"] == "undecided", result


def test_a_refutation_that_needs_one_function_to_take_two_values_at_a_point_is_undecided():
    import sympy as sp
    from diffproof.derive.verdict import FAILS, Verdict
    from diffproof.proofs.claims.safety import distinct_arguments
    assumptions = read_assumptions(["y = x"])
    x = TABLE["x"]
    y = next(s for s in assumptions.definitions if s.name == "y")
    fx, fy = sp.Symbol("f(x)"), sp.Symbol("f(y)")
    refuted = Verdict(FAILS, "numeric", counterexample={"f(x)": "1", "f(y)": "2", "x": "1/2"})
    verdict = distinct_arguments(refuted, [(fx, (x,), fy, (y,))], assumptions)
    assert verdict.status == "undecided" and "two values at one point" in verdict.reason
    same = Verdict(FAILS, "numeric", counterexample={"f(x)": "1", "f(y)": "1", "x": "1/2"})
    assert distinct_arguments(same, [(fx, (x,), fy, (y,))], assumptions).status == FAILS
    apart = read_assumptions(["y = x + 1"])
    y = next(s for s in apart.definitions if s.name == "y")
    assert distinct_arguments(refuted, [(fx, (x,), fy, (y,))], apart).status == FAILS


def test_a_declared_g_beside_a_schedules_cues_is_not_refuted_for_the_schedule(capsys):
    code, result = claim_json(capsys, "--assume", "g(t) > 0", "--assume",
                              r"0 < \sigma_{\min} < \sigma_{\max}",
                              r"g(t)g(t) = g(t)\sqrt{\frac{d}{dt}\sigma(t)^2}")
    step = result["steps"][0]
    assert result["status"] == "undecided" and "two readings" in step["reason"]
    assert any("not the VE schedule's" in r for r in step["relations"])


def test_an_upper_bound_alone_keeps_a_replaceable_letters_built_in_sign(capsys):
    """sigma < 2 on a standard deviation: replacing the whole domain refuted sqrt(sigma^2) = sigma
    at sigma = -1 (a true claim failing); an explicit negative bound is taken as written."""
    code, result = claim_json(capsys, "--assume", r"\sigma < 2", r"\sqrt{\sigma^2} = \sigma")
    assert result["status"] == "holds"
    code, result = claim_json(capsys, "--assume", r"\sigma < -1", r"\sqrt{\sigma^2} = \sigma")
    assert result["status"] == "fails"


def test_a_gradient_without_subscript_is_in_the_argument_of_the_unknown_density():
    """Flow matching writes \\nabla \\log p_t(x) (refused before); with several candidate
    variables the subscript is still required."""
    from diffproof.proofs.claims.run import check_text
    true = check_text([(r"\nabla \log p_t(x) = \frac{\nabla p_t(x)}{p_t(x)}", None)], [])[0]
    assert true.status == "holds"
    several = check_text([(r"\nabla \log p(x, y) = 1", None)], [])[0]
    assert "write the gradient's variable" in (several.error or several.steps[0].verdict.reason)


def test_the_network_at_x_t_written_out_is_the_table_prediction():
    """DDPM Eq. 12 writes eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t): that is
    eps_theta(x_t, t) under the forward relation, which the verdict names; another argument
    stays an opaque function."""
    from diffproof.proofs.claims.run import check_text
    claim = check_text([(r"\epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)"
                         r" = \epsilon_\theta(x_t, t)", None)], [])[0]
    assert claim.status == "holds"
    assert any("inside eps_theta" in r for r in claim.steps[0].verdict.relations)
    other = check_text([(r"\epsilon_\theta(x_0, t) = \epsilon_\theta(x_t, t)", None)], [])[0]
    assert other.status != "holds"


def test_a_letter_declared_real_is_not_given_its_built_in_sign_back():
    """w \\in \\mathbb{R} states no bound: the built-in lower bound is kept only beside an upper
    bound alone, and w > 0 was proved under it (found by an audit)."""
    from diffproof.proofs.claims.run import check_text
    claim = check_text([(r"w > 0", None)], [r"w \in \mathbb{R}"])[0]
    assert claim.status == "fails"
