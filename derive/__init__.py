"""diffproof's symbolic core: symbols, Gaussian algebra, derived quantities, derivations, LaTeX.

Public API for writing a derivation::

    from diffproof.derive import Derivation, Step, seed, symbols as S
    Derivation("my-id", "title", start=..., steps=[Step(expr, "why", seed("001", "(84)"))])

The names below are imported on first use, so ``derive.source`` (plain data) can be imported
without SymPy.
"""
from __future__ import annotations

import importlib

_HOMES = {
    "diffproof.derive.symbols": ("TABLE",),
    "diffproof.derive.derivation": ("Derivation", "Erratum", "Step"),
    "diffproof.derive.verdict": ("FAILS", "HOLDS", "UNDECIDED", "Method", "Status", "Verdict"),
    "diffproof.derive.source": ("Source", "paper", "seed", "library"),
    "diffproof.derive.gaussian": ("Normal", "complete_the_square", "condition", "kl_divergence", "marginalize"),
    "diffproof.derive.latex.printer": ("to_latex",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["symbols", "TABLE", "Derivation", "Step", "Source", "Verdict", "Erratum", "seed", "paper",
           "HOLDS", "FAILS", "UNDECIDED", "Method", "Status", "Normal", "condition", "marginalize", "kl_divergence",
           "complete_the_square", "to_latex"]


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
