"""``diffproof sample``: samples from a trained model against the exact-score sampler."""
from __future__ import annotations

import json
import os

from proofs.commands.train import DEFAULT_OUT, THREADS, set_threads
from proofs.loader import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sample", help="sample a trained model; PNG and quality figures vs the exact score",
        description="Draw samples with a reverse-time sampler from the correct VE prior, write a "
                    "PNG (data | model | exact score) and print mode weights and energy distances "
                    "of the model's samples and of the same sampler with the exact score.")
    p.add_argument("--checkpoint", default=DEFAULT_OUT, help=f"checkpoint (default {DEFAULT_OUT})")
    p.add_argument("--sampler", choices=["em", "pc", "ode"], default="em",
                   help="em = reverse-SDE Euler-Maruyama (default), pc = predictor-corrector, "
                        "ode = probability flow with Heun")
    p.add_argument("--steps", type=int, default=300, help="sampler steps (default 300)")
    p.add_argument("-n", "--n-samples", type=int, default=10_000, help="samples (default 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", default=None, help="figure path (default: next to the checkpoint)")
    p.add_argument("--threads", type=int, default=THREADS,
                   help=f"torch intra-op threads (default {THREADS}; use 1 if the cores are busy)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import torch

    from numeric.torchdiff.sample import compare, load_model, plot
    set_threads(args.threads)
    if args.steps < 1:
        raise UsageError(f"--steps must be >= 1, got {args.steps}")
    if args.n_samples < 2:
        raise UsageError(f"--n-samples must be >= 2, got {args.n_samples}")
    if not os.path.isfile(args.checkpoint):
        raise UsageError(f"no checkpoint at {args.checkpoint} (run `diffproof train` first)")
    try:
        model, config, state = load_model(args.checkpoint)
    except ValueError as error:
        raise UsageError(str(error)) from None
    png = args.png or os.path.splitext(args.checkpoint)[0] + f".{args.sampler}.png"
    with torch.inference_mode():
        result = compare(model, config.sde(), args.sampler, args.n_samples, args.steps, args.seed)
    title = (f"seed 002 mixture, VE sigma in [{config.sigma_min}, {config.sigma_max}], "
             f"{args.sampler} {args.steps} steps, model after {state['step']} training steps")
    plot(result, png, title)
    figures = result["figures"]
    if args.json:
        print(json.dumps({"png": png, "figures": figures}, indent=2))
        return 0
    print(f"{args.n_samples} samples, sampler {args.sampler}, {args.steps} steps; figure: {png}")
    print(f"{'':<20}{'mode weights':>20}{'energy distance':>18}")
    for name, values in figures.items():
        weights = "/".join(f"{w:.4f}" for w in values["mode_weights"])
        print(f"{name:<20}{weights:>20}{values['energy_distance']:>18.5f}")
    print("energy distance: 2E|X-Y| - E|X-X'| - E|Y-Y'| against 4000 fresh data points "
          "(unbiased, so it can be slightly negative)")
    return 0
