"""Indexed schedule families alpha_s, alphabar_s, beta_s at any index (derive/symbols.py).

Convention: Ho et al. 2020 Sec. 2 (beta_s = 1 - alpha_s in (0, 1), alphabar_s = prod_{i<=s} alpha_i,
so alphabar_0 = 1) and Luo 2022 Eq. 61 (alphabar_t = alpha_t alphabar_{t-1}).  Every member a claim
names is a function of independent free parameters (the alphas at the needed indices and the
alphabar at the lowest needed index), so the prover and the numeric search see only consistent
values: a true claim about the family never fails, a false one fails at a valid point.
"""
from fractions import Fraction

import pytest
import sympy as sp

from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.derive.latex.tokens import UnsupportedLatexError
from diffproof.derive.notation_reader import parse_expression, parse_relation
from diffproof.derive.domains import UNIT, UNIT_CLOSED
from diffproof.derive.families import index_text, parse_index
from diffproof.derive.symbols import TABLE, abar_t, abar_tm1, alpha_t, alpha_tm1
from diffproof.proofs.checker import Options, check_relation
from diffproof.proofs.claims.assumptions import read_assumptions
from diffproof.proofs.cli import main

OPTIONS = Options(budget=1.0, max_examples=60)


def run(capsys, *argv):
    code = main(["claim", *argv])
    out, _ = capsys.readouterr()
    return code, out


def claim_table(*texts):
    """A claim's table after reading ``texts`` (as the claim reader does)."""
    assumptions = read_assumptions([])
    exprs = [parse_expression(text, context=assumptions.context) for text in texts]
    return assumptions.table, exprs


# -- the table --------------------------------------------------------------------------------
def test_indices_are_read_canonically():
    assert parse_index("t - 1") == parse_index("-1+t") == parse_index("(t-1)") == ((("t", 1),), -1)
    assert parse_index("T") == ((("T", 1),), 0) and parse_index("0") == ((), 0)
    assert index_text(*parse_index("2t-1")) == "2t-1" and index_text(*parse_index("t-k")) == "t-k"
    assert parse_index("min") is None and parse_index("theta") is None and parse_index("t^2") is None


def test_every_spelling_names_the_same_member():
    table, exprs = claim_table(r"\bar\alpha_{t-1}", r"\bar{\alpha}_{t - 1}", r"\overline{\alpha}_{-1+t}",
                               r"\alpha_{t-1}", r"\alpha_{(t-1)}", r"\bar\alpha_{t+1}",
                               r"\bar{\alpha}_{1+t}")
    assert exprs[:3] == [abar_tm1] * 3 and exprs[3:5] == [alpha_tm1] * 2
    assert exprs[5] == exprs[6] and exprs[5].name == "alphabar_t+1"


def test_members_are_functions_of_free_parameters():
    table, (lhs, rhs) = claim_table(r"\bar\alpha_{t-1}", r"\alpha_{t-1}")
    floor = sp.Symbol("alphabar_t-2", positive=True, real=True)
    assert table.expand_definitions(lhs) == alpha_tm1 * floor
    assert table.expand_definitions(abar_t) == alpha_t * alpha_tm1 * floor
    assert table.domain(floor) == UNIT_CLOSED          # t - 2 may be 0: alphabar_0 = 1
    assert table.domain(alpha_tm1) == UNIT
    for symbol in table.expand_definitions(abar_t).free_symbols:
        assert symbol not in table.definitions          # independent parameters only


def test_constant_indices_start_at_alphabar_0():
    table, exprs = claim_table(r"\bar\alpha_0", r"\bar\alpha_2", r"\beta_2", r"\alpha_0")
    a1, a2 = (sp.Symbol(f"alpha_{i}", positive=True, real=True) for i in (1, 2))
    assert table.expand_definitions(exprs[0]) == 1
    assert table.expand_definitions(exprs[1]) == a1 * a2
    assert table.expand_definitions(exprs[2]) == 1 - a2
    assert table.spec(exprs[3]) is None                  # alpha_0 names no member


def test_domains_follow_the_lowest_index():
    table, (abar_T, beta_T, abar_s) = claim_table(r"\bar\alpha_T", r"\beta_T", r"\bar\alpha_s")
    assert table.domain(abar_T) == UNIT                  # T >= 1
    assert table.domain(abar_s) == UNIT_CLOSED           # s may be 0
    assert table.expand_definitions(beta_T) == 1 - sp.Symbol("alpha_T", positive=True, real=True)


def test_the_shared_table_is_never_changed():
    keys, definitions = set(TABLE.specs), dict(TABLE.definitions)
    claim_table(r"\bar\alpha_{t-3}", r"\alpha_{t-1}", r"\beta_{T}")
    symbol = parse_expression(r"\bar\alpha_{t+2}")      # parsed against TABLE itself
    assert symbol.name == "alphabar_t+2" and symbol.is_positive
    assert set(TABLE.specs) == keys and TABLE.definitions == definitions
    assert TABLE.expand_definitions(abar_t) == alpha_t * abar_tm1


