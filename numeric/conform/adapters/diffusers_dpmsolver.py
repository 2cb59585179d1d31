"""diffusers' DPMSolverMultistepScheduler (algorithm_type "dpmsolver++", solver_order 1 and 2)
against DPM-Solver++(1) = DDIM(eta = 0) and DPM-Solver++(2M) (Lu et al. 2022b, Algorithm 2),
derive/dpm_solver.py.

The scheduler steps between its stored noise levels sigma = sqrt((1 - abar)/abar) (float32,
``self.sigmas``; the last is 0 for final_sigmas_type "zero", abar_0's for "sigma_min"): the
contracts take those values as the instants of the DDPM path.

The multistep state is fed exactly: to check the step at grid index i, the scheduler is run
through steps 0 .. i-1 with the exact denoiser of a point mass x_0* (its prediction at the
current x in the configured kind, ``{kind}-at-noise-level``), then stepped once with a drawn model
output; the contract's x0_prev is the scheduler's own stored previous output
(``model_outputs[-1]`` before the call).

Which update a step must use: the first step has no previous output (first order); solver_order 1
is first order throughout; otherwise DPM-Solver++(2M), except the last step, which diffusers
documents as first order when final_sigmas_type is "zero" (the 2M update is singular there: h is
infinite and r = 0), euler_at_final is set, or lower_order_final is set with fewer than 15 steps.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import (PREDICTIONS, SPACINGS,
                                                                 DiscreteAdapter, torch_dtype)
from diffproof.numeric.conform.adapters.solvers_common import (RUN_KEYS, SolverAdapter, as_numpy,
                                                               decreasing_problems,
                                                               downcast_note)
from diffproof.numeric.conform.contracts import get as contract


class DPMSolverAdapter(SolverAdapter, DiscreteAdapter):
    name = "DPMSolverMultistepScheduler"
    families = ({"solver_order": 1}, {"solver_order": 2})
    DATA = 0.7                                     # the point mass x_0* of the exact denoiser

    def draw_config(self, draw, family: dict) -> dict:
        T = draw(st.sampled_from([1000, 100, 50]), label="num_train_timesteps")
        config = {
            "num_train_timesteps": T,
            "beta_schedule": draw(st.sampled_from(["linear", "scaled_linear", "squaredcos_cap_v2"])),
            "beta_start": draw(st.sampled_from([1e-4, 8.5e-4])),
            "beta_end": draw(st.sampled_from([0.02, 0.012])),
            "prediction_type": draw(st.sampled_from(PREDICTIONS)),
            "algorithm_type": "dpmsolver++",
            "timestep_spacing": draw(st.sampled_from(SPACINGS)),
            "lower_order_final": draw(st.booleans()),
            "final_sigmas_type": draw(st.sampled_from(["zero", "sigma_min"])),
            "rescale_betas_zero_snr": draw(st.booleans()),
            **family,
        }
        return self.draw_run(draw, config, max_steps=min(T - 1, 25))

    def init_kwargs(self, config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in RUN_KEYS}

    def make(self, config: dict, dtype: str):
        import torch
        sched = self.scheduler_class()(**self.init_kwargs(config))
        sched.set_timesteps(config["num_inference_steps"])
        if dtype == "float64":
            sched.sigmas = sched.sigmas.to(torch.float64)
            sched.alphas_cumprod = sched.alphas_cumprod.to(torch.float64)
        return sched

    def order_at(self, sched, config: dict, index: int) -> int:
        """The order the step at ``index`` must have (module docstring)."""
        n = len(sched.timesteps)
        if config.get("solver_order", 2) == 1 or index == 0:
            return 1
        last = index == n - 1 and (config.get("euler_at_final", False)
                                   or (config.get("lower_order_final", True) and n < 15)
                                   or config.get("final_sigmas_type", "zero") == "zero")
        return 1 if last else 2

    # -- property 4 ------------------------------------------------------------------------------
    def grid_problems(self, sched, config: dict) -> list[str]:
        T, grid = config["num_train_timesteps"], self.grid(sched)
        problems = decreasing_problems(grid)
        outside = [t for t in grid if not 0 <= t < T]
        if outside:
            return problems + [f"timesteps outside [0, {T - 1}]: {outside[:3]}"]
        problems += self.dpm_endpoints(grid, config)
        abar = self.abar(sched)
        final = 0.0 if config.get("final_sigmas_type", "zero") == "zero" else \
            float(contract("noise-level").evaluate(abar_t=abar[0]))
        stored = as_numpy(sched.sigmas)
        off = self.grid_against("noise-level", stored[:-1], abar_t=abar[grid])
        if off is not None:
            i, derived, got = off
            problems.append(f"sigma {i} is {got:.9g}; timestep {grid[i]}'s noise level "
                            f"sqrt((1 - abar)/abar) is {derived:.9g}")
        if not np.isclose(stored[-1], final, rtol=2.0 ** -23, atol=0):
            problems.append(f"the final sigma is {stored[-1]:.9g}, final_sigmas_type "
                            f"{config.get('final_sigmas_type', 'zero')!r} says {final:.9g}")
        return problems

    @staticmethod
    def dpm_endpoints(grid: list[int], config: dict) -> list[str]:
        """The spacing's n + 1 points (Lin et al. 2024, Table 2) of which the last is the final
        sigma: the timesteps are the first n."""
        T, n = config["num_train_timesteps"], config["num_inference_steps"]
        spacing = config.get("timestep_spacing", "linspace")
        first = {"linspace": T - 1, "leading": n * (T // (n + 1)), "trailing": T - 1}[spacing]
        last = {"linspace": round((T - 1) / n), "leading": T // (n + 1),
                "trailing": round(T / n) - 1}[spacing]
        out = []
        if grid[0] != first:
            out.append(f"first timestep {grid[0]}, the {spacing} spacing starts at {first}")
        if len(grid) > 1 and grid[-1] != last:
            out.append(f"last timestep {grid[-1]}, the {spacing} spacing of n + 1 points ends "
                       f"at {last} before the final sigma")
        if len(grid) != n:
            out.append(f"{len(grid)} timesteps for num_inference_steps = {n}")
        return out

    # -- property 1 ------------------------------------------------------------------------------
    def run_to(self, sched, config: dict, index: int, x, kind: str):
        """Steps 0 .. index-1 with the exact denoiser of the point mass DATA; returns x."""
        import torch
        sigmas = as_numpy(sched.sigmas)
        for i, t in enumerate(sched.timesteps[:index]):
            x0 = torch.full_like(x, self.DATA)
            output = contract(f"{kind}-at-noise-level").evaluate(sigma=sigmas[i], x_t=x, x_0=x0)
            x = sched.step(torch.from_numpy(output).to(x.dtype), t, x).prev_sample
        return x

    def case_at(self, sched, config: dict, index: int, x_t, output, dtype: str) -> StepCase:
        import torch
        self.no_repeat(self.grid(sched), index)
        kind = config["prediction_type"]
        start = torch.from_numpy(np.full(tuple(x_t.shape), 0.3)).to(torch_dtype(dtype))
        self.run_to(sched, config, index, start, kind)
        previous = sched.model_outputs[-1]
        order = self.order_at(sched, config, index)
        t = int(sched.timesteps[index])
        got = as_numpy(sched.step(output, t, x_t).prev_sample)
        sigmas = as_numpy(sched.sigmas)
        inputs = {"sigma": sigmas[index], "sigma_next": sigmas[index + 1], "x_t": x_t,
                  "model_output": output}
        if order == 2:
            inputs.update(sigma_prev=sigmas[index - 1], x0_prev=previous)
        return downcast_note(StepCase(f"dpmsolver++{'1' if order == 1 else '2m'}-{kind}", inputs,
                                      got, t), dtype)

    def add_noise_case(self, sched, config: dict, index: int, rng, dtype: str) -> StepCase:
        """add_noise(x_0, eps, t) at the grid's index-th timestep: alpha x_0 + sigma_path eps at
        the scheduler's stored noise level sigma there (alpha = 1/sqrt(1 + sigma^2))."""
        grid = self.grid(sched)
        self.no_repeat(grid, index)
        sched.set_begin_index(index)
        x_0, eps = self.tensors(rng, config["shape"], dtype, 2)
        got = sched.add_noise(x_0, eps, sched.timesteps[index].reshape(1))
        inputs = {"sigma": float(as_numpy(sched.sigmas)[index]), "x_0": as_numpy(x_0),
                  "eps": as_numpy(eps)}
        return StepCase("forward-at-noise-level", inputs, as_numpy(got), grid[index])

    def step_case(self, sched, config: dict, index: int, rng, dtype: str) -> StepCase:
        x_t, output = self.tensors(rng, config["shape"], dtype, 2)
        return self.case_at(sched, config, index, x_t, output, dtype)

    # -- property 2 ------------------------------------------------------------------------------
    def invariance_cases(self, config: dict, index: int, rng, dtype: str) -> list[StepCase]:
        import torch
        x0, eps = (rng.standard_normal(config["shape"]) for _ in range(2))
        cases = []
        for kind in PREDICTIONS:
            cfg = {**config, "prediction_type": kind}
            sched = self.make(cfg, dtype)
            sigma = as_numpy(sched.sigmas)[index]
            x_t = contract("forward-at-noise-level").evaluate(sigma=sigma, x_0=x0, eps=eps)
            output = contract(f"{kind}-at-noise-level").evaluate(sigma=sigma, x_t=x_t, x_0=x0)
            as_t = [torch.from_numpy(v).to(torch_dtype(dtype)) for v in (x_t, output)]
            cases.append(self.case_at(sched, cfg, index, as_t[0], as_t[1], dtype))
        return cases

    # -- property 3 ------------------------------------------------------------------------------
    def sampling_config(self) -> dict:
        return {"beta_schedule": "linear", "num_train_timesteps": 1000, "beta_start": 1e-4,
                "beta_end": 0.02, "prediction_type": "epsilon", "algorithm_type": "dpmsolver++",
                "solver_order": 2, "timestep_spacing": "linspace", "num_inference_steps": 25,
                "index": 0, "shape": (1, 2), "seed": 0}

    def loop_step(self, sched, config: dict, t, model_output, x, generator):
        return sched.step(model_output, t, x).prev_sample


ADAPTER = DPMSolverAdapter()
