"""diffusers 0.42.1's EulerAncestralDiscreteScheduler against the ancestral step (the Euler step to
sigma_down plus sigma_up z, the VE chain's posterior), with the scheduler's own noise recovered so
that the check is exact."""
from __future__ import annotations

import pytest

pytest.importorskip("diffusers")
import mpmath  # noqa: E402

from diffproof.numeric.conform import contracts as C  # noqa: E402
from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_euler_ancestral import (  # noqa: E402
    EulerAncestralAdapter)
from tests.conform_planted_sigma import EulerAncestralFloat64  # noqa: E402

EXAMPLES = 8


def test_the_ancestral_contract_against_mpmath():
    """sigma_up, sigma_down as k-diffusion's get_ancestral_step states them, typed in mpmath."""
    with mpmath.workdps(40):
        s, n, x, e, z = map(mpmath.mpf, ("7.5", "2.0", "1.3", "-0.4", "0.8"))
        up = mpmath.sqrt(n ** 2 * (s ** 2 - n ** 2) / s ** 2)
        down = mpmath.sqrt(n ** 2 - up ** 2)
        want = x + (down - s) * e + up * z
    got = C.get("euler-ancestral-step-epsilon").evaluate(sigma=7.5, sigma_next=2.0, x=1.3,
                                                         model_output=-0.4, noise=0.8)
    assert float(got) == pytest.approx(float(want), rel=1e-14)


@pytest.mark.parametrize("spacing", ["leading", "trailing"])
def test_real_ancestral_holds_in_float32_and_on_its_grid(spacing):
    rows = [run.search(get("EulerAncestralDiscreteScheduler"), p, {"timestep_spacing": spacing},
                       0, EXAMPLES) for p in ("float32", "grid", "endpoints")]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


def test_real_ancestral_casts_a_float64_sample_to_float32_and_holds_without_the_cast():
    adapter = get("EulerAncestralDiscreteScheduler")
    row = run.search(adapter, "step", {"timestep_spacing": "leading"}, 0, EXAMPLES)
    assert row.status == "fails" and row.failure.diff > 1e4 * row.failure.budget
    fixed = EulerAncestralAdapter(EulerAncestralFloat64)
    rows = [run.search(fixed, p, {"timestep_spacing": "leading"}, 0, EXAMPLES)
            for p in ("step", "invariance")]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


def test_real_ancestral_sampling_reaches_the_data_law():
    row = run.sampling_row(get("EulerAncestralDiscreteScheduler"))
    assert row.status == "holds", row.report()
