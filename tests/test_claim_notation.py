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
                                      r"\mathcal{N}(\mathbf{x}; 0, 1)")
    assert code == 0 and result["status"] == "holds"


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
