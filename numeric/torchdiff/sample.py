"""Sampling a trained ScoreMLP and judging it against the exact-score sampler on the same data.

The quality figures are the mode weights (nearest mean) and the energy distance to fresh data
samples, for the model's samples and for the same sampler driven by the exact score
(oracle.DiagonalGaussianMixture), plus the data-vs-data energy distance as the noise level.  A checkpoint
with non-finite weights is refused, and samples that are not finite raise NonFiniteSamples: no
figure is ever NaN.
"""
from __future__ import annotations

import math

import torch

from diffproof.numeric.files import atomic_write
from diffproof.numeric.torchdiff import samplers as S
from diffproof.numeric.torchdiff.ddim import ddim_sde
from diffproof.numeric.torchdiff.edm import edm_heun, edm_stochastic
from diffproof.numeric.torchdiff.dpm_solver import dpm_solver_pp_2m, flow_euler_sde
from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import LinearSDE
from diffproof.numeric.torchdiff.train import config_from, load_checkpoint, model_from

SAMPLERS = {"em": S.euler_maruyama, "pc": S.predictor_corrector, "ode": S.probability_flow_heun,
            "ddim": ddim_sde, "edm": edm_heun, "edm-sde": edm_stochastic,
            "dpm2m": dpm_solver_pp_2m, "flow-euler": flow_euler_sde}
# the samplers' own options (sampler -> option names), passed through draw and compare
OPTIONS = {"ddim": ("eta",), "flow-euler": ("shift",)}


class NonFiniteSamples(ArithmeticError):
    """The sampler produced NaN or infinite samples."""


def load_model(path: str):
    """(model, config, state) of a checkpoint; ValueError for a foreign, inconsistent or
    non-finite one."""
    state = load_checkpoint(path)
    config = config_from(state)
    model = model_from(state, config)
    model.eval()
    return model, config, state


def draw(sampler: str, score_fn, sde: LinearSDE, data: DiagonalGaussianMixture, n: int, steps: int,
         generator: torch.Generator, t_min: float = 1e-3, options: dict | None = None) -> torch.Tensor:
    """n samples from the correct prior N(s(T) data mean, marginal variance at T), then the
    sampler (with its ``options``, such as DDIM's eta), then Tweedie."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {tuple(SAMPLERS)}")
    options = dict(options or {})
    foreign = sorted(set(options) - set(OPTIONS.get(sampler, ())))
    if foreign:
        raise ValueError(f"sampler {sampler!r} takes no option {foreign[0]!r}")
    x = S.prior_sample(sde, (n, data.dim), float(data.variance().mean()), data.mean().float(),
                       generator, torch.float32)
    return SAMPLERS[sampler](score_fn, x, sde, n_steps=steps, t_min=t_min, denoise=True,
                             generator=generator, **options)


def figures(samples: torch.Tensor, data: DiagonalGaussianMixture, fresh: torch.Tensor,
            name: str = "model") -> dict:
    """Mode weights and energy distance; NonFiniteSamples instead of a NaN figure."""
    bad = int((~torch.isfinite(samples).all(dim=1)).sum())
    distance = energy_distance(samples, fresh) if not bad else math.nan
    if bad or not math.isfinite(distance):
        raise NonFiniteSamples(f"{bad} of the {samples.shape[0]} samples of the {name} are not "
                               f"finite (energy distance {distance})")
    return {"mode_weights": [round(float(w), 4) for w in mode_weights(samples, data.means)],
            "energy_distance": distance}


def compare(model, sde: LinearSDE, sampler: str, n: int, steps: int, seed: int,
            options: dict | None = None) -> dict:
    """Samples and figures for the model and for the exact score, with the same noise seed (and
    the same sampler options)."""
    data = DiagonalGaussianMixture.seed002(dtype=torch.float32)
    fresh = data.sample(4000, torch.Generator().manual_seed(seed + 1))
    fresh2 = data.sample(4000, torch.Generator().manual_seed(seed + 2))
    model_samples = draw(sampler, model, sde, data, n, steps, torch.Generator().manual_seed(seed),
                         options=options)
    exact_samples = draw(sampler, data.score_fn(sde), sde, data, n, steps,
                         torch.Generator().manual_seed(seed), options=options)
    return {"data": fresh, "model": model_samples, "exact": exact_samples,
            "figures": {"model": figures(model_samples, data, fresh),
                        "exact score": figures(exact_samples, data, fresh, "exact score"),
                        "data (noise level)": {"mode_weights": [0.5, 0.5],
                                               "energy_distance": energy_distance(fresh2, fresh)}}}


def plot(result: dict, path: str, title: str) -> None:
    """Three scatter panels (data, model, exact score) on common axes, written to path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("data (exact mixture)", result["data"]), ("trained model", result["model"]),
              ("exact score", result["exact"])]
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2), sharex=True, sharey=True)
    for ax, (name, points) in zip(axes, panels):
        pts = points[:4000].double().numpy()
        ax.scatter(pts[:, 0], pts[:, 1], s=1, alpha=0.3, rasterized=True)
        label = name
        if name != panels[0][0]:
            key = "model" if name == "trained model" else "exact score"
            fig_ = result["figures"][key]
            label += f"\nweights {fig_['mode_weights']}, E-dist {fig_['energy_distance']:.4f}"
        ax.set_title(label, fontsize=8)
        ax.set_xlim(-2, 2)
        ax.set_ylim(-2, 2)
        ax.set_aspect("equal")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    try:
        atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=80))
    finally:
        plt.close(fig)
