"""Scheduler subclasses for the conformance tests: planted bugs of the kinds diffusers has shipped,
and the fix of a real one.  Each wraps diffusers' own step (no formula is copied): it changes
what the step reads, then calls it."""
import torch
from diffusers import DDIMScheduler, DDPMScheduler

class _PrevFrom(DDIMScheduler):
    """step() lands on abar[previous(t)]: diffusers' own step, with the entry it reads for the
    previous timestep (t - T // n) holding the value at the timestep ``previous`` chooses."""
    def previous(self, t):
        raise NotImplementedError

    def step(self, model_output, timestep, sample, *args, **kwargs):
        t = int(timestep)
        read = t - self.config.num_train_timesteps // self.num_inference_steps
        want = self.previous(t)
        stored, final = self.alphas_cumprod, self.final_alpha_cumprod
        value = stored[want] if want >= 0 else final
        try:
            if read >= 0:
                self.alphas_cumprod = stored.clone()
                self.alphas_cumprod[read] = value
            else:
                self.final_alpha_cumprod = value
            return super().step(model_output, timestep, sample, *args, **kwargs)
        finally:
            self.alphas_cumprod, self.final_alpha_cumprod = stored, final


class DDIMGridPrevious(_PrevFrom):
    """The fix: the previous timestep is the grid's next one (as DDPMScheduler.previous_timestep)."""
    def previous(self, t):
        grid = self.timesteps.tolist()
        i = grid.index(t)
        return grid[i + 1] if i + 1 < len(grid) else -1


class DDIMFloatStride(_PrevFrom):
    """Planted: the previous timestep taken as t - T/n (a float stride, truncated)."""
    def previous(self, t):
        return int(t - self.config.num_train_timesteps / self.num_inference_steps)


class DDPMFloat32Beta(DDPMScheduler):
    """Planted: beta recomputed from a ratio of float32 cumulative products."""
    def step(self, *args, **kwargs):
        stored = self.alphas_cumprod
        self.alphas_cumprod = stored.to(torch.float32)
        try:
            return super().step(*args, **kwargs)
        finally:
            self.alphas_cumprod = stored


class DDPMOneStepBeta(DDPMScheduler):
    """Planted (diffusers before the fix of issue 9261's kind): the variance of a strided step
    uses the one-step beta, 1 - abar_t / abar_{t-1}."""
    def _get_variance(self, t, *args, **kwargs):
        saved = self.num_inference_steps, self.custom_timesteps
        self.num_inference_steps, self.custom_timesteps = None, False
        try:
            return super()._get_variance(t, *args, **kwargs)
        finally:
            self.num_inference_steps, self.custom_timesteps = saved


class DDPMVarianceForStd(DDPMScheduler):
    """Planted: the noise is scaled by the variance where the standard deviation belongs (step()
    takes the square root of what _get_variance returns)."""
    def _get_variance(self, t, *args, **kwargs):
        return super()._get_variance(t, *args, **kwargs) ** 2


class DDIMVSignFlipped(DDIMScheduler):
    """Planted: v read with the opposite sign convention (v = sigma x - alpha eps)."""
    def step(self, model_output, timestep, sample, *args, **kwargs):
        if self.config.prediction_type == "v_prediction":
            model_output = -model_output
        return super().step(model_output, timestep, sample, *args, **kwargs)


class DDPMLinspaceOffByOne(DDPMScheduler):
    """Planted: the linear betas spaced over T + 1 points (the last one dropped)."""
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.beta_schedule == "linear":
            T = self.config.num_train_timesteps
            self.betas = torch.linspace(self.config.beta_start, self.config.beta_end, T + 1,
                                        dtype=torch.float32)[:-1]
