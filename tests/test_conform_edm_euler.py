"""diffusers 0.42.1's EDMEulerScheduler against Karras et al. 2022: Table 1's preconditioning in
the Euler step, c_in, c_noise and the rho grid with its endpoints."""
from __future__ import annotations

import math

import pytest

pytest.importorskip("diffusers")
import mpmath  # noqa: E402

from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_edm_euler import EDMEulerAdapter  # noqa: E402
from tests.conform_planted_sigma import EDMEulerFloat64  # noqa: E402

EXAMPLES = 8
FAMILY = {"sigma_schedule": "karras", "final_sigmas_type": "zero"}


def test_the_edm_step_contract_is_table_1_by_hand():
    with mpmath.workdps(40):
        s, n, sd, x, f = map(mpmath.mpf, ("3.0", "1.5", "0.5", "2.0", "0.7"))
        d = sd ** 2 / (s ** 2 + sd ** 2) * x + s * sd / mpmath.sqrt(s ** 2 + sd ** 2) * f
        want = x + (n - s) * (x - d) / s
    got = C.get("edm-euler-step-epsilon").evaluate(sigma=3.0, sigma_next=1.5, sigma_data=0.5, x=2.0,
                                                   model_output=0.7)
    assert float(got) == pytest.approx(float(want), rel=1e-14)


def test_real_edm_euler_holds_in_float32_on_the_rho_grid():
    rows = [run.search(get("EDMEulerScheduler"), p, FAMILY, 0, EXAMPLES)
            for p in ("float32", "invariance", "grid", "endpoints")]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


def test_real_edm_euler_casts_a_float64_sample_and_holds_without_the_cast():
    row = run.search(get("EDMEulerScheduler"), "step", FAMILY, 0, EXAMPLES)
    assert row.status == "fails" and row.failure.contract.startswith("edm-euler-step-")
    fixed = run.search(EDMEulerAdapter(EDMEulerFloat64), "step", FAMILY, 0, EXAMPLES)
    assert fixed.status == "holds", fixed.report()


def test_real_edm_initial_noise_is_the_vp_value_not_sigma_max():
    """Algorithm 1 starts from x_0 ~ N(0, sigma_max^2); init_noise_sigma is sqrt(sigma_max^2 + 1)
    (80.00625 for sigma_max = 80: a relative excess of 4.9e-5 in the initial std)."""
    from diffusers import EDMEulerScheduler
    got = float(EDMEulerScheduler(sigma_max=80.0).init_noise_sigma)
    assert got == pytest.approx(math.sqrt(80.0 ** 2 + 1)) and got != 80.0


def test_real_edm_euler_reaches_the_data_law():
    """Property 3 with the exact mixture denoiser handed as the network output F whose
    preconditioned D is E[y | x] (contract edm-f-target)."""
    row = run.sampling_row(get("EDMEulerScheduler"))
    assert row.status == "holds", row.report()
