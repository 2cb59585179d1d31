"""The score MLP (fast sampling path = training path; it sees t) and the quality metrics."""
from __future__ import annotations

import pytest
import torch

from diffproof.numeric.torchdiff.metrics import energy_distance, mode_weights
from diffproof.numeric.torchdiff.model import ScoreMLP
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP


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
    scaled = [model(x, torch.full((64,), t)) * sde.kernel_std(torch.tensor(t)) for t in (0.2, 0.8)]
    assert (scaled[0] - scaled[1]).abs().max() > 1e-3


def test_mode_weights_and_energy_distance():
    g = torch.Generator().manual_seed(0)
    mix = DiagonalGaussianMixture([0.25, 0.75], [[-1.0, 0.0], [1.0, 0.0]], [[0.01, 0.01]] * 2)
    x = mix.sample(20_000, g)
    # standard error of the weight 0.0031: 0.015 is ~5 standard errors
    assert abs(float(mode_weights(x, mix.means)[0]) - 0.25) < 0.015
    same = energy_distance(mix.sample(3000, g), mix.sample(3000, g))
    shifted = energy_distance(mix.sample(3000, g), mix.sample(3000, g) + 0.1)
    assert abs(same) < 2e-3 and shifted > 10 * abs(same) and shifted > 5e-3
    with pytest.raises(ValueError):
        energy_distance(x[:1], x)


def test_loss_wrappers_assemble_the_checked_terms():
    """dsm_loss / noise_prediction_loss = the SymPy-checked per-sample terms at the same draws."""
    from diffproof.numeric.torchdiff import losses as tl
    from diffproof.numeric.torchdiff.forward import perturb
    from diffproof.numeric.torchdiff.schedules import DiscreteSchedule
    sde = VE()
    x0 = torch.randn(256, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))

    def score(x, t):
        return -x / (1 + t[:, None])
    for weighting in ("sigma2", "g2"):
        loss = tl.dsm_loss(score, x0, sde, weighting, 1e-3, torch.Generator().manual_seed(4))
        g = torch.Generator().manual_seed(4)
        t = tl.sample_times(256, 1e-3, x0, g)
        noise = torch.randn(x0.shape, dtype=x0.dtype, generator=g)
        xt = perturb(x0, sde.scale(t), sde.kernel_std(t), noise)
        manual = tl.dsm_terms(score(xt, t), noise, sde.kernel_std(t),
                              tl.dsm_weight(sde, t, weighting))
        torch.testing.assert_close(loss, manual.mean(), rtol=1e-14, atol=0)
    schedule = DiscreteSchedule.linear(50)

    def eps_fn(x, i):
        return x * 0.5
    loss = tl.noise_prediction_loss(eps_fn, x0, schedule, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    i = torch.randint(1, 51, (256,), generator=g)
    noise = torch.randn(x0.shape, dtype=x0.dtype, generator=g)
    abar = schedule.alphabar[i]
    xi = perturb(x0, abar.sqrt(), (1 - abar).sqrt(), noise)
    torch.testing.assert_close(loss, tl.noise_terms(eps_fn(xi, i), noise).mean(), rtol=1e-14, atol=0)
    with pytest.raises(ValueError):
        tl.dsm_weight(sde, torch.tensor([0.5]), "sqrt")
