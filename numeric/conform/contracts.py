"""Contracts: a derived formula that an implementation must compute, with its source and its
error budget.

A :class:`Contract` names one formula of ``derive/`` (built lazily from the SymPy expressions
there, never retyped), the paper and equation it comes from, and the names of its inputs.  It is
evaluated in float64 by :func:`derive.codegen.safe_lambdify` (numpy), elementwise over arrays, and
states its **error budget**, also computed from the expression:

    budget(x) = n_ops * u * ( |f(x)| + sum_i |x_i df/dx_i (x)| )

- ``u`` is the unit roundoff of the precision the implementation computes in (2**-53 for float64,
  2**-24 for float32);
- ``sum_i |x_i df/dx_i|`` is the formula's absolute condition (the relative condition number
  sum_i |x_i f_i| / |f| times |f|; Higham 2002, Sec. 1.6), with the partial derivatives taken by
  SymPy: a relative perturbation u of every input, or of every intermediate quantity computed
  from the inputs, moves f by at most about u sum_i |x_i df/dx_i| (first order).  Written
  absolutely, the budget stays meaningful where f = 0;
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

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from diffproof.derive import ddim as D
from diffproof.derive import formulas as F
from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.paths import DDPM
from diffproof.derive.symbols import abar_t, abar_tm1, alpha_t, eps_0, epshat, x_0, x_t

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24, "float16": 2.0 ** -11,
                 "bfloat16": 2.0 ** -8}

# the contracts' own input symbols beside derive's (abar_t, abar_tm1 = abar at the grid's
# previous timestep, x_t, x_0, ...)
model_output = sp.Symbol("model_output", real=True)
noise = sp.Symbol("noise", real=True)
eta = D.eta

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


# -- the formulas, from derive/ -----------------------------------------------------------------
def _prev(expr: sp.Expr) -> sp.Expr:
    """A DDPM formula in (alpha_t, abar_t, abar_{t-1}) for a step from t to the grid's previous
    timestep s: abar_{t-1} -> abar_s and alpha_t -> abar_t / abar_s (the one-step kernel
    q(x_t | x_s) = N(sqrt(abar_t/abar_s) x_s, 1 - abar_t/abar_s) of the Markov chain)."""
    return expr.xreplace({alpha_t: abar_t / abar_tm1})


def _x0_of(kind: str) -> sp.Expr:
    return DDPM.x_eps(kind, model_output, x_t)[0]


def _eps_of(kind: str) -> sp.Expr:
    return DDPM.x_eps(kind, model_output, x_t)[1]


def _forward():
    return (abar_t, x_0, eps_0), F.forward_sample(eps_0)


def _x0_from(kind):
    return lambda: ((abar_t, x_t, model_output), _x0_of(kind))


def _eps_from(kind):
    return lambda: ((abar_t, x_t, model_output), _eps_of(kind))


def _velocity():
    return (abar_t, x_0, eps_0), DDPM.target("v", x_0, eps_0)


def _posterior_mean():
    return (abar_t, abar_tm1, x_t, x_0), _prev(F.posterior_mean())


def _variance(kind: str) -> sp.Expr:
    if kind == "fixed_small":                      # beta-tilde (Ho et al. 2020, Eqs. 6-7)
        return _prev(F.posterior_variance())
    if kind == "fixed_large":                      # beta_t = 1 - alpha_t (Ho et al. 2020, Sec. 3.2)
        return _prev(1 - alpha_t)
    raise ValueError(f"unknown variance type {kind!r}")


def _ddpm_step(kind: str, variance: str):
    def build():
        mean = _prev(F.posterior_mean()).xreplace({x_0: _x0_of(kind)})
        return ((abar_t, abar_tm1, x_t, model_output, noise),
                mean + sp.sqrt(_variance(variance)) * noise)
    return build


_X0, _EPS = sp.Symbol("x0_hat", real=True), sp.Symbol("eps_hat", real=True)


@lru_cache(maxsize=None)
def ddim_in_predictions() -> sp.Expr:
    """Eq. 12 in the predictions (x_0-hat, eps-hat): the mean of q_sigma(x_s | x_t, x_0-hat)
    (derive.ddim.generalized_posterior, Eq. 7) with x_t written by the forward relation
    x_t = sqrt(abar_t) x_0-hat + sqrt(1 - abar_t) eps-hat (which defines eps-hat, Eq. 9), plus
    sigma z.  Written in both predictions, each kind is evaluated without a round trip through
    the other (v at abar_t = 0 has x_0-hat = -v and no division by sqrt(abar_t))."""
    mean = D.generalized_posterior(D.sigma_eta(eta), _X0).mean
    mean = sp.simplify(mean.xreplace({x_t: F.forward_sample(_EPS).xreplace({x_0: _X0})}))
    if sp.simplify(sp.diff(mean, x_t)) != 0:                    # pragma: no cover - a bug
        raise ValueError("Eq. 12 did not reduce to the predictions")
    return mean + D.sigma_eta(eta) * noise


def _ddim_step(kind: str):
    def build():
        step = ddim_in_predictions().xreplace({_X0: _x0_of(kind), _EPS: _eps_of(kind)})
        return (abar_t, abar_tm1, eta, x_t, model_output, noise), step
    return build


CONTRACTS: dict[str, Contract] = {}


def _add(contract: Contract) -> None:
    CONTRACTS[contract.name] = contract


_add(Contract("forward-noising", "x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps",
              "Ho et al. 2020, Eq. 4", ("abar_t", "x_0", "eps"), _forward))
_add(Contract("v-target", "v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0",
              "Salimans & Ho 2022, Sec. 4", ("abar_t", "x_0", "eps"), _velocity))
for _diffusers, _kind in PREDICTION_KINDS.items():
    _add(Contract(f"x0-from-{_diffusers}", f"x_0 solved from x_t = sqrt(abar_t) x_0 + "
                  f"sqrt(1 - abar_t) eps and the {_diffusers} prediction",
                  "Ho et al. 2020, Eq. 15; Salimans & Ho 2022, Sec. 4 (derive/paths.py)",
                  ("abar_t", "x_t", "model_output"), _x0_from(_kind)))
    _add(Contract(f"eps-from-{_diffusers}", f"eps solved from x_t = sqrt(abar_t) x_0 + "
                  f"sqrt(1 - abar_t) eps and the {_diffusers} prediction",
                  "Ho et al. 2020, Eq. 15; Salimans & Ho 2022, Sec. 4 (derive/paths.py)",
                  ("abar_t", "x_t", "model_output"), _eps_from(_kind)))
_add(Contract("ddpm-posterior-mean",
              "mu = sqrt(abar_s) beta / (1 - abar_t) x_0 + sqrt(alpha) (1 - abar_s)/(1 - abar_t) x_t,"
              " alpha = abar_t/abar_s, beta = 1 - alpha",
              "Ho et al. 2020, Eq. 7", ("abar_t", "abar_prev", "x_t", "x_0"), _posterior_mean))
for _variance_type, _text, _source in (
        ("fixed_small", "beta-tilde = (1 - abar_s)/(1 - abar_t) (1 - abar_t/abar_s)",
         "Ho et al. 2020, Eq. 7 and Sec. 3.2"),
        ("fixed_large", "beta = 1 - abar_t/abar_s", "Ho et al. 2020, Sec. 3.2")):
    _add(Contract(f"ddpm-variance-{_variance_type}", _text, _source, ("abar_t", "abar_prev"),
                  (lambda v: lambda: ((abar_t, abar_tm1), _variance(v)))(_variance_type)))
    for _diffusers, _kind in PREDICTION_KINDS.items():
        _add(Contract(f"ddpm-step-{_diffusers}-{_variance_type}",
                      f"x_s = mu(x_t, x_0-hat) + sqrt({_variance_type}) z, x_0-hat from the "
                      f"{_diffusers} prediction; z = 0 on the last step",
                      "Ho et al. 2020, Eq. 7 and Algorithm 2",
                      ("abar_t", "abar_prev", "x_t", "model_output", "noise"),
                      _ddpm_step(_kind, _variance_type)))
for _diffusers, _kind in PREDICTION_KINDS.items():
    _add(Contract(f"ddim-step-{_diffusers}",
                  "x_s = sqrt(abar_s) x_0-hat + sqrt(1 - abar_s - sigma^2) eps-hat + sigma z, "
                  "sigma = eta sqrt((1 - abar_s)/(1 - abar_t)) sqrt(1 - abar_t/abar_s)",
                  "Song, Meng & Ermon 2021, Eqs. 12 and 16",
                  ("abar_t", "abar_prev", "eta", "x_t", "model_output", "noise"),
                  _ddim_step(_kind)))
_add(Contract("ddim-sigma", "sigma = eta sqrt((1 - abar_s)/(1 - abar_t)) sqrt(1 - abar_t/abar_s)",
              "Song, Meng & Ermon 2021, Eq. 16", ("abar_t", "abar_prev", "eta"),
              lambda: ((abar_t, abar_tm1, eta), D.sigma_eta(eta))))


def get(name: str) -> Contract:
    """The contract ``name``; an unknown name raises KeyError listing the known ones."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract {name!r}; known: {', '.join(sorted(CONTRACTS))}") from None


def unit_roundoff(dtype) -> float:
    return UNIT_ROUNDOFF[str(dtype).replace("torch.", "")]


__all__ = ["CONTRACTS", "Contract", "PREDICTION_KINDS", "UNIT_ROUNDOFF", "get", "unit_roundoff",
           "model_output", "noise", "eta", "math"]

from diffproof.numeric.conform import contracts_solvers as _solvers  # noqa: E402,F401  (registers the solver contracts)
