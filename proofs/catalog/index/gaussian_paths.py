"""Gaussian paths z_t = alpha_t x + sigma_t eps: one form for VE, VP, sub-VP, DDPM, EDM and flow
matching (built in ``gaussian_paths.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import HO, KARRAS, KINGMA, LIPMAN, LIU, LU, SALIMANS, song
from diffproof.proofs.catalog.registry import Entry

DERIVATIONS = (
    Entry("path-sde-coefficients",
          "z_t = alpha x + sigma eps as an SDE: f = d log alpha/dt, g^2 = d sigma^2/dt - 2 f sigma^2 "
          "= -2 sigma^2 d lambda/dt, and the kernel N(alpha x, sigma^2) solves its moment ODEs",
          (paper(f"{KINGMA}, Sec. 2 and appendix"), paper(f"{LU}, Eq. 2.1 and Sec. 2"))),
    Entry("path-sde-ve-vp-subvp",
          "the paths of the VE, VP and sub-VP kernels give back their f(t) and g(t)^2",
          (paper(f"{LU}, Sec. 2"), paper(song("29-33")))),
    Entry("path-log-snr",
          "lambda = log(alpha/sigma): d lambda/dt = (d SNR/dt)/(2 SNR), one sign with d SNR/dt, so "
          "lambda decreases strictly exactly when SNR does; DDPM's SNR = abar/(1 - abar)",
          (paper(f"{KINGMA}, Sec. 2"), paper(f"{LU}, Sec. 3"))),
    Entry("path-prediction-conversions",
          "x, eps, score, v = alpha eps - sigma x and the velocity alpha' x + sigma' eps, each solved "
          "from the others and z; VP: x = alpha z - sigma v, eps = sigma z + alpha v",
          (paper(f"{SALIMANS}, Sec. 4"), paper(f"{KINGMA}, Sec. 2"), paper(f"{HO}, Eq. 4"))),
    Entry("path-loss-weights",
          "squared errors of the predictions in x-units: eps by SNR, v by (alpha^2 + sigma^2)^2/sigma^2 "
          "(VP: SNR + 1), score by SNR/sigma^2, velocity by (alpha' - alpha sigma'/sigma)^2",
          (paper(f"{SALIMANS}, Sec. 4"), paper(f"{KINGMA}, Sec. 2"))),
    Entry("path-probability-flow",
          "the probability-flow ODE with the path's f and g^2 and the score -eps/sigma is the path "
          "velocity alpha' x + sigma' eps; its eps, x, v and velocity forms",
          (paper(song("13")), paper(f"{LU}, Sec. 2"))),
    Entry("path-edm",
          "EDM's alpha = s(t), sigma = s(t) sigma(t): f = s'/s, g^2 = 2 s^2 sigma sigma', the ODE "
          "s'/s x - s^2 sigma' sigma score, SNR = 1/sigma^2",
          (paper(f"{KARRAS}, Sec. 2"), paper(song("13")))),
    Entry("path-flow-matching",
          "alpha = 1 - t, sigma = t: velocity eps - x, f = -1/(1 - t), g^2 = 2t/(1 - t), the "
          "probability-flow ODE is the flow, the SDE's kernel is (1 - t, t^2), lambda strictly decreasing",
          (paper(f"{LIU}, Sec. 2"), paper(f"{LIPMAN}, Sec. 4.1"), paper(song("13")))),
)
