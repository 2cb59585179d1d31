"""Gaussian paths z = alpha x + sigma eps: the conversions among the predictions x, eps, score,
v = alpha eps - sigma x and the flow velocity alpha' x + sigma' eps, the SDE coefficients
f = alpha'/alpha, g^2 = d sigma^2/dt - 2 f sigma^2, and the probability-flow velocity.

SymPy twin: derive.paths (GaussianPath.convert, target, f, g2, probability_flow; the formulas here
are its solved forms written out).  tests/test_torch_paths.py compares every conversion (each of
the 5 x 5 pairs), the coefficients and the probability flow in float64 with the SymPy expressions
at 80 digits, on Hypothesis-drawn inputs (relative error <= 1e-12 of the size of the terms).

A conversion goes through the pair (x, eps) at z.  From a velocity that needs the determinant
alpha sigma' - alpha' sigma = -alpha sigma d lambda/dt, which vanishes where lambda is stationary:
there a velocity does not determine x and eps, and the result is inf or NaN.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from diffproof.numeric.torchdiff.forward import _col

Tensor = torch.Tensor
PREDICTIONS = ("x", "eps", "score", "v", "velocity")


class Path(NamedTuple):
    """alpha, sigma and their time derivatives at the batch's times, each of shape (batch,)."""

    alpha: Tensor
    sigma: Tensor
    alpha_dot: Tensor
    sigma_dot: Tensor

    def like(self, value: Tensor) -> "Path":
        """The coefficients reshaped to broadcast against value (batch, ...)."""
        return Path(*(_col(c, value).to(value) for c in self))


def flow_matching(t: Tensor) -> Path:
    """alpha = 1 - t, sigma = t (rectified flow; data at t = 0)."""
    return Path(1 - t, t, -torch.ones_like(t), torch.ones_like(t))


def to_x_eps(kind: str, value: Tensor, z: Tensor, path: Path) -> tuple[Tensor, Tensor]:
    """(x, eps) at z from a prediction ``value`` of kind ``kind``."""
    a, s, da, ds = path.like(z)
    if kind == "x":
        return value, (z - a * value) / s
    if kind == "eps":
        return (z - s * value) / a, value
    if kind == "score":
        return (z + s * s * value) / a, -s * value
    if kind == "v":
        norm = a * a + s * s
        return (a * z - s * value) / norm, (s * z + a * value) / norm
    if kind == "velocity":
        det = a * ds - da * s
        return (ds * z - s * value) / det, (a * value - da * z) / det
    raise ValueError(f"unknown prediction {kind!r}; one of {PREDICTIONS}")


def from_x_eps(kind: str, x: Tensor, eps: Tensor, path: Path) -> Tensor:
    """The prediction ``kind`` of the pair (x, eps)."""
    a, s, da, ds = path.like(x)
    if kind == "x":
        return x
    if kind == "eps":
        return eps
    if kind == "score":
        return -eps / s
    if kind == "v":
        return a * eps - s * x
    if kind == "velocity":
        return da * x + ds * eps
    raise ValueError(f"unknown prediction {kind!r}; one of {PREDICTIONS}")


def convert(value: Tensor, source: str, target: str, z: Tensor, path: Path) -> Tensor:
    """The prediction of kind ``target`` equivalent, at z, to ``value`` of kind ``source``."""
    if source == target:
        return value
    return from_x_eps(target, *to_x_eps(source, value, z, path), path)


def sde_coefficients(path: Path) -> tuple[Tensor, Tensor]:
    """(f, g^2) = (alpha'/alpha, 2 sigma^2 (sigma'/sigma - alpha'/alpha))."""
    a, s, da, ds = path
    f = da / a
    return f, 2 * s * (ds - s * f)


def probability_flow(value: Tensor, kind: str, z: Tensor, path: Path) -> Tensor:
    """dz/dt = f z - g^2/2 score (Song et al. 2021, Eq. 13), the score from a prediction."""
    f, g2 = sde_coefficients(path)
    return _col(f, z).to(z) * z - _col(g2, z).to(z) / 2 * convert(value, kind, "score", z, path)
