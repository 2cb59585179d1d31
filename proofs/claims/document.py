"""Reading a .tex/.md document for ``diffproof claim``: its displays, its ``% assume:`` lines and
the lines of one display.

Every reader is linear in its input.  The scanners move forward through the text; delimiters are
looked up with :class:`_Cursor`, which remembers its last answer per needle, so a text full of
unclosed openings (``\\[\\[\\[...``) is searched once, not once per opening.  The regular
expressions left are literals or single runs that cannot backtrack.

Limits (:class:`DocumentError`, a usage error): a file of at most :data:`MAX_DOCUMENT_BYTES` of
UTF-8 (:func:`read_document`), at most :data:`MAX_DISPLAYS` displays of at most
:data:`MAX_DISPLAY_CHARS` characters each (:func:`extract_displays`).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from diffproof.derive.latex.tokens import LatexParseError, has_relation
from diffproof.proofs.loader import UsageError

MAX_DOCUMENT_BYTES = 1 << 20       # 1 MiB
MAX_DISPLAYS = 1000
MAX_DISPLAY_CHARS = 10_000
ENVIRONMENTS = ("equation", "align", "aligned", "gather", "gathered", "multline", "eqnarray",
                "split")
MARKDOWN_SUFFIXES = (".md", ".markdown")


class DocumentError(UsageError):
    """A document the reader refuses: missing, unreadable, not UTF-8, or over a limit."""


@dataclass
class Display:
    """One displayed equation of a document: its LaTeX and the line it starts on (1-based)."""

    latex: str
    line: int


# ---------------------------------------------------------------------------------------------
# the file
# ---------------------------------------------------------------------------------------------
def _bytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB ({size} bytes)"


def read_document(path: str) -> str:
    """The text of a document, UTF-8 (a leading byte-order mark dropped) of at most
    MAX_DOCUMENT_BYTES; a DocumentError naming the file and the problem otherwise."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise DocumentError(f"no such file: {path}") from None
    except OSError as error:
        raise DocumentError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        actual = _bytes(size) if size > MAX_DOCUMENT_BYTES else "larger than that"
        raise DocumentError(f"{path} is {actual}; a document may have at most "
                            f"{_bytes(MAX_DOCUMENT_BYTES)}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentError(f"{path} is not UTF-8 text: byte 0x{data[error.start]:02x} at offset "
                            f"{error.start} ({error.reason})") from None


def is_markdown(path: str) -> bool:
    """Whether a file is read as markdown (fenced code blocks skipped) rather than LaTeX."""
    return path.lower().endswith(MARKDOWN_SUFFIXES)


def _fence(line: str) -> tuple[str, int] | None:
    """(character, length) of a code fence (``` or ~~~, any indentation) opening a line."""
    stripped = line.lstrip(" \t")
    char = stripped[:1]
    if char not in ("`", "~"):
        return None
    length = len(stripped) - len(stripped.lstrip(char))
    if length < 3 or (char == "`" and "`" in stripped[length:]):
        return None                       # ``code`` spans, or too short
    return char, length


def without_code_blocks(text: str) -> str:
    """Markdown text with every line of its fenced code blocks emptied (an unclosed fence runs to
    the end); newlines are kept, so line numbers still hold."""
    lines = text.split("\n")
    opened = None
    for index, line in enumerate(lines):
        fence = _fence(line)
        if opened is None and fence is None:
            continue
        if opened is None:
            opened = fence
        elif (fence and fence[0] == opened[0] and fence[1] >= opened[1]
              and not line.lstrip(" \t")[fence[1]:].strip()):
            opened = None
        lines[index] = ""
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# scanning
# ---------------------------------------------------------------------------------------------
_SPACES = re.compile(r"\s*")               # one greedy run: nothing after it to backtrack into


def _skip_spaces(text: str, start: int) -> int:
    """The end of the whitespace (newlines included) starting at ``start``."""
    return _SPACES.match(text, start).end()


