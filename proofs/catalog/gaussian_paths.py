"""Gaussian paths z_t = alpha_t x + sigma_t eps (Kingma et al. 2021; Lu et al. 2022): the SDE
coefficients, the noise level, the conversions among predictions, their loss weights and the
probability-flow ODE, derived once in ``derive.paths`` and checked here in general (the symbols of
one instant: alpha, sigma, alpha_dot, sigma_dot) and for VE, VP, sub-VP, DDPM, EDM and flow matching.

Each step compares a value computed by ``derive.paths`` (solved from the definitions) with the
formula as the papers state it, or with the same quantity computed another way (``derive.sde``,
``derive.formulas``).  Equation numbers are given where verified; elsewhere the section.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.derivation import Step
from diffproof.derive.paths import (DDPM, EDM, FLOW, GENERIC, alpha, alpha_dot, s_dot, sde_path,
                                    sigma_dot, u_theta, v_t, v_theta)
from diffproof.derive.sde import SUBVP, VE, VP
from diffproof.derive.source import paper, seed
from diffproof.derive.symbols import (S_t, abar_t, eps, eps_0, epshat, omega, s_theta, score, sigma,
                                      t, x, x_t, xhat, z)
from diffproof.proofs.catalog.index._papers import (HO, KARRAS, KINGMA, LIPMAN, LIU, LU, SALIMANS,
                                                    luo, song)
from diffproof.proofs.catalog.registry import builds

G = GENERIC
ONE_INSTANT = ("alpha, sigma > 0 and their time derivatives alpha_dot, sigma_dot at one instant t "
               "of a differentiable path",)


@builds("path-sde-coefficients")
def sde_coefficients(entry):
    return entry.derivation(
        conditions=ONE_INSTANT,
        steps=[
            Step(alpha_dot / alpha, "f = d log alpha/dt: the mean alpha x obeys d mean/dt = f mean",
                 paper(f"{LU}, Sec. 2; {KINGMA}, appendix"), lhs=G.f()),
            Step(G.f() * alpha, "the mean ODE: d alpha/dt = f alpha",
                 paper("Saerkkae & Solin 2019, Eq. 5.50"), lhs=alpha_dot),
            Step(2 * sigma * sigma_dot - 2 * alpha_dot / alpha * sigma ** 2,
                 "g^2 = d sigma^2/dt - 2 f sigma^2", paper(f"{LU}, Sec. 2; {KINGMA}, appendix"),
                 lhs=G.g2()),
            Step(2 * G.f() * sigma ** 2 + G.g2(), "the variance ODE: d sigma^2/dt = 2 f sigma^2 + g^2",
                 paper("Saerkkae & Solin 2019, Eq. 5.51"), lhs=2 * sigma * sigma_dot),
            Step(-2 * sigma ** 2 * G.lambda_rate,
                 "g^2 = -2 sigma^2 d lambda/dt: g is real exactly when lambda does not increase",
                 paper(f"{LU}, Sec. 3"), lhs=G.g2()),
        ],
    )


@builds("path-sde-ve-vp-subvp")
def sde_instances(entry):
    steps = []
    for sde, eq in ((VE, "30-31"), (VP, "32-33"), (SUBVP, "28-29")):
        path = sde_path(sde)
        steps += [
            Step(sde.f(t), f"{sde.name}: d log s(t)/dt is the SDE's drift coefficient f(t)",
                 paper(f"{LU}, Sec. 2; {song(eq)}"), lhs=path.f()),
            Step(sde.g2(t), f"{sde.name}: d sigma^2/dt - 2 f sigma^2 is the SDE's g(t)^2",
                 paper(f"{LU}, Sec. 2; {song(eq)}"), lhs=path.g2()),
        ]
    vp = sde_path(VP)
    steps.append(Step(sp.Integer(1), "VP: alpha^2 + sigma^2 = 1 (variance preserving)",
                      paper(song("32-33")), lhs=vp.alpha ** 2 + vp.sigma ** 2))
    return entry.derivation(steps=steps)


@builds("path-log-snr")
def log_snr(entry):
    return entry.derivation(
        conditions=ONE_INSTANT,
        steps=[
            Step(G.snr_rate / (2 * G.snr), "d lambda/dt = (d SNR/dt)/(2 SNR), lambda = log(SNR)/2",
                 paper(f"{LU}, Sec. 3; {KINGMA}, Sec. 2"), lhs=G.lambda_rate),
            Step(2 * G.snr * G.lambda_rate ** 2, "so d lambda/dt d SNR/dt = 2 SNR (d lambda/dt)^2",
                 paper(f"{KINGMA}, Sec. 2"), lhs=G.lambda_rate * G.snr_rate),
            Step(sp.Integer(0), "SNR > 0: the two rates have one sign, so lambda decreases strictly "
                 "exactly when SNR does (the monotone SNR Kingma et al. assume)",
                 paper(f"{KINGMA}, Sec. 2"), relation=">="),
            Step(abar_t / (1 - abar_t), "DDPM, alpha = sqrt(abar_t), sigma = sqrt(1 - abar_t): "
                 "SNR = abar_t/(1 - abar_t)", paper(f"{HO}, Eq. 4; {KINGMA}, Sec. 2"), lhs=DDPM.snr),
            Step(sp.exp(-omega), "= exp(-omega_t), omega_t = log((1 - abar_t)/abar_t)",
                 paper(luo("111-114"))),
        ],
    )


@builds("path-prediction-conversions")
def conversions(entry):
    vp_alpha, vp_sigma = DDPM.alpha, DDPM.sigma
    return entry.derivation(
        conditions=ONE_INSTANT + ("z = alpha x + sigma eps; one coordinate (the conversions act "
                                  "coordinatewise)",),
        steps=[
            Step(-eps / sigma, "the score of q(z | x) = N(alpha x, sigma^2) at z = alpha x + sigma "
                 "eps is -eps/sigma", paper(f"{KINGMA}, Sec. 2; {song('7')}"),
                 lhs=G.target("score", x, eps)),
            Step((z - sigma * eps) / alpha, "x from an eps-prediction", paper(f"{KINGMA}, Sec. 2"),
                 lhs=G.convert(eps, "eps", "x", z)),
            Step(F.x0_from_noise(), "DDPM: x_0 = (x_t - sqrt(1 - abar_t) eps)/sqrt(abar_t)",
                 paper(luo("115")), lhs=DDPM.convert(eps_0, "eps", "x", x_t)),
            Step(-(z - alpha * x) / sigma ** 2, "the score from an x-prediction",
                 paper(f"{KINGMA}, Sec. 2; {song('7')}"), lhs=G.convert(x, "x", "score", z)),
            Step((alpha * z - (alpha ** 2 + sigma ** 2) * x) / sigma,
                 "v = alpha eps - sigma x from an x-prediction", paper(f"{SALIMANS}, Sec. 4"),
                 lhs=G.convert(x, "x", "v", z)),
            Step((alpha * z - sigma * v_t) / (alpha ** 2 + sigma ** 2),
                 "x from v: the 2x2 system z = alpha x + sigma eps, v = alpha eps - sigma x solved",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=G.convert(v_t, "v", "x", z)),
            Step((sigma * z + alpha * v_t) / (alpha ** 2 + sigma ** 2), "eps from v",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=G.convert(v_t, "v", "eps", z)),
            Step(vp_alpha * z - vp_sigma * v_t, "VP (alpha^2 + sigma^2 = 1): x = alpha z - sigma v",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=DDPM.convert(v_t, "v", "x", z)),
            Step(vp_sigma * z + vp_alpha * v_t, "VP: eps = sigma z + alpha v",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=DDPM.convert(v_t, "v", "eps", z)),
            Step(sigma_dot / sigma * z + (alpha_dot - alpha * sigma_dot / sigma) * x,
                 "the velocity alpha' x + sigma' eps from an x-prediction",
                 paper(f"{LU}, Sec. 2; {LIPMAN}, Sec. 4"), lhs=G.convert(x, "x", "velocity", z)),
            Step(eps, "the velocity gives eps back (the system's determinant is -alpha sigma "
                 "d lambda/dt, nonzero while lambda is strictly monotone)", paper(f"{LU}, Sec. 3"),
                 lhs=G.convert(G.convert(eps, "eps", "velocity", z), "velocity", "eps", z)),
        ],
    )


def _squared_error(path, kind: str) -> sp.Expr:
    """(kind(x) - kind(x_hat))^2 at one z: the error of a prediction, in x-units."""
    return (path.convert(x, "x", kind, z) - path.convert(xhat, "x", kind, z)) ** 2


@builds("path-loss-weights")
def loss_weights(entry):
    return entry.derivation(
        conditions=ONE_INSTANT + ("both predictions at the same z; per coordinate, so also for the "
                                  "squared norms (sums over coordinates)",),
        steps=[
            Step(G.snr * (x - xhat) ** 2, "||eps - eps_hat||^2 = SNR ||x - x_hat||^2",
                 paper(f"{KINGMA}, Sec. 2; {SALIMANS}, Sec. 4"), lhs=_squared_error(G, "eps")),
            Step((alpha ** 2 + sigma ** 2) ** 2 / sigma ** 2 * (x - xhat) ** 2,
                 "||v - v_hat||^2 = (alpha^2 + sigma^2)^2/sigma^2 ||x - x_hat||^2",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=_squared_error(G, "v")),
            Step((G.snr + 1) * (alpha ** 2 + sigma ** 2) * (x - xhat) ** 2,
                 "= (SNR + 1)(alpha^2 + sigma^2) ||x - x_hat||^2", paper(f"{SALIMANS}, Sec. 4")),
            Step((DDPM.snr + 1) * (x - xhat) ** 2,
                 "VP (DDPM, alpha^2 + sigma^2 = 1): ||v - v_hat||^2 = (SNR + 1) ||x - x_hat||^2",
                 paper(f"{SALIMANS}, Sec. 4"), lhs=_squared_error(DDPM, "v")),
            Step(G.snr / sigma ** 2 * (x - xhat) ** 2,
                 "||score - score_hat||^2 = ||eps - eps_hat||^2/sigma^2 = SNR/sigma^2 ||x - x_hat||^2",
                 paper(f"{KINGMA}, Sec. 2; {song('7')}"), lhs=_squared_error(G, "score")),
            Step((alpha_dot - alpha * sigma_dot / sigma) ** 2 * (x - xhat) ** 2,
                 "||u - u_hat||^2 = (alpha' - alpha sigma'/sigma)^2 ||x - x_hat||^2",
                 paper(f"{LU}, Sec. 2; {LIPMAN}, Sec. 4"), lhs=_squared_error(G, "velocity")),
        ],
    )


@builds("path-probability-flow")
def probability_flow(entry):
    return entry.derivation(
        conditions=ONE_INSTANT + ("score = -eps/sigma: the conditional score at z = alpha x + "
                                  "sigma eps, or a prediction's score at any z",),
        steps=[
            Step(G.target("velocity", x, eps),
                 "f z - g^2/2 score at z = alpha x + sigma eps with the score -eps/sigma is the path "
                 "velocity alpha' x + sigma' eps", paper(f"{song('13')}; {KINGMA}, appendix"),
                 lhs=G.probability_flow(eps, "eps", G.sample(x, eps))),
            Step(G.f() * z + G.g2() / (2 * sigma) * epshat,
                 "noise-prediction form: dz/dt = f z + g^2/(2 sigma) eps_hat",
                 paper(f"{LU}, Sec. 2"), lhs=G.probability_flow(epshat, "eps", z)),
            Step(sigma_dot / sigma * z + (alpha_dot - alpha * sigma_dot / sigma) * xhat,
                 "data-prediction form: dz/dt = (sigma'/sigma) z + (alpha' - alpha sigma'/sigma) x_hat",
                 paper(f"{LU}, Sec. 2; {song('13')}"), lhs=G.probability_flow(xhat, "x", z)),
            Step(G.convert(v_theta, "v", "velocity", z),
                 "v-prediction form: the velocity of the x and eps that v_hat and z determine",
                 paper(f"{SALIMANS}, Sec. 4; {song('13')}"), lhs=G.probability_flow(v_theta, "v", z)),
            Step(u_theta, "velocity form: a velocity prediction is its own probability-flow ODE",
                 paper(f"{LIPMAN}, Sec. 4; {song('13')}"),
                 lhs=G.probability_flow(u_theta, "velocity", z)),
            Step(G.f() * z - G.g2() / 2 * s_theta, "score form: Song et al.'s f z - g^2/2 s_theta",
                 paper(song("13")), lhs=G.probability_flow(s_theta, "score", z)),
        ],
    )


@builds("path-edm")
def edm(entry):
    drift = EDM.probability_flow_drift(z, score)
    return entry.derivation(
        conditions=("s(t), sigma(t) > 0 and their derivatives s_dot, sigma_dot at one instant t; "
                    "x = s(t) (y + sigma(t) n), y data, n standard normal",),
        steps=[
            Step(s_dot / S_t, "f = s'/s", paper(f"{KARRAS}, Sec. 2"), lhs=EDM.f()),
            Step(2 * S_t ** 2 * sigma * sigma_dot, "g^2 = d(s sigma)^2/dt - 2 (s'/s)(s sigma)^2 "
                 "= 2 s^2 sigma sigma'", paper(f"{KARRAS}, Sec. 2"), lhs=EDM.g2()),
            Step(s_dot / S_t * z - S_t ** 2 * sigma_dot * sigma * score,
                 "the probability-flow ODE dx/dt = s'/s x - s^2 sigma' sigma grad log p",
                 paper(f"{KARRAS}, Sec. 2; {song('13')}"), lhs=drift),
            Step(-t * score, "s(t) = 1, sigma(t) = t: dx/dt = -t grad log p",
                 paper(f"{KARRAS}, Sec. 3"),
                 lhs=drift.subs({S_t: 1, s_dot: 0, sigma_dot: 1}).subs(sigma, t)),
            Step(1 / sigma ** 2, "SNR = s^2/(s sigma)^2 = 1/sigma^2: s(t) leaves the noise level",
                 paper(f"{KARRAS}, Sec. 2; {KINGMA}, Sec. 2"), lhs=EDM.snr),
        ],
    )


@builds("path-flow-matching")
def flow_matching(entry):
    velocity_of_x = FLOW.convert(x, "x", "velocity", z)
    return entry.derivation(
        conditions=("data at t = 0, noise at t = 1, 0 < t < 1; z = (1 - t) x + t eps",),
        steps=[
            Step(eps - x, "the velocity d z_t/dt = alpha' x + sigma' eps = eps - x",
                 paper(f"{LIU}, Sec. 2; {LIPMAN}, Sec. 4.1"), lhs=FLOW.target("velocity", x, eps)),
            Step(-1 / (1 - t), "f = d log(1 - t)/dt", paper(f"{LU}, Sec. 2"), lhs=FLOW.f()),
            Step(2 * t / (1 - t), "g^2 = d t^2/dt - 2 f t^2 = 2t/(1 - t)", paper(f"{LU}, Sec. 2"),
                 lhs=FLOW.g2()),
            Step(1 - t, "the SDE dz = f z dt + g dw has the mean scale exp(int_0^t f) = 1 - t",
                 seed("002", "(3.28)", f"{KINGMA}, appendix"), lhs=FLOW.scale),
            Step(t ** 2, "... and the kernel variance s^2 int_0^t g^2/s^2 = t^2 = sigma^2",
                 seed("002", "(3.27), (3.29)", f"{KINGMA}, appendix"), lhs=FLOW.kernel_variance),
            Step(eps - x, "the probability-flow ODE with the conditional score -eps/t at z is the flow "
                 "velocity", paper(f"{song('13')}; {LIU}, Sec. 2"),
                 lhs=FLOW.probability_flow(eps, "eps", FLOW.sample(x, eps))),
            Step((z - x) / t, "the velocity of an x-prediction: (z - x)/t",
                 paper(f"{LIU}, Sec. 2"), lhs=velocity_of_x),
            Step((x - xhat) ** 2 / t ** 2, "||u - u_hat||^2 = ||x - x_hat||^2/t^2",
                 paper(f"{LIPMAN}, Sec. 4.1"), lhs=_squared_error(FLOW, "velocity")),
            Step(-1 / (t * (1 - t)), "d lambda/dt for lambda = log((1 - t)/t)", paper(f"{LU}, Sec. 3"),
                 lhs=FLOW.lambda_rate),
            Step(sp.Integer(-1), "t (1 - t) d lambda/dt = -1: lambda (and SNR) strictly decreasing "
                 "on 0 < t < 1", paper(f"{KINGMA}, Sec. 2"), lhs=t * (1 - t) * FLOW.lambda_rate),
        ],
    )
