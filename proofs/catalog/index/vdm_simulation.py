"""Expectation identities of variational diffusion models, checked by simulation (built in
``vdm_simulation.py``); the errata are seed 001's pointwise readings of Tweedie and the score.
"""
from __future__ import annotations

from diffproof.derive.source import paper, seed
from diffproof.proofs.catalog.index._papers import LUO
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

DERIVATIONS = (
    Entry("mc-forward-chain",
          "q(x_t | x_0) = N(sqrt(abar_t) x_0, 1 - abar_t) by simulating x_t = sqrt(alpha_t) x_{t-1} + "
          "sqrt(1 - alpha_t) eps step by step",
          (seed("001", "slide 'q(x_t|x_0)'"), paper(f"{LUO} Eqs. 61-70"))),
    Entry("mc-posterior",
          "the posterior q(x_{t-1} | x_t, x_0) = N(mu_q, Sigma_q) by simulating (x_0, x_{t-1}, x_t)",
          (seed("001", "slide 'q(x_{t-1}|x_t,x_0)'"), paper(f"{LUO} Eq. 84"))),
    Entry("mc-tweedie",
          "Tweedie's formula E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t) by "
          "simulation, for Gaussian and Gaussian-mixture data",
          (seed("001", "slide 'Tweedie's formula'"), paper(f"{LUO} Eqs. 131-133"))),
    Entry("mc-marginal-score",
          "the marginal score is the conditional mean of the noise: grad log p(x_t) = "
          "-E[eps_0 | x_t] / sqrt(1 - abar_t)",
          (seed("001", "slide 'grad log p(x_t) = -eps_0 / sqrt(1 - abar_t)'"),
           paper(f"{LUO} Eq. 151"))),
    Entry("mc-dsm-esm",
          "denoising score matching equals explicit score matching up to a constant free of the model",
          (seed("001", "slide 'score matching'"), paper("Vincent 2011, Eq. 11 and Appendix"))),
)

# seed 001 states Tweedie and the score pointwise
ERRATA = (
    ErratumEntry("tweedie-pointwise", seed("001", "slide 'Tweedie's formula'"),
                 "Tweedie's formula is stated for the sample x_0; it holds for E[x_0 | x_t] only",
                 correct="mc-tweedie",
                 written=(r"\sqrt{\bar{\alpha}_t} \mathbf{x}_0 = \mathbf{x}_t + (1 - \bar{\alpha}_t) \nabla \log"
                          r" p(\mathbf{x}_t)")),
    ErratumEntry("marginal-score-pointwise",
                 seed("001", "slide 'grad log p(x_t) = -eps_0 / sqrt(1 - abar_t)'"),
                 "the marginal score equals -E[eps_0 | x_t] / sqrt(1 - abar_t), not -eps_0 / sqrt(1 - "
                 "abar_t) (that is the conditional score of q(x_t | x_0))",
                 correct="mc-marginal-score",
                 written=r"\nabla \log p(\mathbf{x}_t) = -\frac{1}{\sqrt{1 - \bar{\alpha}_t}} \epsilon_0"),
)
