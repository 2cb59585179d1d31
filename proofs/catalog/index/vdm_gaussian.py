"""The Gaussian core of variational diffusion models (built in ``vdm_gaussian.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper, seed
from diffproof.proofs.catalog.index._papers import luo
from diffproof.proofs.catalog.registry import Entry

DERIVATIONS = (
    Entry("vdm-forward-marginal",
          "q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) by induction on t",
          (seed("001", "slide 'q(x_t|x_0)'"), paper(luo("61-70")))),
    Entry("vdm-posterior",
          "the posterior q(x_{t-1} | x_t, x_0) by Bayes' rule and completing the square",
          (seed("001", "slide 'q(x_{t-1}|x_t,x_0)' (mu_q, Sigma_q)"), paper(luo("71-84")))),
    Entry("ddpm-posterior",
          "the posterior in DDPM's beta notation: mu-tilde_t and beta-tilde_t",
          (paper("Ho et al. 2020, Eqs. 6-7"),)),
    Entry("gaussian-kl",
          "the KL divergence between Gaussians and its equal-variance form",
          (paper(luo("86-92")),)),
    Entry("vdm-x0-parametrization",
          "predicting x_0: the KL term is a weighted squared error on x_0",
          (seed("001", "slide 'mu_theta(x_t, t)' with x-hat"), paper(luo("93-99")))),
    Entry("vdm-snr-weight",
          "the x_0 loss weight is 1/2 (SNR(t-1) - SNR(t)); SNR = exp(-omega) gives abar = "
          "sigmoid(-omega)",
          (paper(luo("100-114")),)),
    Entry("vdm-noise-parametrization",
          "predicting the noise: mu_q in terms of eps_0 and the noise loss weight",
          (seed("001", "slide 'noise estimation'"), paper(luo("115-130")),
           paper("Ho et al. 2020, Eqs. 11-12"))),
    Entry("vdm-score-parametrization",
          "predicting the score: Tweedie's x_0 substituted into mu_q, and the score loss weight",
          (seed("001", "slides 'score estimation' (Tweedie)"), paper(luo("131-148")))),
    Entry("tweedie-gaussian-data",
          "Tweedie's formula E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t), exact "
          "for Gaussian data",
          (seed("001", "slide 'Tweedie's formula'"), paper(luo("131-133")))),
    Entry("conditional-score-noise",
          "the conditional score grad log q(x_t | x_0) = -eps_0 / sqrt(1 - abar_t)",
          (seed("001", "slide 'grad log p(x_t) = -eps_0 / sqrt(1 - abar_t)'"), paper(luo("149-151")))),
)
