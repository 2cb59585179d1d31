"""diffusers' EulerDiscreteScheduler against the Euler step of Karras et al. 2022 (Eq. 4,
Algorithm 1 without the correction) in sigma: x + (sigma_next - sigma) (x - D)/sigma, D from the
eps, x_0 or v prediction of a network given x / sqrt(sigma^2 + 1); the grid is sigma(abar) at the
spacing's timesteps, or the rho schedule (``use_karras_sigmas``, rho = 7) between the spacing's
end levels.  Families: timestep_spacing x use_karras_sigmas; churn (s_churn) is left at 0.
"""
from __future__ import annotations

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_sigma import SPACINGS, SigmaAdapter


class EulerAdapter(SigmaAdapter):
    name = "EulerDiscreteScheduler"
    families = tuple({"timestep_spacing": s, "use_karras_sigmas": k}
                     for k in (False, True) for s in SPACINGS)

    def case(self, sched, config, index, x, output, noise) -> StepCase:
        t = self.at(sched, index)
        sigma, sigma_next = self.sigma_pair(sched, index)
        got = sched.step(output, t, x).prev_sample.detach().double().numpy()
        inputs = {"sigma": sigma, "sigma_next": sigma_next, "x": x, "model_output": output}
        return StepCase(f"euler-sigma-step-{config['prediction_type']}", inputs, got, float(t))


ADAPTER = EulerAdapter()