class _Cursor:
    """Look-ups in one text for positions that grow: the next occurrence of a needle, and the
    whitespace after a line, each remembered so that no stretch of text is searched twice."""

    def __init__(self, text: str):
        self.text = text
        self._found: dict[str, tuple[int, int]] = {}
        self._run = (0, -1)

    def find(self, needle: str, start: int) -> int:
        """The first occurrence of ``needle`` at or after ``start``, -1 if none."""
        since, found = self._found.get(needle, (len(self.text) + 1, -1))
        if not (since <= start and (found < 0 or start <= found)):
            found = self.text.find(needle, start)
            self._found[needle] = since, found = start, found
        return found

    def line_end(self, start: int) -> int:
        end = self.find("\n", start)
        return len(self.text) if end < 0 else end

    def blank_after(self, start: int) -> int:
        """:func:`_skip_spaces` from ``start``, remembered for the starts in the same run."""
        since, end = self._run
        if not since <= start <= end:
            self._run = since, end = start, _skip_spaces(self.text, start)
        return end


_OPENING = re.compile(r"\$\$|\\\[|\\begin\{")
_LONGEST_NAME = max(map(len, ENVIRONMENTS)) + 1


def _closing(text: str, start: int) -> tuple[int, str | None]:
    """(where the body starts, the closing delimiter) of the opening at ``start``; None for a
    ``\\begin`` of another environment."""
    if text.startswith("$$", start):
        return start + 2, "$$"
    if text.startswith("\\[", start):
        return start + 2, "\\]"
    name_start = start + len("\\begin{")
    brace = text.find("}", name_start, name_start + _LONGEST_NAME + 1)
    name = text[name_start:brace] if brace >= 0 else ""
    if name.removesuffix("*") in ENVIRONMENTS:
        return brace + 1, "\\end{" + name + "}"
    return start, None


def _checked(display: Display, count: int) -> Display:
    if count >= MAX_DISPLAYS:
        raise DocumentError(f"more than {MAX_DISPLAYS} displayed equations (the limit, reached at "
                            f"line {display.line}); check the document in parts")
    if len(display.latex) > MAX_DISPLAY_CHARS:
        raise DocumentError(f"the display at line {display.line} has {len(display.latex)} "
                            f"characters; a display may have at most {MAX_DISPLAY_CHARS}")
    return display


def extract_displays(text: str, markdown: bool = False) -> list[Display]:
    """The displayed equations of a .tex or .md file, in order, with their line numbers.

    ``$$...$$``, ``\\[...\\]`` and the environments of ENVIRONMENTS (starred or not) with a
    non-empty body, each closed by the first closing delimiter after it; an opening never closed
    is text.  ``markdown``: fenced code blocks are skipped.  DocumentError past MAX_DISPLAYS
    displays or for a display longer than MAX_DISPLAY_CHARS."""
    if markdown:
        text = without_code_blocks(text)
    cursor = _Cursor(text)
    displays: list[Display] = []
    position, line, counted = 0, 1, 0
    while opening := _OPENING.search(text, position):
        start = opening.start()
        body, closing = _closing(text, start)
        end = cursor.find(closing, body + 1) if closing else -1
        if end < 0:
            position = start + 1
            continue
        line += text.count("\n", counted, start)
        counted = start
        displays.append(_checked(Display(text[body:end], line), len(displays)))
        position = end + len(closing)
    return displays


_ASSUME_EVENT = re.compile(r"%|<!--")


def _comment_assumption(text: str, cursor: _Cursor, percent: int, since: int
                        ) -> tuple[str, int] | None:
    """(assumption, end) of ``% assume: ...`` read at the ``%`` at ``percent``, which must open a
    line (after whitespace, from ``since`` on); the assumption is the rest of the line, or of the
    next non-blank one when the line stops after ``assume:``."""
    spaces = since + len(text[since:percent].rstrip())
    if spaces > 0 and text[spaces - 1] != "\n" and text.find("\n", spaces, percent) < 0:
        return None                                    # not at the start of a line
    keyword = _skip_spaces(text, percent + 1)
    if not text.startswith("assume:", keyword):
        return None
    after = keyword + len("assume:")
    start = _skip_spaces(text, after)
    if start == len(text):                             # only whitespace to the end
        rest = text[after:].rstrip("\n")
        return (rest[-1], len(text)) if rest else None
    value = text[start:cursor.line_end(start)].rstrip()
    stop = start + len(value)
    run = _skip_spaces(text, stop)
    return value, (run if run == len(text) else text.rfind("\n", stop, run))


