"""Training a ScoreMLP by VE denoising score matching on seed 002's two-Gaussian mixture.

Data are drawn fresh each step from the exact normalized mixture (oracle.GaussianMixture.seed002);
the loss is losses.dsm_loss (squared error, exact kernel variance).  The checkpoint holds the model,
the optimizer, the step, the config, the loss log and the RNG state, and is written atomically
(temporary file + os.replace), so an interrupted run resumes exactly where the checkpoint was.
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, fields
from typing import Callable

import torch

from numeric.torchdiff.config import FROZEN, TrainConfig
from numeric.torchdiff.losses import dsm_loss
from numeric.torchdiff.oracle import GaussianMixture




def learning_rate(config: TrainConfig, step: int) -> float:
    """Cosine decay from lr to lr/20 over the run (a function of the step, so resuming is exact)."""
    progress = min(step / config.steps, 1.0)
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_atomic(state: dict, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> dict:
    """Load a checkpoint written by train(); ValueError if it is not one."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # pickle / zip errors of a corrupt or foreign file
        raise ValueError(f"{path} is not a diffproof checkpoint ({type(error).__name__})") from None
    if not isinstance(state, dict) or state.get("kind") != "diffproof-score-mlp":
        raise ValueError(f"{path} is not a diffproof checkpoint")
    return state


def config_from(state: dict) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in state["config"].items() if k in known})


class ProgressBar:
    """A one-line text progress bar on a stream (default stderr)."""

    def __init__(self, total: int, start: int = 0, stream=None, width: int = 30):
        self.total, self.start, self.width = total, start, width
        self.stream = stream or sys.stderr
        self.began = time.perf_counter()

    def update(self, step: int, loss: float) -> None:
        done = step / self.total
        bar = "#" * int(done * self.width)
        rate = (step - self.start) / max(time.perf_counter() - self.began, 1e-9)
        self.stream.write(f"\rtrain [{bar:<{self.width}}] {step}/{self.total} loss {loss:.4f} "
                          f"{rate:.0f} it/s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def train(config: TrainConfig, checkpoint: str, resume: bool = False, log_path: str | None = None,
          progress: Callable[[int, float], None] | None = None) -> dict:
    """Run (or resume) training; returns the final checkpoint state."""
    config.validate()
    model = config.model()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)  # one kernel per step
    generator = torch.Generator().manual_seed(config.seed)
    step, losses = 0, []
    if resume:
        state = load_checkpoint(checkpoint)
        previous = config_from(state)
        changed = [k for k in FROZEN if getattr(previous, k) != getattr(config, k)]
        if changed:
            raise ValueError(f"cannot resume with different {', '.join(changed)} "
                             f"(checkpoint has {', '.join(f'{k}={getattr(previous, k)}' for k in changed)})")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["rng"])
        step, losses = state["step"], list(state["losses"])
    data = GaussianMixture.seed002(dtype=torch.float32)
    sde = model.sde
    if log_path:
        os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    log = open(log_path, "a" if resume else "w") if log_path else None
    if log and not resume:
        log.write("step,loss\n")

    def snapshot() -> dict:
        return {"kind": "diffproof-score-mlp", "config": asdict(config), "step": step,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "rng": generator.get_state(), "losses": losses}
    window = []
    try:
        while step < config.steps:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, step)
            x0 = data.sample(config.batch, generator)
            loss = dsm_loss(model, x0, sde, config.weighting, config.t_min, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            window.append(loss.detach())
            if step % config.log_every == 0 or step == config.steps:
                mean_loss = float(torch.stack(window).mean())
                window.clear()
                losses.append([step, mean_loss])
                if log:
                    log.write(f"{step},{mean_loss:.6f}\n")
                    log.flush()
                if progress:
                    progress(step, mean_loss)
            if step % config.checkpoint_every == 0:
                save_atomic(snapshot(), checkpoint)
    finally:
        if log:
            log.close()
    state = snapshot()
    save_atomic(state, checkpoint)
    return state
