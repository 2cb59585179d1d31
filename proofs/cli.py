"""The command line: ``diffproof list | check | errata | ...`` (also ``python -m proofs``).

Exit codes: 0 when every checked step holds, 1 when a step fails or is undecided, 2 for a usage
error (unknown id, missing file, bad option, unparsable claim), 3 for an internal error (a bug).
"""
from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata

from diffproof.proofs.commands import register_all
from diffproof.proofs.loader import UsageError
from diffproof.proofs.output import report_internal_error, say


def version() -> str:
    """The installed distribution's version (pyproject.toml is its one home)."""
    try:
        return metadata.version("diffproof")
    except metadata.PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffproof",
        description="Check the derivations of diffusion-model mathematics, symbolically and numerically.")
    parser.add_argument("--version", action="version", version=f"diffproof {version()}")
    register_all(parser.add_subparsers(dest="command", required=True))
    return parser


def hypothesis_storage() -> str:
    """Where Hypothesis may keep files when diffproof runs as a command: a per-user cache
    (``$XDG_CACHE_HOME/diffproof/hypothesis``), never a ``.hypothesis/`` folder in the user's
    working directory.  A ``HYPOTHESIS_STORAGE_DIRECTORY`` already set is respected."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "diffproof", "hypothesis")


def main(argv: list[str] | None = None) -> int:
    # read by Hypothesis whenever it touches disk (here and in the forked workers)
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", hypothesis_storage())
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:   # argparse: usage error (2) or --help (0)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        say(f"diffproof: error: {error}", sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("diffproof: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - a bug: say so, exit 3, never a bare traceback
        return report_internal_error(error)
