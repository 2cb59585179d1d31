"""Loss weightings on the Gaussian path of :mod:`derive.paths`.

- Min-SNR-gamma (Hang et al. 2023): the x-loss weight min(SNR, gamma), carried to the eps and the
  v losses through the path's squared-error identities (||eps - eps_hat||^2 = SNR ||x - x_hat||^2,
  the v form), so that the three weighted losses are one loss: the weight of a prediction kind is
  min(SNR, gamma) ||x - x_hat||^2 / ||kind - kind_hat||^2, computed, not typed in.
- The continuous-time VDM loss (Kingma et al. 2021, Sec. 5): -1/2 int_0^1 SNR'(t) ||x - x_hat||^2 dt
  and its change of variables v = SNR(t).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.paths import GaussianPath
from diffproof.derive.symbols import t, x, xhat, z

gamma = sp.Symbol("gamma", positive=True)          # Min-SNR's truncation
snr_value = sp.Symbol("v", positive=True)          # the SNR as the variable of integration
snr_min, snr_max = sp.symbols("v_min v_max", positive=True)
SNR = sp.Function("SNR")                           # a schedule SNR(t), monotone, otherwise general
mse = sp.Function("mse")                           # ||x - x_hat(z_v, v)||^2 as a function of v
tau = sp.Symbol("tau", nonnegative=True)           # the time as the variable of integration


def squared_error(path: GaussianPath, kind: str) -> sp.Expr:
    """(kind(x) - kind(x_hat))^2 at one z: a prediction's error, from the x error."""
    return (path.convert(x, "x", kind, z) - path.convert(xhat, "x", kind, z)) ** 2


def min_snr_x_weight(path: GaussianPath, truncation: sp.Expr = gamma) -> sp.Expr:
    """min(SNR, gamma): the x-prediction (sample) loss weight (Hang et al. 2023)."""
    return sp.Min(path.snr, truncation)


def carried_weight(path: GaussianPath, kind: str, x_weight: sp.Expr) -> sp.Expr:
    """The weight of the ``kind`` loss that makes it the x loss weighted by ``x_weight``:
    x_weight ||x - x_hat||^2 / ||kind - kind_hat||^2, by the path's conversions."""
    return sp.factor(sp.cancel(x_weight * squared_error(path, "x") / squared_error(path, kind)))


def min_snr_weight(path: GaussianPath, kind: str, truncation: sp.Expr = gamma) -> sp.Expr:
    return carried_weight(path, kind, min_snr_x_weight(path, truncation))


def vdm_integrand(schedule: sp.Expr, error: sp.Expr) -> sp.Expr:
    """-1/2 SNR'(t) ||x - x_hat||^2, the integrand of the continuous-time loss in t."""
    return -sp.diff(schedule, t) * error / 2


def vdm_loss_in_t(schedule: sp.Expr, start: sp.Expr = 0, end: sp.Expr = 1) -> sp.Integral:
    """-1/2 int_start^end SNR'(tau) mse(SNR(tau)) dtau for a schedule SNR(t) written in t: the
    error depends on the time through the SNR only.  ``end`` may be t itself (the loss up to t)."""
    integrand = vdm_integrand(schedule, mse(schedule)).subs(t, tau)
    return sp.Integral(integrand, (tau, start, end))


def vdm_loss_in_snr(low: sp.Expr = snr_min, high: sp.Expr = snr_max) -> sp.Integral:
    """1/2 int_{SNR_min}^{SNR_max} ||x - x_hat(z_v, v)||^2 dv."""
    return sp.Integral(mse(snr_value), (snr_value, low, high)) / 2


def vdm_antiderivative(schedule: sp.Expr, low: sp.Expr = snr_min) -> sp.Expr:
    """1/2 int_{low}^{SNR(t)} mse(v) dv: its t-derivative is minus the integrand (Leibniz)."""
    return sp.Integral(mse(snr_value), (snr_value, low, schedule)) / 2


__all__ = ["gamma", "tau", "snr_value", "snr_min", "snr_max", "SNR", "mse", "squared_error",
           "min_snr_x_weight", "carried_weight", "min_snr_weight", "vdm_integrand",
           "vdm_loss_in_t", "vdm_loss_in_snr", "vdm_antiderivative"]
