"""DDIM (Song, Meng & Ermon 2021) in DDPM's notation: the generalized posterior and its marginal,
the update, sigma_t(eta) with its two ends (DDPM at eta = 1, the deterministic sampler at eta = 0)
and the ODE form.

Every computed value (the marginal, the x_0 estimate, the update's mean, DDPM's posterior) comes
from ``derive.ddim`` and ``derive.formulas``; the steps compare them with the formulas as the
papers write them.  sigma_t and eta are not symbols of the shared table: sigma_t^2 is written
w (1 - abar_{t-1}) and eta is w, w in (0, 1) (the table's unit-interval weight), so that every
point the checker draws lies where Eq. 7 is defined.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import ddim as D
from diffproof.derive import formulas as F
from diffproof.derive.derivation import Step
from diffproof.derive.gaussian import Normal
from diffproof.derive.source import paper
from diffproof.derive.symbols import (abar_t, abar_tm1, alpha_t, beta_t, betatilde_t, epshat,
                                      w, x_0, x_t, x_tm1, xhat, z)
from diffproof.proofs.catalog.index._papers import HO
from diffproof.proofs.catalog.index.ddim import ddim
from diffproof.proofs.catalog.registry import builds

sqrt = sp.sqrt
sigma_t, eta = D.sigma_t, D.eta

# sigma_t^2 = w (1 - abar_{t-1}), w in (0, 1): every admissible sigma_t^2 but the two ends
ADMISSIBLE_SIGMA = {sigma_t: sqrt(w * (1 - abar_tm1))}
SIGMA_RANGE = ("sigma_t^2 = w (1 - abar_{t-1}) with w in (0, 1): every sigma_t^2 in "
               "(0, 1 - abar_{t-1}); both sides are continuous in sigma_t^2, so the ends 0 and "
               "1 - abar_{t-1} follow")


def _ho(eq: str) -> str:
    return f"{HO}, Eq. {eq}"


# ----------------------------------------------------------------------------------------------
@builds("ddim-marginal")
def marginal(entry):
    computed = D.marginal()
    return entry.derivation(
        conditions=(SIGMA_RANGE,
                    "induction hypothesis q_sigma(x_t | x_0) = N(sqrt(abar_t) x_0, 1 - abar_t) "
                    "(it holds at t = T by definition; Lemma 1 descends to t = 1)"),
        definitions=ADMISSIBLE_SIGMA,
        steps=[
            Step(sqrt(abar_tm1) * x_0,
                 "mean of q_sigma(x_{t-1} | x_0) = int q_sigma(x_{t-1} | x_t, x_0) q(x_t | x_0) "
                 "dx_t, computed by marginalizing x_t (Eq. 7's mean is affine in x_t)",
                 paper(ddim("Lemma 1 (Sec. 3.1)")), lhs=computed.mean),
            Step(1 - abar_tm1,
                 "its variance a^2 (1 - abar_t) + sigma_t^2, a = sqrt(1 - abar_{t-1} - "
                 "sigma_t^2)/sqrt(1 - abar_t) the coefficient of x_t, computed: sigma_t^2 cancels",
                 paper(ddim("Lemma 1 (Sec. 3.1)")), lhs=computed.variance),
            Step(F.marginal_hypothesis().density(),
                 "the density: N(x_{t-1}; sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}), DDPM's marginal "
                 "whatever sigma_t", paper(ddim("Lemma 1 (Sec. 3.1)")), lhs=computed.density()),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("ddim-update")
def update(entry):
    at_estimate = D.generalized_posterior(x0=xhat)
    mean = sqrt(abar_tm1) * xhat + sqrt(1 - abar_tm1 - sigma_t ** 2) * epshat
    sampled = Normal(z, sp.Integer(0), sp.Integer(1)).affine(sigma_t, mean, x_tm1)
    return entry.derivation(
        conditions=(SIGMA_RANGE, "x-hat = f_theta(x_t), the x_0 estimate, computed by solving "
                                 "the forward relation for x_0", "z ~ N(0, 1) independent of x_t"),
        definitions={**ADMISSIBLE_SIGMA, xhat: D.x0_estimate()},
        steps=[
            Step((x_t - sqrt(1 - abar_t) * epshat) / sqrt(abar_t),
                 "f_theta(x_t): x_0 solved from x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, "
                 "with eps_theta(x_t) for eps", paper(ddim("Eq. 9")), lhs=xhat),
            Step(epshat, "so Eq. 7's direction (x_t - sqrt(abar_t) x_0)/sqrt(1 - abar_t) at "
                         "x_0 = x-hat is eps_theta: the 'direction pointing to x_t'",
                 paper(ddim("Eq. 12")), lhs=(x_t - sqrt(abar_t) * xhat) / sqrt(1 - abar_t)),
            Step(mean, "the mean of q_sigma(x_{t-1} | x_t, x-hat) = p_theta(x_{t-1} | x_t): "
                       "'predicted x_0' and 'direction pointing to x_t'",
                 paper(ddim("Eqs. 10 and 12")), lhs=at_estimate.mean),
            Step(at_estimate.density(),
                 "x_{t-1} = mean + sigma_t z has the density of q_sigma(x_{t-1} | x_t, x-hat): "
                 "Eq. 12 samples p_theta of Eq. 10",
                 paper(ddim("Eqs. 10 and 12")), lhs=sampled.density()),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("ddim-sigma-eta")
def sigma_of_eta(entry):
    ratio = (1 - abar_tm1) / (1 - abar_t)
    return entry.derivation(
        conditions=("eta = w in (0, 1); the identities are polynomial in eta, so they hold for "
                    "every eta",),
        definitions={eta: w},
        start=D.sigma_eta() ** 2,          # Eq. 16 squared
        steps=[
            Step(eta ** 2 * ratio * (1 - alpha_t), "Eq. 16 squared, with abar_t / abar_{t-1} = "
                                                   "alpha_t",
                 paper(_ho("4"))),
            Step(eta ** 2 * ratio * beta_t, "1 - alpha_t = beta_t", paper(_ho("4"))),
            Step(eta ** 2 * betatilde_t, "beta-tilde_t = (1 - abar_{t-1}) beta_t / (1 - abar_t)",
                 paper(_ho("7"))),
            Step(eta ** 2 * F.posterior().variance,
                 "beta-tilde_t is the variance of DDPM's posterior q(x_{t-1} | x_t, x_0), computed "
                 "by completing the square", paper(_ho("7"))),
            Step(1 - abar_tm1,
                 "for eta <= 1: sigma_t(eta)^2 <= beta-tilde_t <= 1 - abar_{t-1}, so the square "
                 "root sqrt(1 - abar_{t-1} - sigma_t^2) of Eq. 7 is real",
                 paper(ddim("Eqs. 7 and 16")), relation="<="),
        ],
    )


# ----------------------------------------------------------------------------------------------
ddpm_sigma = sqrt(betatilde_t)      # sigma_t(1)


@builds("ddim-eta1-ddpm")
def eta_one(entry):
    at_ddpm = D.generalized_posterior(ddpm_sigma)
    return entry.derivation(
        conditions=("eta = 1",),
        steps=[
            Step(betatilde_t, "sigma_t(1)^2 is DDPM's posterior variance beta-tilde_t",
                 paper(ddim("Eq. 16")), lhs=D.sigma_eta(1) ** 2),
            Step(alpha_t * (1 - abar_tm1) ** 2 / (1 - abar_t),
                 "what Eq. 7's square root holds at sigma_t^2 = beta-tilde_t",
                 paper(ddim("Eq. 7")), lhs=1 - abar_tm1 - betatilde_t),
            Step(sqrt(abar_tm1) * beta_t / (1 - abar_t) * x_0
                 + sqrt(alpha_t) * (1 - abar_tm1) / (1 - abar_t) * x_t,
                 "Eq. 7's mean at sigma_t^2 = beta-tilde_t is DDPM's mu-tilde_t(x_t, x_0), for "
                 "every x_0", paper(_ho("7")), lhs=at_ddpm.mean),
            Step(F.posterior().variance,
                 "and its variance is that of DDPM's posterior (computed by Bayes' rule): "
                 "q_sigma(x_{t-1} | x_t, x_0) is DDPM's posterior, the forward process is "
                 "Markovian again", paper(_ho("7")), lhs=at_ddpm.variance),
            Step((x_t - beta_t / sqrt(1 - abar_t) * epshat) / sqrt(alpha_t),
                 "the DDIM update's mean at eta = 1 is DDPM's model mean mu_theta(x_t, t) at the "
                 "same estimate of x_0", paper(_ho("11")), lhs=D.update_mean(ddpm_sigma)),
        ],
    )


# ----------------------------------------------------------------------------------------------
def deterministic():
    """The update at sigma_t(0) = 0: no noise term."""
    return D.update(D.sigma_eta(0))


@builds("ddim-deterministic")
def eta_zero(entry):
    return entry.derivation(
        conditions=("eta = 0: sigma_t(0) = 0, x_{t-1} is a function of x_t",),
        start=deterministic(),
        steps=[
            Step(sqrt(abar_tm1) * (x_t - sqrt(1 - abar_t) * epshat) / sqrt(abar_t)
                 + sqrt(1 - abar_tm1) * epshat,
                 "Eq. 12 with sigma_t = 0", paper(ddim("Eq. 12 (Sec. 4.1)"))),
            Step(sqrt(abar_tm1 / abar_t) * x_t
                 + (sqrt(1 - abar_tm1) - sqrt(abar_tm1 * (1 - abar_t) / abar_t)) * epshat,
                 "collect x_t and eps_theta(x_t)", paper(ddim("Eq. 12 (Sec. 4.1)"))),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("ddim-ode-euler")
def ode_euler(entry):
    xbar_t, sigmabar_t, sigmabar_tm1 = D.xbar_t, D.sigmabar_t, D.sigmabar_tm1
    return entry.derivation(
        conditions=("x-bar = x / sqrt(abar), sigma-bar = sqrt((1 - abar) / abar) at t and t - 1",),
        definitions={xbar_t: D.xbar(x_t, abar_t), sigmabar_t: D.sigmabar(abar_t),
                     sigmabar_tm1: D.sigmabar(abar_tm1)},
        start=D.xbar(deterministic(), abar_tm1),
        steps=[
            Step(x_t / sqrt(abar_t)
                 + (sqrt((1 - abar_tm1) / abar_tm1) - sqrt((1 - abar_t) / abar_t)) * epshat,
                 "divide the deterministic update by sqrt(abar_{t-1})",
                 paper(ddim("Sec. 4.3"))),
            Step(xbar_t + (sigmabar_tm1 - sigmabar_t) * epshat,
                 "x-bar_{t-1} = x-bar_t + (sigma-bar_{t-1} - sigma-bar_t) eps_theta: one Euler "
                 "step from sigma-bar_t to sigma-bar_{t-1} of d x-bar = eps_theta d sigma-bar",
                 paper(ddim("Sec. 4.3"))),
            Step(x_t, "the model's argument x-bar / sqrt(sigma-bar^2 + 1) in the ODE is x_t: "
                      "sigma-bar^2 + 1 = 1 / abar", paper(ddim("Sec. 4.3")),
                 lhs=xbar_t / sqrt(sigmabar_t ** 2 + 1)),
        ],
    )