def _html_assumption(text: str, cursor: _Cursor, opening: int) -> tuple[str, int] | None:
    """(assumption, end) of ``<!-- assume: ... -->`` at ``opening``: up to the first ``-->``
    on its line (or after only whitespace below it)."""
    keyword = _skip_spaces(text, opening + len("<!--"))
    if not text.startswith("assume:", keyword):
        return None
    after = keyword + len("assume:")
    start = _skip_spaces(text, after)
    if start < len(text):
        close = cursor.find("-->", start + 1)
        line_end = cursor.line_end(start)
        if close >= 0 and (close <= line_end or cursor.blank_after(line_end) == close):
            return text[start:min(close, line_end)].rstrip(), close + 3
    rest = text[after:start].rstrip("\n")
    if rest and text.startswith("-->", start):         # "<!-- assume: -->": a blank assumption
        return rest[-1], start + 3
    return None


def extract_assumptions(text: str, markdown: bool = False) -> list[str]:
    """The ``% assume:`` lines (``%`` opening a line) and ``<!-- assume: ... -->`` comments of a
    document, in order.  ``markdown``: fenced code blocks are skipped."""
    if markdown:
        text = without_code_blocks(text)
    cursor = _Cursor(text)
    found: list[str] = []
    position = since = 0
    while event := _ASSUME_EVENT.search(text, position):
        start = event.start()
        if text[start] == "%":
            read = _comment_assumption(text, cursor, start, since)
        else:
            read = _html_assumption(text, cursor, start)
        if read is None:
            position = since = start + 1
            continue
        found.append(read[0])
        position = since = read[1]
    return found


# ---------------------------------------------------------------------------------------------
# the lines of a display
# ---------------------------------------------------------------------------------------------
_ENVS = r"(?:" + "|".join(ENVIRONMENTS) + r")\*?"
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{" + _ENVS + r"\}(?:\{[^}]*\})?")
_TAG = re.compile(r"\\(?:tag|label)\*?\s*\{[^{}]*\}|\\(?:nonumber|notag)\b")
_IMPLIES = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|therefore|iff|Leftrightarrow|"
                      r"Longleftrightarrow)\b")
# possessive runs: a trailing justification is matched without backtracking into the spaces
_JUSTIFICATION = re.compile(r"\\(?:q?quad|text|textrm|mbox)\s*+\{[^{}]*\}\s*+[.,;]?\s*+$")
_OPERATOR_NAME = re.compile(r"\\(?:text|textrm)\s*\{([A-Za-z]{1,4})\}(?=\s*[(_^])")
_MARKED_EQUALS = re.compile(r"\\(stackrel|overset)\s*\{\s*\\(?:text|textrm|mathrm|mbox)\s*"
                            r"\{([^{}]*)\}\s*\}")
_TEXT = re.compile(r"\\(?:text|textrm|mbox)\s*\{[^{}]*\}")
_SPACING = re.compile(r"\\q?quad\b|\\[,;:!]")


def text_in_scripts_as_names(line: str) -> str:
    """``\\text{...}`` in a subscript or superscript (``c_{\\text{out}}``, ``\\sigma_\\text{data}``,
    ``x^{\\text{cond}}``) is part of a name, as ``\\mathrm{...}``: never prose to drop."""
    out, i = [], 0
    for match in _TEXT.finditer(line):
        before = line[:match.start()]
        if _in_script(before):
            inner = match.group()[match.group().index("{"):]
            bare = before.rstrip().endswith(("_", "^"))
            out.append(line[i:match.start()] + ("{\\mathrm" + inner + "}" if bare else
                                                "\\mathrm" + inner))
            i = match.end()
    return "".join(out) + line[i:]


