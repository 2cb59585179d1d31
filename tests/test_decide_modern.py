"""The decision procedures of issue 16: each proves its true step and never proves a mutant.

- the case split on Min/Max (derive/decide/cases.py): Min-SNR's weights;
- positivity by structure (derive/decide/inequality/structure.py): the rho-schedule's derivative;
- integral identities by the fundamental theorem of calculus (derive/decide/integrals.py): VDM's
  continuous-time loss for a generic SNR(t).
"""
from __future__ import annotations

import pytest
import sympy as sp

from diffproof.derive import edm as E
from diffproof.derive import weighting as W
from diffproof.derive.decide.cases import decide_by_cases, zero_by_cases
from diffproof.derive.decide.inequality import prove_nonnegative
from diffproof.derive.decide.inequality.sign import clear_cache
from diffproof.derive.decide.inequality.structure import positive
from diffproof.derive.decide.integrals import IntegralIdentityCheck, equal_by_derivative
from diffproof.derive.paths import DDPM
from diffproof.derive.symbols import TABLE, sigma_max, sigma_min, t, w

snr, gamma = DDPM.snr, W.gamma


# -- the case split on Min/Max ------------------------------------------------------------------
@pytest.mark.parametrize("lhs,rhs", [
    (sp.Min(snr, gamma) / snr, sp.Min(1, gamma / snr)),
    (sp.Max(snr, gamma) / snr, sp.Max(1, gamma / snr)),
    (sp.Min(snr, gamma) / (snr + 1), sp.Min(snr / (snr + 1), gamma / (snr + 1))),
])
def test_the_case_split_proves_true_identities(lhs, rhs):
    answer, how = zero_by_cases(TABLE.expand_definitions(lhs - rhs), TABLE)
    assert answer is True and "case split" in how and "empty" in how, how


@pytest.mark.parametrize("lhs,rhs", [
    (sp.Min(snr, gamma) / snr, sp.Max(1, gamma / snr)),          # Min for Max
    (sp.Min(snr, gamma) / snr, sp.Min(1, gamma / (snr + 1))),    # the v weight's denominator
    (sp.Min(snr + 1, gamma) / (snr + 1), sp.Min(snr, gamma) / (snr + 1)),   # diffusers' slip
    (sp.Min(snr, gamma), snr),                                   # true in one case only
    (sp.Min(snr, gamma) / snr, sp.Min(1, 2 * gamma / snr)),
])
def test_the_case_split_never_proves_a_mutant(lhs, rhs):
    answer, _ = decide_by_cases(lhs - rhs, TABLE, budget=5.0)
    assert answer is None


def test_the_case_split_uses_the_orderings_of_the_table():
    answer, how = zero_by_cases(sp.Min(sigma_max, sigma_min) - sigma_min, TABLE)
    assert answer is True and "1 empty" in how, how
    assert zero_by_cases(sp.Min(sigma_max, sigma_min) - sigma_max, TABLE)[0] is None
    assert zero_by_cases(sp.Max(sigma_max, sigma_min) - sigma_min, TABLE)[0] is None


def test_the_case_split_declines_nested_extremes():
    inner = sp.Min(snr, gamma)
    same = inner * (snr + 1) / snr - inner - inner / snr
    answer, how = zero_by_cases(TABLE.expand_definitions(same), TABLE)
    assert answer is True and how == "normal form"          # the same node on both sides
    answer, how = zero_by_cases(TABLE.expand_definitions(sp.Max(inner, 1) - sp.Max(snr, 1)), TABLE)
    assert answer is None and "nested" in how


# -- positivity by structure ----------------------------------------------------------------------
GAP = sp.log(1 + sigma_max) - sp.log(1 + sigma_min)


@pytest.mark.parametrize("expr,rule", [
    (GAP, "increasing in sigma_max"),
    (sp.atan(sigma_max) - sp.atan(sigma_min), "increasing in sigma_max"),
    (GAP - w * GAP / 2, "affine in w"),
    (3 * GAP ** sp.Rational(1, 3) * sp.exp(w), "product of factors of known sign"),
])
def test_structure_proves_positive_expressions(expr, rule):
    clear_cache()
    how = positive(expr, TABLE)
    assert how is not None and rule in how, how


