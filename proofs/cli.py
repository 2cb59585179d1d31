"""The command line: ``diffproof list | check | errata | ...`` (also ``python -m proofs``).

Exit codes: 0 when every checked step holds, 1 when a step fails or is undecided, 2 for a usage
error (unknown id, missing file, bad option).
"""
from __future__ import annotations

import argparse
import json
import sys

from proofs import catalog
from proofs.loader import UsageError, select


def _cmd_list(args) -> int:
    rows = [(d.id, d.title, "; ".join(str(s) for s in d.sources)) for d in catalog.derivations()]
    if args.json:
        print(json.dumps([{"id": i, "title": t, "sources": s} for i, t, s in rows], indent=2))
        return 0
    width = max(len(r[0]) for r in rows)
    for identifier, title, sources in rows:
        print(f"{identifier:<{width}}  {title}")
        print(f"{'':<{width}}  [{sources}]")
    print(f"{len(rows)} derivations; {len(catalog.errata())} seed errata (diffproof errata)")
    return 0


def _options(args):
    from proofs.checker import Options
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if not args.budget > 0:
        raise UsageError(f"--budget must be a positive number of seconds, got {args.budget}")
    return Options(numeric=not args.no_numeric, seed=args.seed, budget=args.budget,
                   run_checks=not args.no_checks)


def _cmd_check(args) -> int:
    from proofs.checker import check_derivation
    from proofs.report import terminal, to_json

    derivations = select(args.targets)
    options = _options(args)
    results = []
    for derivation in derivations:
        if not args.json and sys.stderr.isatty():
            print(f"checking {derivation.id} ...", file=sys.stderr, end="\r")
        results.append(check_derivation(derivation, options=options))
    if args.json:
        print(json.dumps(to_json(results), indent=2))
    else:
        print(terminal(results, verbose=args.verbose))
    return 0 if all(r.status == "holds" for r in results) else 1


def _cmd_errata(args) -> int:
    from proofs.errata import run_errata
    return run_errata(_options(args), as_json=args.json)


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-numeric", action="store_true",
                        help="symbolic only: a step not proved symbolically is undecided")
    parser.add_argument("--no-checks", action="store_true",
                        help="skip the steps' extra checks (Monte Carlo, simulations)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random stream (default 0)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds of symbolic simplification per step (default 2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffproof",
        description="Check the derivations of diffusion-model mathematics, symbolically and numerically.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list every derivation id, title and source")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("check", help="check the catalog, named derivations, or a Python file")
    p.add_argument("targets", nargs="*", help="derivation ids or paths to .py files (default: all)")
    p.add_argument("-v", "--verbose", action="store_true", help="show every step")
    _add_check_options(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("errata", help="list the seeds' claims the checker refutes, with evidence")
    _add_check_options(p)
    p.set_defaults(func=_cmd_errata)

    from proofs.commands import register_all
    register_all(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        print(f"diffproof: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("diffproof: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