def _in_script(before: str) -> bool:
    """Whether text following ``before`` is a script: right after ``_``/``^``, or inside a brace
    group that a ``_``/``^`` opened."""
    if before.rstrip().endswith(("_", "^")):
        return True
    stack: list[bool] = []
    for j, ch in enumerate(before):
        if ch == "{" and (j == 0 or before[j - 1] != "\\"):
            stack.append(before[:j].rstrip().endswith(("_", "^")))
        elif ch == "}" and (j == 0 or before[j - 1] != "\\") and stack:
            stack.pop()
    return any(stack)


def _strip_comments(text: str) -> str:
    return _COMMENT.sub("", text)


def split_lines(display: str, trailers: list | None = None) -> list[str]:
    """The lines of a display: environments unwrapped, justifications (``&& \\text{...}``,
    ``\\quad \\text{...}``, ``\\tag``) dropped, continuation lines joined to their line.  The
    text dropped after a relation (``\\quad \\text{for all } t``, ``, \\quad t \\in [0, 1]``) is
    appended to ``trailers`` as (the line's text before it, the text), when a list is given."""
    body = _ENVIRONMENT.sub(" ", _strip_comments(display))
    body = _TAG.sub(" ", body)
    # "A = B \Rightarrow C = D": two statements, each checked on its own line
    body = _IMPLIES.sub(r"\\\\", body)
    lines: list[list[str]] = []
    for line in _split_top_level(body):
        line = _JUSTIFICATION.sub("", line.split("&&")[0].strip())
        # \text{SNR}(t), \text{KL}_t: an operator name, not prose
        line = _OPERATOR_NAME.sub(r"\\mathrm{\1}", line)
        line = text_in_scripts_as_names(line)        # c_{\text{out}}: a name (EDM Table 1)
        line = _MARKED_EQUALS.sub(r"\\\1{\2}", line)    # \stackrel{\text{def}}{=}: keep 'def'
        line, trailer = cut_trailer(line)
        line = _SPACING.sub(" ", _TEXT.sub(" ", line))
        line = " ".join(line.replace("&", " ").split()).rstrip(".,; ")
        if trailer and trailers is not None:
            trailers.append((line, " ".join(trailer.split())))
        if not line:
            continue
        if lines and not has_relation_safe(line):
            lines[-1].append(line)                     # "&\quad + c" continues the line above
        else:
            lines.append([line])
    return [" ".join(parts) for parts in lines]


# where a trailer may start: \quad (after a comma), or prose in \text{...}
_TRAILER_START = re.compile(r"(?:[,;]\s*)?\\q?quad\b|\\(?:text|textrm|mbox)\s*\{([^{}]*)\}?")
_CONNECTIVES = {"where", "for", "if", "since", "by", "with", "as", "when", "and", "or", "using",
                "since", "because", "hence", "so", "i.e.", "e.g.", "iff", "s.t.", "otherwise"}
# a justification between two links of one line, up to the next relation
_BETWEEN_LINKS = re.compile(r"(?:[,;]\s*)?(?:\\q?quad\b\s*)*(?:\\(?:text|textrm|mbox)\s*\{[^{}]*\}\s*|"
                            r"\((?:[^()]|\([^()]*\))*\)\s*)(?:\\q?quad\b\s*)*"
                            r"(?==|<|>|:=|\\(?:le|ge|leq|geq|propto|approx|coloneqq)\b)")
# what continues the formula after a \quad: an operator or a relation
_CONTINUES = re.compile(r"\s*(?:\\q?quad\b\s*)*(?:[-+=<>*/^_&)\]}]|\\(?:cdot|times|le|ge|leq|"
                        r"geq|propto|approx|neq|ne|equiv|right|big|Big)\b|$)")


