"""Schedule members of different indices (derive.realizable, proofs.claims.indices).

A claim's table takes alphabar_s and alphabar_t (or alpha_s and alpha_t) as independent numbers,
while one schedule has alphabar_k = prod_{i<=k} alpha_i, decreasing with k.  A refutation stands
only at a point one schedule has, at indices in an order the assumptions allow; otherwise the
search is repeated at such points, and without one the step is undecided.  Before, every such
refutation was undecided (DPM-Solver's and VDM's slips about two times s and t among them), and an
order stated with % assume: was not used."""
from __future__ import annotations

import math
from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from diffproof.derive.families import parse_index
from diffproof.derive.realizable import Member, apart_possible, describe, placement
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.run import check_text

OPTIONS = Options(budget=1.0, max_examples=60)


def _verdict(latex: str, *assumptions: str):
    claim = check_text([(latex, None)], list(assumptions), OPTIONS)[0]
    assert len(claim.steps) == 1, claim.error
    return claim.steps[0].verdict


def _member(family: str, index: str, value) -> Member:
    chain, offset = parse_index(index)
    return Member(family, chain, offset, value)


def _value(text) -> float:
    return float(F(text)) if isinstance(text, str) else float(text)


# -- which values one schedule takes ---------------------------------------------------------
def test_alphas_at_two_indices_are_free_numbers():
    members = [_member("alpha", "s", F(1, 2)), _member("alpha", "t", F(1, 2))]
    letters = placement(members)
    assert letters is not None and letters["s"] != letters["t"]   # distinct indices first
    backwards = placement(members, orders={("t", "s")})
    assert backwards["t"] < backwards["s"]
    beta = [_member("beta", "s", F(1, 3)), _member("alpha", "t", F(2, 3))]
    assert placement(beta, equal={("s", "t")}) is not None       # beta_s = 1 - alpha_s
    assert placement([_member("beta", "s", F(1, 3)), _member("alpha", "t", F(1, 2))],
                     equal={("s", "t")}) is None


def test_alphabar_decreases_with_its_index():
    members = [_member("abar", "s", F(1, 2)), _member("abar", "t", F(1, 4))]
    assert describe(placement(members)) == "s < t"
    assert placement(members, orders={("t", "s")}) is None
    assert placement(members, equal={("s", "t")}) is None
    same = [_member("abar", "s", F(1, 2)), _member("abar", "t", F(1, 2))]
    assert describe(placement(same)) == "s = t"                     # one index, one value


def test_named_alphas_in_between_make_the_product_exact():
    # alphabar_{t-1} = 1/2, alpha_t = 1/2 and alphabar_s = 1/4: s = t, nothing else
    chain = [_member("abar", "t-1", F(1, 2)), _member("alpha", "t", F(1, 2)),
             _member("abar", "t", F(1, 4))]
    assert describe(placement(chain + [_member("abar", "s", F(1, 4))])) == "s = t"
    assert placement(chain + [_member("abar", "s", F(1, 5))], orders={("s", "t")}) is None
    assert describe(placement(chain + [_member("abar", "s", F(1, 5))])) == "t < s"


def test_the_first_indices_exist():
    # T >= 1 and alphabar_0 = 1: alphabar_T = alphabar_1 only at T = 1, never above alphabar_1
    assert placement([_member("abar", "T", F(1, 2)), _member("abar", "1", F(1, 2))]) == {"T": 1}
    assert placement([_member("abar", "T", F(1, 2)), _member("abar", "1", F(1, 3))]) is None
    assert placement([_member("abar", "0", F(1, 2))]) is None
    assert placement([_member("abar", "2t", F(1, 2)), _member("abar", "t", F(1, 3))]) is None


def test_irrational_values_are_compared_exactly():
    root = sp.sqrt(2) / 2
    members = [_member("abar", "s", root), _member("alpha", "s+1", root),
               _member("abar", "s+1", F(1, 2))]
    assert placement(members) is not None
    assert placement(members[:2] + [_member("abar", "s+1", F(1, 3))]) is None


