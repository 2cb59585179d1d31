"""The pytest plugin (entry point ``pytest11``, installed with diffproof): a ``conformance``
fixture and the ``--conform-seed`` / ``--conform-examples`` options.

    def test_my_step(conformance):
        conformance.check("ddim-step-epsilon", my_step, x_t="x", model_output="eps", ...)

``conformance.check`` runs :func:`diffproof.conform.implements` with the session's seed and number
of examples and fails the test with the short report.  ``conformance.scheduler(name)`` runs
``diffproof conform``'s rows for a diffusers scheduler (or a subclass: ``scheduler_class=``) and
fails on any row that does not hold.  Loading the plugin imports nothing heavy: diffproof's
SymPy core is imported by the first check.
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser) -> None:
    group = parser.getgroup("diffproof", "diffproof conformance")
    group.addoption("--conform-seed", type=int, default=0,
                    help="Hypothesis seed of the conformance fixture (default 0)")
    group.addoption("--conform-examples", type=int, default=50,
                    help="inputs drawn per conformance check (default 50)")


class Conformance:
    def __init__(self, seed: int, examples: int):
        self.seed, self.examples = seed, examples

    def check(self, contract: str, function, **options) -> None:
        from diffproof.conform import ConformanceError, implements
        options.setdefault("seed", self.seed)
        options.setdefault("max_examples", self.examples)
        try:
            implements(contract, function, **options)()
        except ConformanceError as error:
            pytest.fail(str(error), pytrace=False)

    def scheduler(self, name: str, scheduler_class=None, properties=None, families=None,
                  examples: int | None = None) -> list:
        from diffproof.numeric.conform.adapters import get
        from diffproof.numeric.conform.run import HOLDS, conform
        adapter = get(name)
        if scheduler_class is not None:
            adapter = type(adapter)(scheduler_class)
        rows = conform(adapter, seed=self.seed, max_examples=examples or self.examples,
                       properties=properties, families=families)
        bad = [r.report() for r in rows if r.status != HOLDS]
        if bad:
            pytest.fail("\n\n".join(bad), pytrace=False)
        return rows


@pytest.fixture
def conformance(request) -> Conformance:
    """Checks that functions implement diffproof's derived formulas (see the module)."""
    return Conformance(request.config.getoption("--conform-seed"),
                       request.config.getoption("--conform-examples"))
