"""Soundness of the numeric evidence (numeric/points/): exact tiny discrepancies fail, round-off
does not; values are drawn across scales; every counterexample satisfies every assumption,
including orderings through symbols the claim does not mention."""
import json
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from diffproof.derive.derivation import Step
from diffproof.derive.domains import Domain
from diffproof.derive.symbols import TABLE, SymbolSpec
from diffproof.numeric.points.draws import point_strategy, simple_points
from diffproof.numeric.points.evaluate import Evaluator
from diffproof.numeric.points.region import Interval, Region, complete
from diffproof.numeric.points.residual import Residual
from diffproof.numeric.points.search import search
from diffproof.proofs.checker import Options, check_relation
from diffproof.proofs.cli import main

OPTIONS = Options(budget=1.0, max_examples=60)


def claim(capsys, *argv):
    """(exit code, the JSON step) of ``diffproof claim --json ...`` for a one-step claim."""
    code = main(["claim", "--json", *argv])
    out, _ = capsys.readouterr()
    return code, json.loads(out)["claims"][0]["steps"][0]


def status(capsys, *argv) -> str:
    return claim(capsys, *argv)[1]["status"]


# -- 1. tolerance: a stable nonzero residual is nonzero, whatever the sides' scale ----------------
GAUSS = r"\int_{-\infty}^{\infty} \mathcal{N}(u; \mu, \sigma^2) du"


@pytest.mark.parametrize("text", [r"e^{-100} = 0", r"e^{-300} = 0", GAUSS + " = 1 + e^{-90}",
                                  r"x + e^{-100} = x",
                                  r"(x + e^{-100})^2 = x^2 + 2 x e^{-100}"])
def test_a_tiny_exact_discrepancy_fails(capsys, text):
    code, step = claim(capsys, text)
    assert code == 1 and step["status"] == "fails", step


@pytest.mark.parametrize("text", [r"(x + e^{-100})^2 = x^2 + 2 x e^{-100} + e^{-200}",
                                  r"(e^{x} - 1)(e^{x} + 1) - e^{2x} = -1",
                                  r"e^{-100} + 1 - 1 = e^{-100}",
                                  GAUSS + " = 1"])
def test_true_identities_with_tiny_terms_hold(capsys, text):
    assert status(capsys, text) == "holds"


def test_round_off_is_not_a_violation_at_any_scale():
    x = sp.Symbol("x", positive=True)
    trig = sp.sin(x) ** 2 + sp.cos(x) ** 2
    for scale in (sp.Integer(1), sp.Integer(10) ** 60, sp.Integer(10) ** -60):
        lhs = scale * trig
        for point in ({x: Fraction(1, 3)}, {x: 1e6}, {x: 1e-6}):
            evaluator = Evaluator(Residual(lhs - scale, lhs, scale))
            assert evaluator.defined(point) and not evaluator.violated(point), (scale, point)
            tiny = scale * sp.exp(-100)      # 1e-44 of the sides: below the old tolerance
            shifted = Evaluator(Residual(lhs - scale + tiny, lhs + tiny, scale))
            assert shifted.violated(point), (scale, point)


def test_exact_cancellation_below_every_precision_is_not_a_violation():
    """At x = 10^6 the terms e^{2x} cancel exactly at 100 and 200 digits, leaving the same wrong
    residual at both: stable, but far below the round-off bound, so not a violation."""
    x = sp.Symbol("x", real=True)
    lhs = (sp.exp(x) - 1) * (sp.exp(x) + 1) - sp.exp(2 * x)
    true, false = Evaluator(Residual(lhs + 1, lhs, sp.Integer(-1))), \
        Evaluator(Residual(lhs, lhs, sp.Integer(0)))
    huge = {x: Fraction(10 ** 6)}
    assert not true.violated(huge) and not false.violated(huge)
    assert not true.violated({x: Fraction(1, 3)}) and false.violated({x: Fraction(1, 3)})


def test_a_constant_residual_is_judged_by_itself():
    small = sp.exp(-100)
    assert Evaluator(Residual(small, small, sp.Integer(0))).violated({})
    assert Evaluator(Residual(-small, sp.Integer(0), small, kind="nonneg")).violated({})
    assert not Evaluator(Residual(small, small, sp.Integer(0), kind="nonneg")).violated({})
    assert search(Residual(small, small, sp.Integer(0)))[0] is not None
    tiny = sp.exp(-1000)           # a relative error of its own digits, not of its exponent
    assert Evaluator(Residual(tiny, tiny, sp.Integer(0))).violated({})


# -- 2. sampling across scales ---------------------------------------------------------------------
def test_positive_symbols_are_sampled_beyond_a_narrow_box(capsys):
    code, step = claim(capsys, r"\min(\sigma_{\max}, 10) = \sigma_{\max}")
    assert code == 1 and step["status"] == "fails"
    point = step["counterexample"]
    assert float(Fraction(point["sigma_max"])) > 10
    assert 0 < float(Fraction(point["sigma_min"])) < float(Fraction(point["sigma_max"]))


