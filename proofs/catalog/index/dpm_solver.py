"""DPM-Solver and DPM-Solver++: the exact solution of the probability-flow ODE by variation of
constants, the first-order updates, DDIM as both, and the multistep DPM-Solver++(2M) (built in
``dpm_solver.py``).

Lu et al. 2022 (NeurIPS) number Prop. 3.1 (the exact solution) in Sec. 3.1 and DPM-Solver-1 in
Sec. 3.3; Lu et al. 2022b give the data-prediction solution in Sec. 4 and DPM-Solver++(2M) as
Algorithm 2.  The paper numbers its equations by section (the kernel q(x_t | x_0) = N(alpha_t x_0,
sigma_t^2 I) is Eq. 2.1, so named in KAIST CS492(D)'s DPM-Solver assignment); the numbers of the
solution and the updates were not verified, so they are cited by proposition, section and
algorithm.
"""
from __future__ import annotations

from diffproof.derive.source import paper
from diffproof.proofs.catalog.index._papers import LU
from diffproof.proofs.catalog.registry import Entry

LU_PP = "Lu et al. 2022b (DPM-Solver++)"
DDIM = "Song, Meng & Ermon 2021"


def lu(where: str) -> str:
    return f"{LU}, {where}"


def lu_pp(where: str) -> str:
    return f"{LU_PP}, {where}"


DERIVATIONS = (
    Entry("dpm-exact-solution",
          "variation of constants in lambda = log(alpha/sigma): x_t = (alpha_t/alpha_s) x_s - "
          "alpha_t int e^{-lambda} eps_hat dlambda solves the noise-form ODE, x_t = "
          "(sigma_t/sigma_s) x_s + sigma_t int e^{lambda} x_hat dlambda the data-form ODE",
          (paper(lu("Prop. 3.1 (Sec. 3.1)")), paper(lu_pp("Sec. 4")))),
    Entry("dpm-first-order",
          "DPM-Solver-1 x_t = (alpha_t/alpha_s) x_s - sigma_t (e^h - 1) eps_hat and DPM-Solver++(1) "
          "x_t = (sigma_t/sigma_s) x_s - alpha_t (e^{-h} - 1) x_hat: the exact solution with the "
          "prediction frozen; the two agree when x_hat and eps_hat are one prediction",
          (paper(lu("Sec. 3.3")), paper(lu_pp("Sec. 4")))),
    Entry("dpm-ddim",
          "DDIM (eta = 0) is DPM-Solver-1 and DPM-Solver++(1) on DDPM's path alpha = sqrt(abar), "
          "sigma = sqrt(1 - abar)",
          (paper(lu("Sec. 4.1")), paper(lu_pp("Sec. 4")), paper(f"{DDIM}, Eq. 12"))),
    Entry("dpm-solver-pp-2m",
          "DPM-Solver++(2M): D = (1 + 1/(2r)) x0_i - 1/(2r) x0_{i-1}, r = h_prev/h, in the "
          "first-order data-form update; a constant prediction gives the first-order update back; "
          "for x_hat linear in lambda its local error is -alpha_t d h^3/12 + O(h^4)",
          (paper(lu_pp("Algorithm 2 (Sec. 5)")),)),
)