def test_a_chain_too_long_is_refused():
    with pytest.raises(UnsupportedLatexError, match="span"):
        claim_table(r"\bar\alpha_{t+40} - \bar\alpha_t")


# -- checker level ------------------------------------------------------------------------------
def check(text):
    assumptions = read_assumptions([])
    relation = parse_relation(text, context=assumptions.context)
    op = {"<": "<=", ">": ">="}.get(relation.op, relation.op)
    return check_relation(relation.lhs, Step(relation.rhs, "claim", relation=op), {},
                          assumptions.table, OPTIONS)


@pytest.mark.parametrize("text", [r"\bar\alpha_{t-1} \le \alpha_{t-1}",
                                  r"\bar\alpha_t \le \alpha_t\alpha_{t-1}",
                                  r"\bar\alpha_{t+1} \le \bar\alpha_t",
                                  r"\bar\alpha_{t+1} = \alpha_{t+1}\alpha_t\bar\alpha_{t-1}",
                                  r"\bar\alpha_2 = \alpha_1\alpha_2"])
def test_checker_proves_family_relations(text):
    assert check(text).status == HOLDS


@pytest.mark.parametrize("text", [r"\bar\alpha_{t-1} \le \bar\alpha_t",
                                  r"\alpha_{t-1} \le \bar\alpha_{t-1}",
                                  r"\bar\alpha_t = \alpha_t \bar\alpha_{t-2}"])
def test_checker_refutes_at_consistent_points(text):
    verdict = check(text)
    assert verdict.status == FAILS and verdict.counterexample


# -- the CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("claim", [r"\bar\alpha_{t-1} \le \alpha_{t-1}",
                                   r"\bar\alpha_t \le \alpha_t\alpha_{t-1}",
                                   r"\bar\alpha_T \le 1", r"\beta_T \le 1", r"\beta_{T} > 0",
                                   r"\bar\alpha_{t+1} \le \bar\alpha_t",
                                   r"\bar\alpha_s \le \bar\alpha_{s-1}",
                                   r"\bar\alpha_{t-2} \le 1",
                                   r"\bar\alpha_3 \le \bar\alpha_1",
                                   r"\bar\alpha_0 = 1",
                                   r"\beta_{t+1} = 1 - \alpha_{t+1}",
                                   r"\bar\alpha_{2t} \le \bar\alpha_{2t-1}"])
def test_true_family_claims_hold(capsys, claim):
    code, out = run(capsys, claim)
    assert code == 0 and "holds" in out and "fails" not in out.split("claim(s)")[0], out


def _value(text):
    return Fraction(text) if isinstance(text, str) else Fraction(text)


@pytest.mark.parametrize("claim,free", [
    (r"\bar\alpha_{t-1} \le \bar\alpha_t", ("abar_tm1", "alpha_t")),
    # false unless alphabar_{t-2} = 1 (t = 2)
    (r"\alpha_{t-1} \le \bar\alpha_{t-1}", ("alpha_tm1", "alphabar_t-2")),
    # false unless alpha_{t-1} = 1, which no step has
    (r"\bar\alpha_t = \alpha_t \bar\alpha_{t-2}", ("alpha_t", "alpha_tm1", "alphabar_t-2")),
    # false unless T = 1
    (r"\bar\alpha_T = \alpha_T", ("alpha_T", "alphabar_T-1")),
    (r"\bar\alpha_{t+1} \ge \bar\alpha_t", ("abar_tm1", "alpha_t", "alpha_t+1"))])
def test_false_family_claims_fail_at_valid_points(capsys, claim, free):
    code, out = run(capsys, claim, "--json")
    import json
    step = json.loads(out)["claims"][0]["steps"][0]
    assert code == 1 and step["status"] == "fails", out
    point = step["counterexample"]
    assert set(free) <= set(point)
    for name in free:                                # every free parameter inside its domain
        value = _value(point[name])
        assert 0 < value <= 1 and (value < 1 or name.startswith("alphabar"))


def test_a_declared_bound_narrows_a_member(capsys):
    code, out = run(capsys, r"\bar\alpha_T \le \frac{1}{2}", "--assume", r"\bar\alpha_T \le 1/2")
    assert code == 0 and "holds" in out, out
    code, out = run(capsys, r"\bar\alpha_T \le \frac{1}{4}", "--assume", r"\bar\alpha_T \le 1/2")
    assert code == 1 and "fails" in out, out


def test_helpers_for_the_claim_reader():
    table, (expr,) = claim_table(r"\bar\alpha_T - \bar\alpha_t + \alpha_2")
    free = table.expand_definitions(expr).free_symbols
    assert table.family_chains(free) == ["", "T", "t"]   # unrelated chains: a refutation may need T < t
    assumptions = read_assumptions([r"\bar\alpha_t < 1/2"])
    half = Fraction(1, 2)
    assert assumptions.table.outside_domain({alpha_t: half, abar_tm1: half}) == []
    assert assumptions.table.outside_domain({alpha_t: Fraction(3, 4), abar_tm1: Fraction(1)}) \
        == ["0 < abar_t < 1/2"]