@pytest.mark.parametrize("expr", [
    -GAP, sp.atan(sigma_min) - sp.atan(sigma_max), GAP - 2 * w * GAP, 1 - 2 * w,
    GAP * (w - sp.Rational(1, 2)), sp.log(1 + sigma_max) - sp.log(2 + sigma_min),
])
def test_structure_never_proves_a_sign_that_fails(expr):
    clear_cache()
    assert positive(expr, TABLE) is None


def test_the_rho_schedule_decreases_and_its_mutants_do_not_prove():
    u = E.ramp
    derivative = sp.diff(E.rho_schedule(), u).xreplace({u: w})
    proof = prove_nonnegative(-derivative, TABLE, budget=5.0, strict=True)
    assert proof.proved and "positive by structure" in proof.how, proof.how
    flipped = sp.diff(E.rho_schedule().xreplace({sigma_min: sigma_max, sigma_max: sigma_min}), u)
    assert not prove_nonnegative(-flipped.xreplace({u: w}), TABLE, budget=5.0, strict=True).proved
    assert not prove_nonnegative(derivative, TABLE, budget=5.0, strict=True).proved


# -- integral identities by the fundamental theorem of calculus -----------------------------------
S = W.SNR(t)
LOSS_T = W.vdm_loss_in_t(S, 0, t)
LOSS_SNR = W.vdm_loss_in_snr(S, W.SNR(0))


def test_vdm_loss_is_an_integral_over_the_snr_for_any_schedule():
    answer, how, _ = equal_by_derivative(LOSS_T, LOSS_SNR, t, 0, 1)
    assert answer is True and "fundamental theorem of calculus" in how
    verdict = IntegralIdentityCheck(LOSS_T, LOSS_SNR, t, 0, 1).run(0)
    assert verdict.proved


@pytest.mark.parametrize("left,right", [
    (-sp.Integral(W.mse(W.SNR(W.tau)), (W.tau, 0, t)) / 2, LOSS_SNR),      # SNR' dropped
    (-LOSS_T, LOSS_SNR),                                                  # sign flipped
    (LOSS_T, W.vdm_loss_in_snr(W.SNR(0), S)),                             # ends swapped
    (LOSS_T, LOSS_SNR + W.SNR(0) - W.SNR(t)),
    (LOSS_T, 2 * LOSS_SNR),
])
def test_mutated_vdm_identities_are_refuted_by_an_instance(left, right):
    answer, _, counterexample = equal_by_derivative(left, right, t, 0, 1)
    assert answer is False and abs(counterexample["residual"]) > 1e-6
    verdict = IntegralIdentityCheck(left, right, t, 0, 1).run(0)
    assert verdict.status == "fails" and not verdict.proved


def test_an_identity_wrong_only_at_the_start_is_not_proved():
    answer, _, _ = equal_by_derivative(LOSS_T, LOSS_SNR + 1, t, 0, 1)
    assert answer is False


# -- the simple points' order, generated lazily (numeric/points/draws.py) -------------------------
def test_simplest_first_is_the_sorted_product():
    import itertools
    import random

    from diffproof.numeric.points.draws import COMBINATIONS, simplest_first

    def sorted_product(sizes):
        combos = itertools.product(*[range(n) for n in sizes])
        return sorted(itertools.islice(combos, COMBINATIONS), key=lambda idx: (sum(idx), idx))

    rng = random.Random(16)
    cases = [[], [1], [3], [0, 2], [5, 1, 4], [30, 30, 30], [30] * 3 + [2], [200, 150], [10] * 6,
             [3] * 12, [20000], [20001], [141, 142], [2] * 20]
    cases += [[rng.randint(1, 12) for _ in range(rng.randint(1, 5))] for _ in range(60)]
    for sizes in cases:
        assert list(simplest_first(sizes)) == sorted_product(sizes), sizes
