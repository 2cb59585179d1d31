"""numeric.sde_sim: the exact Euler-Maruyama recursions, the simulation checks and their power.

Every Monte Carlo check runs at false-fail rate 1e-6 with power 0.999 against 5% errors
(numeric.sde_sim.PROCESS_MC); seeds are fixed.  Planted errors: a diffusion 10% too large, a VE
sampler started from N(0, 1)."""
import dataclasses

import numpy as np
import pytest

from diffproof.derive.verdict import FAILS, HOLDS
from diffproof.derive.sde import VE, VP
from diffproof.numeric import sde_sim
from diffproof.numeric.sde_sim import Coefficients


def test_forward_recursion_is_the_left_riemann_sum_for_ve():
    c = Coefficients.of(VE, sde_sim.VE_PARAMS)
    steps = 50
    times = np.arange(steps) / steps
    riemann = sum(c.g(tk) ** 2 for tk in times) / steps
    mean, var = sde_sim.forward_em_moments(c, 3.0, 1.0, steps)
    assert mean == 3.0 and var == pytest.approx(riemann, rel=1e-12)


@pytest.mark.parametrize("sde, params", [(VE, sde_sim.VE_PARAMS), (VP, sde_sim.VP_PARAMS)])
def test_discretization_error_is_first_order(sde, params):
    c = Coefficients.of(sde, params)
    exact = c.kernel_variance(1.0)
    errors = [abs(sde_sim.forward_em_moments(c, 1.0, 1.0, n)[1] - exact) for n in (200, 400, 800)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[0] / errors[2] == pytest.approx(4.0, rel=0.1)


@pytest.mark.parametrize("sde, params", [(VE, sde_sim.VE_PARAMS), (VP, sde_sim.VP_PARAMS)])
def test_forward_checks_hold(sde, params):
    for check in sde_sim.forward_kernel_checks(sde, params, n_steps=200, bound=0.04):
        assert check.run(1).status == HOLDS


def test_forward_check_detects_a_diffusion_ten_percent_too_large():
    c = Coefficients.of(VE, sde_sim.VE_PARAMS)
    wrong = dataclasses.replace(c, g=lambda time: 1.1 * c.g(time))
    mean, var = sde_sim.forward_em_moments(c, 2.0, 1.0, 200)
    check = sde_sim.moment_check("planted", lambda rng, k: sde_sim.forward_paths(wrong, 2.0, 1.0, 200, k, rng),
                                 mean, var, {})
    assert check.run(0).status == FAILS


def test_reverse_sampler_from_the_exact_prior_holds_and_from_unit_prior_fails():
    good = sde_sim.reverse_sampler_checks(VE, sde_sim.VE_PARAMS, n_steps=200, bound=0.03)
    assert good[0].run(2).status == HOLDS and good[1].run(2).status == HOLDS
    bad = sde_sim.reverse_sampler_checks(VE, sde_sim.VE_PARAMS, prior=(0.0, 1.0), n_steps=200,
                                         against="data")
    assert bad[0].run(2).status == FAILS
    mean, var = bad[2]
    assert var < 0.9 * sde_sim.DATA_STD ** 2           # the chain's own law is far from the data


def test_bad_input_is_rejected():
    c = Coefficients.of(VE, sde_sim.VE_PARAMS)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_steps"):
        sde_sim.forward_paths(c, 0.0, 1.0, 0, 10, rng)
    with pytest.raises(ValueError, match="t_end"):
        sde_sim.forward_em_moments(c, 0.0, 1.5, 10)
    with pytest.raises(ValueError, match="prior variance"):
        sde_sim.reverse_paths(c, lambda x, t: x, 0.0, -1.0, 10, 10, rng)
    with pytest.raises(ValueError, match="against"):
        sde_sim.reverse_sampler_checks(VE, sde_sim.VE_PARAMS, against="nothing")
    with pytest.raises(ValueError, match="parameters missing"):
        Coefficients.of(VE, {})
