"""What diffusers' discrete-time schedulers share (DDPMScheduler, DDIMScheduler): the schedule
``alphas_cumprod`` indexed by integer timesteps, ``set_timesteps`` with the three spacings,
``add_noise`` and the three prediction types."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from diffproof.numeric.conform.adapters.base import Adapter, NotACase, StepCase, load_diffusers
from diffproof.numeric.conform.contracts import as_prediction

SPACINGS = ("leading", "trailing", "linspace")
PREDICTIONS = ("epsilon", "sample", "v_prediction")
SHAPES = ((1, 2), (1, 3, 4, 4), (2, 4, 8, 8))   # DDPM reads shape[1]: 2-D at least
# run keys: everything else in a config is a keyword of the scheduler's __init__
RUN_KEYS = ("num_inference_steps", "index", "shape", "seed", "eta")


def torch_dtype(dtype: str):
    import torch
    return {"float64": torch.float64, "float32": torch.float32}[dtype]


class DiscreteAdapter(Adapter):
    """Shared parts; subclasses set ``name`` and write ``step_case``."""

    def load(self):
        return load_diffusers(self.name)

    def draw_config(self, draw, family: dict) -> dict:
        T = draw(st.sampled_from([1000, 100, 50, 37]), label="num_train_timesteps")
        config = {
            "num_train_timesteps": T,
            "beta_schedule": draw(st.sampled_from(["linear", "scaled_linear", "squaredcos_cap_v2"])),
            "beta_start": draw(st.sampled_from([1e-4, 8.5e-4, 1e-3])),
            "beta_end": draw(st.sampled_from([0.02, 0.012, 0.05])),
            "prediction_type": draw(st.sampled_from(PREDICTIONS)),
            "rescale_betas_zero_snr": draw(st.sampled_from([False, True])),
            "clip_sample": False,
        }
        config.update(self.draw_extra(draw))
        config.update(family)
        n = draw(st.integers(1, min(T, 50)), label="num_inference_steps")
        config.update(num_inference_steps=n, index=draw(st.integers(0, n - 1), label="index"),
                      shape=draw(st.sampled_from(SHAPES)), seed=draw(st.integers(0, 2 ** 16)))
        return {k: config[k] for k in sorted(config, key=_order)}

    def draw_extra(self, draw) -> dict:
        return {}

    def init_kwargs(self, config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in RUN_KEYS}

    def make(self, config: dict, dtype: str):
        sched = self.scheduler_class()(**self.init_kwargs(config))
        if dtype == "float64":
            self.promote(sched)
        sched.set_timesteps(config["num_inference_steps"])
        return sched

    def promote(self, sched) -> None:
        """Compute in float64: the stored schedule (float32 values, converted exactly)."""
        import torch
        sched.alphas_cumprod = sched.alphas_cumprod.to(torch.float64)

    def abar(self, sched) -> np.ndarray:
        return sched.alphas_cumprod.detach().double().numpy()

    def grid(self, sched) -> list[int]:
        return [int(t) for t in sched.timesteps]

    def final_abar(self, sched, config: dict) -> float:
        """abar after the grid's last step."""
        return 1.0

    def abar_after(self, sched, config: dict, index: int) -> float:
        """abar at the grid's next timestep (the final one after the last step)."""
        grid = self.grid(sched)
        if index + 1 < len(grid):
            return float(self.abar(sched)[grid[index + 1]])
        return self.final_abar(sched, config)

    def tensors(self, rng: np.random.Generator, shape, dtype: str, count: int):
        import torch
        return [torch.from_numpy(rng.standard_normal(shape)).to(torch_dtype(dtype))
                for _ in range(count)]

    # -- the schedule ------------------------------------------------------------------------------
    def schedule_case(self, config: dict) -> StepCase:
        """The stored betas against the derived schedule (linear: Ho et al.; squaredcos_cap_v2:
        Nichol & Dhariwal).  scaled_linear (a code convention of latent diffusion, no derived
        formula here) and rescaled schedules are not cases."""
        kind = config["beta_schedule"]
        if config.get("rescale_betas_zero_snr") or kind not in ("linear", "squaredcos_cap_v2"):
            raise NotACase(f"no derived schedule for {kind}"
                           + (" rescaled" if config.get("rescale_betas_zero_snr") else ""))
        sched = self.scheduler_class()(**self.init_kwargs(config))
        T = config["num_train_timesteps"]
        i = np.arange(1, T + 1, dtype=np.float64)
        if kind == "linear":
            inputs = {"i": i, "n": T, "beta_1": config["beta_start"], "beta_n": config["beta_end"]}
            return StepCase("beta-linear", inputs, sched.betas.double().numpy(), "all")
        return StepCase("beta-cosine", {"i": i, "n": T}, sched.betas.double().numpy(), "all")

    # -- property 4 ------------------------------------------------------------------------------
    def grid_problems(self, sched, config: dict) -> list[str]:
        T, grid = config["num_train_timesteps"], self.grid(sched)
        problems = []
        if len(set(grid)) != len(grid):
            problems.append(f"timesteps repeat: {_short(grid)}")
        if any(a <= b for a, b in zip(grid, grid[1:])):
            problems.append(f"timesteps not strictly decreasing: {_short(grid)}")
        outside = [t for t in grid if not 0 <= t < T]
        if outside:
            problems.append(f"timesteps outside [0, {T - 1}]: {outside[:3]} (grid {_short(grid)})")
            return problems
        problems += self.endpoint_problems(grid, config)
        problems += self.landing_problems(sched, config, grid)
        return problems

    def endpoint_problems(self, grid: list[int], config: dict) -> list[str]:
        """The first and last timesteps the spacing states (Lin et al. 2024, Table 2)."""
        T, n, spacing = config["num_train_timesteps"], config["num_inference_steps"], \
            config.get("timestep_spacing", "leading")
        offset = config.get("steps_offset", 0)
        expected_first = {"trailing": T - 1, "linspace": T - 1,
                          "leading": (n - 1) * (T // n) + offset}[spacing]
        expected_last = {"trailing": round(T / n) - 1, "linspace": 0, "leading": offset}[spacing]
        out = []
        if grid[0] != expected_first:
            out.append(f"first timestep {grid[0]}, the {spacing} spacing starts at {expected_first}")
        if len(grid) > 1 and grid[-1] != expected_last:
            out.append(f"last timestep {grid[-1]}, the {spacing} spacing ends at {expected_last}")
        if len(grid) != n:
            out.append(f"{len(grid)} timesteps for num_inference_steps = {n}")
        return out

    def landing_problems(self, sched, config: dict, grid: list[int]) -> list[str]:
        """Each step must land on the noise level of the grid's next timestep: measured from the
        step itself, as sqrt(abar_prev/abar_t) = step(x_t = 1, eps = 0) - step(x_t = 0, eps = 0)
        with the same noise (the posterior mean and Eq. 12 both reduce to it)."""
        abar = self.abar(sched)
        for index, t in enumerate(grid):
            landed = self.unit_gain(sched, config, index) ** 2
            wanted = self.abar_after(sched, config, index)
            if not np.isclose(landed, wanted, rtol=1e-4, atol=1e-7):
                near = int(np.argmin(np.abs(abar - landed)))
                where = (f"timestep {near}" if abs(abar[near] - landed) <= 1e-4 * landed
                         else f"abar {landed:.6g}")
                if abs(landed - self.final_abar(sched, config)) <= 1e-7:
                    where = "the final abar"
                nxt = grid[index + 1] if index + 1 < len(grid) else "the end (final abar)"
                return [f"the step at timestep {t} lands on {where}; the grid's next is {nxt}"]
        return []

    def unit_gain(self, sched, config: dict, index: int) -> float:
        """sqrt(abar_s) measured from the step: with the sample prediction x_0-hat = 1 at
        x_t = sqrt(abar_t) (so eps-hat = 0), the posterior mean (Ho et al. Eq. 7) and Eq. 12
        both give sqrt(abar_s); the step at (x_t, x_0-hat) = (0, 0) is subtracted, which removes
        the noise (drawn alike).  Valid at abar_t = 0 too (zero terminal SNR)."""
        import torch
        t = self.grid(sched)[index]
        cfg = {**config, "prediction_type": "sample"}
        s = self.make(cfg, "float64")
        a = float(self.abar(s)[t])
        one = torch.ones(1, 1, dtype=torch.float64)
        zero = torch.zeros(1, 1, dtype=torch.float64)
        hit = self.call_step(s, cfg, t, one, one * a ** 0.5, noise=zero)[0].flat[0]
        base = self.call_step(s, cfg, t, zero, zero, noise=zero)[0].flat[0]
        return float(hit - base)

    def check_case(self, sched, config: dict, index: int) -> None:
        """NotACase when the grid has a timestep outside [0, T - 1] at or after ``index``."""
        T, grid = config["num_train_timesteps"], self.grid(sched)
        bad = [t for t in grid[index:index + 2] if not 0 <= t < T]
        if bad:
            raise NotACase(f"timestep {bad[0]} outside [0, {T - 1}] (property 4)")

    def call_step(self, sched, config, t, model_output, x_t, noise):    # pragma: no cover
        raise NotImplementedError

    def loop_step(self, sched, config: dict, t, model_output, x, generator):
        """One step of a sampling loop (property 3): the scheduler draws its own noise."""
        kwargs = {"eta": config["eta"]} if "eta" in config else {}
        return sched.step(model_output, t, x, generator=generator, **kwargs).prev_sample

    # -- property 2 ------------------------------------------------------------------------------
    def invariance_cases(self, config: dict, index: int, rng: np.random.Generator,
                         dtype: str) -> list[StepCase]:
        import torch
        x0, eps, noise = (rng.standard_normal(config["shape"]) for _ in range(3))
        cases = []
        for kind in PREDICTIONS:
            cfg = {**config, "prediction_type": kind}
            sched = self.make(cfg, dtype)
            self.check_case(sched, cfg, index)
            t = self.grid(sched)[index]
            x_t, output = as_prediction(kind, float(self.abar(sched)[t]), x0, eps)
            as_t = [torch.from_numpy(v).to(torch_dtype(dtype)) for v in (x_t, output, noise)]
            cases.append(self.case(sched, cfg, index, as_t[0], as_t[1], as_t[2]))
        return cases

    def step_case(self, sched, config: dict, index: int, rng: np.random.Generator,
                  dtype: str) -> StepCase:
        self.check_case(sched, config, index)
        x_t, output, noise = self.tensors(rng, config["shape"], dtype, 3)
        return self.case(sched, config, index, x_t, output, noise)

    def case(self, sched, config, index, x_t, output, noise) -> StepCase:   # pragma: no cover
        raise NotImplementedError

    # -- add_noise ------------------------------------------------------------------------------
    def add_noise_case(self, sched, config: dict, index: int, rng: np.random.Generator,
                       dtype: str) -> StepCase:
        """add_noise(x_0, eps, t) at the grid's index-th timestep: x_t = sqrt(abar_t) x_0 +
        sqrt(1 - abar_t) eps with the stored abar_t (Ho et al. 2020, Eq. 4)."""
        import torch
        t = self.grid(sched)[index]
        if not 0 <= t < len(self.abar(sched)):
            raise NotACase(f"timestep {t} is outside the schedule (property 4 reports it)")
        x_0, eps = self.tensors(rng, config["shape"], dtype, 2)
        got = sched.add_noise(x_0, eps, torch.tensor([t])).detach().double().numpy()
        inputs = {"abar_t": float(self.abar(sched)[t]), "x_0": x_0.double().numpy(),
                  "eps": eps.double().numpy()}
        return StepCase("forward-noising", inputs, got, t)


def _order(key: str) -> tuple:
    first = ("beta_schedule", "num_train_timesteps", "beta_start", "beta_end", "timestep_spacing",
             "prediction_type", "variance_type", "eta")
    return (first.index(key) if key in first else len(first), key)


def _short(grid: list) -> str:
    return str(grid) if len(grid) <= 8 else f"[{', '.join(map(str, grid[:4]))}, ..., " \
        f"{', '.join(map(str, grid[-3:]))}]"
