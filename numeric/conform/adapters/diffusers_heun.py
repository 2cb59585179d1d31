"""diffusers' HeunDiscreteScheduler against Algorithm 1 of Karras et al. 2022: a step from sigma
to sigma_next is two step() calls (the Euler point x' from the first output, then the trapezoid
with the second output, made at (x', sigma_next)), checked as one combined step (contract
heun-step-*); the last step, to sigma_N = 0, is Euler's alone (Algorithm 1, line 6).

diffusers stores the levels doubled (s_0, s_1, s_1, ..., s_{n-1}, s_{n-1}, 0) and the timesteps
likewise; the grid of property 4 is every other entry.  Families: timestep_spacing x
use_karras_sigmas.  Property 2's second output is one exact denoiser at the Euler point each
parametrization reached (its noise a second draw).
"""
from __future__ import annotations

import numpy as np

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_sigma import SPACINGS, SigmaAdapter, prediction
from diffproof.numeric.conform.contracts import get as contract


class HeunAdapter(SigmaAdapter):
    name = "HeunDiscreteScheduler"
    families = tuple({"timestep_spacing": s, "use_karras_sigmas": k}
                     for k in (False, True) for s in SPACINGS)

    def levels(self, sched) -> np.ndarray:
        doubled = sched.sigmas.detach().double().numpy()
        return np.append(doubled[:-1:2], doubled[-1])

    def grid(self, sched) -> list[float]:
        return [float(t) for t in sched.timesteps[::2]]

    def position(self, index: int) -> int:
        return 2 * index

    def sigma_pair(self, sched, index: int) -> tuple[float, float]:
        levels = self.levels(sched)
        return float(levels[index]), float(levels[index + 1])

    def case(self, sched, config, index, x, output, second) -> StepCase:
        t = self.at(sched, index)
        sigma, sigma_next = self.sigma_pair(sched, index)
        first = sched.step(output, t, x).prev_sample
        kind = config["prediction_type"]
        inputs = {"sigma": sigma, "sigma_next": sigma_next, "x": x, "model_output": output}
        if sigma_next == 0:
            return StepCase(f"euler-sigma-step-{kind}", inputs, first.detach().double().numpy(),
                            float(t))
        out2 = second(first, sigma_next) if callable(second) else second
        got = sched.step(out2, sched.timesteps[self.position(index) + 1], first).prev_sample
        return StepCase(f"heun-step-{kind}", {**inputs, "model_output_2": out2},
                        got.detach().double().numpy(), float(t))

    def invariance_extra(self, kind: str, noise: np.ndarray):
        """The second output: the exact denoiser at the Euler point x' whose noise is ``noise``
        (eps_2 = noise, x_0 = x' - sigma_next eps_2), in prediction ``kind``."""
        import torch

        def second(point, level):
            a = float(contract("abar-of-sigma").evaluate(sigma=level))
            x0 = contract("denoiser-from-epsilon").evaluate(sigma=level, x=point, model_output=noise)
            return torch.from_numpy(prediction(kind, a, x0, eps=noise)).to(point.dtype)
        return second


ADAPTER = HeunAdapter()
