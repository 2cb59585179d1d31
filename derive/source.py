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
    # a library's code instead of a seed: "owner/name", "issue 13243" or "PR 6307", the file
    repository: str | None = None
    reference: str | None = None
    file: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.seed:
            parts.append(f"seed {self.seed}" + (f" {self.seed_eq}" if self.seed_eq else ""))
        if self.paper:
            parts.append(self.paper)
        if self.repository:
            parts.append(f"{self.repository} {self.reference}" + (f", {self.file}" if self.file else ""))
        return "; ".join(parts) or "diffproof"

    def as_dict(self) -> dict[str, str | None]:
        out = {"seed": self.seed, "seed_eq": self.seed_eq, "paper": self.paper}
        if self.repository:
            out.update(repository=self.repository, reference=self.reference, file=self.file)
        return out

    @property
    def kind(self) -> str:
        """"library" for a library's code, else "seed" (what an erratum is found in)."""
        return "library" if self.repository else "seed"


def seed(file: str, eq: str | None = None, paper: str | None = None) -> Source:
    """Shorthand: ``seed("001", "(84)", "Luo 2022 Eq. 84")``."""
    return Source(file, eq, paper)


def paper(ref: str) -> Source:
    return Source(None, None, ref)


def library(repository: str, kind: str, number: int, file: str | None = None) -> Source:
    """A library's code, by its issue or pull request: ``library("huggingface/diffusers", "PR",
    6307, "examples/...")`` (for errata of public code rather than of a seed)."""
    if kind not in ("issue", "PR"):
        raise ValueError(f"kind is 'issue' or 'PR', not {kind!r}")
    return Source(repository=repository, reference=f"{kind} {number}", file=file)
