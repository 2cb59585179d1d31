"""Tokens of the LaTeX reader (:mod:`derive.latex.parser`): the error classes, the tokenizer and
the token cursor every part of the grammar reads with.

Spacing (``\\,``, ``\\quad``), sizing (``\\left``, ``\\bigl``), labels and tags are dropped here;
``\\text{...}``-like commands become one ``word`` token; delimiters (``\\{``, ``\\|``, ``\\mid``)
become plain operators.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from diffproof.derive.latex.text import group_end

MAX_DEPTH = 60            # nesting depth of groups, fractions, powers
MAX_LENGTH = 20000        # characters of one formula
MAX_EXPONENT = 1000       # |numeric exponent| and numeric sum bounds
RELATIONS = {"=": "=", "\\propto": "propto", "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=",
             "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">=", "<": "<", ">": ">",
             "\\approx": "approx", "\\neq": "!=", "\\ne": "!=", "\\equiv": "=",
             "\\coloneqq": ":=", ":=": ":=", "\\triangleq": ":=", "\\in": "in"}


class LatexParseError(ValueError):
    """Unparsable LaTeX; ``position`` is the 0-based character offset of the problem."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.message, self.text, self.position = message, text, position
        super().__init__(self.render())

    def render(self) -> str:
        if self.position is None or not self.text:
            return self.message
        pos = max(0, min(self.position, len(self.text)))
        start = max(0, pos - 30)
        snippet = self.text[start:pos + 30].replace("\n", " ")
        prefix = f"{self.message} (at character {pos + 1}: ..."
        return f"{prefix}{snippet}...)\n{' ' * (len(prefix) + pos - start)}^"


class AmbiguousLatexError(LatexParseError):
    """Input with two plausible readings; the message names both."""


class UnsupportedLatexError(LatexParseError):
    """Valid LaTeX that diffproof does not interpret (expectations, indefinite integrals, ...)."""


# ---------------------------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str       # cmd | letter | num | op | newline | end
    value: str
    pos: int


_SKIP_CMDS = {"\\rm", "\\bf", "\\it", "\\left", "\\right", "\\big", "\\Big", "\\bigg", "\\Bigg", "\\bigl", "\\bigr",
              "\\Bigl", "\\Bigr", "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\displaystyle",
              "\\textstyle", "\\limits", "\\nolimits", "\\quad", "\\qquad", "\\middle",
              "\\nonumber", "\\notag", "\\mathclose", "\\mathopen"}
_SPACING = {"\\,", "\\;", "\\:", "\\!", "\\ ", "\\>"}
_DELIMS = {"\\{": "(", "\\}": ")", "\\lbrace": "(", "\\rbrace": ")", "\\langle": "(",
           "\\rangle": ")", "\\lvert": "|", "\\rvert": "|", "\\vert": "|", "\\mid": "|",
           "\\|": "‖", "\\parallel": "‖", "\\lVert": "‖", "\\rVert": "‖", "\\Vert": "‖", "\\lbrack": "[",
           "\\rbrack": "]", "\\lparen": "(", "\\rparen": ")"}
_TEXT_CMDS = {"\\text", "\\textrm", "\\mathrm", "\\operatorname", "\\mathit", "\\textit",
              "\\mbox", "\\mathsf", "\\texttt"}
_DROP_WITH_ARG = {"\\label", "\\tag", "\\hspace", "\\vspace", "\\phantom"}


_DIGITS = frozenset("0123456789")           # ASCII only: "²" or "٣" is not a number here
_NUMBER = re.compile(r"[0-9]*\.?[0-9]+|[0-9]+")