def test_chains_apart_in_an_order():
    chains = {(("t", 1),): [("abar", -1), ("alpha", 0), ("abar", 0)], (("T", 1),): [("abar", 0)]}
    t_chain, big_t = (("t", 1),), (("T", 1),)
    assert apart_possible(chains, (t_chain, big_t), orders={("t", "T")})
    assert not apart_possible(chains, (big_t, t_chain), orders={("t", "T")})
    assert apart_possible(chains, (big_t, t_chain))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fractions(F(1, 20), F(19, 20)), min_size=12, max_size=12),
       st.integers(1, 5), st.integers(1, 5), st.sampled_from(["abar", "alpha", "beta"]),
       st.sampled_from(["abar", "alpha", "beta"]))
def test_values_of_a_real_schedule_are_always_placed(alphas, s, t, family_s, family_t):
    """Completeness: members read off one schedule at indices s, t (with t's predecessor) are
    placed, in the order of the indices."""
    abar = [F(1)]
    for a in alphas:
        abar.append(abar[-1] * a)
    def value(family, k):
        if family == "abar":
            return abar[k]
        return alphas[k - 1] if family == "alpha" else 1 - alphas[k - 1]
    members = [_member(family_s, "s", value(family_s, s)),
               _member(family_t, "t", value(family_t, t)), _member("abar", "t-1", abar[t - 1])]
    orders = {("s", "t")} if s < t else ({("t", "s")} if t < s else set())
    equal = {("s", "t")} if s == t else set()
    assert placement(members, orders, equal) is not None


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["abar", "alpha", "beta"]),
                          st.sampled_from(["s", "s+1", "t-1", "t", "T", "1", "2"]),
                          st.sampled_from([F(1, 2), F(1, 3), F(2, 3), F(1, 4), F(1, 6), F(1, 9)])),
                min_size=2, max_size=5))
def test_a_placement_is_a_real_schedule(triples):
    """Soundness: when values are placed, some alphas in (0, 1) give every member its value at
    the placed indices (the free alphas between two alphabars share the ratio left)."""
    members = [_member(f, i, v) for f, i, v in triples]
    letters = placement(members)
    if letters is None:
        return
    alphas, abars = {}, {0: F(1)}
    for m in members:
        (abars if m.family == "abar" else alphas)[m.index(letters)] = \
            m.value if m.family != "beta" else 1 - m.value
    top = max(list(abars) + list(alphas))
    schedule = {}
    indices = sorted(abars)
    for lo, hi in zip(indices, indices[1:]):
        named = math.prod(alphas.get(k, 1) for k in range(lo + 1, hi + 1))
        free = [k for k in range(lo + 1, hi + 1) if k not in alphas]
        share = (float(abars[hi] / (abars[lo] * named))) ** (1 / len(free)) if free else None
        for k in range(lo + 1, hi + 1):
            schedule[k] = float(alphas[k]) if k in alphas else share
    for k in range(indices[-1] + 1, top + 1):
        schedule[k] = float(alphas.get(k, F(1, 2)))
    assert all(0 < a < 1 for a in schedule.values())
    for m in members:
        k = m.index(letters)
        if m.family == "abar":
            assert math.isclose(math.prod(schedule[i] for i in range(1, k + 1)), float(m.value))
        else:
            assert math.isclose(schedule[k], float(m.value if m.family == "alpha" else 1 - m.value))


# -- claims: true ones are never refuted --------------------------------------------------------
TRUE_ACROSS_INDICES = [
    (r"\bar\alpha_T \le \bar\alpha_t", r"t \le T"),
    (r"\bar\alpha_T \le \bar\alpha_{t-1}", r"t \le T"),
    (r"\bar\alpha_{T-1} \le \bar\alpha_{t-1}", r"t < T"),
    (r"\frac{\bar\alpha_T}{\bar\alpha_t} < 1", r"t < T"),
    (r"\bar\alpha_T \le \bar\alpha_t\alpha_T", r"t < T"),
    (r"\bar\alpha_s \ge \bar\alpha_t", r"s < t"),
    (r"\bar\alpha_t \le \alpha_s", r"s \le t"),
    (r"\bar\alpha_t \le \alpha_s\alpha_t", r"s < t"),
    (r"\beta_s + \bar\alpha_t \le 1", r"s < t"),
    (r"\bar\alpha_T \le \bar\alpha_1",),                    # T >= 1
    (r"\bar\alpha_{2t} \le \bar\alpha_t",),                 # 2t > t as t >= 1
]


