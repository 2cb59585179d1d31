"""Sample-quality figures: mode weights and the energy distance (Szekely & Rizzo 2013)."""
from __future__ import annotations

import torch

Tensor = torch.Tensor


def mode_weights(samples: Tensor, means: Tensor) -> Tensor:
    """Fraction of samples whose nearest mode is each of means (K, d)."""
    nearest = torch.cdist(samples.double(), means.double()).argmin(dim=1)
    return torch.bincount(nearest, minlength=means.shape[0]).double() / samples.shape[0]


def _mean_distance(a: Tensor, b: Tensor, same: bool, chunk: int = 2048) -> float:
    total = 0.0
    for start in range(0, a.shape[0], chunk):
        total += float(torch.cdist(a[start:start + chunk], b).sum())
    n, m = a.shape[0], b.shape[0]
    return total / (n * (n - 1) if same else n * m)


def energy_distance(x: Tensor, y: Tensor, max_n: int = 4000) -> float:
    """2 E|X - Y| - E|X - X'| - E|Y - Y'| (unbiased U-statistics for the within terms), on at most
    max_n points of each sample; 0 in expectation iff the two laws are equal."""
    x, y = x[:max_n].double(), y[:max_n].double()
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError("the energy distance needs at least 2 points per sample")
    return 2 * _mean_distance(x, y, False) - _mean_distance(x, x, True) - _mean_distance(y, y, True)
