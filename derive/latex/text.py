"""Plain text inside LaTeX (escaped for pdflatex, or for MathJax) and the rough width of a formula.

Used by the printer (:mod:`derive.latex.printer`) and the documents of :mod:`proofs.report`.
"""
from __future__ import annotations

import re

# Text inside math (justifications, sources): escaped for pdflatex with the default OT1 encoding.
_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                 "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''"}
# non-ASCII characters of prose: math symbols (one table for paragraphs and for text in math)
GREEK_NAMES = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
                "pi rho varsigma sigma tau upsilon phi chi psi omega").split()
_UNICODE_MATH = {"∝": r"\propto", "≥": r"\geq", "≤": r"\leq", "≠": r"\neq", "→": r"\to",
                 "∇": r"\nabla", "∫": r"\int", "∑": r"\sum", "√": r"\surd", "·": r"\cdot",
                 "×": r"\times", "≈": r"\approx", "∞": r"\infty", "∈": r"\in", "…": r"\ldots",
                 "Σ": r"\Sigma",
                 **{chr(0x3b1 + i): "\\" + name for i, name in enumerate(GREEK_NAMES)
                    if name not in ("omicron", "varsigma")}}
# ... and typography, set as text
_UNICODE_PROSE = {"−": "-", "–": "--", "—": "---", "’": "'", "‘": "`", "“": "``", "”": "''"}
_UNICODE_TEXT = {**_UNICODE_PROSE, **{char: f"${command}$" for char, command in _UNICODE_MATH.items()}}


# the Japanese words of the seeds' slide titles, in English for a document without CJK fonts
JAPANESE = {"の新しい": "new", "の修正した": "corrected"}


def text_escape(text: str) -> str:
    """Plain text made safe for ``\\text{...}`` and paragraphs under pdflatex.

    A run of Japanese (the seeds' slide titles) becomes ``\\ja{original}{English}``, a macro the
    document's preamble defines (:data:`proofs.report.latex.PREAMBLE`: the original set with the
    CJK package, or the English of :data:`JAPANESE` when the package is absent); any other
    character the default fonts cannot set becomes ``[?]``; common math symbols (∝, ≥, α, ...)
    are typeset.
    """
    out = []
    foreign = ""                      # a run of characters pdflatex cannot set
    for char in str(text) + "\n":
        if ord(char) >= 128 and char not in _UNICODE_TEXT:
            foreign += char
            continue
        if foreign:
            out.append(_foreign(foreign))
            foreign = ""
        if char in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[char])
        elif char in _UNICODE_TEXT:
            out.append(_UNICODE_TEXT[char])
        else:
            out.append(char if char.isprintable() or char == "\n" else " ")
    return "".join(out)[:-1]


def _foreign(run: str) -> str:
    """A run of characters outside the fonts: Japanese as ``\\ja``, anything else ``[?]``."""
    if not all(_is_cjk(char) for char in run):
        return "[?]"
    english = JAPANESE.get(run, "Japanese text")
    return rf"\ja{{{run}}}{{{english}}}"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3000 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF


def math_text(text: str) -> str:
    """Plain text as math that renders the same in KaTeX, MathJax and pdflatex: ``\\text{...}``
    pieces, with ``_`` and ``^`` between them as math (``\\_``, ``\\hat{}``), since KaTeX and
    LaTeX reject them inside ``\\text`` while MathJax shows an escape there verbatim; braces,
    backslashes, ``$``, ``&`` and ``%`` become plain characters or words."""
    table = str.maketrans({"{": "(", "}": ")", "\\": "/", "$": "", "&": "and", "%": " percent",
                           "#": "no. ", "~": "-"})
    pieces = re.split(r"([_^]|[^\x00-\x7f])", str(text).translate(table))
    out = []
    for piece in pieces:
        if piece == "_":
            out.append(r"\_")
        elif piece == "^":
            out.append(r"{\hat{}}")
        elif len(piece) == 1 and ord(piece) > 0x7f:       # pdflatex takes ASCII in \text
            out.append(_UNICODE_MATH.get(piece) or rf"\text{{{_UNICODE_PROSE.get(piece, '?')}}}")
        elif piece:
            out.append(rf"\text{{{piece}}}")
    return "".join(out) or r"\text{}"


_COMMAND = re.compile(r"\\(left|right|big|Big|bigg|Bigg)[lr]?\b|\\(,|;|quad|qquad)")


def estimate_width(latex: str) -> float:
    """A rough width, in character widths, of a LaTeX math string (for layout decisions only)."""
    return _width(_COMMAND.sub(" ", latex))


def group_end(text: str, start: int) -> int | None:
    """The index after the brace group opening at text[start] == '{'; None if it never closes."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group starting at text[start] == '{' and the index after it."""
    end = group_end(text, start)
    return (text[start + 1:], len(text)) if end is None else (text[start + 1:end - 1], end)


def _width(text: str) -> float:
    width = 0.0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", text[index:], re.DOTALL)
            if match is None:
                index += 1
                continue
            name = match.group(1)
            index += len(match.group(0))
            if name == "frac" and index < len(text) and text[index] == "{":
                num, index = _group(text, index)
                den, index = _group(text, index) if index < len(text) and text[index] == "{" else ("", index)
                width += max(_width(num), _width(den)) + 0.5
            elif name in ("boldsymbol", "bar", "hat", "tilde", "mathrm", "mathcal", "operatorname",
                          "text", "mathbb", "sqrt") and index < len(text) and text[index] == "{":
                inner, index = _group(text, index)
                width += _width(inner) + (1.0 if name == "sqrt" else 0.0)
            elif name in ("cdot", "log", "exp"):
                width += 2.0
            else:
                width += 1.0
        elif char in "^_":
            index += 1
            if index < len(text) and text[index] == "{":
                inner, index = _group(text, index)
            else:
                inner, index = text[index:index + 1], index + 1
            width += 0.7 * _width(inner)
        elif char in "{} ":
            index += 1
        elif char in "+-=":
            width += 2.0
            index += 1
        else:
            width += 1.0
            index += 1
    return width


__all__ = ["text_escape", "math_text", "estimate_width"]
