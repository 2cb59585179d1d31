"""Draws with variance reduction or importance sampling: shifted normals (rare events),
antithetic pairs, control variates with known means."""
from __future__ import annotations

from typing import Callable

import numpy as np

from diffproof.numeric.montecarlo.settings import Draw


def shifted_normal(f: Callable[[np.ndarray], np.ndarray], shift) -> Draw:
    """Importance sampling for E[f(z)], z ~ N(0, I_d): draws y ~ N(shift, I_d) and returns
    f(y) w(y) with the likelihood ratio w(y) = exp(-shift . y + |shift|^2 / 2).  Unbiased; a shift
    towards a rare region (e.g. shift t for P(z > t)) makes the event common.  For the indicator of
    {u . z > t} with shift t u (|u| = 1) every draw lies in [0, exp(-t^2 / 2)]: declare those bounds."""
    shift = np.atleast_1d(np.asarray(shift, dtype=np.float64))
    if shift.ndim != 1 or not np.all(np.isfinite(shift)):
        raise ValueError("shift must be a finite vector")
    half_sq = 0.5 * float(shift @ shift)

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        y = shift + rng.standard_normal((k, shift.size))
        w = np.exp(half_sq - y @ shift)
        values = np.asarray(f(y), dtype=np.float64)
        return values * (w if values.ndim == 1 else w[:, None])

    return draw



def antithetic(f: Callable[[np.ndarray], np.ndarray], width: int) -> Draw:
    """A draw averaging f(z) and f(-z) for z ~ N(0, I_width) (one sample per antithetic pair).

    Unbiased for E[f(z)]; pays when f is close to odd in z (monotone), where the two halves'
    errors cancel."""
    if width < 1:
        raise ValueError("antithetic draws need width >= 1")

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        z = rng.standard_normal((k, width))
        return 0.5 * (np.asarray(f(z), dtype=np.float64) + np.asarray(f(-z), dtype=np.float64))

    return draw


def with_control_variates(draw_fg: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]],
                          known_means, seed: int = 0, pilot: int = 4096) -> tuple[Draw, np.ndarray]:
    """Control variates: ``draw_fg(rng, n)`` returns f (shape (n,)) and controls g (shape (n, c))
    with known means E[g] = ``known_means``.  The regression coefficients b of f on g are fitted on
    an independent pilot stream (derived from ``seed``), then frozen, so the returned draw
    f - (g - E[g]) b is unbiased for E[f] with variance (1 - R^2) Var f.  Returns (draw, b)."""
    known = np.atleast_1d(np.asarray(known_means, dtype=np.float64))
    rng = np.random.default_rng([seed, 0xC0117])
    f, g = draw_fg(rng, pilot)
    f = np.asarray(f, dtype=np.float64).reshape(-1)
    g = np.asarray(g, dtype=np.float64).reshape(pilot, -1)
    if g.shape[1] != known.size:
        raise ValueError(f"{g.shape[1]} controls but {known.size} known means")
    gc = g - g.mean(axis=0)
    coef, *_ = np.linalg.lstsq(gc, f - f.mean(), rcond=None)

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        fk, gk = draw_fg(rng, k)
        gk = np.asarray(gk, dtype=np.float64).reshape(k, -1)
        return np.asarray(fk, dtype=np.float64).reshape(-1) - (gk - known) @ coef

    draw.raw_rms = float(np.sqrt(np.mean(f ** 2)))    # size of f before the controls, for round-off
    return draw, coef

