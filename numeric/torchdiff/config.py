"""The training configuration of ``diffproof train``, importable without torch (the CLI reads its
defaults for --help without paying for the torch import)."""
from __future__ import annotations

import math
from dataclasses import dataclass

WEIGHTINGS = ("sigma2", "g2")


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
        """Raise ValueError naming the first bad field."""
        for name in ("steps", "batch", "hidden", "depth", "log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.checkpoint_every % self.log_every:
            raise ValueError("checkpoint_every must be a multiple of log_every (exact resume)")
        if self.batch < 2:
            raise ValueError("batch must be >= 2")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if not (0 < self.sigma_min < self.sigma_max and math.isfinite(self.sigma_max)):
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {self.sigma_min}, {self.sigma_max}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        if not 0 < self.t_min < 1:
            raise ValueError(f"t_min must lie in (0, 1), got {self.t_min}")

    def sde(self):
        """The VE-SDE of the run (torch is imported here, not with the config)."""
        from numeric.torchdiff.schedules import VE
        return VE(self.sigma_min, self.sigma_max)

    def model(self):
        """The network, initialized from the config's seed (the global RNG is left untouched)."""
        import torch

        from numeric.torchdiff.model import ScoreMLP
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return ScoreMLP(self.sde(), dim=2, hidden=self.hidden, depth=self.depth)


# fields that fix the model and the objective: a resumed run must keep them
FROZEN = ("batch", "sigma_min", "sigma_max", "weighting", "t_min", "hidden", "depth", "seed")
