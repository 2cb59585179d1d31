"""The sub-commands: each module here defines ``register(subparsers)`` and registers one command;
``COMMANDS`` gives the order ``diffproof --help`` lists them in."""
from __future__ import annotations

import importlib

COMMANDS = ("listing", "check", "errata", "claim", "latex", "html", "train", "sample",
            "conform")


def register_all(subparsers) -> None:
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
