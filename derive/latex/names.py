"""Names in the papers' notation: reading a decorated, subscripted name and resolving it.

- A letter or Greek letter with decorations (``\\bar``, ``\\overline``, ``\\tilde``, ``\\hat``;
  ``\\mathbf``/``\\boldsymbol`` are ignored, so bold and plain x are the same variable) and a
  subscript.  A name the symbol table knows (``\\bar{\\alpha}_{t-1}``) is the table's Symbol, with
  its assumptions and definitions; a name of the vocabulary (``\\mu_q(x_t, x_0)``) its value; others
  are new real symbols.
- ``e`` and ``\\mathrm{e}`` are Euler's number, ``\\pi`` is pi, ``\\mathbf{I}`` is 1, and the zero
  and ones vectors ``\\mathbf{0}``, ``\\mathbf{1}`` (or ``\\boldsymbol``) are 0 and 1 (one
  coordinate).
- A name followed by ``(...)`` is an application when the name is a defined function, a function
  letter (f, g, p, q, ...) or a word, when the parenthesis is an argument list (``,``, ``;``, a
  conditioning ``\\mid`` or single ``|``), or when an undefined name is applied to one name
  (``\\lambda(\\sigma)``); a value before ``(one name)`` (``\\sigma(t)`` for the table's
  ``\\sigma``) is ambiguous, before another parenthesis a product (docs/claims.md 'Functions and
  their arguments').

A mixin of :class:`derive.latex.parser.Parser` (it uses the parser's ``parse_sum``,
``script_expr``, ``apply_function``, ``parse_nabla``, ``parse_prime`` and ``parse_kl``).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import sympy as sp

from diffproof.derive.latex.context import NO_VOCABULARY, Context
from diffproof.derive.latex.elementary import WORD_FUNCTIONS
from diffproof.derive.latex.tokens import (AmbiguousLatexError, LatexParseError, Token, TokenCursor,
                                          UnsupportedLatexError)
from diffproof.derive.symbols import SymbolTable, t, x_t
from diffproof.derive.vectors import (DIAGONAL_ELSEWHERE, EYE, Diagonal, DiagonalFamily,
                                      trace)

GREEK = {g: g for g in ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                        "omicron rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda "
                        "Xi Pi Sigma Upsilon Phi Psi Omega nabla ell").split()}
GREEK.update({"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
              "varsigma": "sigma", "varpi": "pi", "pi": "pi"})
DECORATIONS = {"\\bar": "bar", "\\overline": "bar", "\\tilde": "tilde", "\\widetilde": "tilde",
               "\\hat": "hat", "\\widehat": "hat", "\\dot": "dot", "\\ddot": "ddot",
               "\\check": "check", "\\breve": "breve"}
BOLD = {"\\mathbf", "\\boldsymbol", "\\bm", "\\pmb", "\\vec", "\\mathbfit", "\\overrightarrow", "\\textbf",
        "\\mathbfup"}
_SUB_WORDS = {"\\min": "min", "\\max": "max", "\\theta": "theta", "\\phi": "phi"}
# schedule families with a step index (derive.symbols.SymbolTable.member)
_FAMILY_NAMES = {("alpha", ()): "alpha", ("alpha", ("bar",)): "abar", ("beta", ()): "beta"}
_FUNCTION_LETTERS = set("fghpqFGHPQ")
_ELLIPSIS_CMDS = {"\\ldots", "\\cdots", "\\dots", "\\dotsb", "\\dotsc", "\\dotso"}
_DIAGONAL_FORMS = ("\\operatorname{diag}(a, b, c) or \\operatorname{diag}(\\sigma_1^2, \\ldots, "
                   "\\sigma_d^2)")
# a table symbol that names a quantity as a function of one variable: s(t), \lambda(t)
FUNCTION_NAME = re.compile(r"^(\\?[A-Za-z]+)\(([A-Za-z])\)$")


@dataclass(frozen=True)
class Name:
    """A possibly decorated, possibly subscripted name: ``\\bar{\\alpha}_{t-1}``."""

    base: str
    decos: tuple[str, ...] = ()
    sub: str | None = None
    primes: int = 0

    @property
    def key(self) -> str:
        return f"{'+'.join(sorted(self.decos))}|{self.base}|{self.sub or ''}" + "'" * self.primes

    def symbol_name(self) -> str:
        name = "".join(d + "_" for d in sorted(self.decos)) + self.base
        if self.sub:
            name += "_" + self.sub
        return name + "'" * self.primes

    def latex(self) -> str:
        core = "\\" + self.base if self.base in GREEK.values() and len(self.base) > 1 else self.base
        for d in self.decos:
            core = f"\\{d}{{{core}}}"
        return core + (f"_{{{self.sub}}}" if self.sub else "") + "'" * self.primes


def table_names(table: SymbolTable, reader) -> tuple[dict[str, sp.Symbol], dict[str, tuple]]:
    """Name key -> table Symbol, and name key -> (suffix tokens, Symbol) for multi-token names
    such as ``\\hat{x}_\\theta(x_t, t)``; computed from the table's own LaTeX names, each read by
    ``reader(latex, context)`` (the parser class) without vocabulary."""
    cached = getattr(table, "_latex_name_keys", None)
    signature = tuple(spec.symbol for spec in table.specs.values())
    if cached is not None and cached[2] == signature:
        return cached[0], cached[1]
    names: dict[str, sp.Symbol] = {}
    suffixes: dict[str, list] = {}
    for spec in table.specs.values():
        parser = reader(spec.latex, Context(table, vocabulary=NO_VOCABULARY))
        name, power = parser.read_name()
        rest = _normalized(parser.tokens[parser.i:-1])
        if power is not None:
            continue
        if rest:
            suffixes.setdefault(name.key, []).append((tuple(rest), spec.symbol))
            if name.key not in names and (name.sub or name.decos) and name.base != "nabla":
                names[name.key] = spec.symbol
        else:
            names[name.key] = spec.symbol
    table._latex_name_keys = (names, suffixes, signature)
    return names, suffixes


def _normalized(tokens) -> list[tuple[str, str]]:
    """Tokens with bold commands and braces removed (to compare multi-token names)."""
    return [(tok.kind, tok.value) for tok in tokens
            if not (tok.kind == "cmd" and tok.value in BOLD) and tok.value not in ("{", "}")]


def _subscript_text(tokens: list[Token]) -> str:
    parts = []
    for tok in tokens:
        if tok.kind == "cmd" and tok.value in BOLD:
            continue
        if tok.kind == "op" and tok.value in "{}":
            continue
        if tok.kind == "cmd":
            parts.append(_SUB_WORDS.get(tok.value, GREEK.get(tok.value[1:], tok.value[1:])))
        else:
            parts.append(tok.value.replace(" ", ""))
    return "".join(parts)


class NameSyntax(TokenCursor):
    """Reading names, applications and their argument lists (a mixin of the parser)."""

    def read_name(self) -> tuple[Name, sp.Expr | None]:
        """Read one name with its decorations, subscript, primes and a leading superscript."""
        tok = self.peek()
        if tok.kind == "cmd" and tok.value in DECORATIONS:
            self.next()
            inner = self.read_name_arg()
            decos = tuple(sorted(inner.decos + (DECORATIONS[tok.value],)))
            name = Name(inner.base, decos, inner.sub, inner.primes)
        elif tok.kind == "cmd" and tok.value in BOLD:
            self.next()
            name = self.read_name_arg()
        elif tok.kind == "word":
            self.next()
            word = tok.value.replace(" ", "")
            if not re.fullmatch(r"[A-Za-z]+", word):
                raise self.error(f"'{word}' is not a name", tok)
            name = Name(word)
        elif tok.kind == "letter":
            self.next()
            name = Name(tok.value)
        elif tok.kind == "cmd" and tok.value[1:] in GREEK:
            self.next()
            name = Name(GREEK[tok.value[1:]])
        else:
            raise self.error(_unknown_command(tok.value) if tok.kind == "cmd"
                             else f"expected a name, found '{tok.value}'", tok)
        power = None
        while True:
            if self.is_op("_") and name.sub is None:
                self.next()
                name = Name(name.base, name.decos, self.read_subscript(), name.primes)
            elif self.is_op("'"):
                self.next()
                name = Name(name.base, name.decos, name.sub, name.primes + 1)
            elif self.is_op("^") and (self.is_op("*", 1) or (self.is_op("{", 1) and self.is_op("*", 2)
                                                             and self.is_op("}", 3))):
                # \epsilon_{t-1}^*, \epsilon^{*}: a starred name (Luo Eq. 63), not a power
                self.i += 2 if self.is_op("*", 1) else 4
                name = Name(name.base, tuple(sorted(name.decos + ("star",))), name.sub, name.primes)
            elif self.is_op("^") and power is None and self.is_op("_", 2 if self.peek(1).kind != "op"
                                                                   or self.peek(1).value != "{"
                                                                   else self._after_group(1)):
                # sigma^2_t: a superscript before the subscript
                self.next()
                power = self.script_expr()
            else:
                return name, power

    def read_bold_constant(self) -> sp.Integer | None:
        """``\\mathbf{0}``, ``\\boldsymbol{1}``: the zero and ones vectors, in one coordinate 0
        and 1 (read and consumed), else None."""
        tok = self.peek()
        if not (tok.kind == "cmd" and tok.value in BOLD):
            return None
        braced = self.is_op("{", 1)
        digit = self.peek(2 if braced else 1)
        if digit.kind != "num" or (braced and not self.is_op("}", 3)):
            return None
        if digit.value not in ("0", "1"):
            raise self.error(f"{tok.value}{{{digit.value}}} is not read: the bold 0 and 1 are the "
                             f"zero and ones vectors; write {digit.value}\\mathbf{{1}} for a "
                             "constant vector", tok)
        self.i += 4 if braced else 2
        return sp.Integer(int(digit.value))

    def read_name_arg(self) -> Name:
        if self.is_op("{"):
            self.next()
            name, power = self.read_name()
            if power is not None:
                raise self.error("a power inside a decorated name")
            self.expect("}", "to close the name")
            return name
        tok = self.peek()
        if tok.kind == "letter":
            self.next()
            return Name(tok.value)
        if tok.kind == "cmd" and tok.value[1:] in GREEK:
            self.next()
            return Name(GREEK[tok.value[1:]])
        if tok.kind == "cmd" and (tok.value in DECORATIONS or tok.value in BOLD):
            self.next()
            inner = self.read_name_arg()
            if tok.value in DECORATIONS:
                decos = tuple(sorted(inner.decos + (DECORATIONS[tok.value],)))
                return Name(inner.base, decos, inner.sub)
            return inner
        raise self.error("expected a letter after the accent", tok)

    def read_subscript(self) -> str:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "{":
            start = self.i
            end = start + self._after_group(0) - 1
            inner = self.tokens[start + 1:end]
            self.i = end + 1 if end < len(self.tokens) - 1 else end
            if self.tokens[end].value != "}":
                raise self.error("unclosed subscript group", tok)
            return _subscript_text(inner)
        if tok.kind == "num":
            if len(tok.value) > 1:
                self.split_number()
            return self.next().value
        if tok.kind in ("letter", "word"):
            self.next()
            return tok.value
        if tok.kind == "cmd" and (tok.value[1:] in GREEK or tok.value in _SUB_WORDS):
            self.next()
            return _SUB_WORDS.get(tok.value, GREEK.get(tok.value[1:]))
        raise self.error("expected a subscript", tok)

    def as_matrix(self, function, value):
        """A built-in covariance (Luo's \\Sigma_q(t) = sigma_q^2(t) I, Eq. 85) is a matrix in the
        vector reading (derive.vectors), a number in one coordinate."""
        if self.ctx.vectors and function.latex.startswith("\\Sigma") and \
                self.ctx.vocabulary.lookup_function is not None and \
                function not in self.ctx.functions.values():
            return value * EYE
        return value

    def parse_diagonal(self, tok: Token) -> sp.Expr:
        """``\\operatorname{diag}(a, b, c)``: a diagonal matrix of the listed entries;
        ``\\operatorname{diag}(\\sigma_1^2, \\ldots, \\sigma_d^2)``: the entries f(i), i = 1..n,
        when the entries before the ellipsis are f(1), f(2), ... (subscripts 1, 2, ...) and the
        last is f(n) (subscript a letter n).  Read in the vector reading only (derive.vectors)."""
        if not self.ctx.vectors:
            raise self.error(DIAGONAL_ELSEWHERE.format(
                where="in a claim the reading in R^d could not read"), tok, UnsupportedLatexError)
        if not self.is_op("("):
            raise self.error(f"\\operatorname{{diag}} needs its entries in parentheses: "
                             f"{_DIAGONAL_FORMS}", tok, UnsupportedLatexError)
        self.next()
        spans: list = []
        ellipsis = None
        while True:
            if self.peek().kind == "cmd" and self.peek().value in _ELLIPSIS_CMDS:
                if ellipsis is not None:
                    raise self.error(f"one ellipsis in \\operatorname{{diag}}: {_DIAGONAL_FORMS}",
                                     self.peek(), UnsupportedLatexError)
                ellipsis = len(spans)
                self.next()
            else:
                start = self.i
                value = self.parse_sum()
                spans.append((start, self.i, value))
            if self.is_op(","):
                self.next()
                continue
            self.expect(")", "to close \\operatorname{diag}(...)")
            break
        if ellipsis is None:
            if not hasattr(self, "diagonal_sizes"):
                self.diagonal_sizes = []
            self.diagonal_sizes.append((len(spans), tok))
            return Diagonal(*[value for _, _, value in spans])
        if ellipsis == 0 or ellipsis != len(spans) - 1:
            raise self.error(f"\\operatorname{{diag}} with an ellipsis needs the first entries "
                             f"before it and the last one after it: {_DIAGONAL_FORMS}", tok,
                             UnsupportedLatexError)
        return self.diagonal_family(spans, tok)

    def diagonal_family(self, spans: list, tok: Token) -> sp.Expr:
        """The entry f(i) of ``diag(f(1), ..., f(n))`` read from the last entry, with its
        subscript letter n as the index, and checked against the first entries."""
        after = self.i
        last, end, _ = spans[-1]
        letters = []
        for k in range(last, end - 1):
            if not (self.tokens[k].kind == "op" and self.tokens[k].value == "_"):
                continue
            one, braced = self.tokens[k + 1], self.tokens[k + 2:k + 4]
            if one.kind == "letter":
                letters.append(one.value)
            elif one.kind == "op" and one.value == "{" and len(braced) == 2 and \
                    braced[0].kind == "letter" and braced[1].value == "}":
                letters.append(braced[0].value)
        index = sp.Symbol("i", integer=True)
        try:
            for letter in dict.fromkeys(letters):
                entry = self._entry_at(last, end, letter, index)
                if entry is None or not entry.has(index):
                    continue
                firsts = [self._entry_at(start, stop, str(j), index)
                          for j, (start, stop, _) in enumerate(spans[:-1], start=1)]
                if any(first != entry for first in firsts):
                    continue
                size = type(self)(letter, self.ctx).parse_sum()
                if isinstance(size, sp.Symbol):
                    return DiagonalFamily(entry, index, size)
        finally:
            self.i = after
        raise self.error("the entries of \\operatorname{diag}(..., \\ldots, ...) must be f(1), "
                         "f(2), ..., f(n) with the index as a subscript: the first entries with "
                         "subscripts 1, 2, ... and the last with a letter n, as in "
                         "\\operatorname{diag}(\\sigma_1^2, \\ldots, \\sigma_d^2)", tok,
                         UnsupportedLatexError)

    def _entry_at(self, start: int, end: int, subscript: str, index: sp.Symbol):
        """The entry read again from tokens start..end with names subscripted ``subscript`` as
        the entries of the index (None if it does not read as exactly those tokens)."""
        self.i = start
        self.bound.append({f"||{subscript}": index})
        try:
            value = self.parse_sum()
        except LatexParseError:
            return None
        finally:
            self.bound.pop()
        return value if self.i == end else None

    def parse_named(self, single: bool = False) -> tuple[sp.Expr, sp.Expr | None]:
        start_tok = self.peek()
        if start_tok.kind == "cmd" and start_tok.value in BOLD:
            self.bold_names = getattr(self, "bold_names", 0) + 1   # a vector, by its typeface
        constant = self.read_bold_constant()
        if constant is not None:
            return constant, None
        name, power = self.read_name()
        ctx = self.ctx
        # bound variables of sums and integrals
        for scope in reversed(self.bound):
            if name.key in scope:
                return scope[name.key], power
            if name.sub is not None and f"||{name.sub}" in scope and not name.decos \
                    and name.key not in scope:
                index = scope[f"||{name.sub}"]
                return sp.IndexedBase(name.base, real=True)[index], power
        if name.base == "e" and not name.decos and name.sub is None and not name.primes:
            return sp.E, power
        if name.base == "pi" and not name.decos and name.sub is None:
            return sp.pi, power
        if name.base == "I" and start_tok.kind == "cmd" and start_tok.value in BOLD:
            # the identity matrix: of one coordinate, or kept in the vector reading
            return (EYE if ctx.vectors else sp.Integer(1)), power
        if name.base == "nabla":
            return self.parse_nabla(name, start_tok), power
        if name.base == "tr" and not name.sub and start_tok.kind == "word" and not single:
            return self.apply_plain(self.matrix_function(trace, start_tok), start_tok), power
        if name.base == "diag" and not name.sub and start_tok.kind == "word" and not single:
            return self.parse_diagonal(start_tok), power
        if name.base in WORD_FUNCTIONS and not name.sub and start_tok.kind == "word":
            return self.apply_function(WORD_FUNCTIONS[name.base], start_tok), power
        if (name.primes or {"dot", "ddot"} & set(name.decos)) and name.sub is not None and \
                not single and not self.is_op("(") and name.key not in ctx.symbols and \
                self.is_time_letter(name):
            # \dot\alpha_t, \alpha_t', Lipman's \alpha'_{1-t}: the time derivative at the index
            return self.indexed_time_derivative(name, start_tok), power
        if name.primes:
            return self.parse_prime(name, start_tok), power
        if name.sub is not None and not single and not self.is_op("("):
            value = self.defined_at_time(name, start_tok)   # alpha_{1-t} beside alpha'_{1-t}
            if value is not None:
                return value, power
        if name.base == "D" and name.sub in ("KL", "mathrmKL") and self.is_op("(") and not single:
            return self.parse_kl(start_tok), power
        function = ctx.functions.get(name.key)
        if function is None:
            function = ctx.vocabulary.lookup_function(name.key)
            if function is not None and function.only_at is not None and \
                    not self.built_in_here(function, single):
                function = None
        elif not function.generic:
            self.note_replaced_builtin(name, function)
        if function is None and {"dot", "ddot"} & set(name.decos) and self.is_op("(") and \
                not single and name.key not in ctx.symbols:
            return self.parse_dotted(name, start_tok), power
        if function is not None:
            if power is None and self.is_op("^") and not single:   # sympy's f^{2}(t)
                save = self.i
                self.next()
                exponent = self.script_expr()
                if self.is_op("(") or (self.is_op("{") and self.is_op("(", 1)):
                    power = exponent
                else:
                    self.i = save
            braced = self.is_op("{") and self.is_op("(", 1) and power is not None
            if braced:
                self.next()
            if self.is_op("(") and not single:
                args = self.parse_arguments(conditional=function.only_at is not None)
                if function.only_at is not None and function.meaning not in ctx.used:
                    ctx.used.append(function.meaning)
                if braced:
                    self.expect("}", "after the arguments")
                if function.normal is not None:          # a defined Gaussian density
                    return self.apply_density(function, args)[0], power
                try:
                    return self.as_matrix(function, function.apply(args)), power
                except ValueError as error:
                    raise self.error(str(error), start_tok) from None
            if function.defaults is not None:
                return self.as_matrix(function, function.apply(list(function.defaults))), power
            raise self.error(f"{name.latex()} is a function here: write its argument, "
                             f"{function.latex}", start_tok)
        symbol = self.lookup_symbol(name, start_tok)
        if symbol is None:
            return self.unknown_name(name, start_tok, single), power
        if not single and isinstance(symbol, sp.Symbol):
            if self.is_op("(") and (self.bar_inside() or name.key in ctx.applied):
                return self.unknown_function(name), power   # s_\\theta(x | y); x(t) after \\dot x(t)
            if name.sub in ("theta", "phi") and self.is_op("("):
                return self.model_arguments(name, symbol), power
            if self.is_op("(") and self.comma_inside():
                return self.unknown_function(name), power   # u(x, y): no product reads a list
            self.refuse_ambiguous_call(name, start_tok)
        return symbol, power

    def note_replaced_builtin(self, name: Name, function) -> None:
        """A user's definition of a name the vocabulary also has (``% assume: c_{\\text{skip}}(\\sigma)
        = ...``) is read, replacing the built-in; the step names it among its relations."""
        builtin = self.ctx.vocabulary.lookup_function(name.key)
        if builtin is None:
            return
        note = (f"{name.latex()} as the assumptions define it ({function.latex}; it replaces the "
                f"built-in: {builtin.meaning})")
        if note not in self.ctx.used:
            self.ctx.used.append(note)

    def built_in_here(self, function, single: bool) -> bool:
        """Whether a vocabulary name built in only at some arguments (``FunctionDef.only_at``) is
        applied here at them: the parenthesis is read ahead and the cursor put back."""
        if single or not self.is_op("("):
            return False
        save, bar = self.i, self.last_bar
        try:
            args = self.parse_arguments(conditional=True)
            return bool(function.only_at(args, self.last_bar, self.ctx.scope))
        except (LatexParseError, ValueError):      # not its arguments: the name as before
            return False
        finally:
            self.i, self.last_bar = save, bar

    def refuse_ambiguous_call(self, name: Name, tok: Token):
        """``\\sigma(t)``: a product or an application of an undefined function? Refuse to guess
        when a value (a known symbol, a plain name, or a name met alone before) is followed by a
        parenthesis holding one name; suggest the % assume: that makes it a function."""
        if not self.is_op("(") or not self.one_name_inside() or \
                ((name.sub is not None or name.decos) and name.key not in self.ctx.created):
            return
        inner = self.text[self.peek(1).pos:self.peek(2 + self._name_length()).pos].strip()
        shown = name.latex()
        raise self.error(
            f"ambiguous '{shown}({inner})': the product {shown}·({inner}) or the function {shown} "
            f"applied to {inner}; for the function define it (% assume: {shown}({inner}) = ...) or "
            f"declare it with its values left free (% assume: {shown}({inner}) > 0, or "
            f"{shown}({inner}) \\in \\mathbb{{R}}); for the product write {shown} \\cdot ({inner})",
            tok, AmbiguousLatexError)

    def _name_length(self) -> int:
        """How many tokens the name inside the parenthesis at the cursor spans, minus one."""
        start = self.i
        self.i += 1
        try:
            self.read_name()
            return self.i - start - 2
        finally:
            self.i = start

    def lookup_symbol(self, name: Name, tok: Token) -> sp.Expr | None:
        ctx = self.ctx
        if name.key in ctx.symbols:
            return ctx.symbols[name.key]
        family = _FAMILY_NAMES.get((name.base, name.decos))
        if family is not None and name.sub is not None:
            # alpha_s, \bar\alpha_s, beta_s at any step index: the table's family member,
            # related to the other members the claim names (derive.symbols, Luo 2022 Eq. 61)
            try:
                member = ctx.table.member(family, name.sub)
            except ValueError as error:
                raise self.error(str(error), tok, UnsupportedLatexError) from None
            if member is not None:
                return member
        names, suffixes = table_names(ctx.table, type(self))
        for suffix, symbol in suffixes.get(name.key, ()):
            if self.matches(suffix):
                return symbol
        if name.key in names:
            return names[name.key]
        return ctx.vocabulary.lookup_value(name.key)

    def matches(self, suffix) -> bool:
        j = self.i
        k = 0
        while k < len(suffix):
            tok = self.tokens[j]
            if tok.kind == "end":
                return False
            if (tok.kind == "cmd" and tok.value in BOLD) or tok.value in ("{", "}"):
                j += 1
                continue
            if (tok.kind, tok.value) != suffix[k]:
                return False
            j += 1
            k += 1
        self.i = j
        return True

    def unknown_name(self, name: Name, tok: Token, single: bool) -> sp.Expr:
        ctx = self.ctx
        if self.is_op("(") and not single:
            if self.reads_as_application(name):
                return self.unknown_function(name)
            self.refuse_ambiguous_call(name, tok)
        if name.key in ctx.created:
            return ctx.created[name.key]
        symbol_name = name.symbol_name()
        taken = {s.symbol.name for s in ctx.table.specs.values()}
        while symbol_name in taken:
            symbol_name += "'"
        symbol = sp.Symbol(symbol_name, real=True)
        ctx.created[name.key] = symbol
        return symbol

    def unknown_function(self, name: Name) -> sp.Expr:
        """An undefined function applied at the cursor: ``f(x)``, ``u_t(x \\mid x_1)`` (the
        conditioning variables are arguments too), or a built-in density ``q(x_t \\mid x_0)``."""
        self.ctx.applied.add(name.key)
        args = self.parse_arguments(conditional=True)
        if self.last_bar is not None:
            value = self.ctx.vocabulary.density(name.key, args[:self.last_bar], args[self.last_bar:])
            if value is not None:
                normal = self.ctx.built_in_normal(name.key, args[:self.last_bar],
                                                  args[self.last_bar:])
                value = value if normal is None else normal.density()
                self.ctx.density_variables.append((args[0], value))
                return value if normal is None else \
                    self.density_value(normal.log_density(), value)
        return sp.Function(name.symbol_name(), real=True)(*args)

    def reads_as_application(self, name: Name) -> bool:
        """Whether an undefined ``name`` followed by ``(`` is an unknown function applied there
        (docs/claims.md 'Functions and their arguments'): a function letter or a word, an argument
        list (``,``, ``;``, a conditioning ``|`` or ``\\mid``), a name already applied, or one
        name in the parenthesis (``\\lambda(\\sigma)``, ``c_{\\mathrm{out}}(\\sigma)``) when the name
        has not stood alone as a value before (then both readings are plausible: ambiguous)."""
        word = len(name.base) > 1 and name.base not in GREEK.values()
        if ((name.base in _FUNCTION_LETTERS or name.base in ("phi", "psi")) and not name.decos) \
                or word or name.key in self.ctx.applied or self.comma_inside() or self.bar_inside():
            return True
        return name.key not in self.ctx.created and self.one_name_inside() and \
            not self.used_alone(name)

    def used_alone(self, name: Name) -> bool:
        """Whether ``name`` also stands alone as a value somewhere in the formula (``2\\kappa(x) =
        \\kappa(x) + \\kappa x``): then ``name(one name)`` may be a product too."""
        start = self.i
        try:
            for j, tok in enumerate(self.tokens):
                if tok.kind == "cmd" and tok.value[1:] not in GREEK and tok.value not in DECORATIONS \
                        and tok.value not in BOLD or tok.kind not in ("cmd", "letter", "word"):
                    continue
                self.i = j
                try:
                    other, _ = self.read_name()
                except LatexParseError:
                    continue
                before = self.tokens[j - 1].value if j else ""
                if other.key == name.key and not self.is_op("(") and \
                        before not in DECORATIONS and before not in ("d", "\\partial"):
                    return True                  # (d\\gamma in \\frac{d\\gamma}{dt} is the function)
            return False
        finally:
            self.i = start

    def one_name_inside(self) -> bool:
        """Whether the parenthesis at the cursor holds exactly one name (``(t)``, ``(\\sigma)``,
        ``(\\mathbf{x}_t)``)."""
        start = self.i
        self.i += 1
        try:
            _, power = self.read_name()
            return power is None and self.is_op(")")
        except LatexParseError:
            return False
        finally:
            self.i = start

    def _top_level_ops(self) -> list[Token]:
        """The operators directly inside the parenthesis at the cursor ([] if it is unclosed)."""
        depth, found = 0, []
        for tok in self.tokens[self.i:]:
            if tok.kind == "op" and tok.value in "([{":
                depth += 1
            elif tok.kind == "op" and tok.value in ")]}":
                depth -= 1
                if depth == 0:
                    return found
            elif tok.kind == "op" and depth == 1:
                found.append(tok)
        return []

    def bar_inside(self) -> bool:
        """Whether the parenthesis at the cursor conditions: a top-level ``\\mid``, or exactly one
        top-level ``|`` (two are an absolute value)."""
        bars = [tok for tok in self._top_level_ops() if tok.value == "|"]
        return len(bars) == 1 or any(self.text.startswith("\\mid", tok.pos) for tok in bars)

    def comma_inside(self) -> bool:
        """Whether the parenthesis at the cursor holds a top-level comma (an argument list)."""
        return any(tok.value in ",;" for tok in self._top_level_ops())

    def model_arguments(self, name: Name, symbol: sp.Symbol) -> sp.Expr:
        """eps_theta(x_t, t) is the table's prediction; at other arguments, an opaque function."""
        args = self.parse_arguments()
        if args == [x_t, t]:
            return symbol
        relation = self.ctx.vocabulary.latent_written_out(args[0]) if len(args) == 2 and \
            args[1] == t and symbol == self.ctx.table["epshat"] else None
        if relation is not None:             # DDPM Eq. 12: the network at x_t written out
            if relation not in self.ctx.used:
                self.ctx.used.append(relation)
            return symbol
        return sp.Function(name.symbol_name(), real=True)(*args)

    def parse_arguments(self, conditional: bool = False) -> list[sp.Expr]:
        open_tok = self.expect("(")
        args = []
        self.last_bar = None
        bar = None
        if conditional:
            self.in_abs += 1
        try:
            while True:
                args.append(self.parse_sum())
                if conditional and self.is_op("|") and bar is None:
                    bar = len(args)
                    self.next()
                    continue
                if self.is_op(",") or self.is_op(";"):
                    self.next()
                    continue
                if self.is_op(")"):
                    self.next()
                    self.last_bar = bar
                    return args
                raise self.error("expected ',' or ')' in the argument list", self.peek())
        finally:
            if conditional:
                self.in_abs -= 1
        del open_tok


def _unknown_command(command: str) -> str:
    """The message for a command that is no name, with the closest known one if any (a typo
    such as \\alhpa)."""
    known = ["\\" + g for g in GREEK] + list(DECORATIONS) + list(BOLD) + list(_STRUCTURE)
    close = difflib.get_close_matches(command, known, n=1, cutoff=0.75)
    return f"unknown command '{command}'" + (f" (did you mean '{close[0]}'?)" if close else "")


# commands read elsewhere in the parser, offered as corrections of a typo
_STRUCTURE = ("\\frac", "\\sqrt", "\\log", "\\exp", "\\sin", "\\cos", "\\nabla",
              "\\mathbb", "\\mathcal", "\\int", "\\sum", "\\prod", "\\binom",
              "\\left", "\\right", "\\cdot", "\\mid", "\\propto", "\\ldots")


__all__ = ["GREEK", "BOLD", "DECORATIONS", "FUNCTION_NAME", "Name", "NameSyntax", "table_names"]
