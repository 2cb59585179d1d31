"""``diffproof latex [ID ...] [-o PATH] [--pdf] [--markdown]``: the checked catalog as a document.

Without ``-o`` the LaTeX (or Markdown) goes to standard output.  ``--pdf`` compiles with pdflatex
(run twice, for the summary's section references) and writes ``-o PATH`` (default
``diffproof.pdf``) with the ``.tex`` beside it.  Exit 0 when the document was written, 1 when
pdflatex reported an error (the log excerpt is printed), 2 for bad input, a missing pdflatex or an
output that cannot be written.  Every file is written atomically (numeric.files): the PDF is
compiled in a temporary directory and only the finished PDF is moved into place; pdflatex runs
with shell escape disabled.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from diffproof.numeric.files import OutputError, atomic_write, atomic_write_text, check_writable
from diffproof.proofs.commands.train import usage_errors
from diffproof.proofs.loader import UsageError, select_with_errata
from diffproof.proofs.output import progress_line

# -no-shell-escape: a document must never run commands (\write18), whatever texmf.cnf says
PDFLATEX_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")

INSTALL_HINT = ("install it with: apt-get install texlive-latex-base texlive-latex-recommended "
                "(Debian/Ubuntu), or write the .tex with -o and compile it elsewhere")


@dataclass
class CompileResult:
    ok: bool
    log: str
    problems: list[str]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "latex", help="write the checked derivations as a LaTeX document (or Markdown, or a PDF)")
    p.add_argument("targets", nargs="*", help="derivation or erratum ids, or .py files (default: all)")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="write here (default: standard output; with --pdf: diffproof.pdf)")
    p.add_argument("--pdf", action="store_true", help="compile with pdflatex")
    p.add_argument("--markdown", action="store_true", help="Markdown with $$ blocks (GitHub, Jupyter)")
    p.add_argument("--no-checks", action="store_true",
                   help="skip the steps' extra checks (Monte Carlo, simulations)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random stream (default 0)")
    p.set_defaults(func=run)


def build(targets: list[str], markdown: bool = False, run_checks: bool = True, seed: int = 0,
          progress=None) -> str:
    """Check the selection (the derivations and the errata's claims in one worker;
    ``progress(done, total)`` after each step) and return the document's text."""
    from diffproof.proofs.checker import Options, check_derivations  # noqa: PLC0415
    from diffproof.proofs.report.latex import latex_document  # noqa: PLC0415
    from diffproof.proofs.report.markdown import markdown_document  # noqa: PLC0415

    derivations, errata = select_with_errata(targets)
    options = Options(seed=seed, run_checks=run_checks)
    checked = check_derivations(list(derivations) + [e.claim for e in errata], options=options,
                                progress=progress)
    results, claims = checked[:len(derivations)], checked[len(derivations):]
    return (markdown_document if markdown else latex_document)(results, list(zip(errata, claims)))


def run(args) -> int:
    if args.pdf and args.markdown:
        raise UsageError("--pdf and --markdown exclude each other (Markdown is not compiled)")
    pdflatex = None
    if args.pdf:
        pdflatex = shutil.which("pdflatex")
        if pdflatex is None:
            print("diffproof: error: --pdf needs pdflatex, which is not on PATH; " + INSTALL_HINT,
                  file=sys.stderr)
            return 2
    pdf_path = args.output or "diffproof.pdf"
    if args.pdf and not pdf_path.endswith(".pdf"):
        raise UsageError(f"with --pdf the output must end in .pdf, got {pdf_path!r}")
    tex_path = pdf_path[:-4] + ".tex"
    outputs = [pdf_path, tex_path] if args.pdf else [args.output] if args.output else []
    for path in outputs:
        usage_errors(check_writable, path, make_dirs=False)
    text = build(args.targets, markdown=args.markdown, run_checks=not args.no_checks, seed=args.seed,
                 progress=progress_line("checking step"))
    try:
        return _write(args, text, pdf_path, tex_path, pdflatex)
    except OutputError as error:
        raise UsageError(str(error)) from None


def _write(args, text: str, pdf_path: str, tex_path: str, pdflatex: str | None) -> int:
    if not args.pdf:
        if args.output:
            atomic_write_text(args.output, text)
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    atomic_write_text(tex_path, text)
    result = compile_pdf(tex_path, pdf_path, pdflatex)
    if not result.ok:
        print(f"diffproof: error: pdflatex failed on {tex_path}:", file=sys.stderr)
        for problem in result.problems:
            print("  " + problem.replace("\n", "\n  "), file=sys.stderr)
        return 1
    print(f"wrote {pdf_path} (source {tex_path})", file=sys.stderr)
    for problem in result.problems:
        print("warning: " + problem, file=sys.stderr)
    return 0


def compile_pdf(tex_path: str, pdf_path: str, pdflatex: str | None = None,
                timeout: float = 120.0) -> CompileResult:
    """Run pdflatex twice in a temporary directory (shell escape off); errors and undefined
    references reported.  The finished PDF replaces pdf_path atomically; nothing is written to
    pdf_path on failure."""
    pdflatex = pdflatex or shutil.which("pdflatex")
    if pdflatex is None:
        return CompileResult(False, "", ["pdflatex is not on PATH; " + INSTALL_HINT])
    with tempfile.TemporaryDirectory(prefix="diffproof-latex-") as work:
        source = os.path.join(work, "document.tex")
        shutil.copyfile(tex_path, source)
        log = ""
        for _ in range(2):
            try:
                proc = subprocess.run(
                    [pdflatex, *PDFLATEX_FLAGS, "document.tex"], cwd=work, capture_output=True,
                    timeout=timeout, stdin=subprocess.DEVNULL,
                    env={**os.environ, "shell_escape": "f"})  # kpathsea: off in texmf.cnf terms
            except subprocess.TimeoutExpired:
                return CompileResult(False, log, [f"pdflatex took more than {timeout:g} s"])
            log_file = os.path.join(work, "document.log")
            log = _read(log_file) if os.path.exists(log_file) else proc.stdout.decode("latin-1")
            if proc.returncode != 0:
                return CompileResult(False, log, log_errors(log) or
                                     [f"pdflatex exited with status {proc.returncode}"])
        with open(os.path.join(work, "document.pdf"), "rb") as built:
            atomic_write(pdf_path, lambda handle: shutil.copyfileobj(built, handle))
    return CompileResult(True, log, log_warnings(log))


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("latin-1")


def log_errors(log: str) -> list[str]:
    """Each ``! ...`` error of a pdflatex log with the lines that locate it."""
    lines = log.splitlines()
    out = []
    for index, line in enumerate(lines):
        if line.startswith("! "):
            context = [l for l in lines[index:index + 6] if l.strip()]
            out.append("\n".join(context))
    return out


def log_warnings(log: str) -> list[str]:
    """Undefined references and citations, and a rerun request: what a clean PDF must not have."""
    patterns = [r"LaTeX Warning: Reference `[^']*' on page \d+ undefined",
                r"LaTeX Warning: There were undefined references",
                r"LaTeX Warning: Citation `[^']*' on page \d+ undefined",
                r"LaTeX Warning: Label\(s\) may have changed"]
    return [m.group(0) for p in patterns for m in re.finditer(p, log)]
