"""diffusers' ScoreSdeVeScheduler against the VE SDE's reverse-diffusion predictor (Song et al.
2021, App. E Eq. 47): x + (sigma^2 - sigma_next^2) s + sqrt(sigma^2 - sigma_next^2) z, derived in
derive/sde.py as reverse Euler-Maruyama with g^2 = d sigma^2/dt integrated over the step.

Set-up as the pipeline does it: ``set_timesteps(n)`` (continuous times linspace(1, sampling_eps,
n)) then ``set_sigmas(n)`` (the SMLD levels sigma_min (sigma_max/sigma_min)^(k/(n-1)), k = 0 ..
n-1, Song Eq. 30 at k/(n-1)).  The step at the grid's i-th time uses level n-1-i and steps to level
n-2-i (0 after the last).  The model output is the score (no prediction types: no property 2).
``step_pred`` draws its noise with randn_tensor from the generator; it is recovered from a
generator seeded alike, so the check is exact.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import torch_dtype
from diffproof.numeric.conform.adapters.solvers_common import (SolverAdapter, as_numpy,
                                                               decreasing_problems, downcast_note,
                                                               drawn_noise, generator)


class ScoreSdeVeAdapter(SolverAdapter):
    name = "ScoreSdeVeScheduler"
    families = ({"update": "predictor"}, {"update": "corrector"})
    properties = ("step", "grid", "endpoints", "float32")

    def draw_config(self, draw, family: dict) -> dict:
        config = {"sigma_min": draw(st.sampled_from([0.01, 0.002])),
                  "sigma_max": draw(st.sampled_from([1348.0, 50.0, 1.0])),
                  "sampling_eps": draw(st.sampled_from([1e-5, 1e-3, 0.0])),
                  "snr": draw(st.sampled_from([0.15, 0.16, 0.075])), **family}
        return self.draw_run(draw, config)

    def sampling_config(self) -> dict:
        """Property 3's config: sigma_max = 20 (the data's scale is 1), 100 predictor steps."""
        return {"sigma_min": 0.01, "sigma_max": 20.0, "sampling_eps": 1e-5,
                "num_inference_steps": 100, "index": 0, "shape": (1, 2), "seed": 0}

    def sample_loop(self, config: dict, mixture, rng: np.random.Generator, n: int) -> np.ndarray:
        """n samples of the predictor loop from N(0, sigma_max^2 I) with the exact score of the
        mixture at each step's level (numeric/torchdiff/oracle.py), float64; the last step's
        mean is the sample (as the pipeline returns it)."""
        import torch
        sched = self.make(config, "float64")
        x = torch.from_numpy(rng.standard_normal((n, mixture.dim)) * config["sigma_max"])
        noise = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
        for i, t in enumerate(sched.timesteps):
            level = self.levels(sched, i)[0]
            out = sched.step_pred(mixture.score(x, 1.0, level ** 2), t, x, generator=noise)
            x = out.prev_sample
        return out.prev_sample_mean.numpy()

    def init_kwargs(self, config: dict) -> dict:
        keys = ("sigma_min", "sigma_max", "sampling_eps", "snr", "num_train_timesteps")
        return {k: config[k] for k in keys if k in config}

    def make(self, config: dict, dtype: str):
        import torch
        sched = self.scheduler_class()(**self.init_kwargs(config))
        sched.set_timesteps(config["num_inference_steps"])
        sched.set_sigmas(config["num_inference_steps"])
        if dtype == "float64":
            sched.discrete_sigmas = sched.discrete_sigmas.to(torch.float64)
        return sched

    def grid(self, sched) -> list[float]:
        return [float(t) for t in sched.timesteps]

    def levels(self, sched, index: int) -> tuple[float, float]:
        """(sigma, sigma_next) of the grid's index-th step: levels n-1-index and n-2-index."""
        sigmas = as_numpy(sched.discrete_sigmas)
        k = len(sigmas) - 1 - index
        return float(sigmas[k]), float(sigmas[k - 1]) if k > 0 else 0.0

    # -- property 4 ------------------------------------------------------------------------------
    def grid_problems(self, sched, config: dict) -> list[str]:
        n, grid = config["num_inference_steps"], self.grid(sched)
        problems = decreasing_problems(grid, "times")
        if len(grid) != n or grid[0] != 1.0:
            problems.append(f"{len(grid)} times starting at {grid[0]:.9g}; linspace(1, "
                            f"sampling_eps, {n}) has {n} starting at 1")
        ramp = np.arange(n) / max(n - 1, 1)
        off = self.grid_against("ve-sigma", sched.discrete_sigmas.double().numpy(), t=ramp,
                                sigma_min=config["sigma_min"], sigma_max=config["sigma_max"])
        if off is not None:
            i, derived, stored = off
            problems.append(f"level {i} is {stored:.9g}; Song Eq. 30 at t = {ramp[i]:.6g} gives "
                            f"{derived:.9g}")
        used = (sched.timesteps * (n - 1)).long().tolist()
        for i, k in enumerate(used):
            if k != n - 1 - i:
                problems.append(
                    f"the step at time {grid[i]!r} (grid index {i}) uses level {k}, the grid's is "
                    f"{n - 1 - i}: step_pred truncates t (n - 1) = {grid[i] * (n - 1)!r} "
                    "computed in float32")
                break
        return problems

    # -- property 1 ------------------------------------------------------------------------------
    def step_case(self, sched, config: dict, index: int, rng, dtype: str) -> StepCase:
        x_t, score = self.tensors(rng, config["shape"], dtype, 2)
        t = sched.timesteps[index]
        if config.get("update") == "corrector":
            return self.corrector_case(sched, config, x_t, score, dtype, float(t))
        out = sched.step_pred(score, t, x_t, generator=generator()).prev_sample
        sigma, sigma_next = self.levels(sched, index)
        inputs = {"sigma": sigma, "sigma_next": sigma_next, "x_t": x_t, "model_output": score,
                  "noise": drawn_noise(config["shape"], torch_dtype(dtype))}
        return StepCase("ve-reverse-diffusion", inputs, as_numpy(out), float(t))

    def corrector_case(self, sched, config: dict, x_t, score, dtype: str, t: float) -> StepCase:
        """step_correct with its noise recovered (it draws float32 noise: randn_tensor without a
        dtype) and the norms of score_sde's code (batch mean of per-sample norms)."""
        import torch
        out = sched.step_correct(score, x_t, generator=generator()).prev_sample
        noise = drawn_noise(config["shape"], torch.float32)

        def norm(a) -> float:
            a = as_numpy(a)
            return float(np.linalg.norm(a.reshape(a.shape[0], -1), axis=1).mean())
        inputs = {"snr": config.get("snr", 0.15), "noise_norm": norm(noise),
                  "score_norm": norm(score), "x_t": x_t, "model_output": score, "noise": noise}
        return downcast_note(StepCase("ve-langevin-corrector", inputs, as_numpy(out), t), dtype,
                             "step_correct draws its noise in float32 (randn_tensor without a "
                             "dtype) and takes its norm there")

    def invariance_cases(self, config, index, rng, dtype):      # pragma: no cover - no kinds
        return []


ADAPTER = ScoreSdeVeAdapter()
