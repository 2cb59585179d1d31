"""Run the command examples of README.md and docs/*.md and compare their output.

The convention (docs/contributing-docs.md states it for writers):

* An **example** is a fenced code block whose first line starts with ``$ ``. Every line starting
  with ``$ `` is a command; the lines after it, up to the next ``$ `` line or the closing fence,
  are its expected output (standard output and standard error together, as a terminal shows them).
* A command line ending in ``\\`` continues on the next line; a here-document (``<<'EOF'``) takes
  the lines up to its terminator as part of the command.
* A line that is exactly ``...`` in the expected output matches any run of lines (none included).
* Output is compared as a terminal shows it: after a carriage return (a progress bar redrawn in
  place) only the text after the last one on its line counts.
* Timings are normalized before comparing, on both sides: every number with a decimal point
  directly followed by ``s`` (``0.19s``, ``(30.59s)``, the ``time`` column of ``diffproof check``),
  with the spaces before it, becomes `` <TIME>`` (``TIMING`` below). Trailing spaces and trailing
  blank lines are ignored.
* A command must exit 0 unless its exit code is shown: write ``$ cmd; echo "exit $?"`` and put the
  ``exit N`` line in the expected output.
* Commands run through ``bash`` with the word ``diffproof`` replaced by ``python -m diffproof`` and
  ``python`` by the running interpreter, with cwd = the repository root (so the tested tree's code
  runs), ``HOME`` and ``TMPDIR`` set to a fresh temporary directory shared by the commands of one
  block (write files to ``~/``), ``NO_COLOR=1``, no terminal (stdin is empty). The temporary
  directory's path in the output is shown as ``~``.
* ``<!-- requires: PROGRAM ... -->`` before a block skips it (reported) when a program is not on
  PATH (``pdflatex`` for ``diffproof latex --pdf``; CI installs it).
* A block that must not run in tests (a ``pip install``, a training run of minutes) is preceded
  by ``<!-- not-run: REASON -->`` (blank lines between are allowed). The runner counts and reports
  these. A fenced block without ``$ `` lines whose first line is a ``diffproof``, ``python`` or
  ``pip`` command must carry that marker too (otherwise it is an unchecked example: an error).

``python tests/docs_examples.py [FILE ...]`` runs the examples and prints a summary;
``--update`` rewrites the expected output of every mismatching command with the real output
(then restore the ``...`` elisions you want by hand).
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.+?)\s*-->\s*$")
REQUIRES = re.compile(r"^<!--\s*requires:\s*([\w.+-]+(?:\s+[\w.+-]+)*)\s*-->\s*$")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
TIMING = re.compile(r" *\b\d+\.\d+s\b")
ELLIPSIS = "..."
COMMAND_WORDS = re.compile(r"^(diffproof|python3?|pip)\b")
# `diffproof` or `python` as a command word: at the start, after ; & | ( or an env assignment
COMMAND_NAME = re.compile(r"(^|[;&|(]\s*|^(?:\w+=\S*\s+)+|[;&|(]\s*(?:\w+=\S*\s+)+)"
                          r"(diffproof|python3?)(?=\s|$)", re.M)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


@dataclasses.dataclass
class Command:
    line: int              # 1-based line of the `$ ` line in the file
    text: str              # the command, without `$ `, continuation lines joined
    expected: list[str]    # expected output lines
    indent: str = ""        # the fence's indentation (a block inside a list item)


@dataclasses.dataclass
class Block:
    path: str
    line: int              # 1-based line of the opening fence
    commands: list[Command]
    skip: str | None = None  # the not-run reason
    requires: tuple[str, ...] = ()  # programs that must be on PATH, else the block is skipped

    def missing(self) -> list[str]:
        import shutil
        return [program for program in self.requires if shutil.which(program) is None]

    @property
    def name(self) -> str:
        return f"{self.path}:{self.line}"


class DocsError(Exception):
    """A Markdown file breaks the convention (an unmarked command block, an unclosed fence)."""


def parse(text: str, path: str = "<text>") -> list[Block]:
    """Every example block of a Markdown text, and every not-run block."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    pending_skip: str | None = None
    pending_requires: tuple[str, ...] = ()
    while i < len(lines):
        marker = NOT_RUN.match(lines[i].strip())
        if marker:
            pending_skip = marker.group(1)
            i += 1
            continue
        needs = REQUIRES.match(lines[i].strip())
        if needs:
            pending_requires = tuple(needs.group(1).split())
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            if lines[i].strip():
                pending_skip, pending_requires = None, ()
            i += 1
            continue
        indent, ticks, info = fence.groups()
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^\s*{re.escape(ticks[0])}{{{len(ticks)},}}\s*$",
                                              lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        if i == len(lines):
            raise DocsError(f"{path}:{start + 1}: unclosed code fence")
        i += 1
        skip, pending_skip = pending_skip, None
        requires, pending_requires = pending_requires, ()
        first = next((b for b in body if b.strip()), "")
        if first.startswith("$ "):
            blocks.append(Block(path, start + 1, _commands(body, start + 2, path, indent), skip,
                                requires))
        elif skip is not None:
            blocks.append(Block(path, start + 1, [], skip))
        elif info.strip() in ("", "console", "shell", "sh", "bash", "text") \
                and COMMAND_WORDS.match(first):
            raise DocsError(f"{path}:{start + 1}: a command block without '$ ' lines; write the "
                            "commands as '$ cmd' with their output, or mark the block "
                            "<!-- not-run: REASON -->")
    return blocks


