"""diffusers' EulerAncestralDiscreteScheduler against the ancestral step: the Euler step to
sigma_down plus sigma_up z, with sigma_up^2 the variance of the VE chain's posterior
q(x_next | x, y) (derive/sigma_steps.py: Ho et al. 2020's posterior by Bayes' rule) and
sigma_down = sqrt(sigma_next^2 - sigma_up^2).  The noise z is drawn by the scheduler from a
seeded torch.Generator and recovered by drawing again with diffusers' own ``randn_tensor`` from a
generator seeded alike, so the check is exact.  Families: timestep_spacing; the scheduler has no
sample prediction (it raises NotImplementedError) and no Karras levels.
"""
from __future__ import annotations

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_sigma import SPACINGS, SigmaAdapter

NOISE_SEED = 1234


class EulerAncestralAdapter(SigmaAdapter):
    name = "EulerAncestralDiscreteScheduler"
    families = tuple({"timestep_spacing": s} for s in SPACINGS)
    predictions = ("epsilon", "v_prediction")

    def case(self, sched, config, index, x, output, noise) -> StepCase:
        import torch
        from diffusers.utils.torch_utils import randn_tensor
        t = self.at(sched, index)
        sigma, sigma_next = self.sigma_pair(sched, index)
        got = sched.step(output, t, x, generator=torch.Generator().manual_seed(NOISE_SEED))
        drawn = randn_tensor(output.shape, generator=torch.Generator().manual_seed(NOISE_SEED),
                             dtype=output.dtype)
        inputs = {"sigma": sigma, "sigma_next": sigma_next, "x": x, "model_output": output,
                  "noise": drawn}
        return StepCase(f"euler-ancestral-step-{config['prediction_type']}", inputs,
                        got.prev_sample.detach().double().numpy(), float(t))


ADAPTER = EulerAncestralAdapter()
