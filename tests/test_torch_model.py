"""The score MLP (fast sampling path = training path; it sees t) and the quality metrics."""
from __future__ import annotations

import pytest
import torch

from numeric.torchdiff.metrics import energy_distance, mode_weights
from numeric.torchdiff.model import ScoreMLP
from numeric.torchdiff.oracle import GaussianMixture
from numeric.torchdiff.schedules import VE, VP


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
@pytest.mark.parametrize("sde", [VE(), VP()], ids=["VE", "VP"])
def test_sampling_path_equals_training_path(sde, dtype, tol):
    torch.manual_seed(0)
    model = ScoreMLP(sde, hidden=32, depth=3).to(dtype)
    x = torch.randn(5000, 2, dtype=dtype)  # more rows than one chunk
    for time in (0.01, 0.5, 1.0):
        t = torch.tensor(time, dtype=dtype)
        with torch.no_grad():
            fast = model(x, t)
        slow = model(x, t.expand(x.shape[0]))
        assert fast.dtype == dtype
        torch.testing.assert_close(fast, slow.detach(), rtol=tol, atol=tol * slow.abs().max().item())


def test_the_network_sees_t():
    """Seed 002's ScoreModel only divides a t-free network by sigma(t), so sigma(t) * s(x, t)
    cannot depend on t; here it does."""
    torch.manual_seed(1)
    sde = VE()
    model = ScoreMLP(sde, hidden=32)
    x = torch.randn(64, 2)
    scaled = [model(x, torch.full((64,), t)) * sde.std(torch.tensor(t)) for t in (0.2, 0.8)]
    assert (scaled[0] - scaled[1]).abs().max() > 1e-3


def test_mode_weights_and_energy_distance():
    g = torch.Generator().manual_seed(0)
    mix = GaussianMixture([0.25, 0.75], [[-1.0, 0.0], [1.0, 0.0]], [[0.01, 0.01]] * 2)
    x = mix.sample(20_000, g)
    # standard error of the weight 0.0031: 0.015 is ~5 standard errors
    assert abs(float(mode_weights(x, mix.means)[0]) - 0.25) < 0.015
    same = energy_distance(mix.sample(3000, g), mix.sample(3000, g))
    shifted = energy_distance(mix.sample(3000, g), mix.sample(3000, g) + 0.1)
    assert abs(same) < 2e-3 and shifted > 10 * abs(same) and shifted > 5e-3
    with pytest.raises(ValueError):
        energy_distance(x[:1], x)
