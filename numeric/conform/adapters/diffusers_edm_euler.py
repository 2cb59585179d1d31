"""diffusers' EDMEulerScheduler against Karras et al. 2022: the Euler step of Algorithm 1 with the
preconditioned denoiser D = c_skip x + c_out F of Table 1 (``v_prediction``: c_out negated, a
network trained on -F), ``scale_model_input`` = c_in x, timesteps c_noise(sigma) = log(sigma)/4,
and the levels the rho schedule (Eq. 5) from sigma_max to sigma_min, then 0.

Configs: sigma_min, sigma_max, sigma_data, rho, prediction_type, the number of steps and the
index are drawn; the family is the Karras schedule with a final level 0 (the exponential schedule
has no derived counterpart here).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import SHAPES, torch_dtype
from diffproof.numeric.conform.adapters.diffusers_sigma import TOLERANCE_DTYPE, SigmaAdapter
from diffproof.numeric.conform.contracts import get as contract


class EDMEulerAdapter(SigmaAdapter):
    name = "EDMEulerScheduler"
    families = ({"sigma_schedule": "karras", "final_sigmas_type": "zero"},)
    predictions = ("epsilon", "v_prediction")
    # no betas: its noise levels are the rho schedule itself (checked by property 4)
    properties = tuple(p for p in SigmaAdapter.properties if p != "schedule")

    def draw_config(self, draw, family: dict) -> dict:
        config = {"sigma_min": draw(st.sampled_from([0.002, 0.02])),
                  "sigma_max": draw(st.sampled_from([80.0, 14.6])),
                  "sigma_data": draw(st.sampled_from([0.5, 1.0])),
                  "rho": draw(st.sampled_from([7.0, 3.0])),
                  "prediction_type": draw(st.sampled_from(self.predictions)), **family}
        n = draw(st.integers(1, self.max_steps), label="num_inference_steps")
        config.update(num_inference_steps=n, index=draw(st.integers(0, n - 1), label="index"),
                      shape=draw(st.sampled_from(SHAPES)), seed=draw(st.integers(0, 2 ** 16)),
                      call=draw(st.sampled_from(self.calls)))
        return config

    def grid_problems(self, sched, config: dict) -> list[str]:
        n, levels = config["num_inference_steps"], self.levels(sched)
        problems = []
        if len(levels) != n + 1 or levels[-1] != 0:
            problems.append(f"levels {levels[:3]}...{levels[-2:]}: n = {n} levels and a final 0")
        if np.any(np.diff(levels) >= 0):
            problems.append("sigmas not strictly decreasing")
        c = contract("rho-schedule")
        values = dict(sigma_max=config["sigma_max"], sigma_min=config["sigma_min"],
                      rho=config["rho"], u=np.arange(n) / max(n - 1, 1))
        want, budget = c.evaluate(**values), c.budget(TOLERANCE_DTYPE, **values)
        problems += _mismatch("sigma", levels[:n], want, budget, "rho-schedule")
        c = contract("edm-c-noise")
        t = np.array(self.grid(sched))
        problems += _mismatch("timestep", t, c.evaluate(sigma=levels[:n]),
                              c.budget(TOLERANCE_DTYPE, sigma=levels[:n]), "edm-c-noise")
        return problems

    def sampling_config(self) -> dict:
        return dict(sigma_min=0.002, sigma_max=80.0, sigma_data=0.5, rho=7.0,
                    prediction_type="epsilon", num_inference_steps=100, index=0, shape=(1, 2),
                    seed=0, call="step", **self.families[0])

    def exact_output(self, config, mixture, x, x_t, sigma, kind):
        """The network output F whose preconditioned denoiser is the exact E[y | x] at sigma."""
        denoised = mixture.denoiser(x, 1.0, sigma ** 2)
        f = contract("edm-f-target").evaluate(sigma=sigma, sigma_data=config["sigma_data"], x=x,
                                              D=denoised)
        return f if kind == "epsilon" else -f

    def step_case(self, sched, config, index, rng, dtype) -> StepCase:
        case = super().step_case(sched, config, index, rng, dtype)
        if case.contract == "scale-model-input":
            case = StepCase("edm-c-in", {**case.inputs, "sigma_data": config["sigma_data"]},
                            case.got, case.timestep)
        return case

    def case(self, sched, config, index, x, output, noise) -> StepCase:
        t = self.at(sched, index)
        sigma, sigma_next = self.sigma_pair(sched, index)
        got = sched.step(output, t, x).prev_sample.detach().double().numpy()
        inputs = {"sigma": sigma, "sigma_next": sigma_next, "sigma_data": config["sigma_data"],
                  "x": x, "model_output": output}
        return StepCase(f"edm-euler-step-{config['prediction_type']}", inputs, got, float(t))

    def invariance_cases(self, config, index, rng, dtype) -> list[StepCase]:
        """One exact denoiser D (a draw) given as the network output F of each prediction type:
        F = (D - c_skip x)/c_out (edm-f-target), negated for v_prediction."""
        import torch
        x, denoised = (rng.standard_normal(config["shape"]) for _ in range(2))
        cases = []
        for kind, sign in (("epsilon", 1.0), ("v_prediction", -1.0)):
            cfg = {**config, "prediction_type": kind, "call": "step"}
            sched = self.make(cfg, dtype)
            sigma = self.sigma_pair(sched, index)[0]
            f = sign * contract("edm-f-target").evaluate(sigma=sigma, sigma_data=config["sigma_data"],
                                                         x=x, D=denoised)
            as_t = [torch.from_numpy(np.asarray(v)).to(torch_dtype(dtype)) for v in (x, f)]
            cases.append(self.case(sched, cfg, index, *as_t, None))
        return cases


def _mismatch(what, got, want, budget, name) -> list[str]:
    bad = np.abs(got - want) > budget
    if not bad.any():
        return []
    i = int(np.argmax(bad))
    return [f"{what}[{i}] = {got[i]:.9g}, {name} gives {want[i]:.9g} (|diff| "
            f"{abs(got[i] - want[i]):.3g}, float32 budget {budget[i]:.3g})"]


ADAPTER = EDMEulerAdapter()
