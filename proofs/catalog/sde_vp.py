"""The variance-preserving and sub-VP SDEs (Song et al. 2021 Eqs. 22-33) and DDPM as their limit.

The kernels are computed from f and g by derive.sde and checked against the moment ODEs; the closed
forms Song et al. print (Eqs. 29, 32-33) are claims compared with them.  DDPM's
prod(1 - beta_i) -> exp(-int beta) is proved by a closed-form Riemann sum, its limit, and a
remainder bound proved by the inequality prover.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.derivation import Step
from diffproof.derive.source import paper
from diffproof.derive.discrete import ddpm_alphabar_limit, ddpm_linear_beta, ddpm_log_alphabar_first_order
from diffproof.derive.sde import SUBVP, VP
from diffproof.derive.symbols import T, beta_max, beta_min, dt, s, t, w
from diffproof.numeric import sde_sim
from diffproof.proofs.catalog.index._papers import HO, song as _song
from diffproof.proofs.catalog.registry import builds


def _ode_steps(sde, eq: str) -> list[Step]:
    residuals = sde.moment_ode_residuals()
    source = paper(f"Saerkkae & Solin 2019, Eqs. 5.50-5.51; {_song(eq)}")
    return [Step(sp.Integer(0), f"{sde.name}: {name} (residual of the computed kernel)", source,
                 lhs=residual) for name, residual in residuals.items()]


@builds("vp-sde-from-ddpm")
def vp_from_ddpm(entry):
    return entry.derivation(
        steps=[
            Step(VP.f(t), "the mean coefficient sqrt(1 - beta dt) = 1 + f dt + O(dt^2): f = -beta/2",
                 paper(_song("23")), lhs=sp.diff(sp.sqrt(1 - VP.beta(t) * dt), dt).subs(dt, 0)),
            Step(VP.g(t) ** 2, "the noise variance per unit time beta_i/dt = beta(t) = g^2",
                 paper(_song("24")), lhs=VP.beta(t) * dt / dt),
        ],
    )


@builds("vp-kernel")
def vp_kernel(entry):
    B = VP.integrated_beta()          # int_0^t beta, computed
    return entry.derivation(
        steps=_ode_steps(VP, "26") + [
            Step(sp.exp(-B / 2), "mean scale s(t) = exp(-1/2 int_0^t beta)", paper(_song("29")),
                 lhs=VP.scale),
            Step(1 - sp.exp(-B), "variance 1 - exp(-int_0^t beta)", paper(_song("29")),
                 lhs=VP.kernel_variance),
            Step(sp.exp(-t ** 2 * (beta_max - beta_min) / 4 - t * beta_min / 2),
                 "linear beta: the mean coefficient as Song et al. print it", paper(_song("32-33")),
                 lhs=VP.scale),
            Step(1 - sp.exp(-t ** 2 * (beta_max - beta_min) / 2 - t * beta_min),
                 "linear beta: the variance as Song et al. print it", paper(_song("32-33")),
                 lhs=VP.kernel_variance),
            Step(sp.Integer(0), "the marginal variance obeys dSigma/dt = beta(t)(1 - Sigma) for any "
                 "data variance s^2", paper(_song("25-26")),
                 lhs=sp.diff(VP.marginal_variance(s ** 2), t)
                 - VP.beta(t) * (1 - VP.marginal_variance(s ** 2))),
            Step(sp.Integer(1), "variance preserving: unit-variance data keep unit variance",
                 paper(_song("25-26")), lhs=VP.marginal_variance(1)),
        ],
    )


@builds("subvp-kernel")
def subvp_kernel(entry):
    B = VP.integrated_beta()
    return entry.derivation(
        steps=_ode_steps(SUBVP, "27-28") + [
            Step(sp.exp(-B / 2), "mean scale as for VP", paper(_song("29")), lhs=SUBVP.scale),
            Step((1 - sp.exp(-B)) ** 2, "variance (1 - exp(-int_0^t beta))^2", paper(_song("29")),
                 lhs=SUBVP.kernel_variance),
            Step(sp.Integer(0), "int_0^t beta >= 0, so a = exp(-int_0^t beta) lies in (0, 1]",
                 paper(_song("29")), lhs=B, relation=">="),
            Step((1 - w) ** 2, "sub-VP variance (1 - a)^2 <= VP variance 1 - a for a = w in (0, 1) "
                 "(hence 'sub')", paper(_song("29")), lhs=1 - w, relation=">="),
        ],
    )


# ----------------------------------------------------------------------------------------------
i_step = sp.Symbol("i", positive=True)


@builds("ddpm-vp-limit")
def ddpm_limit(entry):
    return entry.derivation(
        conditions=("beta_i = beta(i/N)/N with linear beta(t) (Ho et al.: beta_1 = 1e-4, beta_N = "
                    "0.02, N = 1000 is beta_min = 0.1, beta_max = 20 in this scaling)",
                    "log(1 - x) = -x - r(x) with 0 <= r(x) <= x^2/(1 - x) for 0 < x < 1"),
        steps=[
            Step(VP.beta((i_step - 1) / (T - 1)), "Ho et al.'s linear schedule is N beta_i = "
                 "beta(t_i) at t_i = (i - 1)/(N - 1)", paper(f"{HO}, Sec. 4; {_song('22')}"),
                 lhs=T * ddpm_linear_beta(i_step, T, beta_min / T, beta_max / T)),
            Step(-(beta_min + beta_max) / 2 - (beta_max - beta_min) / (2 * T),
                 "the first-order term -sum_i beta(i/N)/N in closed form (sympy summation)",
                 paper(_song("22-24")), lhs=ddpm_log_alphabar_first_order(T)),
            Step(sp.Integer(0), "the remainder r(x) = -log(1 - x) - x is >= 0 on 0 < x < 1",
                 paper("Taylor remainder"), lhs=-sp.log(1 - w) - w, relation=">="),
            Step(-sp.log(1 - w) - w, "... and at most x^2/(1 - x)", paper("Taylor remainder"),
                 lhs=w ** 2 / (1 - w), relation=">="),
            Step(sp.Integer(0), "the summed remainder, at most N (beta_max/N)^2/(1 - beta_max/N), "
                 "vanishes as N -> infinity", paper(_song("22-24")),
                 lhs=sp.limit(T * (beta_max / T) ** 2 / (1 - beta_max / T), T, sp.oo)),
            Step(VP.scale.subs(t, 1) ** 2, "so abar_N -> exp(-int_0^1 beta) = s(1)^2, the VP kernel's "
                 "squared mean coefficient", paper(_song("29")), lhs=ddpm_alphabar_limit()),
        ],
    )


# ----------------------------------------------------------------------------------------------
@builds("vp-euler-maruyama-simulation")
def vp_simulation(entry):
    fwd = sde_sim.forward_kernel_checks(VP, sde_sim.VP_PARAMS)
    rev_mc, rev_bound, _ = sde_sim.reverse_sampler_checks(VP, sde_sim.VP_PARAMS)
    return entry.derivation(
        conditions=sde_sim.simulation_conditions(sde_sim.VP_PARAMS),
        steps=[
            Step(None, "forward Euler-Maruyama paths have the chain's mean and variance",
                 paper(_song("29")), checks=[fwd[0]]),
            Step(None, "the chain's law is within 2% of the kernel", paper(_song("29, 32-33")),
                 checks=[fwd[1]]),
            Step(None, "reverse Euler-Maruyama from the exact p_1 with the exact score: paths have the "
                 "chain's law", paper(_song("6")), checks=[rev_mc]),
            Step(None, "... and the chain's law is within 2% of the data law N(m, s^2)",
                 paper(_song("6")),
                 checks=[rev_bound]),
        ],
    )
