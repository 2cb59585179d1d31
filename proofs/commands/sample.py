"""``diffproof sample``: samples from a trained model against the exact-score sampler.

Options are validated before sampling (limits in numeric.torchdiff.config); the figure is written
atomically to exactly the --png path given (which must end in .png).  A checkpoint that is not
usable (foreign, config not matching its weights, non-finite weights) exits 2; samples that come
out non-finite exit 1: no NaN figure is ever printed.
"""
from __future__ import annotations

import json
import os
import sys

from diffproof.proofs.commands.train import (DEFAULT_OUT, add_threads_option, check_common, check_output,
                                   require_torch, set_threads, usage_errors)
from diffproof.proofs.loader import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sample", help="sample a trained model; PNG and quality figures vs the exact score",
        description="Draw samples with a reverse-time sampler from the correct VE prior, write a "
                    "PNG (data | model | exact score) and print mode weights and energy distances "
                    "of the model's samples and of the same sampler with the exact score.")
    p.add_argument("--checkpoint", default=DEFAULT_OUT, help=f"checkpoint (default {DEFAULT_OUT})")
    p.add_argument("--sampler", choices=["em", "pc", "ode", "ddim", "edm", "edm-sde",
                                              "dpm2m", "flow-euler"],
                   default="em",
                   help="em = reverse-SDE Euler-Maruyama (default), pc = predictor-corrector, "
                        "ode = probability flow with Heun, ddim = DDIM (eta = 0 unless --eta), "
                        "edm = EDM's Heun sampler on the rho-levels (Karras et al. Algorithm 1), "
                        "edm-sde = its stochastic variant (Algorithm 2, S_churn = 40), "
                        "dpm2m = DPM-Solver++(2M), flow-euler = Euler on the flow-matching path "
                        "alpha = 1 - t, sigma = t (the score converted to the velocity)")
    p.add_argument("--eta", type=float, default=None,
                   help="DDIM's eta in [0, 1] (Song et al. 2021, Eq. 16): 0 deterministic "
                        "(default), 1 DDPM's ancestral variance beta-tilde; --sampler ddim only")
    p.add_argument("--shift", type=float, default=None,
                   help="SD3's time shift s > 0 (Esser et al. 2024): the flow times t -> "
                        "s t/(1 + (s - 1) t), s > 1 spends more steps near the noise "
                        "(default 1, no shift); --sampler flow-euler only")
    p.add_argument("--steps", type=int, default=300, help="sampler steps (default 300, at most 1e5)")
    p.add_argument("-n", "--n-samples", type=int, default=10_000,
                   help="samples (default 10000, at most 1e6)")
    p.add_argument("--seed", type=int, default=0, help="seed in [0, 2^63 - 1] (default 0)")
    p.add_argument("--png", default=None,
                   help="figure path ending in .png (default: next to the checkpoint)")
    add_threads_option(p)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def validate(args) -> str:
    """The PNG path of a valid request; UsageError otherwise (nothing sampled or written yet)."""
    from diffproof.numeric.torchdiff.config import MAX_SAMPLER_STEPS, MAX_SAMPLES, check_int
    check_common(args)
    usage_errors(check_int, "--steps", args.steps, 1, MAX_SAMPLER_STEPS)
    usage_errors(check_int, "--n-samples", args.n_samples, 2, MAX_SAMPLES)
    sampler_options(args)
    if not os.path.isfile(args.checkpoint):
        raise UsageError(f"no checkpoint at {args.checkpoint} (run `diffproof train` first)")
    png = args.png or os.path.splitext(args.checkpoint)[0] + f".{args.sampler}.png"
    if not png.lower().endswith(".png"):
        raise UsageError(f"--png must name a .png file, got {png!r}")
    check_output(png)
    return png


_OPTION_SAMPLER = {"eta": "ddim", "shift": "flow-euler"}


def sampler_options(args) -> dict:
    """The sampler's own options given on the command line ({"eta": ...} for ddim, {"shift": ...}
    for flow-euler); UsageError for an option of another sampler or a value out of range."""
    import math
    options = {}
    for name, sampler in _OPTION_SAMPLER.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if args.sampler != sampler:
            raise UsageError(f"--{name} applies to --sampler {sampler} only, not to --sampler "
                             f"{args.sampler}")
        options[name] = value
    eta = options.get("eta")
    if eta is not None and not (math.isfinite(eta) and 0 <= eta <= 1):
        raise UsageError(f"--eta must lie in [0, 1] (DDIM's sigma^2 <= 1 - abar_next), got {eta}")
    shift = options.get("shift")
    if shift is not None and not (math.isfinite(shift) and shift > 0):
        raise UsageError(f"--shift must be a finite number > 0, got {shift}")
    return options


def run(args) -> int:
    require_torch()
    png = validate(args)
    set_threads(args.threads)
    import torch

    from diffproof.numeric.torchdiff.sample import NonFiniteSamples, compare, load_model, plot
    model, config, state = usage_errors(load_model, args.checkpoint)
    try:
        with torch.inference_mode():
            result = compare(model, config.sde(), args.sampler, args.n_samples, args.steps,
                             args.seed, sampler_options(args))
    except NonFiniteSamples as error:
        print(f"diffproof: error: {error}; the checkpoint gives no usable samples (retrain "
              "with a smaller --lr)", file=sys.stderr)
        return 1
    label = args.sampler + "".join(f" ({name} {value:g})"
                                   for name, value in sampler_options(args).items())
    title = (f"seed 002 mixture, VE sigma in [{config.sigma_min}, {config.sigma_max}], "
             f"{label} {args.steps} steps, model after {state['step']} training steps")
    usage_errors(plot, result, png, title)
    figures = result["figures"]
    if args.json:
        print(json.dumps({"png": png, "figures": figures}, indent=2, allow_nan=False))
        return 0
    print(f"{args.n_samples} samples, sampler {label}, {args.steps} steps; figure: {png}")
    print(f"{'':<20}{'mode weights':>20}{'energy distance':>18}")
    for name, values in figures.items():
        weights = "/".join(f"{w:.4f}" for w in values["mode_weights"])
        print(f"{name:<20}{weights:>20}{values['energy_distance']:>18.5f}")
    print("energy distance: 2E|X-Y| - E|X-X'| - E|Y-Y'| against 4000 fresh data points "
          "(unbiased, so it can be slightly negative)")
    return 0
