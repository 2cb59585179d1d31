"""Speed of numeric.torchdiff against a loop written the way seed 002's code is written.

Same MLP (ScoreMLP), same sizes, same thread count, same float32, measured in one run:

- DSM training steps/s, batch 512.  Baseline: seed 002's loop -- a DataLoader over a
  TensorDataset of pre-drawn data (shuffle=True), a torch.distributions.Uniform object and
  tensors built per step for t, sigma(t) and g(t), per-sample t fed to the network, OneCycleLR.
  Module: numeric.torchdiff.train.train (fresh draws from the mixture, losses.dsm_loss).
- Euler-Maruyama sample-steps/s for 100k samples.  Baseline "as the issue states": autograd on,
  torch.full / torch.randn / drift and diffusion tensors allocated per step, per-sample t.  Also a
  second baseline that is seed 002's code exactly (it wraps the loop in torch.no_grad()).
  Module: samplers.euler_maruyama (inference mode, coefficients as floats, in-place updates,
  one time per step folded into the first layer's bias).

Threads: default min(2, cores), the machine's two cores.  When other processes already keep the
cores busy, two intra-op threads per process oversubscribe them and every figure collapses (see
README.md, "Speed"); pass --threads 1 then.

Usage: python benchmarks/bench_torch.py [--threads 2] [--train-steps 300] [--sample-steps 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from diffproof.numeric.torchdiff import samplers as S  # noqa: E402
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture  # noqa: E402
from diffproof.numeric.torchdiff.train import TrainConfig, train  # noqa: E402

SIGMA_MIN, SIGMA_MAX = 0.01, 3.0


# ---- baseline, in the style of seed 002's code (correct math: squared error, exact variance) ----
def seed_sigma(t, sigma_min, sigma_max):
    return sigma_min * (sigma_max / sigma_min) ** t


def seed_marginal_prob_statistics(x, t, sigma_min, sigma_max):
    std = torch.sqrt(seed_sigma(t, sigma_min, sigma_max) ** 2 - sigma_min ** 2)
    return x, std


def seed_drift(t, sigma_min, sigma_max):
    return torch.zeros_like(t)


def seed_diffusion(t, sigma_min, sigma_max):
    std = seed_sigma(t, sigma_min, sigma_max)
    return std * torch.sqrt(2 * (torch.log(sigma_max) - torch.log(sigma_min)))


def seed_dsm_loss(score_model, samples, sigma_min, sigma_max):
    eps = 1.0e-3
    t = torch.distributions.uniform.Uniform(torch.tensor([eps], device=samples.device),
                                            torch.tensor([1.0], device=samples.device)
                                            ).sample([samples.shape[0]])
    z = torch.randn_like(samples)
    mean, std = seed_marginal_prob_statistics(samples, t, sigma_min, sigma_max)
    noise = z * std
    perturbed = mean + noise
    scores = score_model(perturbed, t.reshape(-1))
    target = -1 / (std ** 2) * noise
    lmd = std ** 2
    loss = ((scores - target) ** 2).sum(dim=-1, keepdim=True) * lmd
    return loss.mean()


def baseline_train(model, steps, batch=512):
    mixture = DiagonalGaussianMixture.seed002(dtype=torch.float32)
    dataset = torch.utils.data.TensorDataset(mixture.sample(200_000, torch.Generator().manual_seed(0)))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=0)
    iterator = iter(loader)
    optimizer = torch.optim.Adam(model.parameters())
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.001, total_steps=steps)
    sigma_min, sigma_max = torch.tensor(SIGMA_MIN), torch.tensor(SIGMA_MAX)
    for _ in range(steps):
        try:
            x = next(iterator)[0]
        except StopIteration:
            iterator = iter(loader)
            x = next(iterator)[0]
        optimizer.zero_grad()
        loss = seed_dsm_loss(model, x, sigma_min, sigma_max)
        loss.backward()
        optimizer.step()
        scheduler.step()


def baseline_sample(model, n_samples, n, steps_run, no_grad):
    """Seed 002's euler_maruyama_sample (started from the correct prior), first steps_run steps."""
    sigma_min, sigma_max = torch.tensor(SIGMA_MIN), torch.tensor(SIGMA_MAX)
    context = torch.no_grad() if no_grad else torch.enable_grad()
    with context:
        x = torch.randn(n_samples, 2) * SIGMA_MAX
        dt = torch.tensor(1.0 / n)
        for t in range(n, n - steps_run, -1):
            t_tensor = torch.full((n_samples, 1), t / n)
            z = torch.randn(n_samples, 2)
            f = seed_drift(t_tensor, sigma_min, sigma_max)
            g = seed_diffusion(t_tensor, sigma_min, sigma_max)
            g2 = g ** 2
            score = model(x, t_tensor.reshape(-1))
            x = x - (f * x - g2 * score) * dt + g * torch.sqrt(dt) * z
    return x


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--sample-steps", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=100_000)
    args = parser.parse_args(argv)
    if min(args.threads, args.train_steps, args.sample_steps, args.n_samples) < 1:
        parser.error("every count must be >= 1")
    torch.set_num_threads(args.threads)
    config = TrainConfig(steps=args.train_steps, log_every=args.train_steps,
                         checkpoint_every=args.train_steps)
    print(f"torch {torch.__version__}, {args.threads} thread(s), float32, MLP hidden {config.hidden} "
          f"depth {config.depth}")

    baseline_train(config.model(), 10)  # warm-up
    base = timed(lambda: baseline_train(config.model(), args.train_steps))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.pt")
        module = timed(lambda: train(config, path))
    train_ratio = base / module
    print(f"DSM training, batch {config.batch}: baseline {args.train_steps / base:8.1f} steps/s, "
          f"module {args.train_steps / module:8.1f} steps/s, ratio {train_ratio:.2f}x (target >= 2x)")

    model = config.model()
    n, k = args.n_samples, args.sample_steps
    sde = config.sde()
    x0 = S.prior_sample(sde, (n, 2), generator=torch.Generator().manual_seed(0))
    S.euler_maruyama(model, x0[:1000], sde, n_steps=2)  # warm-up
    module = timed(lambda: S.euler_maruyama(model, x0, sde, n_steps=k, t_min=1 - k / 1000 + 1e-9))
    base = timed(lambda: baseline_sample(model, n, 1000, k, no_grad=False))
    seed_exact = timed(lambda: baseline_sample(model, n, 1000, k, no_grad=True))
    rate = lambda seconds: n * k / seconds  # noqa: E731
    print(f"Euler-Maruyama, {n} samples x {k} steps: baseline (autograd on) {rate(base):,.0f} "
          f"sample-steps/s, module {rate(module):,.0f}, ratio {base / module:.2f}x (target >= 5x)")
    print(f"  against seed 002's loop exactly as written (torch.no_grad): {rate(seed_exact):,.0f} "
          f"sample-steps/s, ratio {seed_exact / module:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
