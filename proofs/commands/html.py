"""``diffproof html -o DIR [ID ...]``: the checked derivations and the seed errata as static HTML.

The checks run as in ``diffproof check`` and ``diffproof errata`` (the same options), in one
worker.  DIR gets ``index.html`` (the totals and a link to every derivation's page),
``errata.html``, ``derivations/*.html`` and the KaTeX files the pages need offline; each file is
written atomically.  Exit 0 when every derivation holds and every erratum is refuted, 1
otherwise, 2 for bad input or an output folder that cannot be written, 3 an internal error.
"""
from __future__ import annotations

import os
import sys

from diffproof.numeric.files import OutputError, check_writable
from diffproof.proofs.commands.train import usage_errors
from diffproof.proofs.loader import UsageError, select_with_errata
from diffproof.proofs.options import add_check_options, options_from
from diffproof.proofs.output import progress_line, say

DESCRIPTION = """\
Check derivations (default: the whole catalog and its seed errata) and write a static HTML report
into DIR: index.html with the totals and a link to every derivation's page (each step's formula,
verdict, method, justification, source, reason and counterexample), errata.html, and KaTeX's
files, so the pages work offline in any browser.  Targets are derivation ids, erratum ids or .py
files of derivations.  Exit 0 when every derivation holds and every erratum is refuted, 1
otherwise, 2 for bad usage or an output folder that cannot be written."""


def register(subparsers) -> None:
    p = subparsers.add_parser("html", help="write the checked derivations as static HTML pages",
                              description=DESCRIPTION)
    p.add_argument("targets", nargs="*",
                   help="derivation or erratum ids, or .py files (default: the catalog and errata)")
    p.add_argument("-o", "--output", metavar="DIR", required=True,
                   help="the folder to write (created when missing; report files in it are replaced)")
    add_check_options(p, json=False)
    p.set_defaults(func=run)


def check_folder(path: str) -> None:
    """A usage error unless ``path`` is (or can be created as) a folder we can write files in."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"-o {path}: exists and is not a directory")
    usage_errors(check_writable, os.path.join(path, "index.html"))


def run(args) -> int:
    check_folder(args.output)
    derivations, errata = select_with_errata(args.targets)
    from diffproof.proofs.checker import check_derivations  # noqa: PLC0415
    from diffproof.proofs.report.html_site import write_site  # noqa: PLC0415
    from diffproof.proofs.report.summary import check_exit_code, summary_line  # noqa: PLC0415

    checked = check_derivations(derivations + [e.claim for e in errata], options=options_from(args),
                                progress=progress_line("checking step"))
    results, claims = checked[:len(derivations)], checked[len(derivations):]
    try:
        pages = write_site(args.output, results, list(zip(errata, claims)))
    except OutputError as error:
        raise UsageError(str(error)) from None
    if results or not errata:
        say(summary_line(results))
    refuted = sum(result.status == "fails" for result in claims)
    if errata:
        say(f"{refuted} of {len(errata)} seed errata refuted")
    say(f"wrote {os.path.join(args.output, 'index.html')} and {len(pages) - 1} more pages",
        sys.stderr)
    code = check_exit_code(results) if results else 0
    return max(code, 0 if refuted == len(errata) else 1)
