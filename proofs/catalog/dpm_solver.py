"""DPM-Solver (Lu et al. 2022) and DPM-Solver++ (Lu et al. 2022b) on a Gaussian path.

Every computed value comes from ``derive.dpm_solver`` (the exact solution, differentiated by SymPy;
the one-step updates, integrated with the prediction frozen or extrapolated), from ``derive.paths``
(the probability-flow ODE, lambda, the conversion eps <-> x) and from ``derive.ddim`` (the
deterministic DDIM update).  The steps compare them with the formulas as the papers write them.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import ddim as DD
from diffproof.derive import dpm_solver as D
from diffproof.derive.derivation import Step
from diffproof.derive.paths import DDPM, GENERIC, alpha, alpha_dot, sigma_dot
from diffproof.derive.source import paper
from diffproof.derive.symbols import abar_t, abar_tm1, epshat, sigma, x_t, xhat
from diffproof.proofs.catalog.index._papers import song
from diffproof.proofs.catalog.index.dpm_solver import DDIM, lu, lu_pp
from diffproof.proofs.catalog.registry import builds

a_s, s_s, a_e, s_e = D.alpha_s, D.sigma_s, D.alpha_e, D.sigma_e
J, x_s = D.integral, D.x_s
H = D.step()                                   # h = lambda_end - lambda_start, from derive.paths
ONE_INSTANT = "alpha, sigma > 0 and alpha_dot, sigma_dot at one instant t of a differentiable path"
TWO_INSTANTS = ("a step from (alpha_s, sigma_s) to (alpha_e, sigma_e), all positive; "
                "h = lambda_e - lambda_s with lambda = log(alpha/sigma)")


@builds("dpm-exact-solution")
def exact_solution(entry):
    rate_eps, value_eps = D.solution_rate("eps", epshat)
    rate_x, value_x = D.solution_rate("x", xhat)
    return entry.derivation(
        conditions=(ONE_INSTANT, "the prediction along the solution is a continuous function of "
                    "lambda, equal to eps_hat (or x_hat) at t; J is the integral from lambda_s to "
                    "lambda_t as it stands at t (any real number)",
                    "with the initial value at t = s, uniqueness of the ODE's solution makes the "
                    "formula the solution"),
        steps=[
            Step(alpha * (x_s / a_s - J),
                 "noise form at t: (alpha_t/alpha_s) x_s - alpha_t J, J = int_{lambda_s}^{lambda_t} "
                 "e^{-lambda} eps_hat dlambda", paper(lu("Prop. 3.1 (Sec. 3.1)")), lhs=value_eps),
            Step(alpha_dot / alpha * value_eps - sigma * GENERIC.lambda_rate * epshat,
                 "its t-derivative (Leibniz's rule on the integral's upper limit lambda_t, "
                 "e^{-lambda_t} = sigma/alpha): f x_t - sigma (d lambda/dt) eps_hat",
                 paper(lu("Prop. 3.1 (Sec. 3.1)")), lhs=rate_eps),
            Step(GENERIC.probability_flow(epshat, "eps", value_eps),
                 "which is the probability-flow ODE in noise form, f x + g^2/(2 sigma) eps_hat, at "
                 "the formula's value (g^2 = -2 sigma^2 d lambda/dt)",
                 paper(f"{lu('Eq. 2.4 and Sec. 3.1')}; {song('13')}")),
            Step(x_s, "and at t = s the integral is empty: the formula starts at x_s",
                 paper(lu("Prop. 3.1 (Sec. 3.1)")), lhs=D.solution_at_start("eps")),
            Step(sigma * (x_s / s_s + J),
                 "data form at t: (sigma_t/sigma_s) x_s + sigma_t J, J = int_{lambda_s}^{lambda_t} "
                 "e^{lambda} x_hat dlambda", paper(lu_pp("Sec. 4")), lhs=value_x),
            Step(GENERIC.probability_flow(xhat, "x", value_x),
                 "its t-derivative is the data-form ODE (sigma'/sigma) x + (alpha' - alpha "
                 "sigma'/sigma) x_hat at the formula's value", paper(lu_pp("Sec. 4")), lhs=rate_x),
            Step(x_s, "and it starts at x_s", paper(lu_pp("Sec. 4")),
                 lhs=D.solution_at_start("x")),
        ],
    )


@builds("dpm-first-order")
def first_order(entry):
    noise_form = D.first_order("eps", x_s, epshat)
    data_form = D.first_order("x", x_s, xhat)
    as_data = D.START.convert(epshat, "eps", "x", x_s)
    return entry.derivation(
        conditions=(TWO_INSTANTS, "the prediction held at its value at the start over the step"),
        steps=[
            Step(a_e / a_s * x_s - s_e * (sp.exp(H) - 1) * epshat,
                 "DPM-Solver-1: the exact solution's integral with eps_hat frozen, "
                 "-alpha_e (e^{-lambda_s} - e^{-lambda_e}) eps_hat = -sigma_e (e^h - 1) eps_hat",
                 paper(lu("Sec. 3.3")), lhs=noise_form),
            Step(s_e / s_s * x_s - a_e * (sp.exp(-H) - 1) * xhat,
                 "DPM-Solver++(1): sigma_e (e^{lambda_e} - e^{lambda_s}) x_hat = -alpha_e (e^{-h} - 1) "
                 "x_hat", paper(lu_pp("Sec. 4")), lhs=data_form),
            Step((x_s - s_s * epshat) / a_s,
                 "one model in two forms: x_hat = (x_s - sigma_s eps_hat)/alpha_s at the start",
                 paper(lu_pp("Sec. 3")), lhs=as_data),
            Step(noise_form, "then DPM-Solver++(1) is DPM-Solver-1: the two first-order updates "
                 "are one", paper(lu_pp("Sec. 4")), lhs=D.first_order("x", x_s, as_data)),
        ],
    )


@builds("dpm-ddim")
def ddim(entry):
    start, end = DDPM, D.DDPM_PREVIOUS
    deterministic = DD.update(DD.sigma_eta(0))
    noise_form = D.first_order("eps", x_t, epshat, start, end)
    return entry.derivation(
        conditions=("DDPM's path: alpha = sqrt(abar), sigma = sqrt(1 - abar), one step from "
                    "abar_t to abar_{t-1}; DDIM's alpha_t is DDPM's abar_t",),
        steps=[
            Step(sp.sqrt(abar_tm1 / abar_t) * x_t
                 - sp.sqrt(1 - abar_tm1) * (sp.exp(D.step(start, end)) - 1) * epshat,
                 "DPM-Solver-1 from abar_t to abar_{t-1}", paper(lu("Sec. 3.3")), lhs=noise_form),
            Step(deterministic, "is the deterministic DDIM update (Eq. 12 with sigma_t = 0), "
                 "computed by derive.ddim", paper(f"{lu('Sec. 4.1')}; {DDIM}, Eq. 12")),
            Step(deterministic, "and DPM-Solver++(1) with DDIM's x_0 estimate f_theta(x_t) "
                 "(Eq. 9) is the same update", paper(f"{lu_pp('Sec. 4')}; {DDIM}, Eq. 9"),
                 lhs=D.first_order("x", x_t, DD.x0_estimate(), start, end)),
        ],
    )


@builds("dpm-solver-pp-2m")
def multistep(entry):
    h, h_prev = D.step(D.START_L, D.END_L), D.step(D.PREVIOUS_L, D.START_L)
    r = h_prev / h
    s_s, s_e = D.START_L.sigma, D.END_L.sigma
    return entry.derivation(
        conditions=("three instants given by alpha > 0 and lambda = log(alpha/sigma): previous "
                    "(alpha_p, lambda_p), start (alpha_s, lambda_s), end (alpha_e, lambda_e); "
                    "h = lambda_e - lambda_s, h_prev = lambda_s - lambda_p, both nonzero; x0_now, x0_prev the data predictions at the start and at the "
                    "previous instant",
                    "local error: x_hat = x0_now + (lambda - lambda_s) d along the step, h > 0"),
        steps=[
            Step(s_e / s_s * x_s - a_e * (sp.exp(-h) - 1)
                 * ((1 + 1 / (2 * r)) * D.x0_now - D.x0_prev / (2 * r)),
                 "the 2M update: DPM-Solver++(1) with x_hat replaced by D = (1 + 1/(2r)) x0_i - "
                 "1/(2r) x0_{i-1}, r = h_prev/h", paper(lu_pp("Algorithm 2 (Sec. 5)")),
                 lhs=D.multistep_2m()),
            Step(s_e / s_s * x_s - a_e * (sp.exp(-h) - 1) * D.x0_now
                 - a_e * (sp.exp(-h) - 1) * h / (2 * h_prev) * (D.x0_now - D.x0_prev),
                 "= the first-order update plus a correction in the backward difference "
                 "(x0_i - x0_{i-1})/h_prev, times h/2", paper(lu_pp("Algorithm 2 (Sec. 5)"))),
            Step(D.first_order("x", x_s, D.x0_now, D.START_L, D.END_L),
                 "a constant prediction (x0_{i-1} = x0_i) gives DPM-Solver++(1) back",
                 paper(lu_pp("Sec. 5")), lhs=D.multistep_2m(before=D.x0_now)),
            Step(-a_e * D.slope * D.h ** 3 / 12,
                 "local error for x_hat linear in lambda (the update minus the exact solution, "
                 "computed by integration, Taylor polynomial to h^3): -alpha_e d h^3/12, so the "
                 "global error is O(h^2): second order", paper(lu_pp("Sec. 5")),
                 lhs=D.local_error_2m_leading()),
        ],
    )
