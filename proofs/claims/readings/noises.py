"""Which symbols name standard normal noises: eps, eps_k, eps*_{t-1}, bar eps_{t-2}, z, z_i.

Distinct names are independent.  A noise is not an undefined quantity (docs/claims.md 'Steps that hold
in distribution'): its domain is every real value, and met on one side only it is a merge of
noises, read in distribution by :mod:`proofs.claims.readings.distribution`.
"""
from __future__ import annotations

import re

import sympy as sp

_NOISE = re.compile(r"^(bar_)?(star_)?(eps|epsilon|varepsilon|z)(_[^']+)?$")


def is_noise(symbol) -> bool:
    """Whether a symbol names a standard normal noise: eps, eps_0, eps*_{t-1}, \\bar eps_{t-2}
    (a merged noise, Ho et al.'s notation as in many notes), z, z_i; not the model's prediction
    eps_theta, nor a hat/tilde eps."""
    return isinstance(symbol, sp.Symbol) and "theta" not in symbol.name and \
        bool(_NOISE.match(symbol.name))


def noises(expr) -> set:
    """The noise symbols of ``expr``."""
    return {s for s in sp.sympify(expr).free_symbols if is_noise(s)}
