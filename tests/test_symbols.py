"""The symbol table: one place for each symbol's assumptions, domain and LaTeX name."""
import sympy as sp

from derive.latex.printer import to_latex
from derive.symbols import (TABLE, abar_t, abar_tm1, alpha_t, beta_t, sigma_max, sigma_min, x_t)


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
