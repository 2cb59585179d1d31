"""diffproof: a symbolic-plus-numeric derivation checker for the mathematics of diffusion models.

The public face of the package::

    import diffproof
    diffproof.check("ddpm-posterior")                     # a catalog derivation, checked
    diffproof.claim(r"\\bar\\alpha_t \\ge \\bar\\alpha_{t-1}")   # a claim in LaTeX: fails, with the point

Its parts keep the folders of the source tree: ``diffproof.derive`` (the symbolic core),
``diffproof.numeric`` (numbers, Monte Carlo, the torch module) and ``diffproof.proofs`` (the catalog,
the checker, claims, the command line and reports).  Importing ``diffproof`` imports none of them;
each function below imports what it needs on first use.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

# In a source tree (a clone, a git worktree) the parts are the folders beside this one, so the
# tree's own code is imported even when another tree holds the editable install.  An installed
# wheel has no pyproject.toml beside it, and its parts are inside this folder.
_TREE = Path(__file__).resolve().parent.parent
if (_TREE / "pyproject.toml").is_file() and (_TREE / "derive" / "__init__.py").is_file():
    __path__.append(str(_TREE))

try:
    __version__ = metadata.version("diffproof")
except metadata.PackageNotFoundError:        # run from a source tree that was never installed
    __version__ = "unknown"

__all__ = ["check", "claim", "claims", "ids", "__version__"]


def _options(numeric: bool, seed: int, limit: float | None):
    from diffproof.proofs.checker import Options
    options = Options(numeric=numeric, seed=seed)
    return options if limit is None else Options(numeric=numeric, seed=seed, limit=limit)


def ids() -> list[str]:
    """The ids of the catalog's derivations, in catalog order (nothing is built)."""
    from diffproof.proofs import catalog
    return [entry.id for entry in catalog.entries()]


def check(*derivations, numeric: bool = True, seed: int = 0, limit: float | None = None):
    """Check derivations, each given by its catalog id or as a ``diffproof.derive.Derivation``;
    all of the catalog when none is given.  Returns one ``DerivationResult`` per derivation (a
    table of its steps' verdicts in a notebook); a single one when exactly one was asked for.
    An unknown id raises ``KeyError`` naming the closest known ids."""
    from diffproof.proofs import catalog
    from diffproof.proofs.checker import check_derivations
    wanted = [_derivation(item, catalog) for item in derivations] or list(catalog.derivations())
    results = check_derivations(wanted, options=_options(numeric, seed, limit))
    return results[0] if len(derivations) == 1 else results


def _derivation(item, catalog):
    from diffproof.derive import Derivation
    if isinstance(item, Derivation):
        return item
    if not isinstance(item, str):
        raise TypeError(f"check() takes catalog ids or Derivations, not {type(item).__name__}")
    if item not in {entry.id for entry in catalog.entries()}:
        hint = ", ".join(catalog.closest(item))
        raise KeyError(f"no derivation {item!r} in the catalog" + (f" (did you mean {hint}?)" if hint else ""))
    return catalog.get(item)


def claim(latex: str, *assumptions: str, numeric: bool = True, seed: int = 0,
          limit: float | None = None):
    """Check one claim written in LaTeX (a relation or a chain of them, as ``diffproof claim``
    reads it) under assumption lines such as ``"0 < t < 1"``.  Returns a ``Claim``: its
    ``status`` and, per step, a ``Verdict`` (a table in a notebook)."""
    return claims([latex], *assumptions, numeric=numeric, seed=seed, limit=limit)[0]


def claims(latexes, *assumptions: str, numeric: bool = True, seed: int = 0,
           limit: float | None = None):
    """Check several claims under the same assumption lines; one ``Claim`` each, in order."""
    from diffproof.proofs.claims.run import check_text
    if isinstance(latexes, str):
        raise TypeError("claims() takes a list of claims; for one claim use claim()")
    return check_text([(text, None) for text in latexes], list(assumptions),
                      _options(numeric, seed, limit))