@pytest.mark.parametrize("case", TRUE_ACROSS_INDICES, ids=lambda case: case[0])
def test_true_claims_across_indices_are_never_refuted(case):
    latex, *assumptions = case
    verdict = _verdict(latex, *assumptions)
    assert verdict.status != "fails", (latex, verdict)
    if verdict.status == "undecided":
        assert "is no schedule" in verdict.reason and \
            "what would decide it" in verdict.reason, verdict.reason


def test_the_first_point_unrealizable_is_named_with_the_order_that_excludes_it():
    verdict = _verdict(r"\bar\alpha_T \le \bar\alpha_t", r"t \le T")
    assert verdict.status == "undecided"
    # the order is quoted as stated (t \le T, not t < T), and equality was searched too
    assert "(t \\le T)" in verdict.reason and "t < T: holds (symbolic)" in verdict.reason
    assert "t = T: holds (symbolic)" in verdict.reason


# -- claims: false ones fail at a point one schedule has ------------------------------------------
def test_without_a_stated_order_any_order_of_the_indices_is_allowed():
    verdict = _verdict(r"\bar\alpha_T \le \bar\alpha_t")
    assert verdict.status == "fails" and "with T < t" in verdict.reason


def test_a_later_alphabar_larger_fails_in_the_stated_order():
    verdict = _verdict(r"\bar\alpha_t \le \bar\alpha_T", r"t \le T")
    assert verdict.status == "fails" and "with t < T" in verdict.reason
    point = verdict.counterexample
    abar_t = _value(point["abar_tm1"]) * _value(point["alpha_t"])
    assert _value(point["alphabar_T"]) < abar_t


def test_an_unrealizable_point_is_replaced_by_a_realizable_one():
    verdict = _verdict(r"\bar\alpha_T \le \frac{1}{2}\bar\alpha_t", r"t \le T")
    assert verdict.status == "fails" and "is no schedule" in verdict.reason, verdict
    point = verdict.counterexample
    gap = _value(point["prod_{t<k<=T} alpha_k"])
    assert 1 / 2 < gap < 1                                 # alphabar_T = alphabar_t * gap
    assert math.isclose(_value(point["where"]["alphabar_T"]),
                        _value(point["abar_tm1"]) * _value(point["alpha_t"]) * gap)


def test_an_earlier_alpha_is_a_factor_only_below():
    assert _verdict(r"\bar\alpha_t \le \alpha_s\alpha_t", r"t < s").status == "fails"
    assert _verdict(r"\bar\alpha_T \ge \alpha_T\bar\alpha_t", r"t < T").status == "fails"


def test_stated_orders_of_the_values_are_respected():
    """Gap report 15: with % assume: \\alpha_t < \\alpha_s and \\sigma_s < \\sigma_t the DPM-Solver
    slip stayed undecided; it fails at a point in that order."""
    verdict = _verdict(r"e^{h} = \frac{\sigma_t\alpha_s}{\alpha_t\sigma_s}",
                       r"0 < \alpha_t < \alpha_s < 1", r"0 < \sigma_s < \sigma_t < 1", r"s < t",
                       r"\lambda_t = \log\frac{\alpha_t}{\sigma_t}",
                       r"\lambda_s = \log\frac{\alpha_s}{\sigma_s}", r"h = \lambda_t - \lambda_s")
    assert verdict.status == "fails", verdict
    point = verdict.counterexample
    assert _value(point["alpha_t"]) < _value(point["alpha_s"])
    assert _value(point["sigma_s"]) < _value(point["sigma_t"])


