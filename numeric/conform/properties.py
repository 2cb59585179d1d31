"""The properties of issue 17, each a function (adapter, config, dtype) -> a Failure or None.

1. ``step``: one step with a given model output equals the derived update (contract), in float64
   (the scheduler's schedule promoted), within the contract's float64 budget;
2. ``invariance``: the same exact denoiser (x_0, eps of one draw) given as eps, x_0 or v yields
   the same step, within the sum of the two steps' budgets;
4. ``grid``: the timesteps are unique, decreasing, inside [0, T - 1], start and end where the
   spacing says, and every step lands on the noise level of the grid's next timestep;
5. ``endpoints``: the first and last steps give finite values, or the formula itself is singular
   there (then the case is named, not failed: see :func:`singular`);
6. ``float32``: property 1 with float32 tensors and the scheduler as shipped, within the float32
   budget.

Property 3 (the sampling loop reaches the data law) is numeric/conform/sampling.py.
A config whose formula is singular (zero terminal SNR with an eps prediction at t = T) is not a
case of properties 1, 2 and 6; property 5 names it.
"""
from __future__ import annotations

import os
import traceback

from dataclasses import dataclass, field

import numpy as np

from diffproof.numeric.conform.adapters.base import NotACase, StepCase
from diffproof.numeric.conform.contracts import get as contract

PROPERTIES = {
    "step": "1 one step equals the derived update (float64)",
    "invariance": "2 eps, x0 and v of one denoiser give one step",
    "grid": "4 the timestep grid",
    "endpoints": "5 endpoints finite or singular formula named",
    "float32": "6 one step in float32 within budget",
    "sampling": "3 the sampling loop reaches the data law",
    "schedule": "the stored betas are the derived schedule (float32)",
    "add_noise": "1 add_noise is the forward noising of the path (float64)",
}


@dataclass
class Failure:
    """What one failing case says: short, with the two values at the worst element."""

    property: str
    message: str
    timestep: object = None
    contract: str | None = None
    formula: str | None = None
    source: str | None = None
    expected: float | None = None
    got: float | None = None
    diff: float | None = None
    budget: float | None = None
    where: tuple | None = None
    notes: list[str] = field(default_factory=list)


class Singular(Exception):
    """The contract's own value is not finite at the case: the formula is singular there."""


def compare(case: StepCase, dtype: str, prop: str) -> Failure | None:
    c = contract(case.contract)
    expected = c.evaluate(**case.inputs)
    if not np.all(np.isfinite(expected)):
        raise Singular(singular(case))
    got = np.asarray(case.got, dtype=np.float64)
    budget = c.budget(dtype, **case.inputs)
    excess = np.where(np.isfinite(got), np.abs(got - expected) - budget, np.inf)
    if np.all(excess <= 0):
        return None
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return Failure(prop, f"{c.name} off by more than its {dtype} budget", case.timestep, c.name,
                   c.formula, c.source, float(expected[worst]), float(got[worst]),
                   float(abs(got[worst] - expected[worst])), float(budget[worst]),
                   tuple(int(i) for i in worst), notes=list(case.notes))


def singular(case: StepCase) -> str:
    """The formula that is singular at the case, named: the x_0 (or eps) solved from an eps (or
    x_0) prediction divides by sqrt(abar_t) (or sqrt(1 - abar_t))."""
    a = case.inputs.get("abar_t")
    name = case.contract
    if a is not None and float(a) == 0.0 and "epsilon" in name:
        return (f"{name}: x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) is undefined at "
                f"abar_t = 0 (zero terminal SNR, timestep {case.timestep}); use v_prediction")
    if a is not None and float(a) == 1.0 and "sample" in name:
        return (f"{name}: eps = (x_t - sqrt(abar_t) x_0) / sqrt(1 - abar_t) is undefined at "
                f"abar_t = 1 (timestep {case.timestep})")
    levels = ", ".join(f"{k} = {float(v):.9g}" for k, v in case.inputs.items() if k.startswith("abar"))
    return f"{name} is not finite at timestep {case.timestep} ({levels})"


def _rng(config: dict) -> np.random.Generator:
    return np.random.default_rng(config["seed"])


def _guard(call, prop: str):
    """An implementation that raises is a failure, reported by its exception; an exception raised
    in diffproof's own code (an adapter's bug) is raised again: an internal error, not a
    verdict."""
    try:
        return call(), None
    except (Singular, NotACase):
        raise
    except Exception as error:  # noqa: BLE001 - the implementation's error is the finding
        if raised_by_diffproof(error):
            raise
        return None, Failure(prop, f"raised {type(error).__name__}: {str(error)[:200]}")


