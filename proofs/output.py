"""Writing to the terminal safely: user text never reaches it raw.

Control characters (C0 and C1, DEL) and invisible format characters (bidirectional overrides,
zero-width marks) in any text we print are shown as escapes (``\\x1b``, ``\\u202e``), so a claim
cannot move the cursor, retitle the terminal or reorder what the reader sees.  Newlines and tabs
of our own layout are kept.
"""
from __future__ import annotations

import os
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


def say(text: str = "", file=None) -> None:
    """print() for text that may contain user input."""
    print(printable(text), file=file or sys.stdout)


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
