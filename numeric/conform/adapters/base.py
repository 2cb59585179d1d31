"""The adapter interface: what the properties (numeric/conform/properties.py) ask of a scheduler.

An adapter wraps one implementation (one scheduler class of a library) and answers, for a config
drawn by Hypothesis, in the implementation's own terms:

- ``families``: the fixed parts of the configs, one row of the report each (e.g. the timestep
  spacing); ``draw_config(draw, family)`` draws the rest (schedule, sizes, timestep index, seed);
- ``make(config, dtype)``: a ready scheduler (``set_timesteps`` done); ``dtype`` "float64"
  promotes the scheduler's schedule tensors so that it computes in float64;
- ``grid(sched)``: the timesteps, in sampling order; ``grid_problems(sched, config)``: what is
  wrong with them (property 4), each a one-line reason;
- ``step_case(sched, config, index, rng, dtype)``: one call of the implementation's step at the
  grid's ``index``-th timestep, with its noise supplied or recovered, returned as a
  :class:`StepCase`: the contract it must satisfy, the contract's inputs (what the implementation
  used: its stored schedule values, the tensors given, the noise drawn) and the output;
- ``invariance_cases(config, index, rng, dtype)``: the same step with the same exact denoiser
  given in each parametrization the implementation accepts (property 2);
- ``schedule_case(config)``: the stored schedule against its derived formula (raise NotACase
  where none is derived);
- ``loop_step(sched, config, t, model_output, x, generator)``: one step of a sampling loop, for
  property 3 (numeric/conform/sampling.py).

Adapters may add what their scheduler needs; the properties only use the methods above.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class StepCase:
    """One call of an implementation, and the contract it must satisfy there."""

    contract: str
    inputs: dict[str, Any]
    got: np.ndarray
    timestep: Any
    notes: list[str] = field(default_factory=list)


class NotACase(Exception):
    """The config is not a case of the property (e.g. its grid has a timestep outside the
    schedule: property 4 reports that; a step there has no contract)."""


class Unsupported(Exception):
    """The adapter's library is not installed, or the config is outside what it covers."""


class Adapter:
    """Base class; see the module docstring.  ``scheduler_class`` replaces the library's class
    (a subclass with a planted bug, or a user's fork); ``label`` names it in reports."""

    name = "?"
    families: tuple[dict, ...] = ({},)
    properties: tuple[str, ...] = ("step", "invariance", "grid", "endpoints", "float32",
                                   "schedule", "add_noise")

    def __init__(self, scheduler_class=None, label: str | None = None):
        self._class = scheduler_class
        self.label = label or (scheduler_class.__name__ if scheduler_class is not None else self.name)

    def scheduler_class(self):
        if self._class is None:
            self._class = self.load()
        return self._class

    def load(self):                                  # pragma: no cover - overridden
        raise NotImplementedError

    def draw_config(self, draw, family: dict) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def make(self, config: dict, dtype: str):        # pragma: no cover - overridden
        raise NotImplementedError

    def grid(self, sched) -> list:                   # pragma: no cover - overridden
        raise NotImplementedError

    def grid_problems(self, sched, config: dict) -> list[str]:   # pragma: no cover
        raise NotImplementedError

    def step_case(self, sched, config: dict, index: int, rng: np.random.Generator,
                  dtype: str) -> StepCase:           # pragma: no cover - overridden
        raise NotImplementedError

    def invariance_cases(self, config: dict, index: int, rng: np.random.Generator,
                         dtype: str) -> list[StepCase]:   # pragma: no cover - overridden
        raise NotImplementedError


def load_diffusers(name: str):
    """diffusers' scheduler class ``name``; Unsupported (with the install line) when diffusers is
    not installed."""
    try:
        import diffusers
    except ImportError as error:
        raise Unsupported("diffusers is not installed: pip install 'diffproof[diffusers]'") \
            from error
    return getattr(diffusers, name)
