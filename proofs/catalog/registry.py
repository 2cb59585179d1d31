"""Catalog entries as plain data, and the builders that make their derivations on first use.

An :class:`Entry` (a derivation) or :class:`ErratumEntry` (a seed's wrong claim) knows its id,
title, topic and sources without SymPy.  Each topic module registers one builder per entry with
``@builds(id)``: a function of the entry that returns its Derivation (for an erratum, the claim),
called by :func:`build` at most once per process.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Callable

from diffproof.derive.source import Source

_BUILDERS: dict[str, Callable] = {}


@dataclass(frozen=True)
class Entry:
    """A derivation of the catalog; ``topic`` is the module holding its builder."""

    id: str
    title: str
    sources: tuple[Source, ...] = ()
    topic: str = ""

    def build(self):
        """The entry's Derivation, built once (:func:`build`)."""
        return build(self)

    def derivation(self, steps, **body):
        """The Derivation with this entry's id, title, sources and topic (for builders)."""
        from diffproof.derive.derivation import Derivation  # noqa: PLC0415 - SymPy only when building
        return Derivation(self.id, self.title, steps, sources=self.sources, topic=self.topic, **body)


@dataclass(frozen=True)
class ErratumEntry:
    """A claim as a seed states it (or as a library's code computes it: ``seed`` is then a
    :func:`derive.source.library` source), refuted by the checker; ``correct`` names the right
    version; ``written``: the formula as its author wrote it (LaTeX, lines split by ``\\\\``),
    shown as is, since the checked claim is built in SymPy, whose evaluation may rewrite it."""

    id: str
    seed: Source                     # the seed, or the library (repository, issue/PR, file)
    what: str                        # what is wrong, in words
    correct: str | None = None
    topic: str = ""
    written: str = ""

    @property
    def claim_id(self) -> str:
        return f"{self.id}-claim"

    def build(self):
        """The erratum's claim, built once (:func:`build`)."""
        return build(self)

    def claim(self, title: str, steps, **body):
        """The seed's chain as written, expected to fail (for builders)."""
        from diffproof.derive.derivation import Derivation  # noqa: PLC0415 - SymPy only when building
        return Derivation(self.claim_id, title, steps, expect_fail=True, **body)


def builds(identifier: str):
    """Register the decorated function as the builder of the entry ``identifier``."""
    def register(function: Callable) -> Callable:
        if identifier in _BUILDERS:
            raise ValueError(f"two builders for the catalog entry {identifier!r}")
        _BUILDERS[identifier] = function
        return function
    return register


def registered() -> frozenset[str]:
    """The ids that have a builder in the topic modules imported so far."""
    return frozenset(_BUILDERS)


@cache
def build(entry: Entry | ErratumEntry):
    """The entry's Derivation (an erratum: its claim), built once by its topic's builder."""
    importlib.import_module(f"{__package__}.{entry.topic}")
    builder = _BUILDERS.get(entry.id)
    if builder is None:
        raise LookupError(f"{__package__}.{entry.topic} has no builder for {entry.id!r} (@builds)")
    built = builder(entry)
    expected = entry.claim_id if isinstance(entry, ErratumEntry) else entry.id
    if built.id != expected:
        raise ValueError(f"the builder of {entry.id!r} returned {built.id!r}")
    built.rebuilt_by(build, entry)             # a worker builds it again from its entry
    return built
