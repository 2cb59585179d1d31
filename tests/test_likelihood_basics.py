"""Seed 000 catalog: derivations hold symbolically (inequalities by a named proof method), errata
are refuted, planted errors (unbiased variance, a wrong Gibbs direction) fail."""
import sympy as sp
import pytest

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.derive.symbols import u, v, x_1, x_2, x_3
from diffproof.proofs import catalog
from diffproof.proofs.catalog import likelihood_basics as L
from diffproof.proofs.checker import Options, check_derivation

OPTIONS = Options(max_examples=30)


@pytest.mark.parametrize("entry", catalog.entries("likelihood_basics"), ids=lambda e: e.id)
def test_derivation_holds_symbolically(entry):
    result = check_derivation(catalog.get(entry.id), options=OPTIONS)
    assert result.status == HOLDS, result.first_failure()
    assert all(r.verdict.method == "symbolic" for r in result.steps)


def test_inequality_steps_name_their_method():
    result = check_derivation(catalog.get("kl-nonnegative-gibbs"), options=OPTIONS)
    how = result.steps[0].verdict.details["how"]
    assert "convex in u" in how and "u = 1" in how


@pytest.mark.parametrize("entry", catalog.erratum_entries("likelihood_basics"), ids=lambda e: e.id)
def test_erratum_is_refuted(entry):
    assert check_derivation(catalog.get(entry.id), options=OPTIONS).first_failure() is not None


def test_planted_unbiased_variance_fails():
    data = (x_1, x_2, x_3)
    unbiased = sum((xi - sum(data) / 3) ** 2 for xi in data) / 2
    solved = sp.solve(sp.diff(L.SEED_211, v), v)[0].subs(L.mu, sum(data) / 3)
    claim = Derivation("planted", "planted", steps=[Step(unbiased, "planted", lhs=solved)])
    assert check_derivation(claim, options=OPTIONS).status == FAILS


def test_planted_reversed_gibbs_fails():
    claim = Derivation("planted", "planted", steps=[Step(u - 1, "planted", lhs=sp.log(u), relation=">=")])
    result = check_derivation(claim, options=OPTIONS)
    assert result.status == FAILS and result.steps[0].verdict.counterexample
