"""The command line: ``diffproof list | check | errata | ...`` (also ``python -m proofs``).

Exit codes: 0 when every checked step holds, 1 when a step fails or is undecided, 2 for a usage
error (unknown id, missing file, bad option, unparsable claim), 3 for an internal error (a bug).
"""
from __future__ import annotations

import argparse
import json
import sys

from proofs import catalog
from proofs.loader import UsageError, select
from proofs.options import add_check_options, options_from
from proofs.output import report_internal_error, say


def _cmd_list(args) -> int:
    rows = [(e.id, e.title, "; ".join(str(s) for s in e.sources)) for e in catalog.entries()]
    if args.json:
        print(json.dumps([{"id": i, "title": t, "sources": s} for i, t, s in rows], indent=2))
        return 0
    width = max(len(r[0]) for r in rows)
    for identifier, title, sources in rows:
        print(f"{identifier:<{width}}  {title}")
        print(f"{'':<{width}}  [{sources}]")
    print(f"{len(rows)} derivations; {len(catalog.erratum_entries())} seed errata (diffproof errata)")
    return 0


def _cmd_check(args) -> int:
    derivations = select(args.targets)      # an unknown id is reported before SymPy is imported
    from proofs.checker import check_derivations
    from proofs.report import as_json, terminal
    from proofs.report.summary import check_exit_code

    options = options_from(args)
    show = not args.json and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"\rchecking step {done}/{total}", end="" if done < total else "\n",
              file=sys.stderr, flush=True)

    results = check_derivations(derivations, options=options, progress=progress if show else None)
    if args.json:
        print(json.dumps(as_json.check_report(results), indent=2))
    else:
        say(terminal.check_report(results, verbose=args.verbose))
    return check_exit_code(results)


def _cmd_errata(args) -> int:
    from proofs.errata import run_errata
    return run_errata(options_from(args), as_json=args.json)


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
    add_check_options(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("errata", help="list the seeds' claims the checker refutes, with evidence")
    add_check_options(p)
    p.set_defaults(func=_cmd_errata)

    from proofs.commands import register_all
    register_all(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:   # argparse: usage error (2) or --help (0)
        return stop.code if isinstance(stop.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        say(f"diffproof: error: {error}", sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("diffproof: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - a bug: say so, exit 3, never a bare traceback
        return report_internal_error(error)
