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
