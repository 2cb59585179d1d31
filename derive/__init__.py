"""diffproof's symbolic core: symbols, Gaussian algebra, derived quantities, derivations, LaTeX.

Public API for writing a derivation::

    from derive import Derivation, Step, seed, symbols as S
    Derivation("my-id", "title", start=..., steps=[Step(expr, "why", seed("001", "(84)"))])

The names below are imported on first use, so ``derive.source`` (plain data) can be imported
without SymPy.
"""
from __future__ import annotations

import importlib

_HOMES = {
    "derive.symbols": ("TABLE",),
    "derive.derivation": ("Derivation", "Erratum", "Step"),
    "derive.verdict": ("FAILS", "HOLDS", "UNDECIDED", "Method", "Status", "Verdict"),
    "derive.source": ("Source", "paper", "seed"),
    "derive.gaussian": ("Normal", "complete_the_square", "condition", "kl_divergence", "marginalize"),
    "derive.latex.printer": ("to_latex",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["symbols", "TABLE", "Derivation", "Step", "Source", "Verdict", "Erratum", "seed", "paper",
           "HOLDS", "FAILS", "UNDECIDED", "Method", "Status", "Normal", "condition", "marginalize", "kl_divergence",
           "complete_the_square", "to_latex"]


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
