"""Loading derivations: the catalog by id, or a user's Python file written with the public API."""
from __future__ import annotations

import functools
import importlib.util
import os
import sys
from typing import TYPE_CHECKING

from diffproof.proofs import catalog

if TYPE_CHECKING:
    from diffproof.derive.derivation import Derivation


class UsageError(Exception):
    """Bad command-line input; reported with exit code 2."""


def load_file(path: str) -> list[Derivation]:
    """Import a user's file (their own code) and collect its derivations.

    It may define ``DERIVATIONS`` (a list); otherwise every module-level Derivation is taken.
    """
    from diffproof.derive.derivation import Derivation  # noqa: PLC0415 - SymPy only when loading a file
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    name = "diffproof_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except SystemExit as error:  # the file called sys.exit: it does not set diffproof's exit code
        raise UsageError(f"{path} called sys.exit({error.code!r}) on import") from None
    except BaseException as error:  # noqa: BLE001 - the user's file failed; say so, no traceback
        raise UsageError(f"{path} raised {type(error).__name__} on import: {error}") from None
    found = getattr(module, "DERIVATIONS", None)
    if found is None:
        found = [value for value in vars(module).values() if isinstance(value, Derivation)]
    elif not isinstance(found, (list, tuple)) or \
            not all(isinstance(item, Derivation) for item in found):
        raise UsageError(f"{path}: DERIVATIONS must be a list of Derivation objects, got "
                         f"{type(found).__name__}")
    if not found:
        raise UsageError(f"{path} defines no derivation (define DERIVATIONS = [...])")
    for index, derivation in enumerate(found):
        if derivation.rebuild is None:     # a worker loads the file again and takes this one
            derivation.rebuilt_by(load_one, os.path.abspath(path), index)
    return list(found)


@functools.cache
def _loaded(path: str) -> list:
    return load_file(path)


def load_one(path: str, index: int):
    """The ``index``-th derivation of a user's file (loaded once per process)."""
    return _loaded(path)[index]


def select(targets: list[str], built: bool = True) -> list:
    """Catalog ids and/or Python files; no targets means the whole catalog.  ``built=False``:
    catalog derivations as their entries, built by the checker when their turn comes
    (``entry.build()``; an unknown id is still reported here)."""
    if not targets:
        return list(catalog.derivations() if built else catalog.entries())
    chosen: list = []
    for target in targets:
        if target.endswith(".py") or os.path.sep in target:
            chosen.extend(load_file(target))
            continue
        try:
            entry = catalog.lookup(target)
        except KeyError:
            raise UsageError(unknown_id(target)) from None
        chosen.append(entry.build() if built else entry)
    return chosen


def select_with_errata(targets: list[str]) -> tuple[list, list]:
    """(derivations, errata): the whole catalog with its errata, or the named derivation ids,
    files and erratum ids (an erratum named by its id or its claim's id)."""
    if not targets:
        return list(catalog.derivations()), list(catalog.errata())
    by_id = {}
    for entry in catalog.erratum_entries():
        by_id[entry.id] = by_id[entry.claim_id] = entry
    errata = [catalog.erratum(by_id[target]) for target in targets if target in by_id]
    rest = [target for target in targets if target not in by_id]
    return (select(rest) if rest else []), errata


def unknown_id(identifier: str) -> str:
    """The message for an id the catalog does not hold, naming the closest ids."""
    close = catalog.closest(identifier)
    hint = f"closest: {', '.join(close)}; " if close else ""
    total = len(catalog.entries())
    return f"unknown derivation id {identifier!r}; {hint}diffproof list shows all {total}"