_OWN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def raised_by_diffproof(error: BaseException) -> bool:
    """Whether the frame that raised ``error`` is in diffproof's own source (derive/, numeric/,
    proofs/, diffproof/), not in the implementation under test or a library it calls."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return False
    raised = os.path.abspath(frames[-1].filename)
    if os.path.basename(_OWN) == "diffproof":           # installed: the package is ours
        return raised.startswith(_OWN + os.sep)
    return any(raised.startswith(os.path.join(_OWN, part) + os.sep)   # a source tree: not tests/
               for part in ("derive", "numeric", "proofs", "diffproof"))


def step(adapter, config: dict, dtype: str = "float64", prop: str = "step") -> Failure | None:
    def run():
        sched = adapter.make(config, dtype)
        return adapter.step_case(sched, config, config["index"], _rng(config), dtype)
    try:
        case, failure = _guard(run, prop)
    except NotACase:
        return None
    if failure:
        return failure
    try:
        return compare(case, dtype, prop)
    except Singular:
        return None                       # property 5 names it


def float32(adapter, config: dict) -> Failure | None:
    return step(adapter, config, "float32", "float32")


def invariance(adapter, config: dict, dtype: str = "float64") -> Failure | None:
    try:
        cases, failure = _guard(lambda: adapter.invariance_cases(config, config["index"],
                                                                 _rng(config), dtype), "invariance")
    except NotACase:
        return None
    if failure:
        return failure
    values, budgets = [], []
    for case in cases:
        c = contract(case.contract)
        if not np.all(np.isfinite(c.evaluate(**case.inputs))):
            return None                   # singular (property 5)
        values.append(np.asarray(case.got, dtype=np.float64))
        budgets.append(c.budget(dtype, **case.inputs))
    for i in range(len(cases)):
        for j in range(i + 1, len(cases)):
            excess = np.abs(values[i] - values[j]) - (budgets[i] + budgets[j])
            excess = np.where(np.isfinite(excess), excess, np.inf)
            if np.any(excess > 0):
                worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
                return Failure("invariance", f"{cases[i].contract} and {cases[j].contract} of one "
                               "exact denoiser disagree", cases[i].timestep,
                               f"{cases[i].contract} vs {cases[j].contract}",
                               expected=float(values[i][worst]), got=float(values[j][worst]),
                               diff=float(abs(values[i][worst] - values[j][worst])),
                               budget=float(budgets[i][worst] + budgets[j][worst]),
                               where=tuple(int(k) for k in worst))
    return None


def grid(adapter, config: dict) -> Failure | None:
    problems, failure = _guard(lambda: adapter.grid_problems(adapter.make(config, "float64"),
                                                             config), "grid")
    if failure:
        return failure
    return Failure("grid", problems[0], notes=problems[1:]) if problems else None


def endpoints(adapter, config: dict, notes: list | None = None) -> Failure | None:
    """The first and the last step of the grid, in float32 (as shipped): finite, or singular."""
    for index in (0, config["num_inference_steps"] - 1):
        cfg = {**config, "index": index}
        def run():
            sched = adapter.make(cfg, "float32")
            return adapter.step_case(sched, cfg, index, _rng(cfg), "float32")
        try:
            case, failure = _guard(run, "endpoints")
        except NotACase:
            continue
        if failure:
            return failure
        expected = contract(case.contract).evaluate(**case.inputs)
        finite = np.all(np.isfinite(case.got))
        if not np.all(np.isfinite(expected)):
            if notes is not None:
                notes.append(singular(case) + ("" if finite else
                             "; the implementation returns NaN/Inf without a warning"))
            continue
        if not finite:
            return Failure("endpoints", f"non-finite output where {case.contract} is finite",
                           case.timestep, case.contract)
    return None


def schedule(adapter, config: dict) -> Failure | None:
    """The stored betas (float32) against the derived schedule, every index at once."""
    try:
        case, failure = _guard(lambda: adapter.schedule_case(config), "schedule")
    except NotACase:
        return None
    return failure or compare(case, "float32", "schedule")


def add_noise(adapter, config: dict) -> Failure | None:
    """``add_noise(x_0, eps, t)`` at the grid's ``index``-th timestep against the forward noising
    of the scheduler's path at its own stored level (float64)."""
    def run():
        sched = adapter.make(config, "float64")
        return adapter.add_noise_case(sched, config, config["index"], _rng(config), "float64")
    try:
        case, failure = _guard(run, "add_noise")
    except NotACase:
        return None
    return failure or compare(case, "float64", "add_noise")


CHECKS = {"step": step, "invariance": invariance, "grid": grid, "endpoints": endpoints,
          "float32": float32, "schedule": schedule, "add_noise": add_noise}