def cut_trailer(line: str) -> tuple[str, str]:
    """``line`` without the text that follows its relation and is not part of the formula: from a
    ``\\quad`` not followed by an operator, or from a ``\\text{...}`` of prose, to the end
    (``a = b \\quad \\text{for all } t``, ``a = b, \\quad t \\in [0, 1]``); and that text."""
    depth, position = 0, 0
    for match in _TRAILER_START.finditer(line):
        depth += _depth_change(line[position:match.start()])
        position = match.start()
        if depth != 0 or not _starts_trailer(line, match):
            continue
        if has_relation_safe(line[:match.start()]):
            between = _BETWEEN_LINKS.match(line, match.start())
            if between:       # a = b \quad \text{(Bayes)} \quad = c: the chain goes on
                kept, more = cut_trailer(line[:match.start()] + " " + line[between.end():])
                return kept, " ".join(f"{between.group().strip(' ,;')} {more}".split())
            return line[:match.start()].rstrip(" ,;"), line[match.start():].lstrip(" ,;")
        if _opens_with_connective(line[:match.start()], match):
            return "", " ".join(line.replace("&", " ").split())   # "&\quad \text{where } ..."
    return line, ""


def _opens_with_connective(before: str, match: re.Match) -> bool:
    """Whether a line opens with ``\\text{where ...}`` (after ``&`` and spacing): a line of prose
    under the formula above, not a formula of its own."""
    words = (match.group(1) or "").split()
    return bool(words) and words[0].lower().rstrip(",:") in _CONNECTIVES and \
        not _SPACING.sub("", before).replace("&", "").strip(" ,;")


def trailer_condition(trailer: str) -> str | None:
    """The formula a dropped trailer states as a condition (``t \\in [0, 1]`` from
    ``\\quad \\text{for } t \\in [0, 1]``), or None when it has no relation (prose, 'for all t')."""
    math = _SPACING.sub(" ", _TEXT.sub(" ", trailer)).replace("\\forall", " ")
    math = " ".join(math.split()).strip(" ,;.")
    if math.startswith("(") and math.endswith(")"):
        math = math[1:-1].strip(" ,;.")
    # a relation inside parentheses counts too: "(since s^2 = 1 - a)" may be what makes it hold
    probe = math.replace("(", " ").replace(")", " ")
    return math if math and has_relation_safe(probe) else None


def _starts_trailer(line: str, match: re.Match) -> bool:
    """A ``\\quad`` not followed by an operator, or a ``\\text{...}`` of prose (words, a
    connective such as 'where', a parenthesis); ``\\text{Var}`` is an operator name."""
    if match.group(1) is None:
        return not _CONTINUES.match(line, match.end())
    words = match.group(1).strip()
    return " " in words or words.lower() in _CONNECTIVES or words.startswith("(")


def _depth_change(text: str) -> int:
    """How much deeper in braces the end of ``text`` is than its start (escaped braces aside)."""
    text = text.replace("\\{", "").replace("\\}", "")
    return text.count("{") - text.count("}")


def has_relation_safe(line: str) -> bool:
    """Whether a line has a relation (=, \\le, ...); True when it cannot be tokenized, so such a
    line starts a step of its own and its error is reported there."""
    try:
        return has_relation(line)
    except LatexParseError:
        return True


def _split_top_level(body: str) -> list[str]:
    """``body`` split at the ``\\\\`` outside braces."""
    parts, depth, start, i, n = [], 0, 0, 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            if depth == 0 and body.startswith("\\\\", i):
                parts.append(body[start:i])
                start = i + 2
            i += 2
            continue
        depth += (ch == "{") - (ch == "}")
        i += 1
    parts.append(body[start:])
    return parts


__all__ = ["MAX_DOCUMENT_BYTES", "MAX_DISPLAYS", "MAX_DISPLAY_CHARS", "ENVIRONMENTS",
           "DocumentError", "Display", "read_document", "is_markdown", "without_code_blocks",
           "extract_displays", "extract_assumptions", "split_lines", "has_relation_safe", "cut_trailer",
           "trailer_condition"]
