"""diffusers' DDIMScheduler against DDIM (Song, Meng & Ermon 2021), Eqs. 12 and 16.

Configs: the three timestep spacings x eta in {0, 1} are the families; the beta schedule, its
ends, num_train_timesteps, prediction_type, set_alpha_to_one, rescale_betas_zero_snr and
steps_offset are drawn.  The noise of a step with eta > 0 is passed as ``variance_noise``, so
the check is exact.  After the grid's last step the paper's abar is 1 (alpha_0 = 1, Sec. 4.1);
``set_alpha_to_one=False`` is the scheduler's documented choice of abar_0 = alphas_cumprod[0]
instead, and the contract takes that value.
"""
from __future__ import annotations

from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import StepCase
from diffproof.numeric.conform.adapters.diffusers_common import SPACINGS, DiscreteAdapter


class DDIMAdapter(DiscreteAdapter):
    name = "DDIMScheduler"
    families = tuple({"timestep_spacing": s, "eta": e} for s in SPACINGS for e in (0.0, 1.0))

    def draw_extra(self, draw) -> dict:
        return {"set_alpha_to_one": draw(st.sampled_from([True, False])),
                "steps_offset": draw(st.sampled_from([0, 1]))}

    def promote(self, sched) -> None:
        import torch
        super().promote(sched)
        sched.final_alpha_cumprod = sched.final_alpha_cumprod.to(torch.float64)

    def final_abar(self, sched, config: dict) -> float:
        return 1.0 if config.get("set_alpha_to_one", True) else float(self.abar(sched)[0])

    def call_step(self, sched, config, t, model_output, x_t, noise):
        eta = config.get("eta", 0.0)
        out = sched.step(model_output, t, x_t, eta=eta,
                         variance_noise=noise if eta > 0 else None)
        return out.prev_sample.detach().double().numpy(), \
            out.pred_original_sample.detach().double().numpy()

    def case(self, sched, config, index, x_t, output, noise) -> StepCase:
        t = self.grid(sched)[index]
        got, _ = self.call_step(sched, config, t, output, x_t, noise)
        inputs = {"abar_t": float(self.abar(sched)[t]),
                  "abar_prev": self.abar_after(sched, config, index), "eta": config["eta"],
                  "x_t": x_t, "model_output": output, "noise": noise}
        return StepCase(f"ddim-step-{config['prediction_type']}", inputs, got, t)


ADAPTER = DDIMAdapter()
