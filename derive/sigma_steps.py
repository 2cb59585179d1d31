"""The steps of samplers written in the noise level sigma (Karras et al. 2022; the "k-diffusion"
samplers that diffusers' Euler, Euler-ancestral, Heun and EDM-Euler schedulers implement), built
on :mod:`derive.edm` (the ODE dx/dsigma = (x - D)/sigma, Euler's and Heun's steps of Algorithm 1)
and :mod:`derive.paths` (the predictions of a Gaussian path).

- The VP schedule read as sigma: x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps is s (x_0 + sigma eps)
  with sigma = sqrt((1 - abar)/abar) = 1/sqrt(SNR) and s = 1/sqrt(1 + sigma^2) (Karras et al.
  2022, Table 1, VP column: x = s(t)(y + sigma(t) n)); both are solved here from paths.DDPM.
- A network trained on the VP input x_t = s x (eps, x_0 or v prediction: Ho et al. 2020;
  Salimans & Ho 2022) gives the denoiser D(x; sigma) = the x_0 of paths.DDPM at x_t = s x.
- The ancestral step (Ho et al. 2020's posterior, in the VE chain x_sigma = y + sigma n): from
  sigma to sigma_next the posterior q(x_next | x, y) has variance sigma_up^2 =
  sigma_next^2 (sigma^2 - sigma_next^2)/sigma^2, computed by Bayes' rule (derive.gaussian), and its
  mean is the Euler step to sigma_down = sqrt(sigma_next^2 - sigma_up^2) (asserted in
  tests/test_conform_euler.py).
"""
from __future__ import annotations

from functools import cache

import sympy as sp

from diffproof.derive import edm
from diffproof.derive.gaussian import Normal, condition
from diffproof.derive.paths import DDPM, EDM
from diffproof.derive.symbols import S_t, abar_t, sigma

sigma_next = sp.Symbol("sigma_next", nonnegative=True)   # the grid's next noise level
point = sp.Symbol("x", real=True)                        # the sample in sigma units (x = y + sigma n)
value = sp.Symbol("model_output", real=True)             # a network's output
value_2 = sp.Symbol("model_output_2", real=True)         # Heun's second network output
noise = sp.Symbol("noise", real=True)


def sigma_of_abar(abar: sp.Expr = abar_t) -> sp.Expr:
    """sigma = 1/sqrt(SNR) of paths.DDPM: sqrt((1 - abar)/abar)."""
    return (1 / sp.sqrt(DDPM.snr)).xreplace({abar_t: abar})


@cache
def _abar_of_sigma() -> sp.Expr:
    (root,) = sp.solve(sp.Eq(sigma_of_abar(abar_t), sigma), abar_t)
    return sp.simplify(root)


def sigma_noising(data: sp.Expr, unit_noise: sp.Expr, level: sp.Expr = sigma) -> sp.Expr:
    """x = y + sigma n: paths.EDM's sample at s = 1 (Karras et al. 2022, Sec. 2)."""
    return EDM.sample(data, unit_noise).xreplace({S_t: 1, sigma: level})


def abar_of_sigma(level: sp.Expr = sigma) -> sp.Expr:
    """abar = 1/(1 + sigma^2): sigma_of_abar solved for abar."""
    return _abar_of_sigma().xreplace({sigma: level})


def input_scale(level: sp.Expr = sigma) -> sp.Expr:
    """s = sqrt(abar(sigma)) = 1/sqrt(1 + sigma^2): x_t = s x, what a VP network is given
    (diffusers' scale_model_input; Karras et al. 2022, Table 1, VP's s(t))."""
    return sp.sqrt(abar_of_sigma(level))


