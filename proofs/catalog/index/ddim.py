"""DDIM: the generalized posterior, its marginal, the update, sigma_t(eta) and the ODE form (built
in ``ddim.py``).

Song, Meng & Ermon 2021 write alpha_t for DDPM's abar_t; the catalog keeps DDPM's notation.
Equations 7, 9, 12 and 16 are numbered as in the paper (Eqs. 12 and 16 as diffusers'
scheduling_ddim.py cites them); the ODE form is cited by its section, 4.3.
"""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import HO
from diffproof.proofs.catalog.registry import Entry

DDIM = "Song, Meng & Ermon 2021"


def ddim(where: str) -> str:
    """A place in the DDIM paper: ``ddim("Eq. 7")``, ``ddim("Sec. 4.3")``."""
    return f"{DDIM}, {where}"


DERIVATIONS = (
    Entry("ddim-marginal",
          "Lemma 1: q_sigma(x_{t-1} | x_t, x_0) with q(x_t | x_0) gives q(x_{t-1} | x_0) = "
          "N(sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}) for every sigma_t^2 in [0, 1 - abar_{t-1}]",
          (paper(ddim("Eq. 7 and Lemma 1 (Sec. 3.1)")),)),
    Entry("ddim-update",
          "the x_0 estimate f_theta(x_t) and the DDIM update: the posterior mean at the estimate "
          "plus sigma_t z",
          (paper(ddim("Eqs. 9, 10 and 12")),)),
    Entry("ddim-sigma-eta",
          "sigma_t(eta)^2 = eta^2 beta-tilde_t, and sigma_t(eta)^2 <= 1 - abar_{t-1} for eta in "
          "[0, 1]",
          (paper(ddim("Eq. 16")), paper(f"{HO}, Eq. 7"))),
    Entry("ddim-eta1-ddpm",
          "eta = 1: q_sigma is DDPM's posterior and the DDIM mean is DDPM's model mean",
          (paper(ddim("Eqs. 7, 12 and 16")), paper(f"{HO}, Eqs. 7 and 11"))),
    Entry("ddim-deterministic",
          "eta = 0: the deterministic DDIM update in x_t and eps_theta",
          (paper(ddim("Eq. 12 with sigma_t = 0 (Sec. 4.1)")),)),
    Entry("ddim-ode-euler",
          "the deterministic update is one Euler step in sigma-bar of d x-bar = eps_theta "
          "d sigma-bar",
          (paper(ddim("Sec. 4.3")),)),
)
