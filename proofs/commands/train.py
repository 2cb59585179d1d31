"""``diffproof train``: VE denoising score matching on seed 002's two-Gaussian mixture."""
from __future__ import annotations

import os

from proofs.loader import UsageError

DEFAULT_OUT = os.path.join("diffproof-run", "model.pt")
THREADS = min(2, os.cpu_count() or 1)  # a 2-core machine


def register(subparsers) -> None:
    from numeric.torchdiff.config import TrainConfig
    d = TrainConfig()
    p = subparsers.add_parser(
        "train", help="train a small score model on seed 002's 2-D mixture (VE-SDE, DSM)",
        description="Train a time-conditioned MLP score model by VE denoising score matching "
                    "(squared error, exact kernel variance) on seed 002's two-Gaussian mixture. "
                    "Writes an atomic checkpoint and a loss log (CSV) next to it.")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"checkpoint path (default {DEFAULT_OUT})")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint at --out")
    p.add_argument("--steps", type=int, default=d.steps, help=f"total optimizer steps (default {d.steps})")
    p.add_argument("--batch", type=int, default=d.batch, help=f"batch size (default {d.batch})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"peak learning rate (default {d.lr})")
    p.add_argument("--sigma-min", type=float, default=d.sigma_min)
    p.add_argument("--sigma-max", type=float, default=d.sigma_max)
    p.add_argument("--weighting", choices=["sigma2", "g2"], default=d.weighting,
                   help="lambda(t) = kernel variance (default) or g(t)^2")
    p.add_argument("--hidden", type=int, default=d.hidden, help=f"hidden width (default {d.hidden})")
    p.add_argument("--depth", type=int, default=d.depth, help=f"hidden layers (default {d.depth})")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=THREADS,
                   help=f"torch intra-op threads (default {THREADS}; use 1 if the cores are busy)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def set_threads(threads: int) -> None:
    import torch
    if threads < 1:
        raise UsageError(f"--threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)


def run(args) -> int:
    from numeric.torchdiff.train import ProgressBar, TrainConfig, train
    set_threads(args.threads)
    config = TrainConfig(steps=args.steps, batch=args.batch, lr=args.lr, sigma_min=args.sigma_min,
                         sigma_max=args.sigma_max, weighting=args.weighting, hidden=args.hidden,
                         depth=args.depth, seed=args.seed)
    try:
        config.validate()
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.resume and not os.path.isfile(args.out):
        raise UsageError(f"--resume: no checkpoint at {args.out}")
    if not args.resume and os.path.exists(args.out):
        raise UsageError(f"{args.out} exists; pass --resume to continue it or --out for a new path")
    log_path = os.path.splitext(args.out)[0] + ".loss.csv"
    start = 0
    if args.resume:
        from numeric.torchdiff.train import load_checkpoint
        try:
            start = load_checkpoint(args.out)["step"]
        except ValueError as error:
            raise UsageError(str(error)) from None
        if start >= config.steps:
            raise UsageError(f"the checkpoint is already at step {start}; pass --steps > {start}")
    bar = None if args.quiet else ProgressBar(config.steps, start)
    try:
        state = train(config, args.out, resume=args.resume, log_path=log_path,
                      progress=bar.update if bar else None)
    except ValueError as error:
        raise UsageError(str(error)) from None
    finally:
        if bar:
            bar.close()
    first, last = state["losses"][0], state["losses"][-1]
    print(f"trained {state['step']} steps (resumed from {start}); loss {first[1]:.4f} at step "
          f"{first[0]} -> {last[1]:.4f} at step {last[0]}")
    print(f"checkpoint: {args.out}\nloss log:   {log_path}")
    return 0
