"""EDM (Karras et al. 2022): the ODE with a denoiser's score, the optimal denoiser of Gaussian
data, the preconditioning of Table 1 derived from App. B.6, Table 1's VP / VE / iDDPM columns, the
rho-schedule, Heun's step and the churn (built in ``edm.py``).

Verified numbers: Eq. 5 (the rho-schedule), Table 1 (its columns, as NVlabs/edm's generate.py and
training/loss.py implement them), Algorithm 2 (the stochastic sampler, so named in NVlabs/edm's
generate.py) and Eqs. 2-3, the denoising loss and the score (D - x)/sigma^2 of its minimizer (so
named in NVlabs/edm issue 26, "Denoising score matching (Eq.2 and Eq.3)").  The ODE (Eq. 1, Eq. 4
with the scaling s(t), not verified) is cited by its section, 2; Algorithm 1 by its section, 3.
"""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import KARRAS, song
from diffproof.proofs.catalog.registry import Entry


def karras(where: str) -> str:
    """A place in the EDM paper: ``karras("Eq. 5")``, ``karras("App. B.6")``."""
    return f"{KARRAS}, {where}"


DERIVATIONS = (
    Entry("edm-ode-denoiser",
          "the ODE of Sec. 2 as the path's probability flow, the score (D - x)/sigma^2 of a "
          "denoiser, and the ODE in D",
          (paper(karras("Sec. 2 and Eq. 3")), paper(song("13")))),
    Entry("edm-gaussian-denoiser",
          "Gaussian data: the optimal denoiser and its score (D - x)/sigma^2 = grad log "
          "p(x; sigma); for data of standard deviation sigma_data it is c_skip x, so the ideal F_theta is 0",
          (paper(karras("Eqs. 2-3 (Sec. 2)")),)),
    Entry("edm-preconditioning",
          "c_skip, c_out, c_in, lambda derived from unit input and target variance, c_skip "
          "minimizing c_out, lambda c_out^2 = 1: Table 1's EDM column",
          (paper(karras("Table 1, Sec. 5 and App. B.6")),)),
    Entry("edm-table1-columns",
          "Table 1's VP, VE and iDDPM columns: VP's sigma(t), s(t) are derive.sde's VP kernel, "
          "their paths give Song's f and g^2; VP/VE preconditioning as eps and score predictions",
          (paper(karras("Table 1")), paper(song("30-33")))),
    Entry("edm-rho-schedule",
          "sigma_i = (sigma_max^(1/rho) + i/(N-1)(sigma_min^(1/rho) - sigma_max^(1/rho)))^rho: "
          "endpoints sigma_max and sigma_min, decreasing, uniform at rho = 1",
          (paper(karras("Eq. 5")),)),
    Entry("edm-heun",
          "Heun's step (Algorithm 1) in a denoiser's terms; for Gaussian data it matches the "
          "exact flow through h^2 (local error O(h^3)), Euler only through h",
          (paper(karras("Algorithm 1 (Sec. 3)")),)),
    Entry("edm-churn",
          "Algorithm 2's churn: sigma_hat = sigma (1 + gamma), noise of variance sigma_hat^2 - "
          "sigma^2 takes N(y, sigma^2) to N(y, sigma_hat^2), at most doubling it for gamma <= "
          "sqrt(2) - 1",
          (paper(karras("Algorithm 2 (Sec. 4)")),)),
)
