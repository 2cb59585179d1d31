"""The catalog: derivations and seed errata, one topic per module.

A topic ``name`` has two modules: ``index/name.py`` declares its ``DERIVATIONS`` and ``ERRATA``
as plain data (id, title, sources; no SymPy), and ``name.py`` builds each one with ``@builds(id)``.
Listing and looking up ids read only the declarations; a derivation is built on first use.
Topics are discovered, so adding one means adding both modules; ids must be unique.
"""
from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import replace
from functools import cache

from diffproof.proofs.catalog import index as _index, registry
from diffproof.proofs.catalog.registry import Entry, ErratumEntry


@cache
def _declared() -> tuple[tuple[Entry, ...], tuple[ErratumEntry, ...]]:
    derivations, errata = [], []
    for info in sorted(pkgutil.iter_modules(_index.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_index.__name__}.{info.name}")
        derivations += [replace(e, topic=info.name) for e in getattr(module, "DERIVATIONS", ())]
        errata += [replace(e, topic=info.name) for e in getattr(module, "ERRATA", ())]
    _unique([e.id for e in derivations], "derivation")
    _unique([e.id for e in errata], "erratum")
    return tuple(derivations), tuple(errata)


def entries(topic: str | None = None) -> tuple[Entry, ...]:
    """The derivations' entries in catalog order (topics by name), without building any."""
    return tuple(e for e in _declared()[0] if topic in (None, e.topic))


def erratum_entries(topic: str | None = None) -> tuple[ErratumEntry, ...]:
    return tuple(e for e in _declared()[1] if topic in (None, e.topic))


def derivations(topic: str | None = None):
    """The derivations (of one topic), built on first use."""
    return tuple(registry.build(entry) for entry in entries(topic))


def errata(topic: str | None = None):
    """The seed errata (of one topic), their claims built on first use."""
    return tuple(erratum(entry) for entry in erratum_entries(topic))


@cache
def erratum(entry: ErratumEntry):
    from diffproof.derive.derivation import Erratum  # noqa: PLC0415 - SymPy only when building
    return Erratum(entry.id, entry.seed, entry.what, registry.build(entry), entry.correct,
                   entry.written)


def get(identifier: str):
    """The derivation with this id, or the claim of the erratum with this id (or claim id)."""
    return registry.build(lookup(identifier))


def lookup(identifier: str) -> Entry | ErratumEntry:
    """The entry of the derivation with this id, or of the erratum with this id (or claim id),
    not built."""
    for entry in entries():
        if entry.id == identifier:
            return entry
    for entry in erratum_entries():
        if identifier in (entry.id, entry.claim_id):
            return entry
    raise KeyError(identifier)


def closest(identifier: str, count: int = 3) -> list[str]:
    """The known ids (derivations, then errata) most like a mistyped one."""
    known = [e.id for e in entries()] + [e.id for e in erratum_entries()]
    return difflib.get_close_matches(identifier, known, n=count, cutoff=0.6)


def _unique(ids: list[str], what: str) -> None:
    seen = set()
    for identifier in ids:
        if identifier in seen:
            raise ValueError(f"duplicate {what} id {identifier!r} in the catalog")
        seen.add(identifier)
