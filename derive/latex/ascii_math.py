"""The catalog's ASCII titles (``q_phi(z|x) >= ELBO``) as LaTeX text with its math in ``$...$``.

The titles mix words and formulas in one plain-text convention: ``x_t``, ``x_{t-1}``, ``s^2``,
``(a/b)^(2t)``, greek names, ``abar``, ``mu-tilde``, ``eps``, ``sqrt(...)``, ``int``, ``sum``,
``prod``, ``grad``, ``log``/``ln``/``exp``, ``>=``, ``<=``, ``!=``, ``->``, ``<-``, ``|``,
``||``, ``~``, ``N(...)`` (a Gaussian), ``E[...]``/``E_p[...]`` (an expectation).  This module
reads that convention (no evaluation: the text is only re-spelled) and marks the formulas as
math, so a document shows ``$q_{\\phi}(z \\mid x) \\ge \\mathrm{ELBO}$``; the words stay text.
"""
from __future__ import annotations

import re

from diffproof.derive.latex.text import GREEK_NAMES, text_escape

_TOKEN = re.compile(r"(?P<space>\s+)|(?P<poss>'s\b)|(?P<word>[A-Za-z]+'?(?:(?<=')s\b)?)"
                    r"|(?P<num>\d+(?:\.\d+)?)|(?P<op>>=|<=|!=|->|<-|\|\||.)")
_GREEK = (set(GREEK_NAMES) - {"omicron"}) | {n.capitalize() for n in GREEK_NAMES if n in (
    "gamma delta theta lambda xi pi sigma upsilon phi psi omega")}
_COMMANDS = {"log": r"\log", "ln": r"\ln", "exp": r"\exp", "int": r"\int", "sum": r"\sum",
             "prod": r"\prod", "grad": r"\nabla", "infinity": r"\infty", "min": r"\min",
             "max": r"\max", "eps": r"\epsilon", "abar": r"\bar{\alpha}",
             "argmax": r"\operatorname*{arg\,max}"}
_UPRIGHT = {"KL", "ELBO", "SNR", "const", "var", "std"}
_DIFFERENTIALS = {"dx", "dt", "dw", "dz"}
_OPS = {">=": r"\ge", "<=": r"\le", "!=": r"\ne", "->": r"\to", "<-": r"\leftarrow",
        "||": r"\parallel", "|": r"\mid", "~": r"\sim", "*": r"\cdot"}
_OPEN, _CLOSE = "([{", ")]}"
_PUNCTUATION = set(",;:.!?\"'")          # ends a formula at the top level
_MATH_SIGNS = set("+-/=<>^_")


def title_pieces(title: str) -> list[tuple[bool, str]]:
    """``title`` cut into (is_math, piece): a formula's LaTeX, or a run of words as written."""
    tokens = _tokens(title)
    kinds = _kinds(tokens)
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(tokens):
        kind, j = kinds[i], i
        while j < len(tokens) and kinds[j] == kind:
            j += 1
        if kind == "math":
            out.append((True, re.sub(" +", " ", _math(tokens[i:j])).strip()))
        else:
            out.append((False, "".join(tokens[i:j])))
        i = j
    return out


def title_latex(title: str) -> str:
    """``title`` as LaTeX text: its formulas in ``$...$``, its words escaped as text."""
    return "".join(f"${piece}$" if is_math else text_escape(piece)
                   for is_math, piece in title_pieces(title))


def _tokens(title: str) -> list[str]:
    title = re.sub(r"\b([A-Za-z]+)-tilde(?![A-Za-z])", r"\1tilde", title)   # mu-tilde_t: one name
    return [m.group(0) for m in _TOKEN.finditer(title)]


def _is_word(token: str) -> bool:
    return token[:1].isascii() and token[:1].isalpha()


def _math_word(token: str, after: str) -> bool:
    """A word that is notation: a name with a subscript, script or argument, a single letter
    (not the article a), a greek name, a known function or operator."""
    if token.endswith("'") and (len(token) == 2 or token[:-1] in _GREEK):
        return True                                    # s', alpha' (a prime)
    if "'" in token:
        return False                                   # Jensen's, Bayes'
    return (after in ("_", "^", "(") or (len(token) == 1 and token not in "aA")
            or token in _GREEK or token in _COMMANDS or token in _UPRIGHT or token == "sqrt"
            or token in _DIFFERENTIALS or _tilde(token) is not None)