def _commands(body: list[str], first_line: int, path: str, indent: str = "") -> list[Command]:
    commands: list[Command] = []
    j = 0
    while j < len(body):
        line = body[j]
        if not line.startswith("$ "):
            if not commands:
                raise DocsError(f"{path}:{first_line + j}: output before the first command")
            commands[-1].expected.append(line)
            j += 1
            continue
        number, text = first_line + j, line[2:]
        j += 1
        while text.endswith("\\") and j < len(body):
            text += "\n" + body[j]
            j += 1
        heredoc = HEREDOC.search(text)
        if heredoc:
            end = heredoc.group(1)
            while j < len(body):
                text += "\n" + body[j]
                j += 1
                if body[j - 1].strip() == end:
                    break
            else:
                raise DocsError(f"{path}:{number}: here-document without its {end} line")
        commands.append(Command(number, text, [], indent))
    return commands


def shell_command(text: str) -> str:
    """The command as the tests run it: `diffproof` -> `python -m diffproof`, `python` -> this
    interpreter (only as command words, so claim text and file names are left alone)."""
    python = sys.executable

    def replace(match: re.Match) -> str:
        word = match.group(2)
        return match.group(1) + (f"{python} -m diffproof" if word == "diffproof" else python)
    first, *rest = text.split("\n", 1)   # a here-document's body is input, not commands
    return COMMAND_NAME.sub(replace, first) + ("\n" + rest[0] if rest else "")


def terminal_lines(text: str) -> list[str]:
    """The lines as a terminal leaves them: a carriage return (a progress bar redrawn in place)
    keeps only what follows the last one on its line."""
    lines = []
    for line in text.split("\n"):
        pieces = [piece for piece in line.split("\r") if piece]
        lines.append(pieces[-1] if pieces else "")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def normalize(lines: list[str], home: str | None = None) -> list[str]:
    out = []
    for line in lines:
        if home:
            line = line.replace(home, "~")
        out.append(TIMING.sub(" <TIME>", line).rstrip())
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """`...` lines in `expected` match any run of lines; the rest must be equal."""
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        if i == len(expected):
            result = j == len(actual)
        elif expected[i] == ELLIPSIS:
            result = go(i + 1, j) or (j < len(actual) and go(i, j + 1))
        else:
            result = j < len(actual) and expected[i] == actual[j] and go(i + 1, j + 1)
        memo[i, j] = result
        return result
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * (len(expected) + len(actual)) + 100))
    return go(0, 0)


@dataclasses.dataclass
class Outcome:
    command: Command
    actual: list[str]       # raw output lines (home path shown as ~)
    ok: bool
    seconds: float
    cpu: float

    def diff(self) -> str:
        import difflib
        expected = normalize(self.command.expected)
        actual = normalize(self.actual)
        return "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))


def run_block(block: Block, root: Path = ROOT, timeout: float = 600,
              keep_going: bool = False) -> list[Outcome]:
    """Run a block's commands in order, in one fresh temporary HOME; stop at the first mismatch
    unless `keep_going`."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="diffproof-docs-") as home:
        home = os.path.realpath(home)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PYTEST_", "COV_", "HYPOTHESIS_")) and key != "COLUMNS"}
        env.update(HOME=home, TMPDIR=home, TMP=home, TEMP=home, NO_COLOR="1", TERM="dumb",
                   PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
        for command in block.commands:
            before = os.times()
            start = time.perf_counter()
            done = subprocess.run(["bash", "-c", shell_command(command.text)], cwd=root, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=timeout)
            after = os.times()
            seconds = time.perf_counter() - start
            cpu = (after.children_user + after.children_system
                   - before.children_user - before.children_system)
            text = done.stdout.decode("utf-8", "replace").replace(home, "~")
            actual = terminal_lines(text)
            if done.returncode != 0:
                actual.append(f"(exit code {done.returncode}, not shown in the docs: "
                              "write `; echo \"exit $?\"`)")
            ok = done.returncode == 0 and matches(normalize(command.expected), normalize(actual))
            outcomes.append(Outcome(command, actual, ok, seconds, cpu))
            if not ok and not keep_going:
                break
    return outcomes


def update(path: Path, outcomes: list[Outcome]) -> None:
    """Replace the expected output of each mismatching command by its real output."""
    lines = path.read_text().splitlines()
    for outcome in sorted((o for o in outcomes if not o.ok), key=lambda o: -o.command.line):
        start = outcome.command.line - 1 + outcome.command.text.count("\n") + 1
        end = start + len(outcome.command.expected)
        lines[start:end] = [outcome.command.indent + line if line else line
                            for line in outcome.actual]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    do_update = "--update" in argv
    paths = [Path(a).resolve() for a in argv if a != "--update"] or markdown_files()
    ran = skipped = failed = 0
    wall = cpu = 0.0
    for path in paths:
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        blocks = parse(path.read_text(), name)
        outcomes: list[Outcome] = []
        for block in blocks:
            if block.skip is not None or block.missing():
                skipped += 1
                print(f"skip {block.name}: {block.skip or 'needs ' + ', '.join(block.missing())}")
                continue
            results = run_block(block, keep_going=do_update)
            outcomes += results
            for outcome in results:
                ran += 1
                wall += outcome.seconds
                cpu += outcome.cpu
                state = "ok  " if outcome.ok else "FAIL"
                print(f"{state} {path.name}:{outcome.command.line} {outcome.seconds:6.1f}s wall "
                      f"{outcome.cpu:6.1f}s CPU  $ {outcome.command.text.splitlines()[0][:70]}")
                if not outcome.ok:
                    failed += 1
                    print(outcome.diff())
        if do_update and any(not o.ok for o in outcomes):
            update(path, outcomes)
    print(f"{ran} commands run ({failed} failed), {skipped} blocks not run; "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
