"""Conformance tests for your own code: declare that a function implements a derived formula.

    from diffproof import conform
    test_my_step = conform.implements("ddim-step-epsilon", my_step, x_t="x", model_output="eps",
                                      abar_t="a_t", abar_prev="a_prev", eta="eta", noise="z")

``implements`` returns a ready test (a function of no arguments, collected by pytest when bound
to a ``test_`` name): Hypothesis draws the contract's inputs (noise levels 0 < abar_t < abar_prev
<= 1, eta in [0, 1], standard-normal arrays of a drawn shape), calls your function with them under
your argument names (keywords: ``contract input = your name``), and compares the result with the
formula, lambdified from diffproof's SymPy derivation, within the contract's error budget for
``dtype``.  A failure is shrunk to the simplest inputs and raised as ``ConformanceError`` with a
short report: the contract, its formula and source, the inputs, the two values at the worst
element, the budget and the seed that replays it.

``contracts()`` lists the contract names; ``check(...)`` runs the same test at once and returns the
report (None when it holds).  The diffusers schedulers are checked by ``diffproof conform``
(numeric/conform/); ``replay(scheduler, property, config)`` re-runs one of its reports.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["ConformanceError", "check", "contracts", "implements", "replay"]


class ConformanceError(AssertionError):
    """A function does not compute its contract's formula within the budget."""


def contracts() -> list[str]:
    from diffproof.numeric.conform.contracts import CONTRACTS
    return sorted(CONTRACTS)


def _strategy(contract, shapes, dtype: str):
    from hypothesis import strategies as st
    levels = st.floats(1e-4, 0.9999)

    @st.composite
    def draw(draw):
        values = {}
        abar_t = draw(levels)
        shape = draw(st.sampled_from(shapes))
        for i, name in enumerate(contract.inputs):
            if name == "abar_t":
                values[name] = abar_t
            elif name == "abar_prev":                  # a less noisy level, 1 included
                values[name] = draw(st.one_of(st.just(1.0), st.floats(0.0, 1.0).map(
                    lambda u: abar_t + (1 - abar_t) * u).filter(lambda a: a > abar_t)))
            elif name == "eta":
                values[name] = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0))
            else:
                seed = draw(st.integers(0, 2 ** 32 - 1))
                values[name] = np.random.default_rng([seed, i]).standard_normal(shape).astype(dtype)
        return values
    return draw()


def _report(contract, inputs: dict, got, dtype: str, seed: int) -> str | None:
    expected = contract.evaluate(**inputs)
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        try:
            got = np.broadcast_to(got, expected.shape)
        except ValueError:
            return f"{contract.name}: the function returned shape {got.shape}, expected " \
                   f"{expected.shape}"
    budget = contract.budget(dtype, **inputs)
    excess = np.where(np.isfinite(got), np.abs(got - expected) - budget, np.inf)
    if not np.all(np.isfinite(expected)) or np.all(excess <= 0):
        return None
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    scalars = ", ".join(f"{k}={float(v):.17g}" for k, v in inputs.items() if np.ndim(v) == 0)
    diff = abs(float(got[worst]) - float(expected[worst]))
    return "\n".join([
        f"{contract.name} does not hold",
        f"  formula: {contract.formula}",
        f"  source:  {contract.source}",
        f"  inputs:  {scalars}" + (f"; arrays of shape {expected.shape}" if expected.ndim else ""),
        f"  derived {float(expected[worst]):.17g}  got {float(got[worst]):.17g}"
        + (f"  at element {tuple(int(i) for i in worst)}" if expected.ndim else ""),
        f"  |diff| {diff:.3g}  budget ({dtype}) {float(budget[worst]):.3g}",
        f"  replay:  seed={seed}"])


def implements(contract: str, function: Callable, *, dtype: str = "float64", seed: int = 0,
               max_examples: int = 50, shapes=((), (3,), (2, 4)), **names: str) -> Callable[[], None]:
    """A test (no arguments) that ``function`` computes ``contract``; ``names`` maps each contract
    input to ``function``'s keyword (inputs not named keep their contract name)."""
    from diffproof.numeric.conform.contracts import get
    spec = get(contract)
    unknown = sorted(set(names) - set(spec.inputs))
    if unknown:
        raise TypeError(f"{contract} has no inputs {unknown}; its inputs: {', '.join(spec.inputs)}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")

    def test() -> None:
        from hypothesis import HealthCheck, Verbosity, given, settings
        from hypothesis import seed as hypothesis_seed

        @hypothesis_seed(seed)
        @settings(max_examples=max_examples, database=None, deadline=None, print_blob=False,
                  verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))
        @given(_strategy(spec, shapes, dtype))
        def search(inputs):
            call = {names.get(k, k): (v if np.ndim(v) else np.asarray(v, dtype=dtype).item())
                    for k, v in inputs.items()}
            with np.errstate(all="ignore"):
                got = function(**call)
            report = _report(spec, inputs, got, dtype, seed)
            if report:
                raise ConformanceError(report)
        search()
    test.__name__ = f"test_{getattr(function, '__name__', 'function')}_implements_{contract}"
    test.__doc__ = f"{getattr(function, '__name__', 'function')} computes {contract} " \
                   f"({spec.source})."
    return test


def check(contract: str, function: Callable, **options) -> str | None:
    """Run ``implements(...)`` now: None when it holds, else the failure report."""
    try:
        implements(contract, function, **options)()
    except ConformanceError as error:
        return str(error)
    return None


def replay(scheduler: str, prop: str, config: dict):
    """Re-run property ``prop`` of a diffusers scheduler's adapter on one (shrunk) config; the
    Failure, or None when it holds."""
    from diffproof.numeric.conform.adapters import get
    from diffproof.numeric.conform.run import replay as run_replay
    return run_replay(get(scheduler), prop, config)
