"""``diffproof errata``: the seeds' claims the checker refutes, with the evidence."""
from __future__ import annotations

from diffproof.proofs.options import add_check_options, options_from


def run(args) -> int:
    from diffproof.proofs.errata import run_errata
    return run_errata(options_from(args), as_json=args.json)


def register(subparsers) -> None:
    p = subparsers.add_parser("errata", help="list the seeds' claims the checker refutes, with evidence")
    add_check_options(p)
    p.set_defaults(func=run)
