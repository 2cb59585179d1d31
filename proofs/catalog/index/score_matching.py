"""Seed 001, the score side: EBM scores, score matching, Langevin (built in ``score_matching.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper, seed
from diffproof.proofs.catalog.index._papers import LUO
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

SLIDE_EBM = "slide 'Energy Based Models' (score of p_theta)"
SLIDE_SM = "slide 'Score Based Models' (score matching)"
SLIDE_LANGEVIN = "slide 'Energy Based Models' (MCMC + Langevin dynamics)"

DERIVATIONS = (
    Entry("ebm-score",
          "the score of p_theta = exp(-E_theta)/Z_theta is -grad E_theta: Z_theta drops out",
          (seed("001", SLIDE_EBM), paper(f"{LUO}, Eqs. 152-156"))),
    Entry("score-matching-by-parts",
          "Hyvarinen: E_p[1/2 (grad log p - s)^2] = E_p[1/2 s^2 + s'] + C, C = E_p[1/2 (grad log p)^2]",
          (seed("001", SLIDE_SM), paper(f"{LUO}, Eq. 157"), paper("Hyvarinen 2005, Thm. 1"))),
    Entry("langevin-stationary-variance",
          "Langevin x <- x + c grad log p + sqrt(2c) eps for p = N(m, sigma^2): stationary variance "
          "sigma^2/(1 - c/(2 sigma^2)), -> sigma^2 as c -> 0",
          (seed("001", SLIDE_LANGEVIN), paper(f"{LUO}, Eq. 158"))),
)

ERRATA = (
    ErratumEntry("E001-score-matching-constant",
                 seed("001", SLIDE_SM),
                 "the slide equates E_p[1/2 ||grad log p - s||^2] with E_p[1/2 ||s||^2 + tr(grad s)], "
                 "omitting the constant E_p[1/2 ||grad log p||^2] (harmless for the minimizer, wrong "
                 "as an equality)",
                 correct="score-matching-by-parts",
                 written=(r"E_{x \sim p(x)} \left[\frac{1}{2} \|\nabla_x \log p(x) - s_\theta(x)\|_2^2 \right] ="
                          r" E_{x \sim p(x)} \left[\frac{1}{2} \|s_\theta(x)\|_2^2 + \text{tr}(\nabla_x "
                          r"s_\theta(x)) \right]")),
    ErratumEntry("E001-langevin-noise-scale",
                 seed("001", SLIDE_LANGEVIN),
                 "x^{t+1} = x^t + eta grad log p + omega with omega unspecified Gaussian noise: "
                 "Langevin needs omega = sqrt(2 eta) z; with omega ~ N(0, 1) the stationary variance "
                 "is 1/(1 - (1 - eta/sigma^2)^2) ~ sigma^2/(2 eta), which blows up as eta -> 0 instead "
                 "of tending to sigma^2",
                 correct="langevin-stationary-variance",
                 written=r"x^{t+1} = x^t + \eta \nabla_x \log p_\theta(x) + \omega"),
)