def denoiser(kind: str, output: sp.Expr = value, at: sp.Expr = point,
             level: sp.Expr = sigma) -> sp.Expr:
    """D(x; sigma) from a VP network's prediction of kind ``kind`` ("eps", "x", "v") made at
    x_t = s x: the x_0 that paths.DDPM solves from (x_t, prediction) at abar = abar(sigma)."""
    x0 = DDPM.x_eps(kind, output, input_scale(level) * at)[0]
    return sp.simplify(x0.xreplace({abar_t: abar_of_sigma(level)}))


def _field(kind: str, output: sp.Expr):
    return lambda p, l: edm.sigma_ode(denoiser(kind, output, p, l), p, l)


def euler_step(kind: str, start: sp.Expr = sigma, target: sp.Expr = sigma_next) -> sp.Expr:
    """x + (sigma_next - sigma) (x - D)/sigma: an Euler step of Karras et al. 2022's ODE (Eq. 4
    with s = 1, Algorithm 1 line 5) from ``start`` to ``target``, D from the prediction."""
    return edm.euler_step(_field(kind, value), point, start, target - start)


def heun_step(kind: str) -> sp.Expr:
    """Algorithm 1 of Karras et al. 2022 (lines 5-8) from sigma to sigma_next: the first output
    ``model_output`` is made at (x, sigma), the second ``model_output_2`` at the Euler point
    (x', sigma_next)."""
    def field(p, level):
        return _field(kind, value if level == sigma else value_2)(p, level)
    return edm.heun_step(field, point, sigma, sigma_next - sigma)


@cache
def ve_posterior() -> Normal:
    """q(x_next | x, y) of the VE chain x_next = y + sigma_next n1, x = x_next +
    sqrt(sigma^2 - sigma_next^2) n2 (Ho et al. 2020, Eqs. 6-7, in the VE parametrization of
    Song et al. 2021): Bayes' rule."""
    y, x_next = sp.Symbol("y", real=True), sp.Symbol("x_next", real=True)
    prior = Normal(x_next, y, sigma_next ** 2)
    likelihood = Normal(point, x_next, sigma ** 2 - sigma_next ** 2)
    return condition(prior, likelihood)


def sigma_up() -> sp.Expr:
    """The standard deviation of ve_posterior: sqrt(sigma_next^2 (sigma^2 - sigma_next^2)/sigma^2)."""
    return sp.sqrt(sp.factor(ve_posterior().variance))


def sigma_down() -> sp.Expr:
    """sqrt(sigma_next^2 - sigma_up^2): the level whose Euler step is the posterior's mean."""
    return sp.sqrt(sp.factor(sigma_next ** 2 - ve_posterior().variance))


def ancestral_step(kind: str) -> sp.Expr:
    """The Euler step to sigma_down plus sigma_up z: a sample of ve_posterior at y = D."""
    return euler_step(kind, sigma, sigma_down()) + sigma_up() * noise


def edm_denoiser(output: sp.Expr = value, at: sp.Expr = point, level: sp.Expr = sigma,
                 std: sp.Expr = edm.sigma_data, sign: int = 1) -> sp.Expr:
    """D = c_skip x + c_out F with Table 1's c_skip and c_out (Karras et al. 2022, Sec. 5);
    ``sign`` = -1 negates c_out (a network trained on -F, as diffusers' EDM v_prediction)."""
    return edm.preconditioned(output, at, edm.table_c_skip(level, std),
                              sign * edm.table_c_out(level, std))


def edm_euler_step(sign: int = 1) -> sp.Expr:
    """The Euler step of Algorithm 1 with the preconditioned denoiser edm_denoiser."""
    def field(p, level):
        return edm.sigma_ode(edm_denoiser(value, p, level, sign=sign), p, level)
    return edm.euler_step(field, point, sigma, sigma_next - sigma)


__all__ = ["sigma_next", "point", "value", "value_2", "noise", "sigma_of_abar", "sigma_noising", "abar_of_sigma",
           "input_scale", "denoiser", "euler_step", "heun_step", "ve_posterior", "sigma_up",
           "sigma_down", "ancestral_step", "edm_denoiser", "edm_euler_step"]
