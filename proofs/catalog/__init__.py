"""The catalog: one module per topic, each defining ``DERIVATIONS`` (and optionally ``ERRATA``).

Modules are discovered, so adding a topic means adding a module here; ids must be unique.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from derive.derivation import Derivation, Erratum


@lru_cache(maxsize=1)
def _modules():
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


@lru_cache(maxsize=1)
def derivations() -> tuple[Derivation, ...]:
    found: list[Derivation] = []
    for module in _modules():
        for derivation in getattr(module, "DERIVATIONS", ()):
            derivation.topic = derivation.topic or module.__name__.rsplit(".", 1)[-1]
            found.append(derivation)
    _unique([d.id for d in found], "derivation")
    return tuple(found)


@lru_cache(maxsize=1)
def errata() -> tuple[Erratum, ...]:
    found = [e for module in _modules() for e in getattr(module, "ERRATA", ())]
    _unique([e.id for e in found], "erratum")
    for erratum in found:
        erratum.claim.expect_fail = True
    return tuple(found)


def _likely_module(identifier: str):
    """Import only the topic module that declares the id (a fast path for ``get``)."""
    import pathlib
    import re

    declares = re.compile(r"Derivation\(\s*[\"']" + re.escape(identifier) + r"[\"']")
    for path in sorted(pathlib.Path(__path__[0]).glob("[!_]*.py")):
        if declares.search(path.read_text(encoding="utf-8")):
            module = importlib.import_module(f"{__name__}.{path.stem}")
            for derivation in getattr(module, "DERIVATIONS", ()):
                if derivation.id == identifier:
                    derivation.topic = derivation.topic or path.stem
                    return derivation
    return None


def get(identifier: str) -> Derivation:
    fast = _likely_module(identifier)
    if fast is not None:
        return fast
    for derivation in derivations():
        if derivation.id == identifier:
            return derivation
    for erratum in errata():
        if erratum.id == identifier or erratum.claim.id == identifier:
            return erratum.claim
    raise KeyError(identifier)


def _unique(ids: list[str], what: str) -> None:
    seen = set()
    for identifier in ids:
        if identifier in seen:
            raise ValueError(f"duplicate {what} id {identifier!r} in the catalog")
        seen.add(identifier)
