"""Writing to the terminal safely: user text never reaches it raw.

Control characters (C0 and C1, DEL) and invisible format characters (bidirectional overrides,
zero-width marks) in any text we print are shown as escapes (``\\x1b``, ``\\u202e``), so a claim
cannot move the cursor, retitle the terminal or reorder what the reader sees.  Newlines and tabs
of our own layout are kept.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import traceback
import unicodedata

_KEEP = {"\n", "\t"}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control or format character escaped (newline and tab kept)."""
    if text.isprintable():
        return text
    return "".join(ch if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
                   else _escape(ch) for ch in text)


_COLOURS = {"holds": "32", "fails": "31", "undecided": "33", "error": "35", "unparsable": "35"}
_WORD = "(holds|fails|undecided|error|unparsable)"
# where a report prints a verdict: the check table's status column, a step's "[MARK] status (",
# a claim's "claim N: status" and "[status (method" (a reason's words are never coloured)
_VERDICT_SITES = re.compile(
    rf"(?m)^(?P<a>\S+\s+){_WORD}(?=\s+\d+/\d+)|(?<=\] ){_WORD}(?= \()"
    rf"|^(?P<b>claim \d+(?: \(line \d+\))?: ){_WORD}$|(?<=\[){_WORD}(?= \()")


def colour_enabled(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org) or the
    terminal is dumb."""
    return (hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb")


def coloured(text: str) -> str:
    """The verdict words of a report in colour (ANSI SGR)."""
    def paint(match: re.Match) -> str:
        prefix = match.group("a") or match.group("b") or ""
        word = next(g for g in match.groups()[1:] if g in _COLOURS and g is not None)
        return f"{prefix}\x1b[{_COLOURS[word]}m{word}\x1b[0m"
    return _VERDICT_SITES.sub(paint, text)


def progress_line(what: str, stream=None):
    """A ``progress(done, total)`` that redraws ``what done/total`` on a terminal (stderr), or
    None when the stream is not a terminal: piped output and logs get results only, no ``\r``."""
    stream = stream or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None

    def progress(done: int, total: int) -> None:
        print(f"\r{what} {done}/{total}", end="" if done < total else "\n", file=stream,
              flush=True)
    return progress


def say(text: str = "", file=None, colour: bool = False) -> None:
    """print() for text that may contain user input; ``colour``: the verdict words of a report
    in colour when the stream is a terminal (after escaping, so no user text adds colour)."""
    stream = file or sys.stdout
    text = printable(text)
    if colour and colour_enabled(stream):
        text = coloured(text)
    print(text, file=stream)


def report_internal_error(error: BaseException, trace: str | None = None) -> int:
    """A bug in diffproof: a short message, the traceback saved to a file; exit code 3."""
    trace = trace or "".join(traceback.format_exception(error))
    try:
        handle, path = tempfile.mkstemp(prefix="diffproof-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(trace)
        where = f"; details in {path}"
    except OSError:
        where = ""
    say(f"diffproof: internal error: {type(error).__name__}: {error} (a bug in diffproof: "
        f"please report it with the command you ran{where})", sys.stderr)
    return 3
