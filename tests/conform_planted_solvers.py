"""Scheduler subclasses for the solver conformance tests: planted bugs of kinds diffusers has
shipped or been reported for, and the fix of a real one.  Each changes what diffusers' own code
reads (sigmas, stored outputs, noise levels), then calls it: no update formula is copied."""
import math

import torch
from diffusers import (DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler,
                       ScoreSdeVeScheduler)


class FlowShiftTwice(FlowMatchEulerDiscreteScheduler):
    """Planted (diffusers issue 13243's kind, on the whole grid): the shifted sigmas are passed
    back to set_timesteps as custom sigmas, which shifts them again."""
    def set_timesteps(self, num_inference_steps=None, device=None, sigmas=None, mu=None,
                      timesteps=None):
        super().set_timesteps(num_inference_steps, device, sigmas, mu, timesteps)
        super().set_timesteps(sigmas=self.sigmas[:-1].tolist(), mu=mu)


class FlowShiftOnce(FlowMatchEulerDiscreteScheduler):
    """The fix of issue 13243 (as in its PR 13246): the grid's ends are the unshifted ones, so
    set_timesteps shifts once."""
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sigma_max = 1.0
        self.sigma_min = 1.0 / self.config.num_train_timesteps


class DPMInvertedRatio(DPMSolverMultistepScheduler):
    """Planted: DPM-Solver++(2M) with r = h / h_prev instead of h_prev / h.  diffusers' own update
    computes D1 = (m0 - m1) / r; the previous output it reads is replaced by m0 - r^2 (m0 - m1),
    so that its D1 is r (m0 - m1), the inverted ratio's.  lambda = -log sigma for the stored
    sigmas."""
    def multistep_dpm_solver_second_order_update(self, model_output_list, *args, **kwargs):
        i = self.step_index
        lam = [-math.log(float(self.sigmas[j])) for j in (i - 1, i, i + 1)]
        r = (lam[1] - lam[0]) / (lam[2] - lam[1])
        m0, m1 = model_output_list[-1], model_output_list[-2]
        changed = list(model_output_list)
        changed[-2] = m0 - r * r * (m0 - m1)
        return super().multistep_dpm_solver_second_order_update(changed, *args, **kwargs)


class DPMTimestepsOneLow(DPMSolverMultistepScheduler):
    """Planted (an off-by-one of the steps_offset kind): the timesteps handed to the model are one
    below the ones whose noise levels the sigmas hold."""
    def set_timesteps(self, *args, **kwargs):
        super().set_timesteps(*args, **kwargs)
        self.timesteps = self.timesteps - 1


class VESumOfSquares(ScoreSdeVeScheduler):
    """Planted: the reverse-diffusion step with g^2 dt = sigma_t^2 + sigma_{t-1}^2.  diffusers' own
    step_pred computes sigma^2 - adjacent^2 from the levels it reads; the current level is raised
    to sqrt(sigma^2 + 2 adjacent^2) for the call."""
    def step_pred(self, model_output, timestep, sample, *args, **kwargs):
        n = len(self.timesteps)
        k = int(float(timestep) * (n - 1))
        stored = self.discrete_sigmas
        if k > 0:
            raised = stored.clone()
            raised[k] = torch.sqrt(stored[k] ** 2 + 2 * stored[k - 1] ** 2)
            self.discrete_sigmas = raised
        try:
            return super().step_pred(model_output, timestep, sample, *args, **kwargs)
        finally:
            self.discrete_sigmas = stored
