"""A derivation written with diffproof's public API: check it with

    diffproof check examples/my_derivation.py

It derives the variance of the DDPM posterior in beta notation from the VDM posterior, and
carries one deliberately wrong step (a classic slip: abar_t where abar_{t-1} belongs) in a second
derivation, so the output shows what a refutation looks like.
"""
from diffproof.derive import Derivation, Step, formulas, paper, seed
from diffproof.derive.symbols import abar_t, abar_tm1, alpha_t, beta_t, betatilde_t

computed = formulas.posterior_variance()     # Sigma_q(t), computed by completing the square

posterior_variance = Derivation(
    "my-posterior-variance",
    "Sigma_q(t) in DDPM's beta notation",
    start=computed,
    steps=[
        Step((1 - alpha_t) * (1 - abar_tm1) / (1 - abar_t), "the computed posterior variance",
             seed("001", "slide 'Sigma_q(t)'", "Luo 2022 Eq. 84")),
        Step(beta_t * (1 - abar_tm1) / (1 - abar_t), "beta_t = 1 - alpha_t",
             paper("Ho et al. 2020, Eq. 7")),
        Step(betatilde_t, "the definition of beta-tilde_t", paper("Ho et al. 2020, Eq. 7")),
    ],
)

slip = Derivation(
    "my-slip",
    "a planted slip: abar_t instead of abar_{t-1} in the numerator",
    start=computed,
    steps=[Step((1 - alpha_t) * (1 - abar_t) / (1 - abar_t), "a typo a reader would make",
                seed("001", "slide 'Sigma_q(t)'"))],
)

DERIVATIONS = [posterior_variance, slip]
