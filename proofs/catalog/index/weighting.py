"""Loss weightings: Min-SNR-gamma carried to the eps and v losses, the continuous-time VDM loss
as an integral over the SNR (built in ``weighting.py``); an erratum of a library's Min-SNR weight.

Hang et al.'s eps and v forms are cited by the appendix that derives them (as the public
discussion of the paper cites it, Appendix B); VDM by its section, 5.
"""
from __future__ import annotations

from diffproof.derive.source import library, paper
from diffproof.proofs.catalog.index._papers import HANG, KINGMA
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

DERIVATIONS = (
    Entry("weight-min-snr",
          "Min-SNR-gamma: the x-loss weight min(SNR, gamma) is the eps-loss weight "
          "min(SNR, gamma)/SNR and the v-loss weight min(SNR, gamma)/(SNR + 1) (VP), computed from "
          "the path's squared-error identities",
          (paper(f"{HANG}, Appendix B"), paper(f"{KINGMA}, Sec. 2"))),
    Entry("weight-vdm-continuous",
          "the continuous-time VDM loss -1/2 int_0^1 SNR'(t) ||x - x_hat||^2 dt is 1/2 "
          "int_{SNR_min}^{SNR_max} ||x - x_hat(z_v, v)||^2 dv for any schedule SNR(t): dv = "
          "SNR'(t) dt; the loss depends on the schedule only through its ends",
          (paper(f"{KINGMA}, Sec. 5"),)),
)

ERRATA = (
    ErratumEntry("diffusers-min-snr-v",
                 library("huggingface/diffusers", "PR", 6307,
                         "examples/text_to_image/train_text_to_image.py"),
                 "for v-prediction the training examples added 1 to the SNR before the Min-SNR "
                 "weight (diffusers PR 5238, reported in issue 5654): min(SNR + 1, gamma)/(SNR + 1); "
                 "with ||v - v_hat||^2 = (SNR + 1) ||x - x_hat||^2 the weight that gives "
                 "min(SNR, gamma) ||x - x_hat||^2 is min(SNR, gamma)/(SNR + 1) (fixed in PR 6307)",
                 correct="weight-min-snr",
                 written=r"w_t = \frac{\min(\mathrm{SNR} + 1, \gamma)}{\mathrm{SNR} + 1}"),
)
