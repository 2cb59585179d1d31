"""Loss weightings: Min-SNR-gamma carried to the eps and v losses by the path's squared-error
identities, the continuous-time VDM loss as an integral over the SNR, and the library erratum of
diffusers' Min-SNR weight for v-prediction.

The weights come from ``derive.weighting`` (computed from ``derive.paths``); the Gaussian-data
error 1/(1 + SNR) is the posterior variance of x ~ N(0, 1) given z, computed by
``derive.gaussian.condition``.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import weighting as W
from diffproof.derive.decide.integrals import IntegralIdentityCheck
from diffproof.derive.derivation import Step
from diffproof.derive.gaussian import Normal, condition
from diffproof.derive.paths import DDPM, GENERIC, alpha, alpha_dot, sigma_dot
from diffproof.derive.source import library, paper
from diffproof.derive.symbols import sigma, t, x, xhat, z
from diffproof.proofs.catalog.index._papers import HANG, KINGMA
from diffproof.proofs.catalog.registry import builds

G = GENERIC
gamma = W.gamma
snr = DDPM.snr                    # abar_t/(1 - abar_t)
error_x = (x - xhat) ** 2


@builds("weight-min-snr")
def min_snr(entry):
    x_weight = W.min_snr_x_weight(DDPM)
    return entry.derivation(
        conditions=("DDPM's path (alpha^2 + sigma^2 = 1), SNR = abar_t/(1 - abar_t); gamma > 0; "
                    "both predictions at the same z (per coordinate, so also for squared norms)",),
        steps=[
            Step(sp.Min(snr, gamma) / snr, "the eps-loss weight that makes it the x loss weighted "
                 "by min(SNR, gamma): min(SNR, gamma)/SNR, since ||eps - eps_hat||^2 = SNR ||x - "
                 "x_hat||^2", paper(f"{HANG}, Appendix B"), lhs=W.min_snr_weight(DDPM, "eps")),
            Step(sp.Min(1, gamma / snr), "= min(1, gamma/SNR), the form of the eps-prediction "
                 "code", paper(f"{HANG}, Appendix B")),
            Step(sp.Min(snr, gamma) / (snr + 1), "the v-loss weight: min(SNR, gamma)/(SNR + 1), since "
                 "||v - v_hat||^2 = (SNR + 1) ||x - x_hat||^2 on a VP path",
                 paper(f"{HANG}, Appendix B"), lhs=W.min_snr_weight(DDPM, "v")),
            Step(x_weight * error_x, "the weighted v loss is the weighted x loss",
                 paper(f"{HANG}, Appendix B"),
                 lhs=W.min_snr_weight(DDPM, "v") * W.squared_error(DDPM, "v")),
            Step(sp.Min(G.snr, gamma) * sigma ** 2 / (alpha ** 2 + sigma ** 2) ** 2,
                 "on a general path: the v weight min(SNR, gamma) sigma^2/(alpha^2 + sigma^2)^2",
                 paper(f"{HANG}, Appendix B; {KINGMA}, Sec. 2"), lhs=W.min_snr_weight(G, "v")),
        ],
    )


def _log_form(expr: sp.Expr) -> sp.Expr:
    """A closed form of SymPy's integral with its logarithms of positive arguments."""
    return sp.simplify(sp.logcombine(sp.expand_log(expr, force=True), force=True))


@builds("weight-vdm-continuous")
def vdm_continuous(entry):
    e = sp.Symbol("E_x", nonnegative=True)        # ||x - x_hat||^2 at the instant
    gaussian_error = condition(Normal(x, 0, 1), Normal(z, alpha * x, sigma ** 2)).variance
    lo, hi, v = W.snr_min, W.snr_max, W.snr_value
    in_snr = sp.integrate(1 / (1 + v), (v, lo, hi)) / 2
    geometric = hi * (lo / hi) ** t
    S_t, S_0 = W.SNR(t), W.SNR(0)
    loss = _log_form(sp.integrate(W.vdm_integrand(geometric, 1 / (1 + geometric)), (t, 0, 1)))
    return entry.derivation(
        conditions=("SNR(t) continuously differentiable and strictly decreasing from SNR(0) = "
                    "SNR_max to SNR(1) = SNR_min; the error ||x - x_hat(z_v, v)||^2 a continuous "
                    "function mse(v) of the SNR v (the closed forms hold for any positive ends); "
                    "at one instant alpha, sigma > 0 with time derivatives alpha_dot, sigma_dot",),
        steps=[
            Step(-e * (alpha * alpha_dot / sigma ** 2 - alpha ** 2 * sigma_dot / sigma ** 3),
                 "dv = SNR'(t) dt with SNR = alpha^2/sigma^2: the integrand "
                 "-1/2 SNR'(t) e dt is -1/2 e dv", paper(f"{KINGMA}, Sec. 5"),
                 lhs=W.vdm_integrand(sp.Function("SNR")(t), e).subs(
                     sp.Derivative(sp.Function("SNR")(t), t), G.snr_rate)),
            Step(1 / (1 + G.snr), "x ~ N(0, 1): the error of the optimal x_hat = E[x | z] is "
                 "Var(x | z) = 1/(1 + SNR), a function of the SNR alone", paper(f"{KINGMA}, Sec. 5"),
                 lhs=gaussian_error),
            Step(sp.log((1 + hi) / (1 + lo)) / 2, "1/2 int_{SNR_min}^{SNR_max} dv/(1 + v)",
                 paper(f"{KINGMA}, Sec. 5"), lhs=in_snr),
            Step(W.vdm_loss_in_snr(S_t, S_0),
                 "any schedule SNR(t): the loss up to t, -1/2 int_0^t SNR'(tau) ||x - "
                 "x_hat(z_tau, tau)||^2 dtau, is 1/2 int_{SNR(t)}^{SNR(0)} ||x - x_hat(z_v, v)||^2 "
                 "dv (dv = SNR'(tau) dtau); at t = 1 it depends on the schedule only through "
                 "SNR_min = SNR(1) and SNR_max = SNR(0)", paper(f"{KINGMA}, Sec. 5"),
                 lhs=W.vdm_loss_in_t(S_t, 0, t), symbolic=False,
                 checks=[IntegralIdentityCheck(W.vdm_loss_in_t(S_t, 0, t),
                                               W.vdm_loss_in_snr(S_t, S_0), t, 0, 1)]),
            Step(in_snr, "an example, x ~ N(0, 1) and SNR(t) geometric between the ends: "
                 "-1/2 int_0^1 SNR'(t)/(1 + SNR(t)) dt, integrated in t, is the integral over the "
                 "SNR", paper(f"{KINGMA}, Sec. 5"), lhs=loss),
        ],
    )


@builds("diffusers-min-snr-v")
def min_snr_v_erratum(entry):
    shifted = snr + 1                                         # snr = snr + 1 (the code)
    code_weight = sp.Min(shifted, gamma) / shifted
    return entry.claim(
        "the code's v-prediction weight min(SNR + 1, gamma)/(SNR + 1) gives the Min-SNR x loss",
        start=code_weight * W.squared_error(DDPM, "v"),
        steps=[Step(W.min_snr_x_weight(DDPM) * error_x,
                    "the weighted v loss as the code computes it is min(SNR, gamma) ||x - x_hat||^2",
                    library("huggingface/diffusers", "PR", 6307,
                            "examples/text_to_image/train_text_to_image.py"))],
        conditions=("DDPM's path; gamma > 0 (5 in the paper)",),
    )
