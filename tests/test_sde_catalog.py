"""The SDE catalog modules: every derivation holds, symbolic steps are proved symbolically, every
seed 002 erratum is refuted, and planted errors in a step are caught.

Error rates: the one Monte Carlo decision here (the unit-prior sampler erratum) runs at seed 0 and
false-fail rate 1e-6 (numeric.montecarlo.MCSettings' default) and power 0.999 against its
declared detectable size; the test asserts it catches the planted error (a prior of the wrong
variance) at that seed.  The simulation steps of the catalog derivations are Monte Carlo checks at
the same rate, seed 0."""
import sympy as sp
import pytest

from diffproof.derive.derivation import Derivation, Step
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.derive.sde import VE, VP
from diffproof.derive.symbols import sigma_min, t
from diffproof.proofs import catalog
from diffproof.proofs.checker import Options, check_derivation

OPTIONS = Options(max_examples=30)


@pytest.mark.parametrize("entry", catalog.entries("sde_ve") + catalog.entries("sde_vp"),
                         ids=lambda e: e.id)
def test_derivation_holds(entry):
    derivation = catalog.get(entry.id)
    result = check_derivation(derivation, options=OPTIONS)
    assert result.status == HOLDS, result.first_failure()
    for step in result.steps:
        if step.step.expr is not None:       # a claimed relation: proved, not sampled
            assert step.verdict.method == "symbolic", (derivation.id, step.index)


@pytest.mark.parametrize("entry", catalog.erratum_entries("sde_ve"), ids=lambda e: e.id)
def test_erratum_is_refuted(entry):
    result = check_derivation(catalog.get(entry.id), options=OPTIONS)
    failing = result.first_failure()
    assert failing is not None and failing.verdict.counterexample


def test_unit_prior_simulation_step_fails_by_monte_carlo():
    claim = catalog.get("E002-sampler-unit-prior")
    verdict = claim.steps[-1].checks[0].run(0)
    assert verdict.status == FAILS and verdict.method == "monte-carlo"


@pytest.mark.parametrize("planted", [
    VE.kernel_variance + sigma_min ** 2 / 10,           # a wrong kernel variance
    sigma_min ** 2 * ((sp.Symbol("sigma_max", positive=True) / sigma_min) ** (2 * t)),
])
def test_planted_kernel_errors_fail(planted):
    wrong = Derivation("planted", "planted", steps=[Step(planted, "planted", lhs=VE.kernel_variance)])
    assert check_derivation(wrong, options=OPTIONS).status == FAILS


def test_planted_vp_closed_form_error_fails():
    wrong = sp.exp(-t ** 2 * (sp.Symbol("beta_max", positive=True)) / 4)   # drops beta_min terms
    claim = Derivation("planted", "planted", steps=[Step(wrong, "planted", lhs=VP.scale)])
    assert check_derivation(claim, options=OPTIONS).status == FAILS
