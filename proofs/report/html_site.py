"""Writing the report of ``diffproof html`` into a folder: ``index.html``, ``errata.html``, one
page per derivation under ``derivations/``, and the assets the pages load (KaTeX's files, vendored
from its npm package with its LICENSE, and ``report.js``/``report.css``), so the pages work
offline.  Every file is written atomically (numeric.files); files of other names in the folder
are left alone.
"""
from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

from diffproof.numeric.files import atomic_write, atomic_write_text
from diffproof.proofs.checker import DerivationResult
from diffproof.proofs.errata import errata_row
from diffproof.proofs.report.html import derivation_page, errata_page, index_page

ASSETS = resources.files("diffproof.proofs.report") / "html_assets"


def page_name(identifier: str, taken: set[str]) -> str:
    """``derivations/<id>.html``; an id that is not a plain file name (or is taken, ignoring
    case) gets a safe name with a hash of the id."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "-", identifier)[:80].lstrip(".-") or "derivation"
    name, counter = slug, 0
    while name != identifier and name == slug or name.lower() in taken:
        digest = hashlib.sha256(f"{identifier}\0{counter}".encode()).hexdigest()[:10]
        name, counter = f"{slug}-{digest}", counter + 1
    taken.add(name.lower())
    return f"derivations/{name}.html"


def assets(folder=ASSETS, prefix: str = ""):
    """(relative path, bytes) of every packaged asset file."""
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if item.is_dir():
            yield from assets(item, f"{prefix}{item.name}/")
        elif not item.name.startswith("."):
            yield f"{prefix}{item.name}", item.read_bytes()


def site_pages(results: list[DerivationResult], errata_pairs) -> dict[str, str]:
    """Relative path -> HTML of every page of the report."""
    taken: set[str] = set()
    names = {id(result): page_name(result.derivation.id, taken) for result in results}
    errata_names = {erratum.id: page_name(result.derivation.id, taken)
                    for erratum, result in errata_pairs}
    names_by_id = {result.derivation.id: names[id(result)] for result in results}
    rows = [errata_row(erratum, result) for erratum, result in errata_pairs]
    pages = {names[id(result)]: derivation_page(result) for result in results}
    pages.update({errata_names[erratum.id]: derivation_page(result, erratum)
                  for erratum, result in errata_pairs})
    pages["index.html"] = index_page(results, names, rows)
    pages["errata.html"] = errata_page(rows, errata_names, names_by_id)
    return pages


def write_site(directory, results: list[DerivationResult], errata_pairs) -> list[str]:
    """Write the pages and assets into ``directory`` (created when missing); the pages' paths,
    index first.  OutputError when a file cannot be written."""
    directory = Path(directory)
    for path, data in assets():
        atomic_write(directory / path, lambda handle, data=data: handle.write(data))
    pages = site_pages(results, list(errata_pairs))
    for path, text in pages.items():
        atomic_write_text(directory / path, text)
    return ["index.html"] + [path for path in pages if path != "index.html"]
