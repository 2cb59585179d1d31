"""Property 3: the whole sampling loop, driven by the exact denoiser of Gaussian-mixture data,
yields the data distribution, decided by the Monte Carlo engine (numeric/montecarlo).

The denoiser is exact: E[x_0 | x_t] of the mixture (numeric/torchdiff/oracle.py) at the noise
level the scheduler itself believes (its alphas_cumprod at t), handed to the step in the
scheduler's prediction type (eps and v computed from it by the forward relation).  The loop starts
from N(0, I) (init_noise_sigma = 1 for these schedulers), runs every timestep of the grid in
float64 and returns the samples.  Two decisions, each with its stated error rates:

- moments: E[x_i] = m_i and E[x_i^2] = v_i + m_i^2 per coordinate (z-tests, Bonferroni over the
  4 coordinates), minimum detectable discrepancy ``delta`` (absolute);
- mode weight: P(x_1 > 0) = the weight of the components with positive mean (exact binomial test).

Error rates: each decision has false-fail rate 1e-6 for an exact sampler and detects a
discrepancy of ``delta`` = 0.1 with probability 0.999.  The samplers are not exact at finitely
many steps: their discretization bias adds to the false-fail rate.  Measured on :func:`data` with
100k samples at 50 steps (leading grid): E[x_1^2] is 0.876 (DDIM, eta = 0) and 0.884 (DDPM,
fixed_small) against 0.900, a bias of about 0.024 that halves with the steps; at the 100 steps of
:data:`STEPS` it is about 0.012, one standard error of the test, which raises the false-fail rate
to about 1e-5 (z-threshold 5.2 less one standard error).  A sampler that adds variance where it
should add the standard deviation (tests/test_conform_sampling.py) moves E[x_1] by 0.47 and the
mode weight from 0.7 to 0.94: far beyond delta.
"""
from __future__ import annotations

import math

import numpy as np

from diffproof.derive.verdict import HOLDS, Verdict
from diffproof.numeric.conform import contracts as C
from diffproof.numeric.montecarlo import MCSettings, decide
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture

SETTINGS = MCSettings(false_fail=1e-6, power=0.999, rel_tol=0.0, abs_floor=0.1,
                      pilot=2048, max_n=200_000)
STEPS = 100


def data() -> DiagonalGaussianMixture:
    """Two unequal modes in R^2 (weights 0.3, 0.7; means (-1.2, -0.8), (0.8, 0.6); variances
    0.02): the mode weight is not the 1/2 a symmetric sampler gives for free."""
    return DiagonalGaussianMixture([0.3, 0.7], [[-1.2, -0.8], [0.8, 0.6]],
                                   [[0.02, 0.02], [0.02, 0.02]])


def default_config(adapter) -> dict:
    """The config of property 3 in ``diffproof conform``: the scheduler's defaults, a leading grid
    of STEPS steps, eta = 0 and fixed_small where they apply, epsilon prediction (an adapter's
    own ``sampling_config`` instead, where it has one)."""
    if hasattr(adapter, "sampling_config"):
        return adapter.sampling_config()
    config = dict(beta_schedule="linear", num_train_timesteps=1000, beta_start=1e-4,
                  beta_end=0.02, prediction_type="epsilon", clip_sample=False,
                  rescale_betas_zero_snr=False, steps_offset=0, timestep_spacing="leading",
                  num_inference_steps=STEPS, index=0, shape=(1, 2), seed=0)
    config.update({k: v for k, v in adapter.families[0].items() if k not in config})
    if adapter.name == "DDIMScheduler":
        config.update(eta=0.0, set_alpha_to_one=True)
    return config


def sample(adapter, config: dict, mixture: DiagonalGaussianMixture, rng: np.random.Generator,
           n: int) -> np.ndarray:
    """n samples of the scheduler's loop with the exact denoiser, float64 (an adapter's own
    ``sample_loop`` instead, where it has one)."""
    if hasattr(adapter, "sample_loop"):
        return adapter.sample_loop(config, mixture, rng, n)
    import torch
    sched = adapter.make(config, "float64")
    abar = adapter.abar(sched)
    kind = config["prediction_type"]
    x = torch.from_numpy(rng.standard_normal((n, mixture.dim)))
    generator = torch.Generator().manual_seed(int(rng.integers(2 ** 62)))
    for t in adapter.grid(sched):
        a = float(abar[t])
        x0 = mixture.denoiser(x, math.sqrt(a), 1 - a)
        eps = C.get("eps-from-sample").evaluate(abar_t=a, x_t=x, model_output=x0)
        output = torch.from_numpy(C.as_prediction(kind, a, x0, eps)[1])
        x = adapter.loop_step(sched, config, t, output, x, generator)
    return x.numpy()


def check(adapter, config: dict, seed: int = 0, settings: MCSettings = SETTINGS,
          mixture: DiagonalGaussianMixture | None = None) -> list[Verdict]:
    """The two decisions (moments, mode weight) for one config."""
    mixture = mixture or data()
    mean = mixture.mean().numpy()
    second = (mixture.variance() + mixture.mean() ** 2).numpy()
    positive = float(mixture.weights[mixture.means[:, 0] > 0].sum())
    params = {"scheduler": adapter.label, **{k: v for k, v in config.items()
                                             if k not in ("index", "shape", "seed")}}

    def moments(rng, n):
        x = sample(adapter, config, mixture, rng, n)
        return np.concatenate([x, x ** 2], axis=1)

    def mode(rng, n):
        return (sample(adapter, config, mixture, rng, n)[:, 0] > 0).astype(float)

    return [decide(moments, np.concatenate([mean, second]), seed=seed, settings=settings,
                   what="sampling loop: E[x], E[x^2]", params=params),
            decide(mode, positive, seed=seed + 1, settings=settings, bounds=(0.0, 1.0),
                   what="sampling loop: mode weight", params=params)]


def holds(verdicts: list[Verdict]) -> bool:
    return all(v.status == HOLDS for v in verdicts)
