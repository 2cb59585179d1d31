"""What the solver adapters share (DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler,
ScoreSdeVeScheduler): the run keys of a config, the drawn tensors, the noise recovered from a
seeded generator, and the comparison of a stored grid with a contract evaluated on it."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import Adapter, NotACase, load_diffusers
from diffproof.numeric.conform.adapters.diffusers_common import SHAPES, _short, torch_dtype
from diffproof.numeric.conform.contracts import get as contract

# keys of a config that are not keywords of the scheduler's __init__
RUN_KEYS = ("num_inference_steps", "index", "shape", "seed", "mu", "sampling_eps")
NOISE_SEED = 1234


def as_numpy(tensor) -> np.ndarray:
    return tensor.detach().double().numpy()


def generator():
    import torch
    return torch.Generator().manual_seed(NOISE_SEED)


def drawn_noise(shape, dtype):
    """The noise a step drew from ``generator()``: drawn again with diffusers' own randn_tensor
    from a generator seeded alike, so the check is exact."""
    from diffusers.utils.torch_utils import randn_tensor
    return randn_tensor(tuple(shape), generator=generator(), dtype=dtype)


class SolverAdapter(Adapter):
    """Shared parts; subclasses set ``name`` and write draw_extra, make, grid, grid_problems and
    step_case."""

    def load(self):
        return load_diffusers(self.name)

    def draw_run(self, draw, config: dict, max_steps: int = 30) -> dict:
        n = draw(st.integers(1, max_steps), label="num_inference_steps")
        config.update(num_inference_steps=n, index=draw(st.integers(0, n - 1), label="index"),
                      shape=draw(st.sampled_from(SHAPES)), seed=draw(st.integers(0, 2 ** 16)))
        return config

    def init_kwargs(self, config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in RUN_KEYS}

    def example_config(self) -> dict:
        """A typical config (the benchmark's baseline): property 3's where the adapter has it,
        at 50 steps, index 10."""
        return {**self.sampling_config(), "num_inference_steps": 50, "index": 10}

    def tensors(self, rng: np.random.Generator, shape, dtype: str, count: int):
        import torch
        return [torch.from_numpy(rng.standard_normal(shape)).to(torch_dtype(dtype))
                for _ in range(count)]

    @staticmethod
    def no_repeat(grid: list, index: int) -> None:
        """NotACase when the grid's timestep at ``index`` repeats (the scheduler then picks
        another index on purpose; property 4 reports the repeat)."""
        if grid.count(grid[index]) > 1:
            raise NotACase(f"timestep {grid[index]} repeats (property 4)")

    @staticmethod
    def grid_against(name: str, stored, dtype: str = "float32",
                     **inputs) -> tuple[int, float, float] | None:
        """The first element of ``stored`` off the contract ``name`` evaluated at ``inputs`` by
        more than its budget in ``dtype`` (the precision the grid is stored in): (index, derived,
        stored), or None."""
        c = contract(name)
        expected, budget = c.evaluate(**inputs), c.budget(dtype, **inputs)
        stored = np.asarray(stored, dtype=np.float64)
        bad = np.nonzero(~(np.abs(stored - expected) <= budget))[0]
        if len(bad) == 0:
            return None
        i = int(bad[0])
        return i, float(expected[i]), float(stored[i])


CAST = "step() casts the sample to float32 (sample.to(torch.float32)), so a float64 step is " \
    "float32-accurate"


def downcast_note(case, dtype: str, why: str = CAST):
    """The case, with a note when a float64 step misses its float64 budget but meets the float32
    one, saying ``why`` (by default: step() casts the sample to float32 first)."""
    if dtype != "float64":
        return case
    c = contract(case.contract)
    diff = np.abs(np.asarray(case.got, dtype=np.float64) - c.evaluate(**case.inputs))
    if np.any(diff > c.budget("float64", **case.inputs)) and \
            np.all(diff <= c.budget("float32", **case.inputs)):
        case.notes.append(f"within the float32 budget: {why}")
    return case


def decreasing_problems(grid: list, label: str = "timesteps") -> list[str]:
    problems = []
    if len(set(grid)) != len(grid):
        problems.append(f"{label} repeat: {_short(grid)}")
    if any(a <= b for a, b in zip(grid, grid[1:])):
        problems.append(f"{label} not strictly decreasing: {_short(grid)}")
    return problems
