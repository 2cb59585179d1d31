"""derive.sde and derive.discrete: kernels against an independent ODE solve, the SMLD limit, the sigma(0) convention,
the Fokker-Planck residuals (zero for the right drifts, non-zero for planted wrong ones), DDPM."""
import math

import numpy as np
import pytest
import sympy as sp

from diffproof.derive.discrete import ddpm_alphabar_limit, ddpm_log_alphabar_first_order
from diffproof.derive.decide.zero import is_zero
from diffproof.derive.sde import SUBVP, VE, VP, LinearSDE, gaussian_fokker_planck_residual
from diffproof.derive.symbols import beta_max, beta_min, f_t, g_t, score, sigma_max, sigma_min, t, x


@pytest.mark.parametrize("sde", [VE, VP])
def test_kernel_variance_equals_dsolve_solution(sde):
    assert is_zero(sde.solve_variance_ode() - sde.kernel_variance, budget=5)[0]


@pytest.mark.parametrize("sde", [VE, VP, SUBVP])
def test_kernel_solves_the_moment_odes(sde):
    for name, residual in sde.moment_ode_residuals().items():
        assert is_zero(residual, budget=5)[0], name


def test_moment_ode_detects_a_wrong_variance():
    wrong = VE.kernel_variance + sigma_min ** 2          # the code's sigma(t)^2
    assert wrong.subs(t, 0) != 0                          # violates var(0) = 0
    residual = sp.diff(wrong, t) - VE.g(t) ** 2
    assert is_zero(residual)[0]                           # ...though it has the right derivative


def test_smld_limit_is_g_squared_and_sigma_at_zero_is_sigma_min():
    assert is_zero(VE.smld_limit_g_squared() - VE.g(t) ** 2)[0]
    assert VE.sigma_at_zero() == sigma_min


def test_variance_relative_error_values():
    rel = sp.lambdify((t, sigma_min, sigma_max), VE.variance_relative_error())
    # Song et al.'s CIFAR-10 settings: sigma_min = 0.01, sigma_max = 50
    assert rel(1.0, 0.01, 50.0) == pytest.approx(0.01 ** 2 / (50.0 ** 2 - 0.01 ** 2), rel=1e-12)
    assert rel(1e-5, 0.01, 50.0) > 5000                    # near the sampling floor t = 1e-5
    values = [rel(tt, 0.01, 50.0) for tt in (0.01, 0.1, 0.5, 1.0)]
    assert values == sorted(values, reverse=True)


def test_fokker_planck_residuals():
    assert gaussian_fokker_planck_residual(f_t * x, 1) == 0
    assert gaussian_fokker_planck_residual(f_t * x - g_t ** 2 * score, -1) == 0
    assert gaussian_fokker_planck_residual(f_t * x - g_t ** 2 * score / 2, 0) == 0
    # planted errors: seed 002's drift without x, a reverse drift with the wrong score factor,
    # the ODE with the full g^2
    assert gaussian_fokker_planck_residual(f_t - g_t ** 2 * score, -1) != 0
    assert gaussian_fokker_planck_residual(f_t * x - g_t ** 2 * score / 2, -1) != 0
    assert gaussian_fokker_planck_residual(f_t * x - g_t ** 2 * score, 0) != 0


class _GenericSDE(LinearSDE):
    """f and g left as the symbols f_t, g_t of the Fokker-Planck check."""

    def f(self, time=t):
        return f_t

    def g(self, time=t):
        return g_t


def test_reverse_and_flow_drifts_have_the_forward_marginals():
    """The methods themselves (not a retyped formula) against the Fokker-Planck equation: the
    reverse SDE run backwards (sign -1) and the probability-flow ODE (sign 0) have p_t."""
    generic = _GenericSDE()
    assert gaussian_fokker_planck_residual(generic.reverse_drift(x, score), -1) == 0
    assert gaussian_fokker_planck_residual(generic.probability_flow_drift(x, score), 0) == 0
    assert gaussian_fokker_planck_residual(generic.reverse_drift(x, score), 0) != 0


@pytest.mark.parametrize("sde", [VE, VP, SUBVP])
def test_each_sde_uses_its_own_f_and_g_in_the_drifts(sde):
    generic = _GenericSDE()
    values = {f_t: sde.f(t), g_t: sde.g(t)}
    for method in ("reverse_drift", "probability_flow_drift"):
        expected = getattr(generic, method)(x, score).xreplace(values)
        assert sp.simplify(getattr(sde, method)(x, score) - expected) == 0, method


def test_ddpm_product_converges_to_the_vp_mean_coefficient():
    n = sp.Symbol("n", positive=True, integer=True)
    first = sp.lambdify((n, beta_min, beta_max), ddpm_log_alphabar_first_order(n))
    limit = sp.lambdify((beta_min, beta_max), ddpm_alphabar_limit())
    bmin, bmax = 0.1, 20.0
    for steps in (1000, 10000):
        betas = (bmin + np.arange(1, steps + 1) / steps * (bmax - bmin)) / steps
        log_product = float(np.sum(np.log1p(-betas)))
        assert first(steps, bmin, bmax) == pytest.approx(-float(betas.sum()), rel=1e-12)
        remainder = float(np.sum(betas ** 2 / (1 - betas)))          # the proved bound
        assert 0 <= -betas.sum() - log_product <= remainder
    assert limit(bmin, bmax) == pytest.approx(math.exp(-(bmin + bmax) / 2), rel=1e-12)
