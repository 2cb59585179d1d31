"""Contracts of the solver schedulers (issue 17): DPM-Solver++(1) and (2M), the flow-matching
Euler step and its time shifts, and the VE reverse-diffusion predictor.

Each is built from ``derive/`` (never retyped) and registered into the contracts registry of
``contract.py`` on import (``contracts.py`` imports this module):

- ``dpmsolver++1-{prediction}`` and ``dpmsolver++2m-{prediction}``: derive.dpm_solver's
  ``first_order("x", ...)`` and ``multistep_2m`` between instants of the DDPM path given by the
  scheduler's stored noise level sigma = sqrt((1 - abar)/abar) (``noise_level_instant``), with
  x_0-hat solved from the prediction on that path (derive.paths);
- ``flow-euler-step``: derive.flow_matching.euler_step (the flow path's ODE with a velocity,
  one Euler step in sigma);
- ``flow-stochastic-step``: the flow path's forward relation at sigma_next applied to the x_0-hat
  of the velocity at sigma (derive.paths.FLOW);
- ``time-shift`` (SD3) and ``flux-time-shift``: derive.flow_matching;
- ``ve-reverse-diffusion``: derive.sde.reverse_diffusion_step.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import dpm_solver as DS
from diffproof.derive import flow_matching as FM
from diffproof.derive.paths import DDPM, FLOW
from diffproof.derive.sde import VE, langevin_corrector_step, reverse_diffusion_step
from diffproof.derive.symbols import abar_t
from diffproof.derive.symbols import sigma_max as VE_SIGMA_MAX
from diffproof.derive.symbols import sigma_min as VE_SIGMA_MIN
from diffproof.derive.symbols import t as _time
from diffproof.numeric.conform.contract import (PREDICTION_KINDS, Contract, add as _add,
                                                model_output, noise)

sigma_now = sp.Symbol("sigma", positive=True)
sigma_next = sp.Symbol("sigma_next", nonnegative=True)
sigma_prev = sp.Symbol("sigma_prev", positive=True)
x_t = sp.Symbol("x_t", real=True)
x0_prev = sp.Symbol("x0_prev", real=True)
level = sp.Symbol("t", nonnegative=True)
shift = sp.Symbol("shift", positive=True)
mu = sp.Symbol("mu", real=True)

LEVEL = "sigma = sqrt((1 - abar)/abar) (the scheduler's stored sigmas), alpha = 1/sqrt(1 + " \
        "sigma^2), lambda = -log sigma"


def _instants():
    return (DS.noise_level_instant("now", sigma_now), DS.noise_level_instant("next", sigma_next),
            DS.noise_level_instant("previous", sigma_prev))


def _x0_hat(kind: str, at) -> sp.Expr:
    return at.x_eps(kind, model_output, x_t)[0]


_X0 = sp.Symbol("x0_hat", real=True)


def _linear(update: sp.Expr, variables: tuple) -> sp.Expr:
    """An update linear in ``variables`` rewritten as sum_i c_i v_i with each coefficient
    simplified alone (simplifying the whole folds x_t into a logarithm's exponent)."""
    coefficients = [sp.simplify(sp.diff(update, v)) for v in variables]
    rest = sp.simplify(update - sum(c * v for c, v in zip(coefficients, variables)))
    if rest != 0:                                              # pragma: no cover - a bug
        raise ValueError(f"the update is not linear in {variables}: {rest}")
    return sum(c * v for c, v in zip(coefficients, variables))


def _dpm_first(kind: str):
    def build():
        now, nxt, _ = _instants()
        update = _linear(DS.first_order("x", x_t, _X0, now, nxt), (x_t, _X0))
        return ((sigma_now, sigma_next, x_t, model_output),
                update.xreplace({_X0: _x0_hat(kind, now)}))
    return build


def _dpm_2m(kind: str):
    def build():
        now, nxt, before = _instants()
        update = _linear(DS.multistep_2m(x_t, _X0, x0_prev, now, nxt, before), (x_t, _X0, x0_prev))
        return ((sigma_prev, sigma_now, sigma_next, x_t, model_output, x0_prev),
                update.xreplace({_X0: _x0_hat(kind, now)}))
    return build


def _flow_euler():
    return (sigma_now, sigma_next, x_t, model_output), \
        FM.euler_step(model_output, x_t, sigma_now, sigma_next)


def _flow_stochastic():
    x0_hat = FLOW.x_eps("velocity", model_output, x_t)[0].xreplace({_time: sigma_now})
    return (sigma_now, sigma_next, x_t, model_output, noise), \
        sp.simplify(FLOW.sample(x0_hat, noise).xreplace({_time: sigma_next}))


for _diffusers, _kind in PREDICTION_KINDS.items():
    _add(Contract(f"dpmsolver++1-{_diffusers}",
                  "x_next = (sigma_t(next)/sigma_t(now)) x + alpha(next) (1 - e^{-h}) x_0-hat, "
                  f"h = lambda_next - lambda_now; {LEVEL}; x_0-hat from the {_diffusers} "
                  "prediction",
                  "Lu et al. 2022b (DPM-Solver++), Eq. 5 / Algorithm 1 first order "
                  "(derive/dpm_solver.py first_order)",
                  ("sigma", "sigma_next", "x_t", "model_output"), _dpm_first(_kind)))
    _add(Contract(f"dpmsolver++2m-{_diffusers}",
                  "the first-order update with x_0-hat replaced by D = (1 + 1/(2r)) x_0-hat - "
                  "1/(2r) x0_prev, r = h_prev/h, h_prev = lambda_now - lambda_prev; "
                  f"{LEVEL}; x0_prev the previous step's x_0-hat",
                  "Lu et al. 2022b (DPM-Solver++), Algorithm 2 (derive/dpm_solver.py "
                  "multistep_2m)",
                  ("sigma_prev", "sigma", "sigma_next", "x_t", "model_output", "x0_prev"),
                  _dpm_2m(_kind)))
    _add(Contract(f"{_diffusers}-at-noise-level",
                  f"the {_diffusers} prediction equivalent to an x_0 prediction at x_t, on the "
                  f"path's instant of noise level sigma; {LEVEL}",
                  "Salimans & Ho 2022, Sec. 4 (derive/paths.py convert)",
                  ("sigma", "x_t", "x_0"),
                  (lambda k: lambda: ((sigma_now, x_t, _X0), sp.simplify(
                      _instants()[0].convert(_X0, "x", k, x_t))))(_kind)))
_add(Contract("forward-at-noise-level", f"x_t = alpha x_0 + sigma_path eps; {LEVEL}",
              "Ho et al. 2020, Eq. 4 at the noise level sigma (derive/paths.py)",
              ("sigma", "x_0", "eps"),
              lambda: ((sigma_now, _X0, noise), _instants()[0].sample(_X0, noise))))
_add(Contract("noise-level", "sigma = sqrt((1 - abar)/abar)",
              "the VE/EDM noise level of the DDPM path, sigma_path/alpha_path (Karras et al. "
              "2022, Table 1; derive/paths.py DDPM)", ("abar_t",),
              lambda: ((abar_t,), sp.simplify(DDPM.sigma / DDPM.alpha))))
_add(Contract("flow-euler-step", "x_next = x + (sigma_next - sigma) v",
              "Euler's method on the flow ODE dx/dsigma = v, x = (1 - sigma) x_0 + sigma eps "
              "(Esser et al. 2024, Sec. 2; derive/flow_matching.py euler_step)",
              ("sigma", "sigma_next", "x_t", "model_output"), _flow_euler))
_add(Contract("flow-stochastic-step",
              "x_next = (1 - sigma_next) x_0-hat + sigma_next z, x_0-hat = x - sigma v",
              "the flow path's forward relation at sigma_next (Lipman et al. 2023, Eq. 20 with "
              "sigma_min = 0; derive/paths.py FLOW)",
              ("sigma", "sigma_next", "x_t", "model_output", "noise"), _flow_stochastic))
_add(Contract("flow-noising", "x = (1 - sigma) x_0 + sigma eps",
              "the flow path z_t = alpha x + sigma eps with alpha = 1 - t, sigma = t at t = sigma "
              "(Lipman et al. 2023, Eq. 20 with sigma_min = 0; derive/paths.py FLOW)",
              ("sigma", "x_0", "eps"),
              lambda: ((sigma_now, _X0, noise), FLOW.sample(_X0, noise).xreplace({_time: sigma_now}))))
_add(Contract("time-shift", "S(t) = shift t / (1 + (shift - 1) t)",
              "Esser et al. 2024, Sec. 5.3.2 (derive/flow_matching.py time_shift)",
              ("t", "shift"), lambda: ((level, shift), FM.time_shift(level, shift))))
_add(Contract("flux-time-shift", "S(t) = e^mu / (e^mu + (1/t - 1))",
              "Flux (derive/flow_matching.py flux_time_shift; the SD3 shift with shift = e^mu)",
              ("t", "mu"), lambda: ((level, mu), FM.flux_time_shift(level, mu))))
_add(Contract("ve-sigma", "sigma(t) = sigma_min (sigma_max/sigma_min)^t",
              "Song et al. 2021, Eq. 30 (derive/sde.py VESDE.sigma)", ("t", "sigma_min", "sigma_max"),
              lambda: ((level, VE_SIGMA_MIN, VE_SIGMA_MAX), VE.sigma(level))))
_add(Contract("ve-reverse-diffusion",
              "x_next = x + (sigma^2 - sigma_next^2) s + sqrt(sigma^2 - sigma_next^2) z",
              "Song et al. 2021, App. E Eq. 47 (reverse diffusion predictor; derive/sde.py "
              "reverse_diffusion_step)",
              ("sigma", "sigma_next", "x_t", "model_output", "noise"),
              lambda: ((sigma_now, sigma_next, x_t, model_output, noise),
                       reverse_diffusion_step(x_t, model_output, sigma_now, sigma_next, noise))))
_SNR, _NZ, _NS = (sp.Symbol(n, positive=True) for n in ("snr", "noise_norm", "score_norm"))
_add(Contract("ve-langevin-corrector",
              "x_next = x + eps s + sqrt(2 eps) z, eps = 2 (snr ||z|| / ||s||)^2 (norms: batch mean "
              "of per-sample norms)",
              "Song et al. 2021, Algorithm 4 (corrector; derive/sde.py langevin_corrector_step)",
              ("snr", "noise_norm", "score_norm", "x_t", "model_output", "noise"),
              lambda: ((_SNR, _NZ, _NS, x_t, model_output, noise),
                       langevin_corrector_step(x_t, model_output, noise, _SNR, _NZ, _NS))))
