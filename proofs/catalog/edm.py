"""EDM (Karras et al. 2022): the ODE and the denoiser's score, the optimal denoiser of Gaussian
data, the preconditioning of Table 1, its VP / VE / iDDPM columns, the rho-schedule (Eq. 5),
Heun's step (Algorithm 1) and the churn of Algorithm 2.

Each step compares a value computed by ``derive.edm`` (itself built on ``derive.paths``,
``derive.gaussian`` and ``derive.sde``) with the formula as the paper writes it.  Sections are
cited where an equation number was not verified (see ``index/edm.py``).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import edm as E
from diffproof.derive.derivation import Step
from diffproof.derive.gaussian import Normal
from diffproof.derive.paths import GaussianPath, s_dot, sde_path, sigma_dot
from diffproof.derive.sde import VP
from diffproof.derive.source import paper
from diffproof.derive.symbols import (S_t, beta_max, beta_min, m, score, sigma, sigma_max,
                                      sigma_min, t, w, x)
from diffproof.proofs.catalog.index._papers import song
from diffproof.proofs.catalog.index.edm import karras
from diffproof.proofs.catalog.registry import builds

sqrt = sp.sqrt
D, F, h, sd, y, n = E.D, E.F, E.h, E.sigma_data, E.y, E.n
ONE_INSTANT = ("s(t), sigma(t) > 0 and their derivatives s_dot, sigma_dot at one instant t; "
               "x = s(t) (y + sigma(t) n); D = D(x/s; sigma), the denoiser's output",)
# the noise-level coordinates of EDM (s = 1): alpha = 1, sigma_path = sigma
UNSCALED = GaussianPath("EDM, s = 1", 1, sigma, time=None)


@builds("edm-ode-denoiser")
def ode_denoiser(entry):
    in_d = (sigma_dot / sigma + s_dot / S_t) * x - S_t * sigma_dot / sigma * D
    return entry.derivation(
        conditions=ONE_INSTANT,
        steps=[
            Step((D - x) / sigma ** 2,
                 "s = 1: the score from an x-prediction D = E[y | x] of x = y + sigma n "
                 "(the path's conversion, Tweedie): grad log p(x; sigma) = (D - x)/sigma^2",
                 paper(karras("Eq. 3 (Sec. 2)")), lhs=E.score_of_denoiser().subs(E.UNSCALED)),
            Step((D - x / S_t) / (S_t * sigma ** 2),
                 "general s: grad_x log p(x/s; sigma) = (1/s) (D(x/s) - x/s)/sigma^2, the chain "
                 "rule through x/s", paper(karras("Sec. 2")), lhs=E.score_of_denoiser()),
            Step(-sigma_dot * sigma * score,
                 "s = 1: the probability flow dx/dt = -sigma' sigma grad log p(x; sigma(t))",
                 paper(f"{karras('Sec. 2')}; {song('13')}"),
                 lhs=E.ode_drift(score).subs(E.UNSCALED)),
            Step(in_d, "the ODE with the score of the denoiser: dx/dt = (sigma'/sigma + s'/s) x "
                       "- s sigma'/sigma D(x/s; sigma)", paper(karras("Sec. 2")),
                 lhs=E.ode_drift(E.score_of_denoiser())),
            Step(in_d, "... which is the path's probability flow in its x-prediction form",
                 paper(f"{karras('Sec. 2')}; {song('13')}"), lhs=E.denoiser_drift()),
            Step((x - D) / sigma, "s(t) = 1, sigma(t) = t: dx/dsigma = (x - D(x; sigma))/sigma, "
                                  "Algorithm 1's d_i",
                 paper(karras("Sec. 3, Algorithm 1")), lhs=E.sigma_ode(D, x, sigma)),
        ],
    )


@builds("edm-gaussian-denoiser")
def gaussian_denoiser(entry):
    optimal = E.gaussian_denoiser()
    centered = E.gaussian_denoiser(mean=sp.Integer(0))
    return entry.derivation(
        conditions=("y ~ N(m, sigma_data^2), x = y + n, n ~ N(0, sigma^2) independent of y",),
        steps=[
            Step((sd ** 2 * x + sigma ** 2 * m) / (sd ** 2 + sigma ** 2),
                 "the optimal denoiser D(x; sigma) = E[y | x], the posterior mean by Bayes' rule",
                 paper(karras("Eq. 2 (Sec. 2)")), lhs=optimal),
            Step(-(x - m) / (sd ** 2 + sigma ** 2),
                 "its score (D - x)/sigma^2 ...", paper(karras("Eq. 3 (Sec. 2)")),
                 lhs=E.score_of_denoiser(optimal).subs(E.UNSCALED)),
            Step(sp.diff(E.gaussian_marginal().log_density(), x),
                 "... is grad log p(x; sigma), p(x; sigma) = N(m, sigma_data^2 + sigma^2) the law "
                 "of y + n", paper(karras("Sec. 2"))),
            Step(E.table_c_skip() * x,
                 "m = 0: the optimal denoiser is c_skip x (Table 1's c_skip)",
                 paper(karras("Table 1")), lhs=centered),
            Step(sp.Integer(0), "so the ideal network output F = (D - c_skip x)/c_out is 0 for "
                                "Gaussian data of std sigma_data",
                 paper(karras("Sec. 5")), lhs=(centered - E.table_c_skip() * x) / E.table_c_out()),
        ],
    )


@builds("edm-preconditioning")
def preconditioning(entry):
    kappa = E.c
    numerator = E.target_variance_numerator(kappa)
    weight, out = E.table_loss_weight(), E.table_c_out()
    return entry.derivation(
        conditions=("y ~ N(0, sigma_data^2) (App. B.6 takes the data centered), n ~ N(0, "
                    "sigma^2) independent; one coordinate (the variances are per coordinate)",),
        steps=[
            Step(sp.Integer(1), "Var(c_in (y + n)) = c_in^2 (sigma_data^2 + sigma^2) = 1: unit "
                                "network input", paper(karras("App. B.6")),
                 lhs=E.input_variance(E.table_c_in())),
            Step(E.table_c_in(), "c_in = 1/sqrt(Var(y + n)), computed",
                 paper(karras("Table 1; App. B.6")), lhs=E.derived_c_in()),
            Step((1 - kappa) ** 2 * sd ** 2 + kappa ** 2 * sigma ** 2,
                 "c_out^2 Var(F_target) = Var(y - c_skip (y + n)) for a skip weight c_skip = kappa",
                 paper(karras("App. B.6")), lhs=numerator),
            Step(2 * (sd ** 2 + sigma ** 2), "a convex quadratic in kappa (second derivative)",
                 paper(karras("App. B.6")), lhs=sp.diff(numerator, kappa, 2)),
            Step(E.table_c_skip(), "its minimizer (the root of its derivative): Table 1's c_skip",
                 paper(karras("Table 1; App. B.6")), lhs=E.derived_c_skip()),
            Step(out, "c_out = sqrt(Var(y - c_skip (y + n))) at that c_skip: Table 1's c_out",
                 paper(karras("Table 1; App. B.6")), lhs=E.derived_c_out()),
            Step(sp.Integer(1), "so the effective target F_target = (y - c_skip (y + n))/c_out "
                                "has unit variance", paper(karras("App. B.6")),
                 lhs=E.variance_of(E.effective_target())),
            Step(weight, "lambda = 1/c_out^2, computed: Table 1's lambda(sigma)",
                 paper(karras("Table 1; App. B.6")), lhs=E.derived_loss_weight()),
            Step(sp.Integer(1), "lambda c_out^2 = 1", paper(karras("App. B.6")),
                 lhs=weight * out ** 2),
            Step(weight * out ** 2 * (F - E.effective_target()) ** 2,
                 "the weighted loss lambda (D_theta(y + n) - y)^2 with D_theta = c_skip x + c_out F "
                 "is lambda c_out^2 (F - F_target)^2", paper(karras("Sec. 5; App. B.6")),
                 lhs=E.weighted_loss(weight)),
            Step((F - E.effective_target()) ** 2,
                 "= (F - F_target)^2: every noise level weighs equally in F's loss",
                 paper(karras("App. B.6"))),
            Step(sigma, "c_noise = ln(sigma)/4: exp(4 c_noise) = sigma",
                 paper(karras("Table 1")), lhs=sp.exp(4 * E.table_c_noise())),
        ],
    )


@builds("edm-table1-columns")
def table1_columns(entry):
    vp_path = sde_path(VP)
    vp_column = E.column_path(*(f() if callable(f) else f for f in E.VP_COLUMN))
    ve_column = E.column_path(*(f() if callable(f) else f for f in E.VE_COLUMN))
    linear_column = E.column_path(*(f() if callable(f) else f for f in E.LINEAR_COLUMN))
    sig, scale = E.vp_sigma(), E.vp_scale()
    beta_d = beta_max - beta_min
    return entry.derivation(
        conditions=("VP: beta_d = beta_max - beta_min (Song's linear beta(t)); 0 < t <= 1",),
        steps=[
            Step(scale, "VP: derive.sde's mean scale exp(-int_0^t beta/2) is Table 1's s(t) = "
                        "1/sqrt(e^{beta_d t^2/2 + beta_min t})",
                 paper(f"{karras('Table 1')}; {song('33')}"), lhs=VP.scale),
            Step(sp.exp(E.vp_exponent()) - 1,
                 "VP: the kernel's noise std over its scale, sqrt(1 - s^2)/s, is Table 1's "
                 "sigma(t) = sqrt(e^{beta_d t^2/2 + beta_min t} - 1) (compared squared: both are "
                 "positive)", paper(f"{karras('Table 1')}; {song('33')}"),
                 lhs=(vp_path.sigma / vp_path.alpha) ** 2),
            Step(sig ** 2, "= sigma(t)^2 of derive.edm's VP column", paper(karras("Table 1"))),
            Step(1 / sqrt(sig ** 2 + 1), "VP: s(t) = 1/sqrt(sigma(t)^2 + 1)",
                 paper(karras("Table 1")), lhs=scale),
            Step((beta_min + beta_d * t) / 2 * (sig + 1 / sig), "VP: sigma'(t) = (beta_min + "
                 "beta_d t)/2 (sigma + 1/sigma)", paper(karras("Table 1")),
                 lhs=sp.diff(sig, t)),
            Step(-sig * sp.diff(sig, t) * scale ** 3, "VP: s'(t) = -sigma sigma' s^3",
                 paper(karras("Table 1")), lhs=sp.diff(scale, t)),
            Step(VP.f(t), "VP: the column's path (alpha = s, sigma_path = s sigma) has Song's VP "
                          "drift f = -beta(t)/2", paper(f"{karras('Sec. 2')}; {song('32')}"),
                 lhs=vp_column.f()),
            Step(VP.g2(t), "... and diffusion g^2 = beta(t): EDM's ODE for this column is Song's "
                           "VP probability flow", paper(f"{karras('Sec. 2')}; {song('32')}"),
                 lhs=vp_column.g2()),
            Step(E.table_c_in(sig, 1), "VP's c_in = 1/sqrt(sigma^2 + 1) is s(t): the network sees "
                 "the VP-scaled input s(t) (y + sigma n)", paper(karras("Table 1")), lhs=scale),
            Step(x - sigma * F, "VP's c_skip = 1, c_out = -sigma: D = x - sigma F, F an "
                                "eps-prediction (the path's conversion)",
                 paper(karras("Table 1")), lhs=UNSCALED.convert(F, "eps", "x", x)),
            Step(sp.Integer(1), "VE: sigma(t) = sqrt(t), s = 1 give g^2 = d sigma^2/dt = 1",
                 paper(karras("Table 1")), lhs=ve_column.g2()),
            Step(x + sigma * F, "VE's c_skip = 1, c_out = sigma: D = x + sigma F, F = sigma "
                                "grad log p (the path's conversion of a score)",
                 paper(karras("Table 1")), lhs=UNSCALED.convert(F / sigma, "score", "x", x)),
            Step(2 * t, "iDDPM and EDM: sigma(t) = t, s = 1 give g^2 = 2 t (f = 0)",
                 paper(karras("Table 1")), lhs=linear_column.g2()),
        ],
    )


@builds("edm-rho-schedule")
def rho_schedule(entry):
    u, rho = E.ramp, E.rho
    top, bottom = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    step = sp.Symbol("delta", positive=True)
    return entry.derivation(
        conditions=("u = i/(N - 1) in [0, 1] (here u = w in (0, 1); the ends by substitution); "
                    "rho > 0; sigma_min < sigma_max",),
        definitions={u: w},
        steps=[
            Step(sigma_max, "i = 0 (N = 18, EDM's default): sigma_0 = sigma_max", paper(karras("Eq. 5")),
                 lhs=E.rho_schedule_at(0, sp.Integer(18))),
            Step(sigma_min, "i = N - 1 = 17: sigma_{N-1} = sigma_min", paper(karras("Eq. 5")),
                 lhs=E.rho_schedule_at(17, sp.Integer(18))),
            Step(sigma_min, "for every N >= 2: the ramp's end u = 1 gives sigma_min",
                 paper(karras("Eq. 5")), lhs=E.rho_schedule(sp.Integer(1))),
            Step(-rho * (top + u * (bottom - top)) ** (rho - 1) * (top - bottom),
                 "d sigma/du = -rho (sigma_max^(1/rho) + u (...))^(rho - 1) (sigma_max^(1/rho) - "
                 "sigma_min^(1/rho))", paper(karras("Eq. 5")), lhs=sp.diff(E.rho_schedule(), u)),
            Step(sp.Integer(0), "< 0 for every u: rho > 0, the base (1 - u) sigma_max^(1/rho) + u "
                 "sigma_min^(1/rho) > 0 and sigma_min^(1/rho) < sigma_max^(1/rho) (a product of "
                 "factors of known sign); u = i/(N - 1) increases with i (N >= 2), so the levels "
                 "sigma_i decrease strictly in i", paper(karras("Eq. 5")), relation="<"),
            Step(step * (sigma_min - sigma_max),
                 "rho = 1: sigma(u + delta) - sigma(u) = delta (sigma_min - sigma_max) wherever u "
                 "is: a uniform grid", paper(karras("Eq. 5")),
                 lhs=E.rho_schedule(u + step, 1) - E.rho_schedule(u, 1)),
        ],
    )


def _generic_field(first, second):
    """dx/dsigma with the denoiser's outputs D_1 at the step's start and D_2 at its end."""
    def field(point, level):
        return E.sigma_ode(first if level == sigma else second, point, level)
    return field


@builds("edm-heun")
def heun(entry):
    d_1, d_2 = sp.Symbol("D_1", real=True), sp.Symbol("D_2", real=True)
    slope = (x - d_1) / sigma
    predicted = x + h * slope
    exact = E.gaussian_flow(x, sigma, sigma + h)
    field = E.gaussian_field
    error = E.heun_step(field, x, sigma) - exact
    euler_error = E.euler_step(field, x, sigma) - exact
    return entry.derivation(
        conditions=("a step h from sigma to sigma + h > 0 (h < 0 when sampling); D_1 = D(x; "
                    "sigma), D_2 = D(x'; sigma + h) at the Euler point x'",
                    "the linear test problem: y ~ N(0, sigma_data^2) with its optimal denoiser"),
        steps=[
            Step(x + h / 2 * (slope + (predicted - d_2) / (sigma + h)),
                 "Heun's step: d_i = (x - D_1)/sigma, x' = x + h d_i, d' = (x' - D_2)/(sigma + h), "
                 "x_{i+1} = x + h (d_i/2 + d'/2)", paper(karras("Algorithm 1 (Sec. 3)")),
                 lhs=E.heun_step(_generic_field(d_1, d_2), x, sigma)),
            Step(sp.Integer(0), "the Gaussian flow x sqrt((sigma_data^2 + (sigma + h)^2)/"
                 "(sigma_data^2 + sigma^2)) solves dx/dsigma = (x - D(x; sigma))/sigma",
                 paper(karras("Sec. 3")), lhs=sp.diff(exact, h) - field(exact, sigma + h)),
            Step(x, "... from x at h = 0", paper(karras("Sec. 3")), lhs=exact.subs(h, 0)),
            Step(sp.Integer(0), "Heun minus the exact flow: no h term", paper(karras("Sec. 3")),
                 lhs=E.taylor_coefficient(error, 1)),
            Step(sp.Integer(0), "no h^2 term either: Heun is second order",
                 paper(karras("Algorithm 1 (Sec. 3)")), lhs=E.taylor_coefficient(error, 2)),
            Step(-sigma * sd ** 2 * x / (2 * (sigma ** 2 + sd ** 2) ** 3),
                 "the h^3 term, nonzero for x != 0: the local error is O(h^3), not smaller",
                 paper(karras("Sec. 3")), lhs=E.taylor_coefficient(error, 3)),
            Step(-sd ** 2 * x / (2 * (sigma ** 2 + sd ** 2) ** 2),
                 "Euler's step leaves an h^2 term: first order", paper(karras("Sec. 3")),
                 lhs=E.taylor_coefficient(euler_error, 2)),
        ],
    )


@builds("edm-churn")
def churn(entry):
    gamma, sigma_hat = E.gamma, E.sigma_hat
    raised = E.churned_level()
    law = E.churned_law()
    data_law = E.churned_law(E.gaussian_marginal())
    return entry.derivation(
        conditions=("x ~ N(y, sigma^2) given the clean y (or x ~ p(x; sigma) for y ~ N(m, "
                    "sigma_data^2)); z ~ N(0, 1) independent; sigma_hat = sigma (1 + gamma) >= "
                    "sigma",),
        definitions={sigma_hat: raised},
        steps=[
            Step(sigma ** 2 * (2 * gamma + gamma ** 2),
                 "the added variance sigma_hat^2 - sigma^2 at sigma_hat = sigma + gamma sigma",
                 paper(karras("Algorithm 2 (Sec. 4)")), lhs=E.churn_noise_scale() ** 2),
            Step(raised ** 2, "x_hat = x + sqrt(sigma_hat^2 - sigma^2) z has variance "
                              "sigma_hat^2 given y", paper(karras("Algorithm 2 (Sec. 4)")),
                 lhs=law.variance),
            Step(Normal(E.x_hat, y, raised ** 2).density(), "so x_hat ~ N(y, sigma_hat^2): the noisy law at the "
                 "raised level sigma_hat, for every y, hence for the data mixture p(x; sigma_hat)",
                 paper(karras("Algorithm 2 (Sec. 4)")), lhs=law.density()),
            Step(E.gaussian_marginal(raised).rename(E.x_hat).density(),
                 "Gaussian data: x ~ p(x; sigma) becomes x_hat ~ p(x; sigma_hat)",
                 paper(karras("Algorithm 2 (Sec. 4)")), lhs=data_law.density()),
            Step(sigma ** 2, "gamma = w (sqrt(2) - 1) <= sqrt(2) - 1, Algorithm 2's cap: the "
                             "added variance is at most sigma^2 (sigma_hat <= sqrt(2) sigma)",
                 paper(karras("Algorithm 2 (Sec. 4)")), relation="<=",
                 lhs=E.churn_noise_scale(sigma, E.churned_level(sigma, w * (sqrt(2) - 1))) ** 2),
            Step(sp.Integer(0), "gamma = 0: no noise is added, Algorithm 2 is Algorithm 1",
                 paper(karras("Algorithms 1 and 2")),
                 lhs=E.churn_noise_scale(sigma, E.churned_level(sigma, 0))),
        ],
    )
