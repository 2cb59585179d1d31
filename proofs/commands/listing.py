"""``diffproof list``: every derivation id, title and source, read from the catalog's index (no
derivation is built, SymPy is not imported).  ``--json`` has the shape of every command's JSON:
one object, the records under the command's noun and the counts under ``summary``."""
from __future__ import annotations

import json

from diffproof.proofs import catalog


def run(args) -> int:
    rows = [(e.id, e.title, "; ".join(str(s) for s in e.sources)) for e in catalog.entries()]
    if args.json:
        print(json.dumps({"derivations": [{"id": i, "title": t, "sources": s} for i, t, s in rows],
                          "summary": {"derivations": len(rows),
                                      "errata": len(catalog.erratum_entries())}}, indent=2))
        return 0
    width = max(len(r[0]) for r in rows)
    for identifier, title, sources in rows:
        print(f"{identifier:<{width}}  {title}")
        print(f"{'':<{width}}  [{sources}]")
    errata = catalog.erratum_entries()
    libraries = sum(e.seed.kind == "library" for e in errata)
    print(f"{len(rows)} derivations; {len(errata) - libraries} seed errata, {libraries} library "
          f"errata (diffproof errata)")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list every derivation id, title and source")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