def test_a_natural_number_is_sampled_beyond_six(capsys):
    code, step = claim(capsys, "--assume", r"n \in \mathbb{N}", r"n^2 + 30 \ge 2^n")
    assert code == 1 and step["status"] == "fails"
    assert step["counterexample"]["n"] == "7"
    assert status(capsys, "--assume", r"n \in \mathbb{N}", r"n^2 + 30 \ge 2 n") == "holds"


def _reaches(symbol, table, predicate) -> bool:
    from hypothesis import find
    from hypothesis.errors import NoSuchExample
    try:
        find(point_strategy([symbol], table), lambda p: predicate(p[symbol]),
             settings=settings(max_examples=200, database=None))
    except NoSuchExample:
        return False
    return True


def test_draws_cover_many_decades_and_stay_in_the_domain():
    sigma, alpha, x_, T = TABLE["sigma"], TABLE["alpha_t"], TABLE["x"], TABLE["T"]
    assert _reaches(sigma, TABLE, lambda v: v > 1e4) and _reaches(sigma, TABLE, lambda v: v < 1e-4)
    assert _reaches(x_, TABLE, lambda v: v < -1e4) and _reaches(x_, TABLE, lambda v: abs(v) < 1e-4)
    assert _reaches(alpha, TABLE, lambda v: v < 1e-4)
    assert _reaches(alpha, TABLE, lambda v: v > 1 - 1e-4)
    assert _reaches(T, TABLE, lambda v: v > 1000)
    assert not _reaches(alpha, TABLE, lambda v: not 0 < v < 1)
    assert not _reaches(T, TABLE, lambda v: v < 1 or Fraction(v).denominator != 1)
    assert not _reaches(sigma, TABLE, lambda v: v <= 0)


# -- 3. the whole assumption set: orderings through absent symbols --------------------------------
def test_orderings_are_transitive(capsys):
    chain = ["--assume", "a < b", "--assume", "b < c"]
    assert status(capsys, *chain, r"\sqrt{(c-a)^2} = c - a") == "holds"
    code, step = claim(capsys, *chain, r"\sqrt{(c-a)^2} = a - c")
    assert code == 1 and step["status"] == "fails"
    point = {k: Fraction(v) for k, v in step["counterexample"].items() if k in "abc"}
    assert set(point) == {"a", "b", "c"} and point["a"] < point["b"] < point["c"]


def test_complete_extends_a_point_or_refuses_it():
    table, (a, b, c) = _ordered_table("abc", [Domain()] * 3, [(0, 1), (1, 2)])
    assert complete({a: Fraction(2), c: Fraction(1)}, table) is None
    point = complete({a: Fraction(0), c: Fraction(1)}, table)
    assert point is not None and 0 < point[b] < 1


def test_an_inequality_counterexample_respects_the_chain(capsys):
    chain = ["--assume", "a < b", "--assume", "b < c"]
    assert status(capsys, *chain, r"c \ge a") == "holds"
    assert status(capsys, *chain, r"(c - a)^3 \ge 0") == "holds"


def test_implied_bounds_through_an_absent_symbol(capsys):
    bounds = ["--assume", "0 < y < 1", "--assume", "y < z"]
    assert status(capsys, *bounds, r"\sqrt{z^2} = z") == "holds"
    code, step = claim(capsys, *bounds, r"\sqrt{(z - 1)^2} = z - 1")
    assert code == 1 and step["status"] == "fails"
    point = {k: Fraction(v) for k, v in step["counterexample"].items() if k in ("y", "z")}
    assert 0 < point["y"] < 1 and point["y"] < point["z"] < 1


def test_inconsistent_assumptions_have_no_counterexample(capsys):
    """No point satisfies them, so nothing may fail: a cycle of orders is refused as an
    assumption, naming it; an empty domain through an order leaves the step undecided."""
    cycle = ["--assume", "a < b", "--assume", "b < a"]
    empty = ["--assume", "0 < y < 1", "--assume", "y < z", "--assume", "z < 0"]
    found = []
    for argv in ([*cycle, "a + 1 = a"], [*empty, "z + 1 = z"]):
        main(["claim", "--json", *argv])
        found.append(json.loads(capsys.readouterr()[0])["claims"][0])
    assert found[0]["status"] == "unparsable" and "contradict" in found[0]["error"], found[0]
    assert found[1]["status"] == "undecided", found[1]


def _ordered_table(names, domains, orderings):
    symbols, specs = [], []
    for name, domain in zip(names, domains):
        positive = domain.lo is not None and domain.lo >= 0
        symbol = sp.Symbol(name, real=True, **({"positive": True} if positive else {}))
        specs.append(SymbolSpec(f"user:{name}", symbol, name, "test", domain))
        symbols.append(symbol)
    table = TABLE.declare(*specs)
    for lo, hi in orderings:
        table.order(symbols[lo], symbols[hi])
    return table, symbols


