"""The symbol table: one place for each symbol's assumptions, domain and LaTeX name."""
from dataclasses import replace

import sympy as sp

from diffproof.derive.domains import POSITIVE, REAL, STEPS, TIME, UNIT, UNIT_CLOSED, Domain
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.symbols import (GUESSED, TABLE, SymbolSpec, abar_t, abar_tm1, alpha_t, beta_t,
                            sigma_max, sigma_min, x_t)


def test_latex_names_come_from_the_table():
    assert to_latex(abar_tm1) == r"\bar{\alpha}_{t-1}"
    assert to_latex(x_t) == r"\boldsymbol{x}_t"
    assert to_latex(sigma_min) == r"\sigma_{\min}"


def test_assumptions_are_carried_by_the_sympy_symbols():
    assert alpha_t.is_positive and abar_tm1.is_real
    assert TABLE.domain(alpha_t).contains(0.5) and not TABLE.domain(alpha_t).contains(1.0)
    assert not TABLE.domain(alpha_t).contains(0.0)


def test_definitions_expand_to_the_notation_identities():
    """notation.md: abar_t / abar_{t-1} = alpha_t and alpha_t + beta_t = 1, whatever form the
    table's definitions take; abar_{t-1} is a free symbol (expansion stops there)."""
    assert sp.simplify(TABLE.expand_definitions(abar_t / abar_tm1) - alpha_t) == 0
    assert sp.simplify(TABLE.expand_definitions(alpha_t + beta_t)) == 1
    assert TABLE.expand_definitions(abar_tm1) == abar_tm1


def test_positive_parametrization_makes_radicands_positive():
    sub = TABLE.positive_parametrization({alpha_t, sigma_min, sigma_max})
    assert (1 - alpha_t).xreplace(sub).is_positive
    assert sp.factor((sigma_max - sigma_min).xreplace(sub)).is_positive
    # sqrt of a product of positive factors splits, so equal radicals become identical
    e = sp.sqrt((1 - alpha_t) * alpha_t) - sp.sqrt(1 - alpha_t) * sp.sqrt(alpha_t)
    assert sp.simplify(e.xreplace(sub)) == 0


def test_sympy_assumptions_come_from_the_domain():
    assert REAL.assumptions == {"real": True}
    assert POSITIVE.assumptions == UNIT.assumptions == UNIT_CLOSED.assumptions == TIME.assumptions \
        == {"real": True, "positive": True}
    assert STEPS.assumptions == {"real": True, "integer": True, "positive": True}
    assert Domain(lo=0.0, lo_open=False).assumptions == {"real": True, "nonnegative": True}
    assert Domain(lo=-1.0, hi=1.0).assumptions == {"real": True}
    for spec in TABLE:
        if spec.key != "betatilde_t":      # declared positive, its value may be 0 (betatilde_1)
            expected = sp.Symbol("s", **spec.domain.assumptions).assumptions0
            assert spec.symbol.assumptions0 == expected, spec.key


def test_copies_leave_the_table_alone():
    keys, definitions, orderings = list(TABLE.specs), dict(TABLE.definitions), list(TABLE.orderings)
    y, h = sp.Symbol("y", real=True), sp.Symbol("h", real=True)
    narrowed = replace(TABLE.specs["abar_t"], domain=Domain(lo=0.0, hi=0.5))
    declared = TABLE.declare(narrowed, SymbolSpec("y", y, "y", "a new symbol", POSITIVE))
    assert declared.domain(abar_t).hi == 0.5 and declared.domain(y) is POSITIVE
    guessed = declared.with_domains([h], REAL)
    assert guessed.spec(h).key == f"{GUESSED}h" and guessed.spec(h).domain is REAL
    assert declared.spec(h) is None and TABLE.with_domains([], REAL) is TABLE
    copy = TABLE.copy()
    copy.order(y, h)
    copy.define(y, h ** 2)
    assert copy.extensible and not TABLE.extensible
    assert copy.member("abar", "t-2") is not None and TABLE.specs.get("abar[t-2]") is None
    assert list(TABLE.specs) == keys and TABLE.definitions == definitions
    assert TABLE.orderings == orderings and TABLE.domain(abar_t).hi == 1.0
