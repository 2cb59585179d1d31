"""The other predictions of a v-prediction model (docs/claims.md 'Built-in relations, definitions
and unknown functions', v-prediction; Salimans & Ho 2022, Sec. 4).

A step with the v-prediction ``v_\\theta(x_t, t)`` (``\\hat v``) reads the other predictions it
names, ``\\hat{x}_\\theta(x_t, t)``, ``\\hat\\epsilon_\\theta(x_t, t)`` and ``s_\\theta(x_t, t)``, as
the ones the v-model gives: v converted on DDPM's path x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps
by :meth:`derive.paths.GaussianPath.convert` (x = sqrt(abar_t) x_t - sqrt(1 - abar_t) v, ...),
never retyped.  A prediction an assumption defines keeps the assumption's value.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import sympy as sp

from diffproof.derive.paths import DDPM, v_theta
from diffproof.derive.symbols import epshat, s_theta, x_t, xhat
from diffproof.derive.verdict import Verdict
from diffproof.proofs.claims.readings.base import BaseReading, StepState

# the predictions derived from v, with the kind derive.paths converts to and how they are shown
_DERIVED = ((xhat, "x", "xhat_theta"), (epshat, "eps", "epshat_theta"), (s_theta, "score", "s_theta"))


@lru_cache(maxsize=None)
def from_v(kind: str) -> sp.Expr:
    """The prediction ``kind`` of a v-model at x_t on DDPM's path (derive.paths.DDPM.convert)."""
    return sp.expand(DDPM.convert(v_theta, "v", kind, x_t))


def derived_predictions(lhs, rhs, assumptions) -> dict:
    """{prediction: its value from v_theta} for the predictions the step reads through v_theta;
    empty when v_theta is absent or defined by an assumption."""
    if v_theta in assumptions.definitions:
        return {}
    present = set()
    for side in (lhs, rhs):
        if isinstance(side, sp.Basic):
            present |= side.free_symbols
    if v_theta not in present:
        return {}
    return {symbol: from_v(kind) for symbol, kind, _ in _DERIVED
            if symbol in present and symbol not in assumptions.definitions}


class VPredictionReading(BaseReading):
    """x̂_θ, ε̂_θ, s_θ beside v_θ are the v-model's (a built-in relation, named)."""

    name = "v-prediction"

    def before(self, state: StepState) -> Verdict | None:
        derived = derived_predictions(state.lhs, state.rhs, state.assumptions)
        if not derived:
            return None
        shown = {symbol: name for symbol, _, name in _DERIVED}
        text = "; ".join(f"{shown[symbol]} = {value}" for symbol, value in derived.items())
        extended = replace(state.assumptions,
                           definitions={**state.assumptions.definitions, **derived})
        state.extend(extended, f"{text} (the v-model's predictions: v_theta = sqrt(abar_t) eps - "
                               f"sqrt(1 - abar_t) x_0 solved on x_t = sqrt(abar_t) x_0 + "
                               f"sqrt(1 - abar_t) eps; Salimans & Ho 2022, Sec. 4)", base=True)
        return None


__all__ = ["VPredictionReading", "derived_predictions", "from_v"]
