"""What diffusers' sigma-parametrized schedulers share (EulerDiscreteScheduler,
EulerAncestralDiscreteScheduler, HeunDiscreteScheduler): the sample lives in sigma units
(x = y + sigma n), the network is given x / sqrt(sigma^2 + 1) (``scale_model_input``), the grid
is the list ``sigmas`` (n levels and a final 0) read at the timesteps of a spacing, or the rho
schedule of Karras et al. (``use_karras_sigmas``).

A config's ``call`` says which call property 1 checks: ``step`` (contract per scheduler) or
``scale_model_input`` (contract scale-model-input).  A step at the grid's ``index``-th level is
made with ``set_begin_index(index)``, the scheduler's own way to start mid-grid.
"""
from __future__ import annotations

import inspect

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import (SHAPES, DiscreteAdapter, _short,
                                                                torch_dtype)
from diffproof.numeric.conform.contracts import get as contract

SPACINGS = ("linspace", "leading", "trailing")
RUN_KEYS = ("num_inference_steps", "index", "shape", "seed", "call")
TOLERANCE_DTYPE = "float32"         # diffusers stores sigmas and timesteps in float32


class SigmaAdapter(DiscreteAdapter):
    """Shared parts; subclasses set ``name``, ``families``, ``predictions`` and write ``case``."""

    predictions: tuple[str, ...] = ("epsilon", "sample", "v_prediction")
    calls: tuple[str, ...] = ("step", "scale_model_input")
    max_steps = 30

    def draw_config(self, draw, family: dict) -> dict:
        T = draw(st.sampled_from([1000, 100, 50]), label="num_train_timesteps")
        config = {"num_train_timesteps": T,
                  "beta_schedule": draw(st.sampled_from(["scaled_linear", "linear",
                                                         "squaredcos_cap_v2"])),
                  "beta_start": draw(st.sampled_from([8.5e-4, 1e-4])),
                  "beta_end": draw(st.sampled_from([0.012, 0.02])),
                  "prediction_type": draw(st.sampled_from(self.predictions)),
                  "steps_offset": draw(st.sampled_from([0, 1]))}
        config.update(family)
        n = draw(st.integers(1, min(T - 1, self.max_steps)), label="num_inference_steps")
        config.update(num_inference_steps=n, index=draw(st.integers(0, n - 1), label="index"),
                      shape=draw(st.sampled_from(SHAPES)), seed=draw(st.integers(0, 2 ** 16)),
                      call=draw(st.sampled_from(self.calls)))
        return config

    def init_kwargs(self, config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in RUN_KEYS}

    def promote(self, sched) -> None:
        """Compute in float64: the stored levels (float32 values, converted exactly)."""
        import torch
        sched.sigmas = sched.sigmas.to(torch.float64)

    def make(self, config: dict, dtype: str):
        sched = self.scheduler_class()(**self.init_kwargs(config))
        sched.set_timesteps(config["num_inference_steps"])
        if dtype == "float64":
            self.promote(sched)
        return sched

    # -- the grid ------------------------------------------------------------------------------
    def levels(self, sched) -> np.ndarray:
        """The noise levels of the grid, in sampling order, and the final one: n + 1 values."""
        return sched.sigmas.detach().double().numpy()

    def grid(self, sched) -> list[float]:
        return [float(t) for t in sched.timesteps]

    def position(self, index: int) -> int:
        """The scheduler's step index of the grid's ``index``-th step."""
        return index

    def expected_levels(self, sched, config: dict) -> tuple[np.ndarray, np.ndarray, str]:
        """The derived levels (float64) and their budgets for a float32 grid: sigma(abar) at the
        integer timesteps of the spacing, or the rho schedule between the spacing's end levels."""
        n, grid = config["num_inference_steps"], self.grid(sched)
        abar = self.abar(sched)
        if config.get("use_karras_sigmas"):
            ends = [self._sigma_at(abar, t) for t in self._spacing_ends(config)]
            c = contract("rho-schedule")
            u = np.arange(n) / max(n - 1, 1)
            values = dict(sigma_max=ends[0], sigma_min=ends[1], rho=7.0, u=u)
            return c.evaluate(**values), c.budget(TOLERANCE_DTYPE, **values), "rho-schedule"
        out, budget = np.full(n, np.nan), np.full(n, np.nan)
        c = contract("sigma-of-abar")
        for i, t in enumerate(grid[:n]):
            if float(t).is_integer() and 0 <= t < len(abar):
                out[i] = c.evaluate(abar_t=abar[int(t)])
                budget[i] = c.budget(TOLERANCE_DTYPE, abar_t=abar[int(t)])
        return out, budget, "sigma-of-abar"

    def _spacing_ends(self, config: dict) -> tuple[float, float]:
        T, n = config["num_train_timesteps"], config["num_inference_steps"]
        spacing, offset = config.get("timestep_spacing", "linspace"), config.get("steps_offset", 0)
        first = {"trailing": T - 1, "linspace": T - 1, "leading": (n - 1) * (T // n) + offset}
        last = {"trailing": round(T / n) - 1, "linspace": 0, "leading": offset}
        return first[spacing], (last[spacing] if n > 1 else first[spacing])

    @staticmethod
    def _sigma_at(abar: np.ndarray, t: float) -> float:
        return float(contract("sigma-of-abar").evaluate(abar_t=abar[int(t)]))

    def grid_problems(self, sched, config: dict) -> list[str]:
        n, T = config["num_inference_steps"], config["num_train_timesteps"]
        levels = self.levels(sched)
        problems = []
        if len(levels) != n + 1:
            problems.append(f"{len(levels)} levels for num_inference_steps = {n} (n and a final 0)")
        if np.any(np.diff(levels) >= 0):
            problems.append(f"sigmas not strictly decreasing: {_short([round(float(s), 6) for s in levels])}")
        if levels[-1] != 0:
            problems.append(f"final sigma {levels[-1]:.6g}, Algorithm 1 ends at sigma_N = 0")
        grid = self.grid(sched)
        outside = [t for t in grid if not 0 <= t <= T - 1]
        if outside:
            problems.append(f"timesteps outside [0, {T - 1}]: {outside[:3]}")
            return problems
        if not config.get("use_karras_sigmas"):
            problems += self.endpoint_problems([int(t) if float(t).is_integer() else t for t in grid],
                                               config)
        want, budget, name = self.expected_levels(sched, config)
        got = levels[:len(want)] if len(levels) >= len(want) else np.pad(levels, (0, len(want)))
        bad = np.isfinite(want) & (np.abs(got - want) > budget)
        if bad.any():
            i = int(np.argmax(bad))
            problems.append(f"sigma[{i}] = {got[i]:.9g}, {name} gives {want[i]:.9g} "
                            f"(|diff| {abs(got[i] - want[i]):.3g}, float32 budget {budget[i]:.3g})")
        return problems

    # -- property 1 ----------------------------------------------------------------------------
    def at(self, sched, index: int):
        """The scheduler set to step from the grid's ``index``-th level; its timestep."""
        pos = self.position(index)
        sched.set_begin_index(pos)
        # the check hands step() the model output itself: no scale_model_input call to warn about
        sched.is_scale_input_called = True
        return sched.timesteps[pos]

    def step_case(self, sched, config: dict, index: int, rng: np.random.Generator,
                  dtype: str) -> StepCase:
        x, output, noise = self.tensors(rng, config["shape"], dtype, 3)
        if config.get("call") == "scale_model_input":
            t = self.at(sched, index)
            got = sched.scale_model_input(x, t).detach().double().numpy()
            sigma = self.sigma_pair(sched, index)[0]
            return StepCase("scale-model-input", {"sigma": sigma, "x": x}, got, float(t))
        return self.case(sched, config, index, x, output, noise)

    def add_noise_case(self, sched, config: dict, index: int, rng: np.random.Generator,
                       dtype: str) -> StepCase:
        """add_noise(x_0, eps, t) at the grid's index-th timestep: x = x_0 + sigma eps with the
        scheduler's own level there (Karras et al. 2022, Sec. 2: the sigma-parametrized path)."""
        t = self.at(sched, index)
        x_0, eps = self.tensors(rng, config["shape"], dtype, 2)
        got = sched.add_noise(x_0, eps, t.reshape(1)).detach().double().numpy()
        inputs = {"sigma": self.sigma_pair(sched, index)[0], "x_0": x_0.double().numpy(),
                  "eps": eps.double().numpy()}
        return StepCase("sigma-noising", inputs, got, float(t))

    def sigma_pair(self, sched, index: int) -> tuple[float, float]:
        levels = self.levels(sched)
        return float(levels[self.position(index)]), float(levels[self.position(index) + 1])

    # -- property 2 ----------------------------------------------------------------------------
    def invariance_cases(self, config: dict, index: int, rng: np.random.Generator,
                         dtype: str) -> list[StepCase]:
        import torch
        x0, eps, noise = (rng.standard_normal(config["shape"]) for _ in range(3))
        cases = []
        for kind in self.predictions:
            cfg = {**config, "prediction_type": kind, "call": "step"}
            sched = self.make(cfg, dtype)
            sigma = self.sigma_pair(sched, index)[0]
            a = float(contract("abar-of-sigma").evaluate(sigma=sigma))
            x = contract("sigma-noising").evaluate(sigma=sigma, x_0=x0, eps=eps)
            output = prediction(kind, a, x0, eps=eps)
            extra = self.invariance_extra(kind, noise)
            as_t = [torch.from_numpy(np.asarray(v)).to(torch_dtype(dtype)) for v in (x, output)]
            as_t.append(extra if callable(extra) else torch.from_numpy(extra).to(torch_dtype(dtype)))
            cases.append(self.case(sched, cfg, index, *as_t))
        return cases

    def invariance_extra(self, kind: str, noise: np.ndarray):
        """The third argument of ``case`` in property 2: the noise (Heun: its second output)."""
        return noise

    # -- property 3 ----------------------------------------------------------------------------
    def sampling_config(self) -> dict:
        return dict(beta_schedule="scaled_linear", num_train_timesteps=1000, beta_start=8.5e-4,
                    beta_end=0.012, prediction_type="epsilon", timestep_spacing="linspace",
                    steps_offset=0, num_inference_steps=100, index=0, shape=(1, 2), seed=0,
                    call="step")

    def sample_loop(self, config: dict, mixture, rng: np.random.Generator, n: int) -> np.ndarray:
        """A pipeline's loop: x = init_noise_sigma z, then for each timestep the exact denoiser at
        the scaled input x_t = scale_model_input(x) and the level the scheduler holds, handed to
        step() in the config's prediction type."""
        import torch
        sched = self.make(config, "float64")
        kind = config["prediction_type"]
        x = torch.from_numpy(rng.standard_normal((n, mixture.dim))) * float(sched.init_noise_sigma)
        generator = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        extra = {"generator": generator} if "generator" in inspect.signature(sched.step).parameters \
            else {}
        for t in sched.timesteps:
            x_t = sched.scale_model_input(x, t)
            sigma = float(sched.sigmas[sched.step_index])      # the level of this call's sample
            output = self.exact_output(config, mixture, x, x_t, sigma, kind)
            x = sched.step(torch.as_tensor(np.asarray(output), dtype=torch.float64), t, x,
                           **extra).prev_sample
        return x.numpy()

    def exact_output(self, config: dict, mixture, x, x_t, sigma: float, kind: str):
        """The exact denoiser's prediction at (x, sigma), for a network given x_t."""
        a = float(contract("abar-of-sigma").evaluate(sigma=sigma))
        return prediction(kind, a, mixture.denoiser(x_t, a ** 0.5, 1 - a), x_t=x_t)


def prediction(kind: str, a: float, x0, eps=None, x_t=None) -> np.ndarray:
    """The prediction of kind ``kind`` (diffusers' name) of the denoiser x0 at abar = a: eps given,
    or solved from the network's input x_t (contracts eps-from-sample and v-target)."""
    if eps is None:
        eps = contract("eps-from-sample").evaluate(abar_t=a, x_t=x_t, model_output=x0)
    if kind == "sample":
        return np.asarray(_numpy(x0))
    if kind == "epsilon":
        return np.asarray(_numpy(eps))
    return contract("v-target").evaluate(abar_t=a, x_0=x0, eps=eps)


def _numpy(value):
    return value.detach().double().numpy() if hasattr(value, "detach") else value
