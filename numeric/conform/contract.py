"""Contracts: a derived formula that an implementation must compute, with its source and its
error budget.

A :class:`Contract` names one formula of ``derive/`` (built lazily from the SymPy expressions
there, never retyped), the paper and equation it comes from, and the names of its inputs.  It is
evaluated in float64 by :func:`derive.codegen.safe_lambdify` (numpy), elementwise over arrays, and
states its **error budget**, also computed from the expression:

    budget(x) = n_ops * u * ( |f(x)| + sum_i |x_i df/dx_i (x)| + sum_v |v(x) df/dv (x)| )

- ``u`` is the unit roundoff of the precision the implementation computes in (2**-53 for float64,
  2**-24 for float32);
- ``sum_i |x_i df/dx_i|`` is the formula's absolute condition (the relative condition number
  sum_i |x_i f_i| / |f| times |f|; Higham 2002, Sec. 1.6), with the partial derivatives taken by
  SymPy: a relative perturbation u of every input moves f by at most about that (first order).
  Written absolutely, the budget stays meaningful where f = 0;
- ``sum_v |v df/dv|`` runs over the intermediate quantities v of the formula as the paper writes
  it (every compound subexpression of the SymPy expression; df/dv: f with v replaced by a
  symbol, differentiated in it): the rounding of each computed intermediate, a relative error
  <= u, moves f by about |v df/dv| (the standard first-order forward error of an evaluation).
  It matters where intermediates cancel: Karras et al.'s Euler step x + (sigma' - sigma)(x - D)/sigma
  to sigma' = 0 equals D, whose input condition is small, but the step computes x - (x - D) and
  commits about u |x|;
- ``n_ops`` (SymPy's ``count_ops`` of the expression, at least 1) is the op-count factor: each
  operation of an evaluation commits a relative error <= u, and n operations accumulate at most
  gamma_n ~ n u (Higham 2002, Sec. 3.1).  The factor is the formula's, not the implementation's:
  an implementation that loses more than that (an ill-conditioned rewriting, a quantity computed
  in a lower precision) exceeds the budget, which is the point.

Where a partial derivative is infinite at the point (a square root at 0: sqrt(1 - abar_prev) at
abar_prev = 1), its term is replaced by the change of f under the relative perturbation
x_i -> x_i (1 +- u) itself, evaluated (the first-order term is then meaningless, the change is
not).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np
import sympy as sp

from diffproof.derive.codegen import safe_lambdify

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24, "float16": 2.0 ** -11,
                 "bfloat16": 2.0 ** -8}

# the contracts' own input symbols beside derive's (abar_t, abar_tm1 = abar at the grid's
# previous timestep, x_t, x_0, ...)
model_output = sp.Symbol("model_output", real=True)
noise = sp.Symbol("noise", real=True)

PREDICTION_KINDS = {"epsilon": "eps", "sample": "x", "v_prediction": "v"}   # diffusers -> paths


@dataclass(frozen=True)
class Contract:
    """One derived formula: ``build()`` returns (the input symbols in the order of ``inputs``,
    the SymPy expression), from ``derive/``."""

    name: str
    formula: str                      # the formula, as a reader writes it
    source: str                       # paper and equation
    inputs: tuple[str, ...]
    build: Callable[[], tuple[tuple[sp.Symbol, ...], sp.Expr]] = field(repr=False, compare=False)

    @cached_property
    def expression(self) -> sp.Expr:
        return self._built[1]

    @cached_property
    def _built(self):
        symbols, expr = self.build()
        if len(symbols) != len(self.inputs):                       # pragma: no cover - a bug
            raise ValueError(f"{self.name}: {len(symbols)} symbols for inputs {self.inputs}")
        return tuple(symbols), expr

    @cached_property
    def n_ops(self) -> int:
        return max(1, int(sp.count_ops(self.expression)))

    @cached_property
    def _compiled(self):
        symbols, expr = self._built
        value = safe_lambdify(symbols, expr)
        partials = [safe_lambdify(symbols, sp.diff(expr, s)) for s in symbols]
        return value, partials

    @cached_property
    def _intermediates(self) -> list:
        """(v, df/dv) compiled, for every compound subexpression v other than f itself."""
        symbols, expr = self._built
        nodes = {node for node in sp.preorder_traversal(expr)
                 if node is not expr and node.args and not node.is_number}
        slot = sp.Dummy("v")
        compiled = []
        for node in sorted(nodes, key=sp.default_sort_key):
            partial = sp.diff(expr.xreplace({node: slot}), slot).xreplace({slot: node})
            if partial != 0:
                compiled.append((safe_lambdify(symbols, node), safe_lambdify(symbols, partial)))
        return compiled

    def _arrays(self, values: dict) -> list[np.ndarray]:
        missing = [name for name in self.inputs if name not in values]
        if missing:
            raise TypeError(f"contract {self.name}: missing inputs {missing}")
        arrays = [np.asarray(_float64(values[name]), dtype=np.float64) for name in self.inputs]
        return list(np.broadcast_arrays(*arrays))

    def evaluate(self, **values) -> np.ndarray:
        """f at the inputs, in float64 (arrays broadcast)."""
        arrays = self._arrays(values)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self._compiled[0](*arrays), dtype=np.float64),
                                   arrays[0].shape).copy()

    def budget(self, dtype: str = "float64", **values) -> np.ndarray:
        """The error budget at the inputs for an implementation computing in ``dtype`` (see the
        module docstring)."""
        u = UNIT_ROUNDOFF[str(dtype).replace("torch.", "")]
        arrays = self._arrays(values)
        value, partials = self._compiled
        with np.errstate(all="ignore"):
            f = np.broadcast_to(np.asarray(value(*arrays), dtype=np.float64), arrays[0].shape)
            scale = np.abs(f).copy()
            for i, (x, partial) in enumerate(zip(arrays, partials)):
                term = np.abs(x * np.broadcast_to(np.asarray(partial(*arrays), dtype=np.float64),
                                                  x.shape))
                bad = ~np.isfinite(term)
                if bad.any():
                    term = np.where(bad, self._perturbed(arrays, i, u, f), term)
                scale = scale + term
            for node, partial in self._intermediates:
                term = np.abs(np.broadcast_to(np.asarray(node(*arrays), dtype=np.float64), f.shape)
                              * np.broadcast_to(np.asarray(partial(*arrays), dtype=np.float64),
                                                f.shape))
                scale = scale + np.where(np.isfinite(term), term, 0.0)
        return self.n_ops * u * scale

    def _perturbed(self, arrays, i: int, u: float, f: np.ndarray) -> np.ndarray:
        changes = []
        for sign in (1.0, -1.0):
            moved = list(arrays)
            moved[i] = arrays[i] * (1 + sign * u)
            g = np.broadcast_to(np.asarray(self._compiled[0](*moved), dtype=np.float64), f.shape)
            changes.append(np.where(np.isfinite(g), np.abs(g - f), 0.0))
        return np.maximum(*changes)


def _float64(value):
    """A tensor (torch) or number as a float64 numpy array, without importing torch."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    return value


CONTRACTS: dict[str, Contract] = {}


def add(contract: Contract) -> None:
    CONTRACTS[contract.name] = contract


def get(name: str) -> Contract:
    """The contract ``name``; an unknown name raises KeyError listing the known ones."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract {name!r}; known: {', '.join(sorted(CONTRACTS))}") from None


def unit_roundoff(dtype) -> float:
    return UNIT_ROUNDOFF[str(dtype).replace("torch.", "")]


__all__ = ["CONTRACTS", "Contract", "PREDICTION_KINDS", "UNIT_ROUNDOFF", "add", "get",
           "model_output", "noise", "unit_roundoff"]
