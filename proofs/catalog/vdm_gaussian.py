"""The Gaussian core of variational diffusion models (seed 001; Luo 2022 Eqs. 61-151; DDPM).

Each derivation follows the paper line by line; each result the papers state (mu_q, Sigma_q,
the loss weights, Tweedie's formula) is compared with the value computed by ``derive.gaussian``.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.derivation import Step
from diffproof.derive.source import paper, seed
from diffproof.derive.gaussian import Normal, kl_divergence, sum_of_independent
from diffproof.derive.symbols import (abar_t, abar_tm1, alpha_t, beta_t, betatilde_t, eps_0, eps_1, eps_2,
                            epshat, m, mu_1, mu_2, mu_theta, omega, s, s_theta, score, v_1, v_2,
                            x_0, x_t, x_tm1, xhat)
from diffproof.proofs.catalog.index._papers import luo as _luo
from diffproof.proofs.catalog.registry import builds

sqrt = sp.sqrt
half = sp.Rational(1, 2)

# The formulas as the papers and seed 001 write them (compared with the computed ones below).
MU_Q = (sqrt(alpha_t) * (1 - abar_tm1) * x_t + sqrt(abar_tm1) * (1 - alpha_t) * x_0) / (1 - abar_t)
SIGMA_Q = (1 - alpha_t) * (1 - abar_tm1) / (1 - abar_t)


# ----------------------------------------------------------------------------------------------
@builds("vdm-forward-marginal")
def forward_marginal(entry):
    return entry.derivation(
        conditions=("induction hypothesis: x_{t-1} = sqrt(abar_{t-1}) x_0 + sqrt(1 - abar_{t-1}) eps_2",
                    "eps_1, eps_2 independent standard normal; base case t = 1: abar_1 = alpha_1"),
        start=sqrt(alpha_t) * x_tm1 + sqrt(1 - alpha_t) * eps_1,
        definitions={x_tm1: sqrt(abar_tm1) * x_0 + sqrt(1 - abar_tm1) * eps_2},
        steps=[
            Step(sqrt(alpha_t) * (sqrt(abar_tm1) * x_0 + sqrt(1 - abar_tm1) * eps_2)
                 + sqrt(1 - alpha_t) * eps_1,
                 "substitute the induction hypothesis for x_{t-1}",
                 seed("001", "slide 'q(x_t|x_0)'", _luo("63-64"))),
            Step(sqrt(abar_t) * x_0 + sqrt(alpha_t - abar_t) * eps_2 + sqrt(1 - alpha_t) * eps_1,
                 "distribute; alpha_t abar_{t-1} = abar_t", paper(_luo("65"))),
            Step(alpha_t - abar_t + 1 - alpha_t,
                 "variance of the sum of two independent zero-mean Gaussians, computed by the algebra",
                 paper(_luo("66")),
                 lhs=sum_of_independent(Normal(eps_0, 0, alpha_t - abar_t),
                                        Normal(eps_0, 0, 1 - alpha_t), eps_0).variance),
            Step(1 - abar_t, "alpha_t terms cancel", paper(_luo("67-68"))),
            Step(sqrt(abar_t) * x_0, "mean of q(x_t | x_0) computed by marginalizing x_{t-1}",
                 seed("001", "slide 'q(x_t|x_0)'", _luo("70")),
                 lhs=F.forward_marginal_by_induction().mean),
            Step(1 - abar_t, "variance of q(x_t | x_0) computed by marginalizing x_{t-1}",
                 seed("001", "slide 'q(x_t|x_0)'", _luo("70")),
                 lhs=F.forward_marginal_by_induction().variance),
        ],
    )


# ----------------------------------------------------------------------------------------------
x = x_tm1
B = sqrt(alpha_t) * x_t / (1 - alpha_t) + sqrt(abar_tm1) * x_0 / (1 - abar_tm1)


@builds("vdm-posterior")
def posterior(entry):
    q_step, q_prev = F.forward_step(), F.marginal_hypothesis()
    q_marg = F.marginal_hypothesis(x_t, abar_t)
    return entry.derivation(
        conditions=("q(x_t | x_{t-1}, x_0) = q(x_t | x_{t-1}) (Markov property)",),
        start=q_step.density() * q_prev.density() / q_marg.density(),
        steps=[
            Step(sp.exp(-((x_t - sqrt(alpha_t) * x) ** 2 / (2 * (1 - alpha_t))
                          + (x - sqrt(abar_tm1) * x_0) ** 2 / (2 * (1 - abar_tm1))
                          - (x_t - sqrt(abar_t) * x_0) ** 2 / (2 * (1 - abar_t)))),
                 "write out the Gaussians; their normalizers do not depend on x_{t-1}",
                 paper(_luo("73")), relation="propto", wrt=(x,)),
            Step(sp.exp(-half * ((x_t - sqrt(alpha_t) * x) ** 2 / (1 - alpha_t)
                                 + (x - sqrt(abar_tm1) * x_0) ** 2 / (1 - abar_tm1)
                                 - (x_t - sqrt(abar_t) * x_0) ** 2 / (1 - abar_t))),
                 "take out the factor 1/2", paper(_luo("74"))),
            Step(sp.exp(-half * ((x_t ** 2 - 2 * sqrt(alpha_t) * x_t * x + alpha_t * x ** 2)
                                 / (1 - alpha_t)
                                 + (x ** 2 - 2 * sqrt(abar_tm1) * x * x_0 + abar_tm1 * x_0 ** 2)
                                 / (1 - abar_tm1)
                                 - (x_t - sqrt(abar_t) * x_0) ** 2 / (1 - abar_t))),
                 "expand the squares", paper(_luo("75"))),
            Step(sp.exp(-half * ((-2 * sqrt(alpha_t) * x_t * x + alpha_t * x ** 2) / (1 - alpha_t)
                                 + (x ** 2 - 2 * sqrt(abar_tm1) * x * x_0) / (1 - abar_tm1))),
                 "drop the terms C(x_t, x_0) free of x_{t-1}", paper(_luo("76")),
                 relation="propto", wrt=(x,)),
            Step(sp.exp(-half * ((alpha_t / (1 - alpha_t) + 1 / (1 - abar_tm1)) * x ** 2 - 2 * B * x)),
                 "collect powers of x_{t-1}", paper(_luo("77"))),
            Step(sp.exp(-half * ((alpha_t * (1 - abar_tm1) + 1 - alpha_t)
                                 / ((1 - alpha_t) * (1 - abar_tm1)) * x ** 2 - 2 * B * x)),
                 "common denominator", paper(_luo("78"))),
            Step(sp.exp(-half * ((1 - abar_t) / ((1 - alpha_t) * (1 - abar_tm1)) * x ** 2 - 2 * B * x)),
                 "alpha_t (1 - abar_{t-1}) + 1 - alpha_t = 1 - abar_t", paper(_luo("79"))),
            Step(sp.exp(-half * (1 - abar_t) / ((1 - alpha_t) * (1 - abar_tm1))
                        * (x ** 2 - 2 * MU_Q * x)),
                 "factor out the precision", paper(_luo("80"))),
            Step(sp.exp(-half * (x - MU_Q) ** 2 / SIGMA_Q),
                 "complete the square; the added mu_q^2 term is free of x_{t-1}",
                 paper(_luo("81-83")), relation="propto", wrt=(x,)),
            Step(Normal(x, MU_Q, SIGMA_Q).density(),
                 "the normalized Gaussian N(x_{t-1}; mu_q, Sigma_q)",
                 seed("001", "slide 'q(x_{t-1}|x_t,x_0)'", _luo("84")), relation="propto", wrt=(x,)),
            Step(MU_Q, "mu_q as written equals the mean computed by the Gaussian algebra",
                 seed("001", "slide 'mu_q(x_t, x_0)'", _luo("84")), lhs=F.posterior().mean),
            Step(SIGMA_Q, "Sigma_q as written equals the variance computed by the Gaussian algebra",
                 seed("001", "slide 'Sigma_q(t)'", _luo("84")), lhs=F.posterior().variance),
            Step(1 - abar_t, "the identity used in Eq. 79", paper(_luo("79")),
                 lhs=alpha_t * (1 - abar_tm1) + 1 - alpha_t),
        ],
    )


@builds("ddpm-posterior")
def ddpm_posterior(entry):
    return entry.derivation(
        conditions=("beta_t = 1 - alpha_t",),
        steps=[
            Step(sqrt(abar_tm1) * beta_t / (1 - abar_t) * x_0
                 + sqrt(alpha_t) * (1 - abar_tm1) / (1 - abar_t) * x_t,
                 "DDPM's mu-tilde_t(x_t, x_0) is mu_q", paper("Ho et al. 2020, Eq. 7"),
                 lhs=F.posterior().mean),
            Step(betatilde_t, "DDPM's beta-tilde_t = (1 - abar_{t-1}) beta_t / (1 - abar_t) is Sigma_q",
                 paper("Ho et al. 2020, Eq. 7"), lhs=F.posterior().variance),
        ],
    )


# ----------------------------------------------------------------------------------------------
sq = SIGMA_Q


@builds("gaussian-kl")
def gaussian_kl(entry):
    return entry.derivation(
        conditions=("one coordinate of an isotropic Gaussian (d = 1)",),
        steps=[
            Step(half * (sp.log(v_2 / v_1) - 1 + v_1 / v_2 + (mu_2 - mu_1) ** 2 / v_2),
                 "closed form of D_KL(N(mu_1, v_1) || N(mu_2, v_2)), d = 1", paper(_luo("86")),
                 lhs=kl_divergence(Normal(x_tm1, mu_1, v_1), Normal(x_tm1, mu_2, v_2))),
            Step(half * (mu_theta - F.posterior().mean) ** 2 / sq,
                 "equal covariances Sigma_q(t): only the means differ", paper(_luo("87-92")),
                 lhs=F.kl_equal_variance(F.posterior().mean, mu_theta, sq)),
        ],
    )


mu_theta_x0 = (sqrt(alpha_t) * (1 - abar_tm1) * x_t + sqrt(abar_tm1) * (1 - alpha_t) * xhat) / (1 - abar_t)
x0_weight = abar_tm1 * (1 - alpha_t) ** 2 / (1 - abar_t) ** 2


@builds("vdm-x0-parametrization")
def x0_param(entry):
    return entry.derivation(
        definitions={mu_theta: mu_theta_x0},
        start=F.kl_equal_variance(MU_Q, mu_theta, sq),
        steps=[
            Step(1 / (2 * sq) * (mu_theta_x0 - MU_Q) ** 2, "equal-variance KL with mu_theta of Eq. 95",
                 seed("001", "slide 'mu_theta(x_t, t)'", _luo("94-96"))),
            Step(1 / (2 * sq) * (sqrt(abar_tm1) * (1 - alpha_t) / (1 - abar_t)) ** 2
                 * (xhat - x_0) ** 2, "the x_t terms cancel", paper(_luo("97-98"))),
            Step(1 / (2 * sq) * x0_weight * (xhat - x_0) ** 2, "square the coefficient",
                 paper(_luo("99"))),
        ],
    )


@builds("vdm-snr-weight")
def snr_weight(entry):
    return entry.derivation(
        start=1 / (2 * sq) * x0_weight,
        steps=[
            Step(1 / (2 * (1 - alpha_t) * (1 - abar_tm1) / (1 - abar_t)) * x0_weight,
                 "write out Sigma_q(t)", paper(_luo("102"))),
            Step(half * abar_tm1 * (1 - alpha_t) / ((1 - abar_tm1) * (1 - abar_t)), "cancel",
                 paper(_luo("103-104"))),
            Step(half * (abar_tm1 - abar_t) / ((1 - abar_tm1) * (1 - abar_t)),
                 "abar_{t-1} alpha_t = abar_t", paper(_luo("105-106"))),
            Step(half * (abar_tm1 / (1 - abar_tm1) - abar_t / (1 - abar_t)), "partial fractions",
                 paper(_luo("107-108"))),
            Step(half * (F.snr(abar_tm1) - F.snr(abar_t)), "SNR(t) = abar_t / (1 - abar_t)",
                 paper(_luo("109-110"))),
            Step(1 / (1 + sp.exp(omega)), "SNR = exp(-omega) solved for abar: sigmoid(-omega)",
                 paper(_luo("111-114")), lhs=sp.solve(sp.Eq(F.snr(abar_t), sp.exp(-omega)), abar_t)[0]),
        ],
    )


mu_q_eps = x_t / sqrt(alpha_t) - (1 - alpha_t) / (sqrt(1 - abar_t) * sqrt(alpha_t)) * eps_0
mu_theta_eps = x_t / sqrt(alpha_t) - (1 - alpha_t) / (sqrt(1 - abar_t) * sqrt(alpha_t)) * epshat


@builds("vdm-noise-parametrization")
def eps_param(entry):
    x0_eps = F.x0_from_noise()
    return entry.derivation(
        start=MU_Q,
        steps=[
            Step((x_t - sqrt(1 - abar_t) * eps_0) / sqrt(abar_t),
                 "x_0 solved from the reparametrization x_t = sqrt(abar_t) x_0 + "
                 "sqrt(1 - abar_t) eps_0",
                 paper(_luo("115")), lhs=x0_eps),
            Step(mu_q_eps, "substitute x_0 into mu_q and simplify", paper(_luo("116-124")),
                 lhs=MU_Q.subs(x_0, x0_eps)),
            Step((1 - alpha_t) ** 2 / ((1 - abar_t) * alpha_t) / (2 * sq) * (eps_0 - epshat) ** 2,
                 "equal-variance KL between the eps forms of mu_q and mu_theta",
                 paper(_luo("125-130")), lhs=F.kl_equal_variance(mu_q_eps, mu_theta_eps, sq)),
            Step(beta_t ** 2 / (2 * sq * alpha_t * (1 - abar_t)) * (eps_0 - epshat) ** 2,
                 "DDPM's weight beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t))",
                 paper("Ho et al. 2020, Eq. 12")),
        ],
    )


tweedie_x0 = F.tweedie_x0()               # Tweedie's E[x_0 | x_t], written once in derive.formulas
mu_q_score = x_t / sqrt(alpha_t) + (1 - alpha_t) / sqrt(alpha_t) * score
mu_theta_score = x_t / sqrt(alpha_t) + (1 - alpha_t) / sqrt(alpha_t) * s_theta


@builds("vdm-score-parametrization")
def score_param(entry):
    return entry.derivation(
        conditions=("x_0 is replaced by Tweedie's E[x_0 | x_t]; the identity holds for that "
                    "conditional mean, not pointwise (see tweedie-gaussian-data)",),
        start=MU_Q.subs(x_0, tweedie_x0),
        steps=[
            Step(mu_q_score, "substitute Tweedie's estimate of x_0 into mu_q",
                 seed("001", "slide 'score estimation' (mu_q = x_t/sqrt(alpha_t) + ...)",
                      _luo("134-142"))),
            Step((1 - alpha_t) ** 2 / alpha_t / (2 * sq) * (s_theta - score) ** 2,
                 "equal-variance KL between the score forms of mu_q and mu_theta",
                 paper(_luo("143-148")),
                 lhs=F.kl_equal_variance(mu_q_score, mu_theta_score, sq)),
        ],
    )


@builds("tweedie-gaussian-data")
def tweedie_gaussian(entry):
    exact_score = F.gaussian_data_score()
    return entry.derivation(
        conditions=("x_0 ~ N(m, s^2), so p(x_t) = N(sqrt(abar_t) m, abar_t s^2 + 1 - abar_t)",),
        steps=[
            Step(sqrt(abar_t) * m, "mean of the marginal p(x_t), computed by marginalizing x_0",
                 paper(_luo("61-70")), lhs=F.gaussian_data_marginal().mean),
            Step(abar_t * s ** 2 + 1 - abar_t, "variance of the marginal p(x_t)",
                 paper(_luo("61-70")), lhs=F.gaussian_data_marginal().variance),
            Step((x_t + (1 - abar_t) * exact_score) / sqrt(abar_t),
                 "E[x_0 | x_t] by Bayes' rule equals Tweedie's expression with the exact "
                 "marginal score",
                 seed("001", "slide 'Tweedie's formula'", _luo("131-133")),
                 lhs=F.gaussian_data_posterior_mean()),
            Step(x_t + (1 - abar_t) * exact_score,
                 "Tweedie for z = x_t ~ N(mu_z, 1 - abar_t) with mu_z = sqrt(abar_t) x_0: "
                 "E[mu_z | z] = z + Sigma_z grad log p(z)", paper(_luo("131")),
                 lhs=sqrt(abar_t) * F.gaussian_data_posterior_mean()),
        ],
    )


@builds("conditional-score-noise")
def conditional_score(entry):
    return entry.derivation(
        conditions=("x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0; this is the score of "
                    "q(x_t | x_0), the marginal score is its conditional expectation",),
        definitions={x_t: sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * eps_0},
        steps=[
            Step(-eps_0 / sqrt(1 - abar_t), "differentiate log N(x_t; sqrt(abar_t) x_0, 1 - abar_t)",
                 paper(_luo("151")), lhs=F.conditional_score()),
        ],
    )
