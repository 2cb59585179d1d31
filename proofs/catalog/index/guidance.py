"""Guidance (classifier, classifier-free, rescale) and zero terminal SNR with v-prediction (built
in ``guidance.py``); an erratum of a library's flow-matching schedule.

Verified numbers: Ho & Salimans Eq. 6 (the brief and the formula; public notes that cite it give
the same number, "the equation of record is Ho & Salimans Eq. (6)"), Dhariwal & Nichol Algorithm 2,
Lin et al. Algorithm 1 (cited so by diffusers' rescale_zero_terminal_snr) and Sec. 3.4 (cited so
by diffusers' rescale_noise_cfg); Luo's guidance equations only as the range 162-169 (the reference
notes give the range with medium confidence).
"""
from __future__ import annotations

from diffproof.derive.source import library, paper
from diffproof.proofs.catalog.index._papers import DHARIWAL, HO_SALIMANS, LIN, luo
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

DERIVATIONS = (
    Entry("guidance-classifier",
          "classifier guidance: the score of p(x_t) p(y | x_t)^s is score + s grad log p(y | x_t); "
          "through the path's score <-> eps conversion, eps - s sigma grad log p(y | x_t) (DDPM: "
          "sigma = sqrt(1 - abar_t)); s = 1 is Bayes' conditional score",
          (paper(f"{DHARIWAL}, Sec. 4 and Algorithm 2"), paper(luo("162-169")))),
    Entry("guidance-cfg",
          "classifier-free guidance: (1 + w) eps_c - w eps_u is eps_u + s (eps_c - eps_u) exactly at "
          "s = 1 + w; its score is score_u + s (score_c - score_u) = grad log p(x) + s grad log "
          "p(c | x); Luo's gamma form",
          (paper(f"{HO_SALIMANS}, Eq. 6"), paper(luo("162-169")))),
    Entry("guidance-rescale",
          "guidance rescale: x_cfg std(x_pos)/std(x_cfg) has the std of x_pos; phi x_rescaled + "
          "(1 - phi) x_cfg has std phi std(x_pos) + (1 - phi) std(x_cfg)",
          (paper(f"{LIN}, Sec. 3.4"),)),
    Entry("zero-snr-rescale",
          "zero terminal SNR: (sqrt(abar_t) - sqrt(abar_T)) sqrt(abar_1)/(sqrt(abar_1) - "
          "sqrt(abar_T)) keeps sqrt(abar_1), sends sqrt(abar_T) to 0 (SNR_T = 0), is increasing and "
          "lowers every sqrt(abar_t) in between",
          (paper(f"{LIN}, Algorithm 1"),)),
    Entry("zero-snr-v-prediction",
          "at SNR = 0 (alpha = 0, sigma = 1): z = eps carries no x, v = -x and x = -v from a "
          "v-prediction, while x = (z - sigma eps)/alpha from an eps-prediction has the singular "
          "point alpha = 0 (dz/dx = alpha vanishes there)",
          (paper(f"{LIN}, Sec. 3"), paper("Salimans & Ho 2022, Sec. 4"))),
)

ERRATA = (
    ErratumEntry("diffusers-flow-shift-twice",
                 library("huggingface/diffusers", "issue", 13243,
                         "src/diffusers/schedulers/scheduling_flow_match_euler_discrete.py"),
                 "FlowMatchEulerDiscreteScheduler stores sigma_min after the shift "
                 "S(s) = k s/(1 + (k - 1) s) and set_timesteps applies S again to the linspace "
                 "between the stored ends: set_timesteps(N) ends at S(S(1/N)), not at the S(1/N) "
                 "of the schedule __init__ computed (the shift is applied twice)",
                 written=(r"\sigma_{\min} = S(1/N),\ \sigma'_{N} = S(\sigma_{\min}),\ "
                          r"S(s) = \frac{k s}{1 + (k - 1) s}")),
)
