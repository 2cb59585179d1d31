"""The options every checking command shares (check, errata, claim), validated in one place.

Bad values are usage errors (exit 2) reported by argparse with the option's name.  The parser
does not import the checker (nor SymPy), so ``diffproof list`` starts fast; its defaults are the
checker's ``Options`` defaults (a test keeps them equal).
"""
from __future__ import annotations

import argparse
import math
import os

MAX_SEED = 2 ** 32 - 1
MAX_SECONDS = 24 * 3600.0
DEFAULT_BUDGET = 2.0                 # proofs.checker.Options.budget
DEFAULT_LIMIT = 60.0                 # proofs.checker.Options.limit
DEFAULT_MAX_JOBS = 4                 # check: worker processes by default (the usable cores, up to 4)
MAX_JOBS = 64


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED}, got {text}")
    return value


def seconds_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds up to "
                                         f"{MAX_SECONDS:g}, got {text}")
    return value


def jobs_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_JOBS}, got {text}")
    return value


def default_jobs() -> int:
    """The cores this process may use, at most ``DEFAULT_MAX_JOBS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, DEFAULT_MAX_JOBS))


def add_check_options(parser: argparse.ArgumentParser, checks: bool = True,
                      json: bool = True) -> None:
    """--json (unless ``json`` is false), --no-numeric, --seed, --budget, --limit (and
    --no-checks for catalog steps)."""
    if json:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-numeric", action="store_true",
                        help="symbolic only: a step not proved symbolically is undecided")
    if checks:
        parser.add_argument("--no-checks", action="store_true",
                            help="skip the steps' extra checks (Monte Carlo, simulations)")
        parser.add_argument("--jobs", type=jobs_value, default=None, metavar="N",
                            help="worker processes checking steps side by side (default: the "
                                 f"usable cores, up to {DEFAULT_MAX_JOBS}); the verdicts do not "
                                 "depend on it")
    parser.add_argument("--seed", type=seed_value, default=0,
                        help="seed of every random stream (default 0)")
    parser.add_argument("--budget", type=seconds_value, default=DEFAULT_BUDGET,
                        help="CPU seconds of symbolic simplification per step (default 2)")
    parser.add_argument("--limit", type=seconds_value, default=DEFAULT_LIMIT,
                        help="hard limit: CPU seconds for checking one step or reading one claim; "
                             f"past it the step is undecided (default {DEFAULT_LIMIT:g})")


def options_from(args: argparse.Namespace):
    from diffproof.proofs.checker import Options  # noqa: PLC0415 - SymPy only for the commands that check
    return Options(numeric=not args.no_numeric, seed=args.seed, budget=args.budget,
                   limit=max(args.limit, args.budget),
                   run_checks=not getattr(args, "no_checks", False),
                   jobs=getattr(args, "jobs", None) or default_jobs())
