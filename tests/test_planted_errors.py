"""The checker has teeth: every catalog step holds, and planted errors in it fail.

For each symbolic step of the topics in TOPICS (the Gaussian core, DDIM, the Gaussian paths, EDM,
guidance, loss weightings, DPM-Solver and flow matching) we plant the typical slips (swap abar_t and
abar_{t-1}, drop a square root, flip a sign, square instead of not).  A mutant that an independent
oracle (SymPy's evalf at seeded random points) shows to be a real error must be reported ``fails`` with a
counterexample at which the step really is violated (re-evaluated by the oracle).
"""
from __future__ import annotations

from dataclasses import replace

import pytest
import sympy as sp

from diffproof.derive.symbols import TABLE
from diffproof.proofs import catalog
from diffproof.proofs.checker import Options, check_relation
from tests.mutations import MUTATIONS, is_real_error, relation_violated

OPTIONS = Options(numeric=True, seed=0, budget=1.0, max_examples=60)

CASES = []
TOPICS = ("vdm_gaussian", "ddim", "gaussian_paths", "edm", "guidance", "weighting", "dpm_solver",
          "flow_matching")
for derivation in [d for topic in TOPICS for d in catalog.derivations(topic)]:
    for index, lhs, step in derivation.links():
        if step.expr is not None and step.symbolic:
            CASES.append(pytest.param(derivation, index, lhs, step, id=f"{derivation.id}-{index}"))


@pytest.mark.parametrize("derivation,index,lhs,step", CASES)
def test_step_holds_and_planted_errors_fail(derivation, index, lhs, step):
    verdict = check_relation(lhs, step, derivation.definitions, options=OPTIONS)
    assert verdict.status == "holds", verdict
    real = 0
    for name, mutate in MUTATIONS.items():
        mutant = mutate(step.expr)
        if mutant is None or not is_real_error(lhs, mutant, step.relation, step.wrt,
                                               derivation.definitions):
            continue
        real += 1
        planted = replace(step, expr=mutant)
        verdict = check_relation(lhs, planted, derivation.definitions, options=OPTIONS)
        assert verdict.status == "fails", f"{name}: {mutant} was not refuted ({verdict})"
        point = {spec.symbol: sp.nsimplify(verdict.counterexample[spec.key])
                 for spec in TABLE if spec.key in verdict.counterexample}
        for symbol in (sp.sympify(lhs).free_symbols | mutant.free_symbols) - set(point):
            if symbol.name in verdict.counterexample:   # a symbol of derive.paths, not of TABLE
                point[symbol] = sp.nsimplify(verdict.counterexample[symbol.name])
        assert relation_violated(lhs, mutant, step.relation, step.wrt, point,
                                 derivation.definitions), f"{name}: counterexample {point} does not violate"
    # a bare constant (VE's f = 0, a sign claim against 0) has nothing to plant an error in
    assert real >= 1 or step.expr.is_number, "no planted error applied to this step"

