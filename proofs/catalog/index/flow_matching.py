"""Flow matching and rectified flow: Lipman's conditional OT path and its velocity, the velocity <->
score conversion, the conditional flow-matching loss against the flow-matching loss (closed form for
Gaussian data, Monte Carlo for a mixture), and the SD3 / Flux time shift as a log-SNR shift (built
in ``flow_matching.py``).

Lipman et al. 2023 number the OT path Eqs. 20-23 (Sec. 4.1): Eq. 20 mu_t, sigma_t; Eq. 21 the
conditional velocity; Eq. 22 the flow psi_t; Eq. 23 the CFM loss on it (verified: the maintainer of
lebellig/flow-matching, issue 1, names Eqs. 21-22 the OT conditional VF and flow and Eq. 23 the final
loss; public implementations cite Eq. 20 for sigma_min and Eq. 22 for the interpolation).  The
Gaussian-path velocity is Theorem 3 (Eq. 15), the marginal velocity Eq. 8, and CFM = FM up to a
constant Theorem 2 (Eq. 9 the CFM loss).  Esser et al. 2024 give the shift in Sec. 5.3.2 as Eq. 23,
t_m = alpha t_n/(1 + (alpha - 1) t_n), alpha = sqrt(m/n) (so cited by independent implementations
of the resolution-dependent shift).
"""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import LIPMAN, LIU, LU
from diffproof.proofs.catalog.registry import Entry

ESSER = "Esser et al. 2024 (SD3)"
FLUX = "Black Forest Labs, Flux (sampling.time_shift)"


def lipman(where: str) -> str:
    return f"{LIPMAN}, {where}"


def esser(where: str) -> str:
    return f"{ESSER}, {where}"


DERIVATIONS = (
    Entry("fm-ot-path",
          "Lipman's OT path mu_t = t x_1, sigma_t = 1 - (1 - sigma_min) t: the Gaussian-path velocity "
          "sigma'/sigma (x - mu) + mu' is (x_1 - (1 - sigma_min) x)/(1 - (1 - sigma_min) t), along the "
          "flow x_1 - (1 - sigma_min) x_0; sigma_min = 0 is rectified flow with time reversed",
          (paper(lipman("Theorem 3, Eqs. 20-23 (Sec. 4.1)")), paper(f"{LIU}, Sec. 2"))),
    Entry("fm-velocity-score",
          "velocity <-> score on a Gaussian path: u = (alpha'/alpha) z + (alpha' sigma^2/alpha - "
          "sigma sigma') score (= f z - g^2/2 score) and back; rectified flow u = -(z + t score)/(1 - t)",
          (paper(lipman("Sec. 4")), paper(f"{LU}, Sec. 2"), paper(f"{LIU}, Sec. 2"))),
    Entry("fm-cfm-gaussian",
          "Gaussian data N(m, s^2): the marginal velocity E[u_t(z | x_1) | z] in closed form (also "
          "from the marginal score), and the CFM loss minus the FM loss at z is s^2/(s^2 t^2 + "
          "sigma_t^2), free of the model",
          (paper(lipman("Theorem 2 and Eqs. 8-9")),)),
    Entry("mc-cfm-fm",
          "Monte Carlo: J_CFM - J_FM is the closed-form constant for Gaussian data and the same for "
          "two models on a two-component mixture (the marginal velocity from the exact score)",
          (paper(lipman("Theorem 2")),)),
    Entry("fm-time-shift",
          "the SD3 time shift sigma -> s sigma/(1 + (s - 1) sigma) shifts lambda = log((1 - sigma)/"
          "sigma) by -log s; Flux's exponential shift is the same map with s = e^mu",
          (paper(esser("Eq. 23 (Sec. 5.3.2)")), paper(FLUX))),
)
