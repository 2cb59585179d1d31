"""The training configuration of ``diffproof train`` and the limits of every numeric option of
``train`` / ``sample``, importable without torch (the CLI reads its defaults for --help without
paying for the torch import).

Limits (checked before anything is allocated): steps <= 1e8, batch <= 2^20, hidden <= 16384,
depth <= 64, and the estimated training memory (parameters, gradients, Adam moments, activations)
<= 2 GiB; seeds in [0, 2^63 - 1]; sampling: samples <= 1e6, sampler steps <= 1e5.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

WEIGHTINGS = ("sigma2", "g2")
MAX_STEPS = 10 ** 8
MAX_BATCH = 2 ** 20
MAX_HIDDEN = 2 ** 14
MAX_DEPTH = 64
MAX_SEED = 2 ** 63 - 1
MAX_SAMPLES = 10 ** 6
MAX_SAMPLER_STEPS = 10 ** 5
MEMORY_LIMIT = 2 * 2 ** 30  # bytes of the training estimate
N_FREQ = 8                  # Fourier features of t (model.ScoreMLP's default)


def check_int(name: str, value, low: int, high: int) -> int:
    """value as an int in [low, high]; ValueError naming the option otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def check_positive(name: str, value) -> float:
    """value as a finite float > 0; ValueError naming the option otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return number


def parameter_count(hidden: int, depth: int, dim: int = 2, n_freq: int = N_FREQ) -> int:
    """Parameters of model.ScoreMLP (input, time, hidden and output layers)."""
    return (dim + 1) * hidden + 2 * n_freq * hidden + (depth - 1) * (hidden + 1) * hidden \
        + (hidden + 1) * dim


def training_memory(batch: int, hidden: int, depth: int) -> int:
    """A generous estimate of the bytes of a float32 training step: 4 copies of the parameters
    (weights, gradients, two Adam moments) and 4 floats per hidden unit and sample (activations
    and their gradients)."""
    return 16 * parameter_count(hidden, depth) + 16 * batch * (hidden * depth + 3 * N_FREQ)


def _gib(n: int) -> str:
    return f"{n / 2 ** 30:.3g} GiB"


@dataclass
class TrainConfig:
    steps: int = 3000
    batch: int = 512
    lr: float = 3e-3
    sigma_min: float = 0.01
    sigma_max: float = 3.0
    weighting: str = "sigma2"
    t_min: float = 1e-3
    hidden: int = 128
    depth: int = 3
    seed: int = 0
    log_every: int = 100
    checkpoint_every: int = 500

    def validate(self) -> None:
        """Raise ValueError naming the first bad field; the limits are the module's MAX_*."""
        check_int("steps", self.steps, 1, MAX_STEPS)
        check_int("batch", self.batch, 2, MAX_BATCH)
        check_int("hidden", self.hidden, 1, MAX_HIDDEN)
        check_int("depth", self.depth, 1, MAX_DEPTH)
        check_int("seed", self.seed, 0, MAX_SEED)
        check_int("log_every", self.log_every, 1, MAX_STEPS)
        check_int("checkpoint_every", self.checkpoint_every, 1, MAX_STEPS)
        if self.checkpoint_every % self.log_every:
            raise ValueError("checkpoint_every must be a multiple of log_every (exact resume)")
        check_positive("lr", self.lr)
        check_positive("sigma_min", self.sigma_min)
        check_positive("sigma_max", self.sigma_max)
        if not self.sigma_min < self.sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {self.sigma_min}, {self.sigma_max}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        if not (isinstance(self.t_min, float) and 0 < self.t_min < 1):
            raise ValueError(f"t_min must lie in (0, 1), got {self.t_min}")
        memory = training_memory(self.batch, self.hidden, self.depth)
        if memory > MEMORY_LIMIT:
            raise ValueError(
                f"batch {self.batch}, hidden {self.hidden}, depth {self.depth} "
                f"({parameter_count(self.hidden, self.depth):,} parameters) needs about "
                f"{_gib(memory)} to train; the limit is {_gib(MEMORY_LIMIT)}: lower --batch, "
                "--hidden or --depth")

    def sde(self):
        """The VE-SDE of the run (torch is imported here, not with the config)."""
        from diffproof.numeric.torchdiff.schedules import VE
        return VE(self.sigma_min, self.sigma_max)

    def model(self):
        """The network, initialized from the config's seed (the global RNG is left untouched)."""
        import torch

        from diffproof.numeric.torchdiff.model import ScoreMLP
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return ScoreMLP(self.sde(), dim=2, hidden=self.hidden, depth=self.depth)


# fields that fix the model and the objective: a resumed run must keep them
FROZEN = ("batch", "sigma_min", "sigma_max", "weighting", "t_min", "hidden", "depth", "seed")
