"""``diffproof train``: VE denoising score matching on seed 002's two-Gaussian mixture.

Every option is validated before anything is allocated or written (limits in
numeric.torchdiff.config; bad values exit 2).  A run whose loss or weights turn non-finite stops
with exit 1 and keeps its last good checkpoint.  An output that cannot be written exits 2.
"""
from __future__ import annotations

import importlib
import os
import sys

from diffproof.proofs.loader import UsageError

DEFAULT_OUT = os.path.join("diffproof-run", "model.pt")
# One intra-op thread by default: the model is small, and on a busy machine 2 threads fell 4x
# behind 1 (they wait for each other whenever a core is taken); --threads raises it on idle cores.
THREADS = 1
MAX_THREADS = os.cpu_count() or 1
TORCH_MISSING = ("train and sample need PyTorch, which the core install leaves out: "
                 "pip install 'diffproof[torch]' (for the CPU-only build, first: pip install torch "
                 "--index-url https://download.pytorch.org/whl/cpu)")


def require_torch() -> None:
    """UsageError naming what to install when torch (or matplotlib) is missing."""
    try:
        for name in ("torch", "matplotlib"):
            importlib.import_module(name)
    except ImportError:
        raise UsageError(TORCH_MISSING) from None


def register(subparsers) -> None:
    from diffproof.numeric.torchdiff.config import TrainConfig
    d = TrainConfig()
    p = subparsers.add_parser(
        "train", help="train a small score model on seed 002's 2-D mixture (VE-SDE, DSM)",
        description="Train a time-conditioned MLP score model by VE denoising score matching "
                    "(squared error, exact kernel variance) on seed 002's two-Gaussian mixture. "
                    "Writes an atomic checkpoint and a loss log (CSV) next to it.")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"checkpoint path (default {DEFAULT_OUT})")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint at --out")
    p.add_argument("--steps", type=int, default=d.steps,
                   help=f"total optimizer steps (default {d.steps}, at most 1e8)")
    p.add_argument("--batch", type=int, default=d.batch,
                   help=f"batch size (default {d.batch}; memory estimate at most 2 GiB)")
    p.add_argument("--lr", type=float, default=d.lr, help=f"peak learning rate (default {d.lr})")
    p.add_argument("--sigma-min", type=float, default=d.sigma_min)
    p.add_argument("--sigma-max", type=float, default=d.sigma_max)
    p.add_argument("--weighting", choices=["sigma2", "g2"], default=d.weighting,
                   help="lambda(t) = kernel variance (default) or g(t)^2")
    p.add_argument("--hidden", type=int, default=d.hidden,
                   help=f"hidden width (default {d.hidden}, at most 16384)")
    p.add_argument("--depth", type=int, default=d.depth,
                   help=f"hidden layers (default {d.depth}, at most 64)")
    p.add_argument("--seed", type=int, default=d.seed, help="seed in [0, 2^63 - 1] (default 0)")
    add_threads_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def add_threads_option(parser) -> None:
    parser.add_argument("--threads", type=int, default=THREADS,
                        help=f"torch intra-op threads, 1 to {MAX_THREADS} (default {THREADS}: "
                             "robust when other work shares the cores; more only on idle cores)")


def usage_errors(check, *args, **kwargs):
    """check(*args, **kwargs), its ValueError or OSError (an unwritable output) as a UsageError."""
    try:
        return check(*args, **kwargs)
    except (ValueError, OSError) as error:
        raise UsageError(str(error)) from None


def check_common(args) -> None:
    """The options train and sample share: --threads and --seed."""
    from diffproof.numeric.torchdiff.config import MAX_SEED, check_int
    usage_errors(check_int, "--threads", args.threads, 1, MAX_THREADS)
    usage_errors(check_int, "--seed", args.seed, 0, MAX_SEED)


def check_output(path: str) -> None:
    """UsageError unless a file can be written at path (a probe file is created and removed)."""
    from diffproof.numeric.files import check_writable
    usage_errors(check_writable, path)


def set_threads(threads: int) -> None:
    import torch
    from diffproof.numeric.torchdiff.config import check_int
    torch.set_num_threads(usage_errors(check_int, "--threads", threads, 1, MAX_THREADS))


def validate(args):
    """(config, loss-log path, start step) of a valid request; UsageError otherwise."""
    from diffproof.numeric.torchdiff.config import TrainConfig
    check_common(args)
    config = TrainConfig(steps=args.steps, batch=args.batch, lr=args.lr, sigma_min=args.sigma_min,
                         sigma_max=args.sigma_max, weighting=args.weighting, hidden=args.hidden,
                         depth=args.depth, seed=args.seed)
    usage_errors(config.validate)
    if args.resume and not os.path.isfile(args.out):
        raise UsageError(f"--resume: no checkpoint at {args.out}")
    if not args.resume and os.path.lexists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"{args.out} exists; pass --resume to continue it or --out for a new path")
    log_path = os.path.splitext(args.out)[0] + ".loss.csv"
    check_output(args.out)
    check_output(log_path)
    start = 0
    if args.resume:
        from diffproof.numeric.torchdiff.train import config_from, load_checkpoint
        state = usage_errors(load_checkpoint, args.out)
        usage_errors(config_from, state)
        start = state["step"]
        if start >= config.steps:
            raise UsageError(f"the checkpoint is already at step {start}; pass --steps > {start}")
    return config, log_path, start


def run(args) -> int:
    require_torch()
    config, log_path, start = validate(args)
    set_threads(args.threads)
    from diffproof.numeric.torchdiff.train import Diverged, ProgressBar, train
    bar = None if args.quiet else ProgressBar(config.steps, start)
    try:
        state = usage_errors(train, config, args.out, resume=args.resume, log_path=log_path,
                             progress=bar.update if bar else None)
    except Diverged as error:
        if bar:
            bar.close()
            bar = None
        print(f"diffproof: error: {error}", file=sys.stderr)
        return 1
    finally:
        if bar:
            bar.close()
    first, last = state["losses"][0], state["losses"][-1]
    print(f"trained {state['step']} steps (resumed from {start}); loss {first[1]:.4f} at step "
          f"{first[0]} -> {last[1]:.4f} at step {last[0]}")
    print(f"checkpoint: {args.out}\nloss log:   {log_path}")
    return 0
