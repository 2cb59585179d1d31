"""add_noise of diffusers 0.42.1's schedulers against the forward noising of their path (the
add_noise property), and two planted bugs, each caught with a readable report.  Skipped when
diffusers is not installed."""
from __future__ import annotations

import pytest

pytest.importorskip("diffusers")
import diffusers  # noqa: E402

from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_ddpm import DDPMAdapter  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_euler import EulerAdapter  # noqa: E402

EXAMPLES = 10


class DDPMNoiseByVariance(diffusers.DDPMScheduler):
    """Planted: the noise weighted by the variance 1 - abar_t instead of its square root (diffusers'
    own add_noise, given the noise pre-scaled)."""

    def add_noise(self, original_samples, noise, timesteps):
        std = (1 - self.alphas_cumprod.to(noise.dtype)[timesteps]) ** 0.5
        return super().add_noise(original_samples, noise * std.reshape(-1, *[1] * (noise.ndim - 1)),
                                 timesteps)


class _NextLevel:
    """Planted: add_noise (flow: scale_noise) reads the level one step further along the grid."""

    def _one_further(self, method, *args):
        begin = self.begin_index
        self.set_begin_index((begin or 0) + 1)
        try:
            return method(*args)
        finally:
            self.set_begin_index(begin)


class EulerNoiseAtNextLevel(_NextLevel, diffusers.EulerDiscreteScheduler):
    def add_noise(self, original_samples, noise, timesteps):
        return self._one_further(super().add_noise, original_samples, noise, timesteps)


class FlowNoiseAtNextLevel(_NextLevel, diffusers.FlowMatchEulerDiscreteScheduler):
    def scale_noise(self, sample, timestep, noise=None):
        return self._one_further(super().scale_noise, sample, timestep, noise)


@pytest.mark.parametrize("name", ["DDPMScheduler", "DDIMScheduler", "EulerDiscreteScheduler",
                                  "HeunDiscreteScheduler", "EulerAncestralDiscreteScheduler",
                                  "EDMEulerScheduler", "DPMSolverMultistepScheduler",
                                  "FlowMatchEulerDiscreteScheduler"])
def test_real_add_noise_is_the_forward_noising(name):
    adapter = get(name)
    assert "add_noise" in adapter.properties
    rows = [run.search(adapter, "add_noise", family, 0, EXAMPLES) for family in adapter.families]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


def test_planted_noise_weighted_by_the_variance_is_caught():
    family = {"variance_type": "fixed_small", "timestep_spacing": "leading"}
    row = run.search(DDPMAdapter(DDPMNoiseByVariance), "add_noise", family, 0, EXAMPLES)
    report = row.report()
    assert row.status == "fails" and "contract: forward-noising" in report
    assert "Ho et al. 2020, Eq. 4" in report and len(report.splitlines()) <= 12
    assert row.failure.diff > 1e3 * row.failure.budget


def test_planted_level_one_step_off_is_caught():
    family = {"timestep_spacing": "leading", "use_karras_sigmas": False}
    row = run.search(EulerAdapter(EulerNoiseAtNextLevel), "add_noise", family, 0, EXAMPLES)
    report = row.report()
    assert row.status == "fails" and "contract: sigma-noising" in report
    assert row.failure.diff > 1e3 * row.failure.budget


def test_planted_flow_level_one_step_off_is_caught():
    from diffproof.numeric.conform.adapters.diffusers_flow_match_euler import FlowMatchEulerAdapter

    family = {"use_dynamic_shifting": False, "stochastic_sampling": False}
    row = run.search(FlowMatchEulerAdapter(FlowNoiseAtNextLevel), "add_noise", family, 0,
                     EXAMPLES)
    assert row.status == "fails" and "contract: flow-noising" in row.report()
    assert row.failure.diff > 1e3 * row.failure.budget


def test_score_sde_ve_has_no_add_noise_to_check():
    assert "add_noise" not in get("ScoreSdeVeScheduler").properties
