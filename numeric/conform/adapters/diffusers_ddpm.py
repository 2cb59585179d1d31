"""diffusers' DDPMScheduler against DDPM (Ho et al. 2020): the posterior mean of Eq. 7 at the
model's x_0 estimate, plus sqrt(variance) z with the variance of Sec. 3.2 (fixed_small: beta-tilde,
fixed_large: beta), on the grid set by ``set_timesteps`` (a step from t to the grid's previous
timestep s is the posterior of the chain's kernel q(x_t | x_s), alpha = abar_t / abar_s).

Families: variance_type x timestep spacing.  The noise is drawn by the scheduler from a seeded
torch.Generator and recovered by drawing again with diffusers' own ``randn_tensor`` from a
generator seeded alike, so the check is exact.  Algorithm 2 adds no noise on the last step
(z = 0 at t = 1): the contract's noise is 0 there.
"""
from __future__ import annotations

import numpy as np

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import SPACINGS, DiscreteAdapter

NOISE_SEED = 1234


class DDPMAdapter(DiscreteAdapter):
    name = "DDPMScheduler"
    families = tuple({"variance_type": v, "timestep_spacing": s}
                     for v in ("fixed_small", "fixed_large") for s in SPACINGS)

    def draw_extra(self, draw) -> dict:
        from hypothesis import strategies as st
        return {"steps_offset": draw(st.sampled_from([0, 1]))}

    def call_step(self, sched, config, t, model_output, x_t, noise=None):
        """The step with its noise drawn from a generator seeded NOISE_SEED; returns (prev_sample,
        the noise it drew)."""
        import torch
        from diffusers.utils.torch_utils import randn_tensor
        out = sched.step(model_output, t, x_t,
                         generator=torch.Generator().manual_seed(NOISE_SEED))
        drawn = randn_tensor(model_output.shape, generator=torch.Generator().manual_seed(NOISE_SEED),
                             device=model_output.device, dtype=model_output.dtype)
        return out.prev_sample.detach().double().numpy(), drawn

    def case(self, sched, config, index, x_t, output, noise) -> StepCase:
        t = self.grid(sched)[index]
        got, drawn = self.call_step(sched, config, t, output, x_t)
        last = index == len(self.grid(sched)) - 1
        inputs = {"abar_t": float(self.abar(sched)[t]),
                  "abar_prev": self.abar_after(sched, config, index), "x_t": x_t,
                  "model_output": output, "noise": np.zeros(got.shape) if last else drawn}
        return StepCase(f"ddpm-step-{config['prediction_type']}-{config['variance_type']}",
                        inputs, got, t)


ADAPTER = DDPMAdapter()