def test_check_relation_respects_a_chain_through_an_absent_symbol():
    table, (a, b, c) = _ordered_table("abc", [Domain()] * 3, [(0, 1), (1, 2)])
    true = check_relation(sp.sqrt((c - a) ** 2), Step(c - a, "claim"), table=table, options=OPTIONS)
    assert true.status == "holds", true.counterexample
    false = check_relation(sp.sqrt((c - a) ** 2), Step(a - c, "claim"), table=table,
                           options=OPTIONS)
    assert false.status == "fails"
    point = {k: Fraction(v) for k, v in false.counterexample.items() if k in "abc"}
    assert point["a"] < point["b"] < point["c"]


def test_simple_points_keep_simple_values_and_name_the_linked_symbols():
    table, (y, z) = _ordered_table("yz", [Domain(0.0, 1.0, simple=(Fraction(1, 2),)),
                                          Domain(simple=(Fraction(0), Fraction(1), Fraction(-1)))],
                                   [(0, 1)])
    points = list(simple_points([z], table, 10))
    assert points[0] == {z: Fraction(1), y: Fraction(1, 2)}
    assert all(p[z] > 0 and 0 < p[y] < p[z] and isinstance(p[y], Fraction) for p in points)


def _satisfies(point, table, symbols) -> bool:
    """An independent check of every assumption of the test tables (a report's values are
    floats or strings "p/q"; Fraction reads both exactly)."""
    value = {s: Fraction(point[s.name]) for s in symbols}
    for symbol in symbols:
        domain = table.domain(symbol)
        integral = value[symbol].denominator == 1
        if not domain.contains(value[symbol]) or (domain.integer and not integral):
            return False
    return all(value[lo] < value[hi] for lo, hi in table.orderings if lo in value)


bound = st.one_of(st.none(), st.integers(-5, 5).map(lambda k: Fraction(k, 2)),
                  st.sampled_from([Fraction(10) ** 4, Fraction(-10) ** 4, Fraction(1, 1000)]))


@st.composite
def chains(draw):
    k = draw(st.integers(2, 5))
    domains = []
    for _ in range(k):
        lo, hi = draw(bound), draw(bound)
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        integer = draw(st.booleans()) and draw(st.booleans())
        domains.append(Domain(None if lo is None else float(lo), None if hi is None else float(hi),
                              draw(st.booleans()), draw(st.booleans()),
                              simple=(Fraction(1, 2), Fraction(1), Fraction(-1), Fraction(2)),
                              integer=integer))
    present = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    threshold = draw(st.integers(-3, 3))
    return k, domains, sorted(present), threshold


@given(chains(), st.data())
@settings(max_examples=60, deadline=None)
def test_every_counterexample_satisfies_every_ordering_and_bound(case, data):
    k, domains, present, threshold = case
    names = [f"a{i}" for i in range(1, k + 1)]
    table, symbols = _ordered_table(names, domains, [(i, i + 1) for i in range(k - 1)])
    claimed = [symbols[i] for i in present]
    # violated wherever the sum of the claim's symbols exceeds the threshold
    total = sp.Add(*claimed)
    target = Residual(threshold - total, total, sp.Integer(threshold), kind="nonneg")
    region = Region(claimed, table)
    found, _ = search(target, table, max_examples=0, simple_limit=20)   # the simple points
    reports = [found] if found is not None else []
    if region.feasible:                   # the drawn points (search's Hypothesis stage)
        reports.append(Evaluator(target).report(data.draw(point_strategy(claimed, table))))
    else:
        assert found is None
    for report in reports:
        assert set(names) <= set(report), report      # the extension names every linked symbol
        assert _satisfies(report, table, symbols), report
        assert region.admits({s: Fraction(report[s.name]) for s in symbols})
    if found is not None:
        assert sum(Fraction(found[s.name]) for s in claimed) > threshold


def test_a_drawn_counterexample_satisfies_the_chain():
    """The Hypothesis stage: only 200 < a3 < 500000 refutes, which no simple value is."""
    table, (a1, a2, a3) = _ordered_table(["a1", "a2", "a3"],
                                         [Domain(0.0, 1.0), Domain(), Domain()], [(0, 1), (1, 2)])
    band = (a3 - 200) * (a3 - 500000)
    target = Residual(band, band, sp.Integer(0), kind="nonneg")
    assert search(target, table, max_examples=0)[0] is None
    found, _ = search(target, table, max_examples=300)
    assert found is not None and _satisfies(found, table, [a1, a2, a3]), found
    assert 200 < float(found["a3"]) < 500000


def test_a_one_point_interval_draws_that_point():
    """x >= 1/2 and x <= 1/2 (found by fresh seeds: log10 of a zero width raised)."""
    from hypothesis import find

    from diffproof.numeric.points.draws import _scaled

    half = Interval(Fraction(1, 2), Fraction(1, 2), lo_open=False, hi_open=False)
    assert find(_scaled(half), lambda value: True) == Fraction(1, 2)
