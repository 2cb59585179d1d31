"""diffusers' FlowMatchEulerDiscreteScheduler against the flow path x = (1 - sigma) x_0 + sigma eps
(Lipman et al. 2023 with sigma_min = 0; Esser et al. 2024): Euler's step x + (sigma_next - sigma) v
on the probability-flow ODE in sigma, the stochastic step (1 - sigma_next) x_0-hat + sigma_next z,
and the time shift of the grid.

Families: static shift (SD3: S(t) = shift t/(1 + (shift - 1) t)), dynamic shift with mu (Flux:
e^mu/(e^mu + 1/t - 1) for time_shift_type "exponential", the SD3 shift with shift = mu for
"linear"), and the stochastic sampler (static shift).  The stochastic step's noise is drawn from a
seeded generator and recovered with diffusers' own randn_tensor.  The model output is the
velocity only (no prediction types): property 2 does not apply.

Property 4: the sigmas are S of the uniform grid from 1 to 1/T (the scheduler's own training
schedule S(k/T), k = T .. 1, resampled at n points), then 0; the timesteps are T sigma.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.solvers_common import (SolverAdapter, as_numpy,
                                                               decreasing_problems, downcast_note,
                                                               drawn_noise, generator)
from diffproof.numeric.conform.contracts import get as contract


class FlowMatchEulerAdapter(SolverAdapter):
    name = "FlowMatchEulerDiscreteScheduler"
    families = ({"use_dynamic_shifting": False, "stochastic_sampling": False},
                {"use_dynamic_shifting": True, "stochastic_sampling": False},
                {"use_dynamic_shifting": False, "stochastic_sampling": True})
    properties = ("step", "grid", "endpoints", "float32", "add_noise")

    def draw_config(self, draw, family: dict) -> dict:
        config = {"num_train_timesteps": draw(st.sampled_from([1000, 100, 37])), **family}
        if family.get("use_dynamic_shifting"):
            kind = draw(st.sampled_from(["exponential", "linear"]))
            config["time_shift_type"] = kind
            config["mu"] = draw(st.sampled_from([0.5, 1.15, 2.0] if kind == "linear"
                                                else [0.5, 1.15, -0.3, 2.0]))
        else:
            config["shift"] = draw(st.sampled_from([1.0, 3.0, 0.5, 7.0]))
        return self.draw_run(draw, config)

    def make(self, config: dict, dtype: str):
        import torch
        sched = self.scheduler_class()(**self.init_kwargs(config))
        sched.set_timesteps(config["num_inference_steps"], mu=config.get("mu"))
        if dtype == "float64":
            sched.sigmas = sched.sigmas.to(torch.float64)
        return sched

    def grid(self, sched) -> list[float]:
        return [float(t) for t in sched.timesteps]

    # -- property 4 ------------------------------------------------------------------------------
    def shift_contract(self, config: dict, unshifted: np.ndarray) -> tuple[str, dict]:
        """The contract of the configured shift and its inputs on the unshifted grid."""
        if not config.get("use_dynamic_shifting"):
            return "time-shift", {"t": unshifted, "shift": config.get("shift", 1.0)}
        if config.get("time_shift_type", "exponential") == "exponential":
            return "flux-time-shift", {"t": unshifted, "mu": config["mu"]}
        return "time-shift", {"t": unshifted, "shift": config["mu"]}

    def grid_problems(self, sched, config: dict) -> list[str]:
        T, n = config["num_train_timesteps"], config["num_inference_steps"]
        sigmas, grid = as_numpy(sched.sigmas), self.grid(sched)
        problems = decreasing_problems(grid)
        if len(grid) != n or len(sigmas) != n + 1:
            problems.append(f"{len(grid)} timesteps and {len(sigmas)} sigmas for "
                            f"num_inference_steps = {n}")
            return problems
        if sigmas[-1] != 0:
            problems.append(f"the last sigma is {sigmas[-1]:.9g}, not 0 (the data)")
        unshifted = np.linspace(1.0, 1.0 / T, n)
        name, inputs = self.shift_contract(config, unshifted)
        off = self.grid_against(name, sigmas[:-1], **inputs)
        if off is not None:
            i, derived, stored = off
            line = (f"sigma {i} of {n} is {stored:.9g}; {name} of the uniform grid's "
                    f"{unshifted[i]:.9g} is {derived:.9g} ({contract(name).source})")
            twice = contract(name).evaluate(**{**inputs, "t": np.array([derived])})[0]
            if math.isclose(stored, twice, rel_tol=1e-5):
                line += f"; {stored:.9g} is the shift applied twice"
            problems.append(line)
        conditioning = np.asarray(grid) - T * sigmas[:-1]
        if np.any(np.abs(conditioning) > 2.0 ** -22 * T * sigmas[:-1]):
            i = int(np.argmax(np.abs(conditioning)))
            problems.append(f"timestep {grid[i]} is not T sigma = {T * sigmas[i]:.9g}")
        return problems

    # -- property 1 ------------------------------------------------------------------------------
    def step_case(self, sched, config: dict, index: int, rng, dtype: str) -> StepCase:
        import torch
        grid = self.grid(sched)
        self.no_repeat(grid, index)
        x_t, velocity = self.tensors(rng, config["shape"], dtype, 2)
        t = sched.timesteps[index]
        out = sched.step(velocity, t, x_t, generator=generator()).prev_sample
        sigmas = as_numpy(sched.sigmas)
        inputs = {"sigma": sigmas[index], "sigma_next": sigmas[index + 1], "x_t": x_t,
                  "model_output": velocity}
        if config.get("stochastic_sampling"):
            inputs["noise"] = drawn_noise(config["shape"], torch.float32)
            return downcast_note(StepCase("flow-stochastic-step", inputs, as_numpy(out),
                                          float(t)), dtype)
        return downcast_note(StepCase("flow-euler-step", inputs, as_numpy(out), float(t)), dtype)

    def add_noise_case(self, sched, config: dict, index: int, rng, dtype: str) -> StepCase:
        """scale_noise(x_0, t, eps), the flow scheduler's add_noise, at the grid's index-th time:
        the flow path at the scheduler's stored sigma there."""
        grid = self.grid(sched)
        self.no_repeat(grid, index)
        sched.set_begin_index(index)
        x_0, eps = self.tensors(rng, config["shape"], dtype, 2)
        got = sched.scale_noise(x_0, sched.timesteps[index].reshape(1), eps)
        inputs = {"sigma": float(as_numpy(sched.sigmas)[index]), "x_0": as_numpy(x_0),
                  "eps": as_numpy(eps)}
        return StepCase("flow-noising", inputs, as_numpy(got), grid[index])

    def invariance_cases(self, config, index, rng, dtype):      # pragma: no cover - no kinds
        return []

    # -- property 3 ------------------------------------------------------------------------------
    def sampling_config(self) -> dict:
        return {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": False,
                "stochastic_sampling": False, "num_inference_steps": 100, "index": 0,
                "shape": (1, 2), "seed": 0}

    def sample_loop(self, config: dict, mixture, rng: np.random.Generator, n: int) -> np.ndarray:
        """n samples of the loop from N(0, I) (sigma = 1) with the exact velocity of the mixture
        (numeric/torchdiff/oracle.py flow_velocity_fn), float64."""
        import torch
        sched = self.make(config, "float64")
        velocity = mixture.flow_velocity_fn()
        x = torch.from_numpy(rng.standard_normal((n, mixture.dim)))
        noise = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        for i, t in enumerate(sched.timesteps):
            x = sched.step(velocity(x, sched.sigmas[i]), t, x, generator=noise).prev_sample
        return x.numpy()


ADAPTER = FlowMatchEulerAdapter()
