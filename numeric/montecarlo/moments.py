"""Running moments of a stream of draws (per coordinate), and the helpers that feed them."""
from __future__ import annotations

import numpy as np

from diffproof.numeric.montecarlo.settings import Draw


class Sums:
    """Per-coordinate running moments of one stream of draws (sums about a shift, so the variance,
    skewness and kurtosis stay accurate), extremes, and counts of ties and of bound values."""

    def __init__(self, bounds: tuple[float, float] | None = None, ref: np.ndarray | None = None):
        self.n, self.bounds, self.ref = 0, bounds, ref

    def add(self, values: np.ndarray) -> None:
        if self.n == 0:
            self.shift = values.mean(axis=0)
            zero = np.zeros_like(self.shift)
            self.s1, self.s2, self.s3, self.s4, self.raw_sq = (zero.copy() for _ in range(5))
            self.off, self.at_hi, self.inner = (np.zeros(zero.shape, dtype=np.int64) for _ in range(3))
            if self.ref is None:
                self.ref = np.median(values, axis=0)
        c = values - self.shift
        c2 = c * c
        self.s1 += c.sum(axis=0)
        self.s2 += c2.sum(axis=0)
        self.s3 += (c2 * c).sum(axis=0)
        self.s4 += (c2 * c2).sum(axis=0)
        self.raw_sq += (values * values).sum(axis=0)
        self.off += (values != self.ref).sum(axis=0)
        if self.bounds is not None:
            lo, hi = self.bounds
            if np.any(values < lo) or np.any(values > hi):
                bad = values[(values < lo) | (values > hi)][0]
                raise ValueError(f"a draw ({bad!r}) lies outside the declared bounds {self.bounds}")
            self.at_hi += (values == hi).sum(axis=0)
            self.inner += ((values != lo) & (values != hi)).sum(axis=0)
        self.n += values.shape[0]

    @property
    def d(self) -> int:
        return self.shift.shape[0]

    def _central(self):
        n, c1 = self.n, self.s1 / self.n
        e2, e3, e4 = self.s2 / n, self.s3 / n, self.s4 / n
        m2 = np.maximum(e2 - c1 ** 2, 0.0)
        m3 = e3 - 3 * c1 * e2 + 2 * c1 ** 3
        m4 = np.maximum(e4 - 4 * c1 * e3 + 6 * c1 ** 2 * e2 - 3 * c1 ** 4, 0.0)
        return m2, m3, m4

    @property
    def mean(self) -> np.ndarray:
        return self.shift + self.s1 / self.n

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(self._central()[0] * self.n / max(self.n - 1, 1))

    @property
    def rms(self) -> np.ndarray:
        return np.sqrt(self.raw_sq / self.n)

    @property
    def skewness(self) -> np.ndarray:
        m2, m3, _ = self._central()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(m2 > 0, m3 / np.maximum(m2, np.finfo(float).tiny) ** 1.5, 0.0)

    @property
    def kurtosis(self) -> np.ndarray:
        m2, _, m4 = self._central()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(m2 > 0, m4 / np.maximum(m2, np.finfo(float).tiny) ** 2, 1.0)

    def sd_upper(self) -> np.ndarray:
        """The sd plus about three standard errors of it (relative se of the variance
        sqrt((kurtosis - 1)/n), halved for the sd)."""
        return self.sd * (1 + 1.5 * np.sqrt(np.maximum(self.kurtosis - 1, 0) / self.n))


def as_2d(values, k: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != k:
        raise ValueError(f"draw returned shape {values.shape}, expected ({k},) or ({k}, d)")
    if not np.all(np.isfinite(values)):
        raise FloatingPointError("the Monte Carlo draw produced a non-finite value")
    return values


def fill(sums: Sums, draw: Draw, rng: np.random.Generator, n: int, batch: int) -> None:
    count = 0
    while count < n:
        k = min(batch, n - count)
        sums.add(as_2d(draw(rng, k), k))
        count += k


def plain(value: np.ndarray):
    """A float for one coordinate, a list for several (JSON-friendly details)."""
    value = np.asarray(value, dtype=np.float64).reshape(-1)
    return float(value[0]) if value.size == 1 else [float(v) for v in value]

