"""The contracts of the DDPM and DDIM schedulers and the beta schedules, built from ``derive/``
(the :class:`~numeric.conform.contract.Contract` with its error budget, and the registry, are in
``contract.py``); the sigma samplers' are in ``contracts_sigma.py``, the solvers' in
``contracts_solvers.py``, both registered here on import.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from diffproof.derive import ddim as D
from diffproof.derive import discrete as DS
from diffproof.derive import formulas as F
from diffproof.derive.paths import DDPM
from diffproof.derive.symbols import abar_t, abar_tm1, alpha_t, eps_0, epshat, x_0, x_t
from diffproof.numeric.conform.contract import (CONTRACTS, PREDICTION_KINDS, UNIT_ROUNDOFF, Contract,
                                                _float64, add as _add, get, model_output, noise,
                                                unit_roundoff)

eta = D.eta


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


_i, _n = sp.Symbol("i", positive=True), sp.Symbol("n", positive=True)
_b1, _bn = sp.Symbol("beta_1", positive=True), sp.Symbol("beta_n", positive=True)
_add(Contract("beta-linear", "beta_i = beta_1 + (i - 1)(beta_n - beta_1)/(n - 1), i = 1..n",
              "Ho et al. 2020, Sec. 4 (linear schedule)", ("i", "n", "beta_1", "beta_n"),
              lambda: ((_i, _n, _b1, _bn), DS.ddpm_linear_beta(_i, _n, _b1, _bn))))
_add(Contract("beta-cosine", "beta_i = min(1 - abar(i)/abar(i - 1), 0.999), abar(i) = "
              "cos^2(((i/n + s)/(1 + s)) pi/2) / cos^2((s/(1 + s)) pi/2), s = 0.008",
              "Nichol & Dhariwal 2021, Eq. 17 and the clip of Sec. 3.2", ("i", "n"),
              lambda: ((_i, _n), sp.Min(1 - DS.cosine_alphabar(_i, _n) / DS.cosine_alphabar(_i - 1, _n),
                                        sp.Rational(999, 1000)))))
def as_prediction(kind: str, abar: float, x_0, eps):
    """The network output of diffusers' ``prediction_type`` ``kind`` for a point x_t =
    sqrt(abar) x_0 + sqrt(1 - abar) eps (the contracts forward-noising and v-target): numpy
    float64.  Returns (x_t, output)."""
    x_t = CONTRACTS["forward-noising"].evaluate(abar_t=abar, x_0=x_0, eps=eps)
    if kind == "v_prediction":
        return x_t, CONTRACTS["v-target"].evaluate(abar_t=abar, x_0=x_0, eps=eps)
    return x_t, np.asarray(_float64({"epsilon": eps, "sample": x_0}[kind]), dtype=np.float64)


from diffproof.numeric.conform import contracts_sigma  # noqa: E402  (sigma samplers)
from diffproof.numeric.conform import contracts_solvers  # noqa: E402,F401  (registers its contracts)

contracts_sigma.register(_add, Contract)


__all__ = ["CONTRACTS", "Contract", "PREDICTION_KINDS", "UNIT_ROUNDOFF", "get", "unit_roundoff",
           "model_output", "noise", "eta", "ddim_in_predictions", "as_prediction"]
