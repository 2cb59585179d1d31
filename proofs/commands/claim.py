"""``diffproof claim``: check equations written in LaTeX (one formula, or every display of a file).

Exit codes: 0 every step holds, 1 a step fails or is undecided, 2 unparsable input or bad usage,
3 an internal error (a bug in diffproof).
"""
from __future__ import annotations

import json
import re

from diffproof.proofs.loader import UsageError
from diffproof.proofs.options import add_check_options, options_from
from diffproof.proofs.output import progress_line, say


# a path ending in .tex or .md given where a formula goes
_FILE_NAME = re.compile(r"[\w./~-]*\.(?:tex|md|markdown)")


def _run(args) -> int:
    from diffproof.proofs.claims.document import MAX_DISPLAY_CHARS, is_markdown, read_document
    from diffproof.proofs.claims.run import check_file_text, check_text
    from diffproof.proofs.report import as_json, terminal
    from diffproof.proofs.report.summary import claim_exit_code

    options = options_from(args)
    if (args.file is None) == (args.latex is None):
        raise UsageError("give either a LaTeX formula or --file PATH")
    if args.file is not None:
        text = read_document(args.file)
        progress = None if args.json else progress_line("checking claim")
        claims = check_file_text(text, args.assume, options, markdown=is_markdown(args.file),
                                 progress=progress)
        if not claims:
            raise UsageError(f"{args.file} has no displayed equation ($$...$$, \\[...\\], "
                             "equation, align)")
    else:
        if _FILE_NAME.fullmatch(args.latex.strip()):
            raise UsageError(f"{args.latex.strip()!r} looks like a file name, not a formula: to "
                             f"check the displays of a file, write --file {args.latex.strip()}")
        if len(args.latex) > MAX_DISPLAY_CHARS:
            raise UsageError(f"the claim has {len(args.latex)} characters; a claim may have at "
                             f"most {MAX_DISPLAY_CHARS}")
        claims = check_text([(args.latex, None)], list(args.assume), options)
    if args.json:
        print(json.dumps(as_json.claim_report(claims), indent=2, default=str))
    else:
        say(terminal.claim_report(claims), colour=True)
    return claim_exit_code(claims)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "claim", help="check an equation or derivation written in LaTeX",
        description="Check a LaTeX claim: 'a = b', a chain 'a &= b \\\\ &= c' (one verdict per "
                    "step), or every displayed equation of a .tex/.md file.")
    parser.add_argument("latex", nargs="?", help="the LaTeX of one claim")
    parser.add_argument("--file", help="a .tex or .md file: check every displayed equation")
    parser.add_argument("--assume", action="append", default=[], metavar="LATEX",
                        help="an assumption or definition, e.g. '0 < a < 1' or 'g(t) = t^2' "
                             "(repeatable; adds to the file's %% assume: lines)")
    add_check_options(parser, checks=False)
    parser.set_defaults(func=_run)
