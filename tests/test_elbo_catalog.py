"""The ELBO catalog (proofs/catalog/elbo.py): every chain holds, every step is checked by at
least two of the three layers (rules, closed-form, monte-carlo), and the seed's wrong lines are
refuted with T, the parameters and both values.

Error rates: the Monte Carlo layer (RawElboCheck, a raw ELBO sampled from its definition) decides
each check at false-fail rate 1e-6 (numeric.montecarlo.MCSettings' default) with the fixed seed of
``Options`` (0), so a failure reproduces; its power against planted errors is measured in
tests/test_elbo_mc.py.  The closed-form and rules layers are exact (no error rate)."""
from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.proofs import catalog
from diffproof.proofs.checker import Options, check_derivation

LAYERS = {"rules", "closed-form", "monte-carlo", "symbolic"}


def test_every_chain_holds_with_two_layers_per_step():
    options = Options(numeric=True, max_examples=20)
    for derivation in catalog.derivations("elbo"):
        result = check_derivation(derivation, options=options)
        assert result.status == HOLDS, (derivation.id, result.first_failure())
        for step in result.steps:
            verdicts = ([step.verdict] if step.verdict.method == "symbolic" else []) + step.extra
            methods = {v.method for v in verdicts if v.status == HOLDS}
            assert len(methods & LAYERS) >= 2, (derivation.id, step.index, methods)


def test_sources_cite_seed_and_luo():
    for derivation in catalog.derivations("elbo"):
        for step in derivation.steps:
            assert step.source.paper and step.source.paper.startswith("Luo 2022"), step.justification
    cited = {s.source.seed for d in catalog.derivations("elbo") for s in d.steps}
    assert "001" in cited


def test_errata_are_refuted_by_exact_values():
    found = {}
    for erratum in catalog.errata("elbo"):
        result = check_derivation(erratum.claim, options=Options(max_examples=20))
        failing = result.first_failure()
        assert failing is not None, erratum.id
        assert failing.verdict.status == FAILS and failing.verdict.method == "closed-form"
        example = failing.verdict.counterexample
        assert {"T", "lhs", "rhs", "encoder (e, f, g)", "decoder (a, b, c)"} <= set(example)
        assert abs(example["lhs"] - example["rhs"]) > 1e-6
        found[erratum.id] = erratum.correct
    assert found["seed001-vdm-second-final-sign"] == "vdm-elbo-second"
    assert found["luo45-consistency-kl"] == "vdm-elbo-first"
