"""The variance-preserving and sub-VP SDEs and DDPM as their limit (built in ``sde_vp.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import HO, song
from diffproof.proofs.catalog.registry import Entry

DERIVATIONS = (
    Entry("vp-sde-from-ddpm",
          "DDPM's x_i = sqrt(1 - beta_i) x_{i-1} + sqrt(beta_i) z with beta_i = beta(t) dt becomes "
          "dx = -beta x/2 dt + sqrt(beta) dw",
          (paper(song("22-24")), paper(f"{HO}, Eq. 2"))),
    Entry("vp-kernel",
          "the VP kernel N(x(0) e^{-int beta/2}, 1 - e^{-int beta}) and its linear-beta closed form",
          (paper(song("25-26, 29, 32-33")),)),
    Entry("subvp-kernel",
          "the sub-VP kernel: VP's mean, variance (1 - e^{-int beta})^2, never above VP's",
          (paper(song("27-29")),)),
    Entry("ddpm-vp-limit",
          "DDPM's abar_N = prod (1 - beta_i) tends to exp(-int_0^1 beta) as N -> infinity",
          (paper(song("22-24")), paper(f"{HO}, Sec. 4"))),
    Entry("vp-euler-maruyama-simulation",
          "VP by simulation: Euler-Maruyama paths reproduce the kernel; the reverse SDE from the exact "
          "prior with the exact score of Gaussian data returns the data law",
          (paper(song("6, 29, 32-33")),)),
)
