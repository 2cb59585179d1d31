"""The inequality prover: each method proves its textbook case, and nothing false is ever proved."""
import sympy as sp
import pytest

from diffproof.derive.decide.inequality import prove_nonnegative
from diffproof.derive.symbols import mu, mu_1, mu_2, p_1, q_1, r_1, r_2, u, v, v_1, v_2, w, x, x_1, x_2, x_3

half = sp.Rational(1, 2)


@pytest.mark.parametrize("expr, method", [
    ((x - 1) ** 2, "assumptions"),
    (u - 1 - sp.log(u), "convex in u"),                                   # Gibbs (seed 000 Eq. 2.4)
    (-w * sp.log(r_1) - (1 - w) * sp.log(r_2) + sp.log(w * r_1 + (1 - w) * r_2),
     "only critical point"),                                              # weighted Jensen for ln
    (p_1 * sp.log(p_1 / q_1) + (1 - p_1) * sp.log((1 - p_1) / (1 - q_1)), "convex in q_1"),
    (half * (sp.log(v_2 / v_1) - 1 + v_1 / v_2 + (mu_2 - mu_1) ** 2 / v_2), "convex in mu_1"),
    (-sp.log(1 - w) - w, "increasing in w"),                               # monotone from the end
    (v_1 / (2 * v) + sp.log(v) / 2 - half - sp.log(v_1) / 2, "only critical point v = v_1"),
    (x ** 4 - x ** 2 + 1, "critical points x = 0"),                       # three critical points
])
def test_proves_true_inequalities_by_the_named_method(expr, method):
    proof = prove_nonnegative(expr)
    assert proof.proved, proof.how
    assert method in proof.how


@pytest.mark.parametrize("expr", [
    sp.log(u) - u + 1,                        # Gibbs reversed
    x ** 2 - 1,                               # negative on (-1, 1)
    sp.log(1 - w) + w,                        # the remainder bound reversed
    w * sp.log(r_1) + (1 - w) * sp.log(r_2) - sp.log(w * r_1 + (1 - w) * r_2),   # Jensen reversed
    u - 2 - sp.log(u),                        # critical point u = 1 with value -1 < 0
    (x_1 - mu) ** 2 / v - 1,                  # sign changes
    x ** 4 - x ** 2,                          # -1/4 at the critical points x = +-1/sqrt(2)
    u ** 3 - 3 * u + sp.Rational(19, 10),     # -1/10 at its only critical point u = 1
])
def test_never_proves_a_false_inequality(expr):
    assert not prove_nonnegative(expr).proved


def test_empirical_kl_minimum_in_the_mean():
    """The stationary mean of seed 000 Eq. (2.12) minimizes the empirical KL for every variance."""
    data = (x_1, x_2, x_3)
    mean = sum(data) / 3

    def kl(center):
        return sum((xi - center) ** 2 for xi in data) / (6 * v) + sp.log(v) / 2

    assert prove_nonnegative(kl(mu) - kl(mean)).proved
    assert not prove_nonnegative(kl(mean) - kl(mu)).proved


def test_budget_is_respected(monkeypatch):
    """Every piece of the prover's work runs in a worker limited to the budget's CPU seconds
    (derive.decide.budget kills it there; no wall-clock assertion, so this holds under any load)."""
    import diffproof.derive.decide.budget
    import diffproof.derive.decide.inequality
    import diffproof.derive.decide.zero

    limits = []
    real = diffproof.derive.decide.budget.run_limited

    def spy(func, cpu_seconds, *args, **kwargs):
        limits.append(cpu_seconds)
        return real(func, cpu_seconds, *args, **kwargs)

    monkeypatch.setattr(diffproof.derive.decide.inequality, "run_limited", spy)
    monkeypatch.setattr(diffproof.derive.decide.zero, "run_limited", spy)
    proof = prove_nonnegative(sp.sin(x) ** 3 + sp.cos(x * u) - sp.log(1 + x ** 2) * u, budget=0.5)
    assert not proof.proved and limits and set(limits) == {0.5}
