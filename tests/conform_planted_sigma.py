"""Subclasses of diffusers' sigma schedulers for the conformance tests: planted bugs, and the
float64 computation that the real classes' cast to float32 prevents.  Each wraps diffusers' own
code (no formula is copied): it changes what the code reads, then calls it."""
import numpy as np
import torch
from diffusers import (EDMEulerScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
                       HeunDiscreteScheduler)


class _Keep64(torch.Tensor):
    """A float64 tensor whose .to(torch.float32) keeps float64 (the real step casts its sample)."""
    def to(self, *args, **kwargs):
        if args and args[0] is torch.float32 and self.dtype == torch.float64:
            return self.as_subclass(torch.Tensor)
        return super().to(*args, **kwargs)


def keep_float64(base):
    """``base`` with its real step, the sample left in float64 (no formula changed)."""
    class Float64(base):
        def step(self, model_output, timestep, sample, *args, **kwargs):
            out = super().step(model_output, timestep, sample.as_subclass(_Keep64), *args,
                               **kwargs)
            out.prev_sample = out.prev_sample.as_subclass(torch.Tensor)
            return out
    Float64.__name__ = Float64.__qualname__ = base.__name__.replace("Scheduler", "Float64")
    return Float64


EulerFloat64 = keep_float64(EulerDiscreteScheduler)
EulerAncestralFloat64 = keep_float64(EulerAncestralDiscreteScheduler)
EDMEulerFloat64 = keep_float64(EDMEulerScheduler)


class EulerKarrasLastTwice(EulerDiscreteScheduler):
    """Planted: the rho schedule computed for n - 1 levels and its last level repeated."""
    def _convert_to_karras(self, in_sigmas, num_inference_steps):
        sigmas = super()._convert_to_karras(in_sigmas, max(num_inference_steps - 1, 1))
        return np.append(sigmas, sigmas[-1])[:num_inference_steps]


class EulerScaleBySigma(EulerDiscreteScheduler):
    """Planted: scale_model_input divides by sqrt(sigma^2) where sqrt(sigma^2 + 1) belongs."""
    def scale_model_input(self, sample, timestep):
        if self.step_index is None:
            self._init_step_index(timestep)
        self.is_scale_input_called = True
        return sample / self.sigmas[self.step_index]


class HeunSecondStageAtSigma(HeunDiscreteScheduler):
    """Planted: the second stage reads the noise level sigma where sigma_next belongs (its
    conversion of the model output and its slope)."""
    def step(self, model_output, timestep, sample, *args, **kwargs):
        if self.step_index is None:
            self._init_step_index(timestep)
        if self.state_in_first_order:
            return super().step(model_output, timestep, sample, *args, **kwargs)
        stored = self.sigmas
        self.sigmas = stored.clone()
        self.sigmas[self.step_index] = stored[self.step_index - 1]
        try:
            return super().step(model_output, timestep, sample, *args, **kwargs)
        finally:
            self.sigmas = stored
