"""``diffproof check``: the catalog, named derivations or a Python file of derivations.

Exit codes: 0 every step holds, 1 a step fails or is undecided, 2 bad usage (an unknown id is
reported, with the closest ids, before SymPy is imported), 3 an internal error.
"""
from __future__ import annotations

import json

from diffproof.proofs.loader import select
from diffproof.proofs.options import add_check_options, options_from
from diffproof.proofs.output import progress_line, say


def run(args) -> int:
    # an unknown id is reported before SymPy is imported; the catalog's derivations are built
    # by the checker, topic by topic, while its workers check the topics built before
    derivations = select(args.targets, built=False)
    from diffproof.proofs.checker import check_derivations
    from diffproof.proofs.report import as_json, terminal
    from diffproof.proofs.report.summary import check_exit_code

    options = options_from(args)
    progress = None if args.json else progress_line("checking step")
    results = check_derivations(derivations, options=options, progress=progress)
    if args.json:
        print(json.dumps(as_json.check_report(results), indent=2))
    else:
        say(terminal.check_report(results, verbose=args.verbose), colour=True)
    return check_exit_code(results)


def register(subparsers) -> None:
    p = subparsers.add_parser("check", help="check the catalog, named derivations, or a Python file")
    p.add_argument("targets", nargs="*", help="derivation ids or paths to .py files (default: all)")
    p.add_argument("-v", "--verbose", action="store_true", help="show every step")
    add_check_options(p)
    p.set_defaults(func=run)
