"""Where a step or a derivation comes from: seed file and equation, paper equation.

Plain data without SymPy, so the catalog's entries can be listed without importing it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """Where a step comes from: the seed file and equation, and the paper equation if known."""

    seed: str | None = None          # e.g. "001" (seed file 001_*.txt)
    seed_eq: str | None = None       # e.g. "(3.24)" or "slide 'posterior', line 3"
    paper: str | None = None         # e.g. "Luo 2022, Eq. (84)"

    def __str__(self) -> str:
        parts = []
        if self.seed:
            parts.append(f"seed {self.seed}" + (f" {self.seed_eq}" if self.seed_eq else ""))
        if self.paper:
            parts.append(self.paper)
        return "; ".join(parts) or "diffproof"

    def as_dict(self) -> dict[str, str | None]:
        return {"seed": self.seed, "seed_eq": self.seed_eq, "paper": self.paper}


def seed(file: str, eq: str | None = None, paper: str | None = None) -> Source:
    """Shorthand: ``seed("001", "(84)", "Luo 2022 Eq. 84")``."""
    return Source(file, eq, paper)


def paper(ref: str) -> Source:
    return Source(None, None, ref)