def test_indices_used_as_numbers_order_the_indices():
    # alpha_s = e^{-s}, alpha_t = e^{-t}: the point's s and t order the indices too
    verdict = _verdict(r"\alpha_s \le \alpha_t", r"\alpha_t = e^{-t}", r"\alpha_s = e^{-s}",
                       "s < t")
    assert verdict.status == "fails" and "with s < t" in verdict.reason


# -- what is not modelled stays undecided, saying why ----------------------------------------------
def test_a_member_defined_beside_one_that_is_not():
    verdict = _verdict(r"\alpha_s + \alpha_t = 2\alpha_t", r"\alpha_t = e^{-t}")
    assert verdict.status == "undecided"
    assert "define alpha_s likewise" in verdict.reason


def test_an_index_letter_defined_by_an_assumption():
    verdict = _verdict(r"\alpha_s + \alpha_t = 2\alpha_t", "s = t - 1")
    assert verdict.status == "undecided" and "index s" in verdict.reason


# -- an order stated with \le admits equal indices ----------------------------------------------
def test_le_admits_equal_indices_where_lt_does_not():
    """abar_T <= alpha_T abar_t holds for t < T (abar_T = abar_t alpha_{t+1} ... alpha_T) and
    fails at t = T (abar_T <= alpha_T abar_T).  Under t \\le T the search tries t = T (it was
    read as t < T, and the order was quoted as t < T); under t < T the claim is not refuted."""
    claim = r"\bar\alpha_T \le \alpha_T\bar\alpha_t"
    weak = _verdict(claim, r"t \le T")
    assert weak.status == "fails" and "T = t" in weak.reason, weak
    point = weak.counterexample
    assert point["alpha_t"] == point["alpha_T"]         # one index, one value
    strict = _verdict(claim, r"t < T")
    assert strict.status == "undecided" and "(t < T)" in strict.reason, strict
    assert "t = T" not in strict.reason


def test_placement_tries_equality_only_for_a_weak_order():
    members = [_member("abar", "T", F(1, 4)), _member("abar", "t", F(1, 4)),
               _member("alpha", "T", F(1, 2)), _member("alpha", "t", F(1, 2))]
    assert placement(members, orders=[("t", "T")]) is None
    letters = placement(members, weak=[("t", "T")])
    assert letters is not None and letters["t"] == letters["T"]
    assert placement(members, orders=[("T", "t")]) is None


def test_the_equal_indices_are_searched_when_the_first_point_is_no_schedule():
    """The search at schedules only has a reading with the letters equal: every member of T's
    chain is t's at the same offset."""
    from diffproof.proofs.claims.assumptions import read_assumptions
    from diffproof.proofs.claims.indices import _Scope
    from diffproof.proofs.claims.steps import build_steps
    assumptions = read_assumptions([r"t \le T"])
    step = build_steps(r"\bar\alpha_T + \bar\alpha_t\beta_T \le \bar\alpha_t", assumptions)[0]
    scope = _Scope.of(step, assumptions)
    assert scope.equalities() == [("t", "T")]
    linked = scope.identified("t", "T")
    table = linked.table
    abar_t, alpha_t = table["abar_t"], table["alpha_t"]
    lhs = linked.expand(step.lhs) - linked.expand(abar_t + abar_t * (1 - alpha_t))
    assert sp.simplify(lhs) == 0
    strict = read_assumptions([r"t < T"])
    step = build_steps(r"\bar\alpha_T + \bar\alpha_t\beta_T \le \bar\alpha_t", strict)[0]
    assert _Scope.of(step, strict).equalities() == []
    # a bounded member of T's chain is not identified (its bound would be lost)
    bounded = read_assumptions([r"t \le T", r"0 < \alpha_T < \frac{1}{4}"])
    step = build_steps(r"\bar\alpha_T + \bar\alpha_t\beta_T \le \bar\alpha_t", bounded)[0]
    assert _Scope.of(step, bounded).identified("t", "T") is None
