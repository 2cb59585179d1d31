"""Guidance and the zero-terminal-SNR schedule, on the Gaussian path of :mod:`derive.paths`.

- Classifier guidance (Dhariwal & Nichol 2021, Sec. 4): the score of p(x_t) p(y | x_t)^s is
  score + s grad log p(y | x_t); its eps form is obtained by the path's score <-> eps conversion
  (not typed in): on DDPM's path, eps - s sqrt(1 - abar_t) grad log p(y | x_t) (Algorithm 2).
- Classifier-free guidance in both conventions: Ho & Salimans' (1 + w) eps_c - w eps_u and the
  diffusers/Imagen eps_u + s (eps_c - eps_u); both in score form by the same conversion.
- Guidance rescale (Lin et al. 2023, Sec. 3.4) on a vector of coordinates, with the standard
  deviation over its coordinates.
- Zero terminal SNR (Lin et al. 2023, Algorithm 1): the affine rescale of sqrt(abar_t).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.paths import GaussianPath
from diffproof.derive.symbols import z

# predictions and scores, conditional (c) and unconditional (u); the classifier's gradient
eps_c, eps_u = sp.symbols("epsilon_c epsilon_u", real=True)
score_c, score_u = sp.symbols("s_c s_u", real=True)
grad_log_classifier = sp.Symbol("g_y", real=True)          # grad_x log p(y | x_t)
guidance_scale = sp.Symbol("s", positive=True)              # s (diffusers' guidance_scale)
cfg_w = sp.Symbol("w_cfg", nonnegative=True)                # Ho & Salimans' w
gamma_luo = sp.Symbol("gamma", positive=True)               # Luo's guidance weight
phi = sp.Symbol("phi", real=True)                           # guidance_rescale
# zero terminal SNR: sqrt(abar) at the first and the last step, and at some step t
sqrt_abar_first = sp.Symbol("a_1", positive=True)
sqrt_abar_last = sp.Symbol("a_T", positive=True)
sqrt_abar = sp.Symbol("a_t", positive=True)

COORDINATES = 3            # the vectors of the rescale: three coordinates, each a free symbol


# -- classifier guidance -------------------------------------------------------------------------
def tilted_score(score: sp.Expr, classifier_gradient: sp.Expr = grad_log_classifier,
                 scale: sp.Expr = guidance_scale) -> sp.Expr:
    """grad log [p(x_t) p(y | x_t)^s] = score + s grad log p(y | x_t)."""
    return score + scale * classifier_gradient


def classifier_guided_eps(path: GaussianPath, noise: sp.Expr,
                          classifier_gradient: sp.Expr = grad_log_classifier,
                          scale: sp.Expr = guidance_scale, at: sp.Expr = z) -> sp.Expr:
    """The eps prediction whose score is the tilted score: eps -> score, tilt, score -> eps."""
    score = path.convert(noise, "eps", "score", at)
    return sp.expand(path.convert(tilted_score(score, classifier_gradient, scale), "score", "eps", at))


# -- classifier-free guidance --------------------------------------------------------------------
def cfg_ho(conditional: sp.Expr = eps_c, unconditional: sp.Expr = eps_u,
           w: sp.Expr = cfg_w) -> sp.Expr:
    """(1 + w) eps(x, c) - w eps(x)  (Ho & Salimans 2022, Eq. 6)."""
    return (1 + w) * conditional - w * unconditional


def cfg(conditional: sp.Expr = eps_c, unconditional: sp.Expr = eps_u,
        scale: sp.Expr = guidance_scale) -> sp.Expr:
    """eps_u + s (eps_c - eps_u): the diffusers / Imagen convention."""
    return unconditional + scale * (conditional - unconditional)


def cfg_score(path: GaussianPath, scale: sp.Expr = guidance_scale, at: sp.Expr = z) -> sp.Expr:
    """The score of the CFG eps prediction, by the path's eps -> score conversion, written in the
    conditional and unconditional scores (eps_c, eps_u replaced by their eps from the scores)."""
    back = {eps_c: path.convert(score_c, "score", "eps", at),
            eps_u: path.convert(score_u, "score", "eps", at)}
    return sp.expand(path.convert(cfg(eps_c, eps_u, scale), "eps", "score", at).xreplace(back))


# -- guidance rescale ----------------------------------------------------------------------------
def vector(name: str, n: int = COORDINATES) -> list[sp.Symbol]:
    return list(sp.symbols(f"{name}_1:{n + 1}", real=True))


def mean(values) -> sp.Expr:
    return sp.Add(*values) / len(values)


def std(values, unbiased: bool = False) -> sp.Expr:
    """The standard deviation over the coordinates (population, or unbiased as torch.std)."""
    m = mean(values)
    return sp.sqrt(sp.Add(*[(v - m) ** 2 for v in values]) / (len(values) - int(unbiased)))


def rescaled(x_cfg, x_pos, unbiased: bool = False) -> list[sp.Expr]:
    """x_rescaled = x_cfg std(x_pos)/std(x_cfg)  (Lin et al. 2023, Sec. 3.4)."""
    factor = std(x_pos, unbiased) / std(x_cfg, unbiased)
    return [factor * v for v in x_cfg]


def guidance_rescale(x_cfg, x_pos, weight: sp.Expr = phi, unbiased: bool = False) -> list[sp.Expr]:
    """phi x_rescaled + (1 - phi) x_cfg  (Lin et al. 2023, Sec. 3.4)."""
    return [weight * r + (1 - weight) * v for r, v in zip(rescaled(x_cfg, x_pos, unbiased), x_cfg)]


# -- zero terminal SNR ---------------------------------------------------------------------------
def zero_snr_rescale(value: sp.Expr = sqrt_abar, first: sp.Expr = sqrt_abar_first,
                     last: sp.Expr = sqrt_abar_last) -> sp.Expr:
    """Lin et al. 2023, Algorithm 1 on sqrt(abar): shift so the last is 0, then scale so the first
    is kept: (value - last) first/(first - last)."""
    shifted = value - last
    return shifted * first / (first - last)


__all__ = ["eps_c", "eps_u", "score_c", "score_u", "grad_log_classifier", "guidance_scale", "cfg_w",
           "gamma_luo", "phi", "sqrt_abar_first", "sqrt_abar_last", "sqrt_abar", "tilted_score",
           "classifier_guided_eps", "cfg_ho", "cfg", "cfg_score", "vector", "mean", "std",
           "rescaled", "guidance_rescale", "zero_snr_rescale"]