def _kinds(tokens: list[str]) -> list[str]:
    """"math" or "text" per token: formulas are runs of notation and operators; a bracket
    group without words is formula throughout; punctuation and words end a run; a number on
    its own (``seed 001``, ``(3.22)``) is text."""
    kinds = []
    depth, in_math = 0, False
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if depth:
            kind = "math"
            depth += (token in _OPEN) - (token in _CLOSE)
        elif token.isspace():
            kind = "math" if in_math else "text"
        elif _is_word(token):
            glued = "/" in (before, after)             # score/2, d mean/dt
            script = before in ("_", "^") and in_math      # sigma_data, c_skip: a subscript
            kind = "math" if _math_word(token, after) or (in_math and (glued or script)) \
                else "text"
        elif token == "-" and (_prose_word(before) or _prose_word(after)):
            kind = "text"                              # Euler-Maruyama, theta-free, x_0-prediction
        elif token in _PUNCTUATION or token == "'s" or token in _CLOSE:
            kind = "text"
        elif token in _OPEN:
            applied = bool(kinds) and kinds[-1] == "math" and not before.isspace()   # N(0,1)
            kind = "math" if applied or _formula_group(tokens, i) else "text"
            depth = 1 if kind == "math" else 0
        elif token[:1] in "0123456789" or token in _OPS or token in _MATH_SIGNS:
            kind = "math"                              # numbers and operators
        else:
            kind = "text"                              # other characters: $, %, ≥, Japanese, ...
        in_math = kind == "math"
        kinds.append(kind)
    return _trimmed(tokens, kinds)


def _trimmed(tokens: list[str], kinds: list[str]) -> list[str]:
    """Runs never end in blanks; a number between text is text."""
    for i in range(len(kinds) - 1, -1, -1):
        if tokens[i].isspace() and (i + 1 == len(kinds) or kinds[i + 1] != "math"):
            kinds[i] = "text"
    for i, token in enumerate(tokens):
        if token[:1].isdigit() and kinds[i] == "math":
            around = [kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(kinds)]
            if all(kind == "text" for kind in around):
                kinds[i] = "text"
    return kinds


def _formula_group(tokens: list[str], start: int) -> bool:
    """Whether the bracket group opening at ``start`` is all formula: it holds a name or an
    operator and no word of prose."""
    depth, notation = 0, False
    for i in range(start, len(tokens)):
        token = tokens[i]
        depth += (token in _OPEN) - (token in _CLOSE)
        if depth == 0:
            break
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if _is_word(token):
            if not _math_word(token, after) and "/" not in (tokens[i - 1], after):
                return False
            notation = True
        elif token in _OPS or token in "=+-/^_":
            notation = True
    return notation


def _tilde(token: str) -> str | None:
    """The greek name of ``mutilde`` (written ``mu-tilde``), else None."""
    stem = token[:-len("tilde")] if token.endswith("tilde") else ""
    return stem if stem in _GREEK else None


def _prose_word(token: str) -> bool:
    return _is_word(token) and len(token) > 1 and not _math_word(token, "")


def _math(tokens: list[str]) -> str:
    """The LaTeX of a formula's tokens."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "sqrt" and after == "(":
            end = _group_end(tokens, i + 1)
            out.append(r"\sqrt{" + _math(tokens[i + 2:end - 1]) + "}")
            i = end
        elif token in ("^", "_") and after:
            script, i = _script(tokens, i + 1)
            out.append(token + "{" + script + "}")
        elif token == "{":
            end = _group_end(tokens, i)
            out.append("{" + _math(tokens[i + 1:end - 1]) + "}")
            i = end
        else:
            out.append(_symbol(token, tokens[i + 1:]))
            i += 1
    return "".join(out)


def _script(tokens: list[str], i: int) -> tuple[str, int]:
    """A sub- or superscript starting at ``tokens[i]``: a group (braces, or parentheses around
    an exponent), or one name or number (``p_0t``); its LaTeX and the index after it."""
    if tokens[i] in "({":
        end = _group_end(tokens, i)
        return _math(tokens[i + 1:end - 1]), end
    if tokens[i][:1].isdigit() and i + 1 < len(tokens) and _is_word(tokens[i + 1]):
        return tokens[i] + tokens[i + 1], i + 2
    return _symbol(tokens[i], []).strip(), i + 1


def _group_end(tokens: list[str], start: int) -> int:
    """The index after the bracket closing the one at ``tokens[start]`` (or the end)."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += (tokens[i] in _OPEN) - (tokens[i] in _CLOSE)
        if depth == 0:
            return i + 1
    return len(tokens)


def _symbol(token: str, rest: list[str]) -> str:
    """One token of a formula (``rest``: the tokens after it): a name, number, operator or
    bracket."""
    after = rest[0] if rest else ""
    if token in _OPS:
        return f" {_OPS[token]} "
    if not _is_word(token):
        return token if token.isascii() and token not in "$%&#\\" else rf"\text{{{text_escape(token)}}}"
    if _tilde(token) is not None:
        return "\\tilde{\\" + _tilde(token) + "}"
    if token in _GREEK:
        return "\\" + token + " "
    if token.endswith("'") and token[:-1] in _GREEK:
        return "\\" + token[:-1] + "' "
    if token in _COMMANDS:
        return _COMMANDS[token] + " "
    if token in _UPRIGHT:
        return rf"\mathrm{{{token}}}"
    if token == "N" and after == "(":
        return r"\mathcal{N}"
    if token == "E" and (after == "[" or (after == "_" and rest[2:3] == ["["])):
        return r"\mathbb{E}"
    if len(token) == 1 or (len(token) == 2 and token.endswith("'")) or token in _DIFFERENTIALS:
        return token
    if after == "(":
        return rf"\operatorname{{{token}}}"
    return rf"\text{{{text_escape(token)}}}"


__all__ = ["title_latex"]
