"""Training a ScoreMLP by VE denoising score matching on seed 002's two-Gaussian mixture.

Data are drawn fresh each step from the exact normalized mixture (oracle.DiagonalGaussianMixture.seed002);
the loss is losses.dsm_loss (squared error, exact kernel variance).  The checkpoint holds the model,
the optimizer, the step, the config, the loss log and the RNG state; it and the loss CSV are
rewritten together, atomically (numeric.files), every checkpoint_every steps, so an interrupted
run resumes exactly where the checkpoint was and the CSV never runs ahead of it.  A non-finite
loss or weight stops the run with ``Diverged`` and leaves the last good checkpoint in place.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, fields
from typing import Callable

import torch

from diffproof.numeric.files import atomic_write, atomic_write_text
from diffproof.numeric.torchdiff.config import FROZEN, TrainConfig
from diffproof.numeric.torchdiff.losses import dsm_loss
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture

KIND = "diffproof-score-mlp"


class Diverged(RuntimeError):
    """Training produced a non-finite loss or weight; the message names the step and a remedy."""

    def __init__(self, step: int, what: str, config: TrainConfig, kept: int | None):
        kept_text = (f"the last good checkpoint (step {kept}) is kept" if kept is not None
                     else "no checkpoint was written")
        super().__init__(
            f"training diverged at step {step}: {what} is not finite; {kept_text}. Try a smaller "
            f"--lr (now {config.lr:g}) or a saner --sigma-min/--sigma-max range (now "
            f"[{config.sigma_min:g}, {config.sigma_max:g}])")
        self.step = step


def learning_rate(config: TrainConfig, step: int) -> float:
    """Cosine decay from lr to lr/20 over the run (a function of the step, so resuming is exact)."""
    progress = min(step / config.steps, 1.0)
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_atomic(state: dict, path: str) -> None:
    """torch.save to path through a temporary file (numeric.files.atomic_write)."""
    atomic_write(path, lambda handle: torch.save(state, handle))


def write_loss_log(losses: list, path: str) -> None:
    """The CSV 'step,loss' of losses, written atomically."""
    atomic_write_text(path, "step,loss\n" + "".join(f"{s},{v:.6f}\n" for s, v in losses))


def load_checkpoint(path: str) -> dict:
    """Load a checkpoint written by train(); ValueError if it is not one."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # pickle / zip errors of a corrupt or foreign file
        raise ValueError(f"{path} is not a diffproof checkpoint ({type(error).__name__})") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise ValueError(f"{path} is not a diffproof checkpoint")
    missing = [k for k in ("config", "step", "model", "optimizer", "rng", "losses") if k not in state]
    if missing:
        raise ValueError(f"{path} is an incomplete diffproof checkpoint (no {', '.join(missing)})")
    if not (isinstance(state["config"], dict) and isinstance(state["model"], dict)
            and isinstance(state["step"], int) and state["step"] >= 0):
        raise ValueError(f"{path} is a damaged diffproof checkpoint")
    return state


def config_from(state: dict) -> TrainConfig:
    """The checkpoint's config, validated (so its sizes are bounded before a model is built)."""
    known = {f.name for f in fields(TrainConfig)}
    try:
        config = TrainConfig(**{k: v for k, v in state["config"].items() if k in known})
        config.validate()
    except (TypeError, ValueError) as error:
        raise ValueError(f"the checkpoint's config is invalid: {error}") from None
    return config


def non_finite(tensors: dict) -> list[str]:
    """Names of the floating-point tensors holding a NaN or an infinity."""
    return [name for name, value in tensors.items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]


def model_from(state: dict, config: TrainConfig):
    """The checkpoint's model; ValueError when its weights are not those of the config's model
    or are not finite."""
    model = config.model()
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        first = str(error).strip().splitlines()[1:2] or [str(error)]
        raise ValueError(
            f"the checkpoint's weights do not match its config (hidden {config.hidden}, depth "
            f"{config.depth}): {first[0].strip()}") from None
    bad = non_finite(state["model"])
    if bad:
        raise ValueError(f"the checkpoint has non-finite weights ({', '.join(bad[:3])}): "
                         "it was saved from a diverged run and cannot be used")
    return model


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
    step, losses, saved = 0, [], None
    if resume:
        state = load_checkpoint(checkpoint)
        previous = config_from(state)
        changed = [k for k in FROZEN if getattr(previous, k) != getattr(config, k)]
        if changed:
            raise ValueError(f"cannot resume with different {', '.join(changed)} "
                             f"(checkpoint has {', '.join(f'{k}={getattr(previous, k)}' for k in changed)})")
        model = model_from(state, config)
    else:
        model = config.model()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)  # one kernel per step
    generator = torch.Generator().manual_seed(config.seed)
    if resume:
        try:
            optimizer.load_state_dict(state["optimizer"])
            generator.set_state(state["rng"])
        except (RuntimeError, ValueError, TypeError, KeyError) as error:
            raise ValueError(f"{checkpoint}: the optimizer or RNG state does not fit the model "
                             f"({type(error).__name__})") from None
        step, losses, saved = state["step"], [list(row) for row in state["losses"]], state["step"]
        if log_path:  # rows logged after the checkpoint would appear twice
            write_loss_log(losses, log_path)
    data = DiagonalGaussianMixture.seed002(dtype=torch.float32)
    sde = model.sde

    def snapshot() -> dict:
        return {"kind": KIND, "config": asdict(config), "step": step,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "rng": generator.get_state(), "losses": losses}

    def save() -> dict:
        bad = non_finite(dict(model.named_parameters()))
        if bad:
            raise Diverged(step, f"the weight {bad[0]}", config, saved)
        state = snapshot()
        save_atomic(state, checkpoint)
        if log_path:
            write_loss_log(losses, log_path)
        return state
    window = []
    while step < config.steps:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step)
        x0 = data.sample(config.batch, generator)
        loss = dsm_loss(model, x0, sde, config.weighting, config.t_min, generator)
        if not math.isfinite(loss.item()):
            raise Diverged(step + 1, f"the loss ({loss.item()})", config, saved)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        window.append(loss.detach())
        if step % config.log_every == 0 or step == config.steps:
            mean_loss = float(torch.stack(window).mean())
            window.clear()
            losses.append([step, mean_loss])
            if progress:
                progress(step, mean_loss)
        if step % config.checkpoint_every == 0 and step < config.steps:
            save()
            saved = step
    return save()
