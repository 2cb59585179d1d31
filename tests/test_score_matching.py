"""Seed 001 score side: EBM score, Hyvarinen with its constant, Langevin; errata refuted; planted
errors fail.  The Langevin Monte Carlo checks run at false-fail rate 1e-6 and detect a 3% variance
error with power 0.999 (score_matching._LANGEVIN_MC)."""
import numpy as np
import pytest

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.numeric.montecarlo import MonteCarloCheck
from diffproof.proofs import catalog
from diffproof.proofs.catalog import score_matching as S
from diffproof.proofs.checker import Options, check_derivation

OPTIONS = Options(max_examples=30)


@pytest.mark.parametrize("entry", catalog.entries("score_matching"), ids=lambda e: e.id)
def test_derivation_holds(entry):
    result = check_derivation(catalog.get(entry.id), options=OPTIONS)
    assert result.status == HOLDS, result.first_failure()
    for r in result.steps:
        assert r.verdict.method == ("symbolic" if r.step.expr is not None else "monte-carlo")


@pytest.mark.parametrize("entry", catalog.erratum_entries("score_matching"), ids=lambda e: e.id)
def test_erratum_is_refuted(entry):
    assert check_derivation(catalog.get(entry.id), options=OPTIONS).first_failure() is not None


def test_unit_noise_chain_fails_by_simulation():
    claim = catalog.get("E001-langevin-noise-scale")
    assert claim.steps[-1].checks[0].run(3).status == FAILS


def test_planted_half_noise_langevin_fails():
    """sqrt(c) instead of sqrt(2c): stationary variance about half of Langevin's."""
    check = MonteCarloCheck("planted", S.langevin_draw(float(np.sqrt(S._C))), S._langevin_target(2 * S._C),
                            settings=S._LANGEVIN_MC)
    assert check.run(0).status == FAILS


def test_planted_wrong_constant_fails():
    claim = Derivation("planted", "planted",
                       steps=[Step(S.hyvarinen_objective() + 1 / S.s ** 2, "planted",
                                   lhs=S.fisher_divergence())])
    assert check_derivation(claim, options=OPTIONS).status == FAILS