def tokenize(text: str) -> list[Token]:
    """Split LaTeX into tokens; spacing, ``\\left``/``\\right`` and labels are dropped."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == "~":
            i += 1
        elif ch == "%":                    # comment to end of line
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "\\":
            i = _backslash(text, i, tokens)
        else:
            i = _character(text, i, tokens)
    tokens.append(Token("end", "", n))
    return tokens


def _backslash(text: str, i: int, tokens: list[Token]) -> int:
    """Read what starts with the backslash at ``i``: a line break, a command, a spacing or
    delimiter pair; append its token (if any) and return where reading goes on."""
    n = len(text)
    if i + 1 < n and text[i + 1] == "\\":
        tokens.append(Token("newline", "\\\\", i))
        return i + 2
    m = re.match(r"\\([A-Za-z]+)", text[i:])
    if m:
        return _command(text, i, "\\" + m.group(1), tokens)
    if i + 1 < n:
        pair = text[i:i + 2]
        if pair in _SPACING:
            return i + 2
        if pair in _DELIMS:
            tokens.append(Token("op", _DELIMS[pair], i))
            return i + 2
        if pair in ("\\%", "\\&", "\\_", "\\#", "\\$"):
            raise LatexParseError(f"unexpected {pair}", text, i)
    raise LatexParseError("a lone backslash", text, i)


def _command(text: str, i: int, name: str, tokens: list[Token]) -> int:
    """The command ``name`` at ``i``: skipped (sizing, spacing; ``\\left.``), dropped with its
    argument (labels), a delimiter, a ``word`` (``\\text{...}``) or a ``cmd`` token."""
    n = len(text)
    j = i + len(name)
    if name in _SKIP_CMDS:
        if name == "\\left" or name == "\\right" or name == "\\middle":
            k = _skip_space(text, j)
            if k < n and text[k] == ".":
                j = k + 1
        return j
    if name in _DROP_WITH_ARG:
        return _skip_group(text, j)
    if name in _DELIMS:
        tokens.append(Token("op", _DELIMS[name], i))
        return j
    if name in ("\\stackrel", "\\overset"):
        end = _decorated_equals(text, i, j, name, tokens)
        if end is not None:
            return end
    if name in _TEXT_CMDS:
        k = _skip_space(text, j)
        if k < n and text[k] == "{":
            end = text.find("}", k)
            if end < 0:
                raise LatexParseError(f"unclosed {{ after {name}", text, k)
            tokens.append(Token("word", text[k + 1:end].strip(), i))
            return end + 1
        raise LatexParseError(f"{name} needs a braced argument", text, j)
    tokens.append(Token("cmd", name, i))
    return j


# \stackrel{def}{=}: what stands over an equals sign that makes it a definition, or a label
_DEFINITION_MARKS = {"def", "definition", "\\triangle", "\\Delta", ":", "\\mathrm{def}",
                     "\\text{def}", "\\textrm{def}", "\\mathrm{df}", "\\text{df}", "df"}
_EQUALITY_LABEL = re.compile(r"(?:\\text\{|\\mathrm\{)?\(?[a-z0-9.]{1,4}\)\}?|!|\?")


def _decorated_equals(text: str, i: int, j: int, name: str, tokens: list[Token]) -> int | None:
    """``\\stackrel{\\text{def}}{=}``, ``\\overset{\\triangle}{=}``: a definition (``:=``);
    ``\\overset{(a)}{=}``, ``\\overset{!}{=}``: an equality.  Appends the token and returns where
    reading goes on; None when the base is not ``=`` (read as before).  Other marks
    (``\\overset{d}{=}``) are refused."""
    k = _skip_space(text, j)
    over_end = group_end(text, k) if k < len(text) and text[k] == "{" else None
    if over_end is None:
        return None
    b = _skip_space(text, over_end)
    base_end = group_end(text, b) if b < len(text) and text[b] == "{" else None
    if base_end is None or text[b + 1:base_end - 1].strip() != "=":
        return None
    over = "".join(text[k + 1:over_end - 1].split())
    if over in _DEFINITION_MARKS:
        tokens.append(Token("op", ":=", i))
    elif _EQUALITY_LABEL.fullmatch(over):
        tokens.append(Token("op", "=", i))
    else:
        raise LatexParseError(f"{name}{{{over}}}{{=}} is not read (an equality marked "
                              f"'{over}', e.g. in distribution, is not checked); write = for an "
                              "equality or := for a definition", text, i)
    return base_end


def _skip_space(text: str, k: int) -> int:
    while k < len(text) and text[k].isspace():
        k += 1
    return k


_CHARACTER_OPS = {":=": ":=", "\u2264": "<=", "\u2265": ">="}


def _character(text: str, i: int, tokens: list[Token]) -> int:
    """A number, a letter or an operator character at ``i``; returns where reading goes on."""
    ch = text[i]
    if ch in _DIGITS or (ch == "." and i + 1 < len(text) and text[i + 1] in _DIGITS):
        m = _NUMBER.match(text, i)
        tokens.append(Token("num", m.group(0), i))
        return m.end()
    if ch.isalpha() and ch.isascii():
        tokens.append(Token("letter", ch, i))
        return i + 1
    for spelling, op in _CHARACTER_OPS.items():
        if text.startswith(spelling, i):
            tokens.append(Token("op", op, i))
            return i + len(spelling)
    if ch in "+-*/^_()[]{}=<>,;!'|&.:":
        tokens.append(Token("op", ch, i))
        return i + 1
    raise LatexParseError(f"unexpected character '{ch}'", text, i)


def _skip_group(text: str, j: int) -> int:
    while j < len(text) and text[j].isspace():
        j += 1
    if j < len(text) and text[j] == "{":
        end = group_end(text, j)
        if end is None:
            raise LatexParseError("unclosed {", text, j)
        return end
    return j


def has_relation(text: str) -> bool:
    """Whether a line has a relation sign at brace depth 0 (tokenizer level, no parsing)."""
    depth = 0
    for tok in tokenize(text):
        if tok.kind == "op" and tok.value in "{(":
            depth += 1
        elif tok.kind == "op" and tok.value in "})":
            depth -= 1
        elif depth == 0 and ((tok.kind == "op" and tok.value in ("=", "<", ">", "<=", ">=", ":="))
                             or (tok.kind == "cmd" and tok.value in RELATIONS)):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# the cursor
# ---------------------------------------------------------------------------------------------
class TokenCursor:
    """A position in the tokens of one formula, with the checks every grammar rule uses.

    The parts of the grammar (:mod:`derive.latex.names`, :mod:`derive.latex.elementary`,
    :mod:`derive.latex.calculus`, :mod:`derive.latex.probability`) are mixins of this class,
    combined with the core rules into :class:`derive.latex.parser.Parser`.
    """

    def __init__(self, text: str):
        if len(text) > MAX_LENGTH:
            raise LatexParseError(f"formula longer than {MAX_LENGTH} characters", text, MAX_LENGTH)
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def is_op(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "op" and tok.value == value

    def is_cmd(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "cmd" and tok.value == value

    def expect(self, value: str, what: str = "") -> Token:
        tok = self.peek()
        if tok.kind == "op" and tok.value == value:
            return self.next()
        found = "the end of the formula" if tok.kind == "end" else repr(tok.value)
        raise self.error(f"expected '{value}'{' ' + what if what else ''}, found {found}", tok)

    def error(self, message: str, tok: Token | None = None, cls=LatexParseError):
        tok = tok or self.peek()
        return cls(message, self.text, tok.pos)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels")

    def leave(self):
        self.depth -= 1

    def _after_group(self, k: int) -> int:
        depth = 0
        j = k
        while True:
            tok = self.peek(j)
            if tok.kind == "end":
                return j
            if tok.kind == "op" and tok.value == "{":
                depth += 1
            elif tok.kind == "op" and tok.value == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1

    def split_number(self):
        """LaTeX reads x^23 as x^2 3 and \\frac12 as 1/2: split a number token in two."""
        tok = self.tokens[self.i]
        first = Token("num", tok.value[0], tok.pos)
        rest = Token("num", tok.value[1:], tok.pos + 1)
        if rest.value.startswith("."):
            raise self.error("a decimal number as a one-character argument", tok)
        self.tokens[self.i:self.i + 1] = [first, rest]


__all__ = ["LatexParseError", "AmbiguousLatexError", "UnsupportedLatexError", "Token", "tokenize",
           "has_relation", "TokenCursor", "RELATIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_EXPONENT"]
