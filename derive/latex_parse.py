"""A LaTeX reader for the formulas of diffusion papers, built on the symbol table.

A small hand-written recursive-descent parser (the grammar needs context: whether ``g(t)`` is an
application depends on whether ``g`` was defined, and ``\\bar\\alpha_{t-1}`` must be read as one
symbol).  It never evaluates user text: every token is matched against this module's grammar and
SymPy objects are built from the parts.

- Names: a letter or Greek letter with decorations (``\\bar``, ``\\overline``, ``\\tilde``,
  ``\\hat``; ``\\mathbf``/``\\boldsymbol`` are ignored, so bold and plain x are the same variable)
  and a subscript.  A name the symbol table knows (``\\bar{\\alpha}_{t-1}``) is the table's Symbol,
  with its assumptions and definitions; others are new real symbols.
- ``e`` and ``\\mathrm{e}`` are Euler's number, ``\\pi`` is pi, ``\\mathbf{I}`` is 1 (one coordinate).
- ``\\frac``, ``\\sqrt[n]{}``, ``^``, ``\\cdot``, ``\\times``, ``/``, implicit multiplication,
  ``\\left( \\right)``, ``|x|``, ``\\log``/``\\ln``/``\\exp`` and trigonometric functions,
  ``\\min``/``\\max``, ``\\frac{d}{dt}``, ``\\frac{\\partial}{\\partial x}``, ``\\nabla_x``,
  ``\\int_a^b f \\, du``, ``\\sum``/``\\prod`` with bounds, ``\\mathcal{N}(x; m, v)`` (the density).
- Ambiguity is an error naming both readings: ``\\log 2\\pi\\sigma^2``, ``a/b c``, ``\\sigma(t)``
  for an undefined ``\\sigma``, ``\\frac{dx}{dt}`` for a plain symbol x.

Errors: :class:`LatexParseError` (with ``position``), :class:`AmbiguousLatexError`,
:class:`UnsupportedLatexError`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import sympy as sp

from derive.latex_tokens import (MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, RELATIONS,  # noqa: F401
                                   AmbiguousLatexError, LatexParseError, Token,
                                   UnsupportedLatexError, tokenize)
from derive.latex_gaussian import GaussianSyntax, _conditional_score
from derive.symbols import TABLE, SymbolTable

# ---------------------------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------------------------
GREEK = {g: g for g in ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi "
                        "omicron rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda "
                        "Xi Pi Sigma Upsilon Phi Psi Omega nabla ell").split()}
GREEK.update({"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
              "varsigma": "sigma", "varpi": "pi", "pi": "pi"})
_DECOS = {"\\bar": "bar", "\\overline": "bar", "\\tilde": "tilde", "\\widetilde": "tilde",
          "\\hat": "hat", "\\widehat": "hat", "\\dot": "dot", "\\ddot": "ddot", "\\check": "check",
          "\\breve": "breve"}
_BOLD = {"\\mathbf", "\\boldsymbol", "\\bm", "\\pmb", "\\vec", "\\mathbfit", "\\overrightarrow",
         "\\mathbfup"}
_SUB_WORDS = {"\\min": "min", "\\max": "max", "\\theta": "theta", "\\phi": "phi"}
# schedule families with a step index (derive.symbols.SymbolTable.member)
_FAMILY_NAMES = {("alpha", ()): "alpha", ("alpha", ("bar",)): "abar", ("beta", ()): "beta"}


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


@dataclass
class FunctionDef:
    """A function the user or the vocabulary defines: ``sigma(t) = ...``; apply(args) -> Expr."""

    latex: str
    params: tuple[sp.Symbol, ...]
    body: sp.Expr | None = None
    apply_fn: Callable[[list[sp.Expr]], sp.Expr] | None = None
    defaults: tuple[sp.Expr, ...] | None = None
    meaning: str = ""

    def apply(self, args: list[sp.Expr]) -> sp.Expr:
        if self.apply_fn is not None:
            return self.apply_fn(args)
        if len(args) != len(self.params):
            raise ValueError(f"{self.latex} takes {len(self.params)} argument(s), got {len(args)}")
        return self.body.xreplace(dict(zip(self.params, args)))


@dataclass
class Context:
    """What the parser knows besides the grammar: table, user symbols and functions, vocabulary."""

    table: SymbolTable = field(default_factory=lambda: TABLE)
    symbols: dict[str, sp.Symbol] = field(default_factory=dict)       # user-declared names
    functions: dict[str, FunctionDef] = field(default_factory=dict)   # user-defined functions
    created: dict[str, sp.Symbol] = field(default_factory=dict)       # names met, not in table
    vocabulary: bool = True
    density_variables: list = field(default_factory=list)  # (x, density) of q(x | ..), N(x; m, v)

    def copy(self) -> "Context":
        return Context(self.table, dict(self.symbols), dict(self.functions), dict(self.created),
                       self.vocabulary)


def _table_names(table: SymbolTable) -> tuple[dict[str, sp.Symbol], dict[str, tuple]]:
    """Name key -> table Symbol, and name key -> (suffix tokens, Symbol) for multi-token names
    such as ``\\hat{x}_\\theta(x_t, t)``; computed from the table's own LaTeX names."""
    cached = getattr(table, "_latex_parse_names", None)
    signature = tuple(spec.symbol for spec in table.specs.values())
    if cached is not None and cached[2] == signature:
        return cached[0], cached[1]
    names: dict[str, sp.Symbol] = {}
    suffixes: dict[str, list] = {}
    for spec in table.specs.values():
        parser = _Parser(spec.latex, Context(table, vocabulary=False))
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
    table._latex_parse_names = (names, suffixes, signature)
    return names, suffixes


def _normalized(tokens) -> list[tuple[str, str]]:
    """Tokens with bold commands and braces removed (to compare multi-token names)."""
    return [(t.kind, t.value) for t in tokens
            if not (t.kind == "cmd" and t.value in _BOLD) and t.value not in ("{", "}")]


# ---------------------------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------------------------
_FUNCS = {"\\log": sp.log, "\\ln": sp.log, "\\exp": sp.exp, "\\sin": sp.sin, "\\cos": sp.cos,
          "\\tan": sp.tan, "\\sinh": sp.sinh, "\\cosh": sp.cosh, "\\tanh": sp.tanh,
          "\\arctan": sp.atan, "\\arcsin": sp.asin, "\\arccos": sp.acos}
# standard notation: \sin^{-1} x is the inverse function arcsin x, not 1/sin x
_INVERSES = {"\\sin": sp.asin, "\\cos": sp.acos, "\\tan": sp.atan, "\\sinh": sp.asinh,
             "\\cosh": sp.acosh, "\\tanh": sp.atanh}
_WORD_FUNCS = {"log": sp.log, "ln": sp.log, "exp": sp.exp, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
               "softplus": lambda x: sp.log(1 + sp.exp(x)), "tanh": sp.tanh, "sign": sp.sign,
               "erf": sp.erf, "erfc": sp.erfc}
_FUNCTION_LETTERS = set("fghpqFGHPQ")
_RELATION_OPS = {"=", "<", ">", "<=", ">=", ":="}
_ELLIPSES = {"\\ldots", "\\cdots", "\\dots", "\\dotsb", "\\dotsc", "\\dotso"}
# a chain term that is only "\ldots" (``= \ldots =``, Luo Eq. 68): steps left out by the author
ELLIPSIS = sp.Dummy("ldots")


MAX_DIGITS = 300    # numbers written in a claim stay below 10^300 (a power above is refused)


def _log10_size(number: sp.Expr) -> float | None:
    """log10 |number| without evaluating it exactly (None when it cannot be estimated)."""
    if number.is_Rational:
        if number == 0:
            return None
        return math.log10(abs(number.p)) - math.log10(number.q)    # exact for big integers
    try:
        value = sp.Float(number.evalf(15, maxn=50))
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not value.is_finite or value == 0:
        return None
    return float(mpmath.log10(abs(mpmath.mpf(value._mpf_))))


class _Parser(GaussianSyntax):
    def __init__(self, text: str, ctx: Context):
        if len(text) > MAX_LENGTH:
            raise LatexParseError(f"formula longer than {MAX_LENGTH} characters", text, MAX_LENGTH)
        self.text = text
        self.ctx = ctx
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.in_abs = 0
        self.integral_depth = 0
        self.last_bar: int | None = None
        self.bound: list[dict[str, sp.Symbol]] = []

    # -- token helpers ---------------------------------------------------------------------
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

    # -- relations ---------------------------------------------------------------------------
    def relation_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value in _RELATION_OPS:
            if tok.value in "<>" and self.is_op("=", 1):
                return tok.value + "="
            return tok.value
        if tok.kind == "cmd" and tok.value in RELATIONS:
            return tok.value
        return None

    def take_relation(self) -> str:
        op = self.relation_op()
        tok = self.next()
        if op in ("<=", ">=") and tok.value in "<>":
            self.next()
        return RELATIONS.get(op, op)

    def parse_chain(self) -> tuple[list[sp.Expr], list[str]]:
        terms = [self.parse_chain_term()]
        ops: list[str] = []
        while self.relation_op() is not None:
            ops.append(self.take_relation())
            terms.append(self.parse_chain_term())
        self.finish()
        return terms, ops

    def parse_chain_term(self) -> sp.Expr:
        """A term of a chain: an expression, or a lone ``\\ldots`` (elided steps): ELLIPSIS."""
        tok = self.peek()
        if tok.kind == "cmd" and tok.value in _ELLIPSES:
            after = self.peek(1)
            if after.kind == "end" or (after.kind == "op" and after.value in ".,") or \
                    self._relation_at(1):
                self.next()
                return ELLIPSIS
        return self.parse_sum()

    def _relation_at(self, k: int) -> bool:
        tok = self.peek(k)
        return (tok.kind == "op" and tok.value in _RELATION_OPS) or \
            (tok.kind == "cmd" and tok.value in RELATIONS)

    def finish(self):
        tok = self.peek()
        if tok.kind == "op" and tok.value in (".", ","):  # trailing punctuation of a display
            self.next()
            tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected '{tok.value}'", tok)

    # -- arithmetic --------------------------------------------------------------------------
    def parse_sum(self) -> sp.Expr:
        self.enter()
        try:
            result = self.parse_term()
            while True:
                tok = self.peek()
                if tok.kind == "cmd" and tok.value in ("\\pm", "\\mp"):
                    raise self.error(f"{tok.value} has two readings, + or -: write two claims",
                                     tok, AmbiguousLatexError)
                if not (tok.kind == "op" and tok.value in ("+", "-")):
                    break
                op = self.next().value
                term = self.parse_term()
                result = result + term if op == "+" else result - term
            return result
        finally:
            self.leave()

    def parse_term(self) -> sp.Expr:
        result = self.parse_signed()
        while True:
            tok = self.peek()
            if (tok.kind == "cmd" and tok.value in ("\\cdot", "\\times", "\\ast")) or \
                    (tok.kind == "op" and tok.value == "*"):
                self.next()
                result = result * self.parse_signed()
            elif tok.kind == "op" and tok.value == "/":
                self.next()
                denominator = self.parse_factor()
                if self.starts_factor():
                    raise self.error(
                        "ambiguous '/': 'a/b c' reads as (a/b)·c or as a/(b·c); "
                        "use \\frac or parentheses", tok, AmbiguousLatexError)
                result = result / denominator
            elif self.starts_factor():
                result = result * self.parse_factor()
            else:
                return result

    def parse_signed(self) -> sp.Expr:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "-":
            self.next()
            return -self.parse_signed()
        if tok.kind == "op" and tok.value == "+":
            self.next()
            return self.parse_signed()
        return self.parse_factor()

    def starts_factor(self) -> bool:
        tok = self.peek()
        if tok.kind in ("letter", "num", "word"):
            if self.integral_depth and self.at_differential():
                return False
            return True
        if tok.kind == "op":
            if tok.value in ("|", "‖"):
                return not self.in_abs
            if tok.value == "{" and self.integral_depth and self.at_differential():
                return False
            return tok.value in ("(", "[", "{")
        if tok.kind == "cmd":
            return tok.value not in RELATIONS and tok.value not in ("\\cdot", "\\times", "\\ast",
                                                                    "\\pm", "\\mp")
        return False

    def at_differential(self) -> bool:
        tok = self.peek()
        is_d = (tok.kind == "letter" and tok.value == "d") or (tok.kind == "word" and tok.value == "d")
        braced = self.is_op("{") and self.peek(1).kind == "letter" and self.peek(1).value == "d" \
            and self.is_op("}", 2)                     # {\rm d}u
        if not is_d and not braced:
            return False
        nxt = self.peek(3 if braced else 1)
        return nxt.kind in ("letter",) or (nxt.kind == "cmd" and (nxt.value[1:] in GREEK
                                                                   or nxt.value in _BOLD
                                                                   or nxt.value in _DECOS))

    def parse_factor(self) -> sp.Expr:
        self.enter()
        try:
            base, pending = self.parse_primary()
            if pending is not None:
                base = self.power(base, pending)
            while True:
                if self.is_op("^"):
                    tok = self.next()
                    if self.transpose():
                        continue                     # x^\top: one coordinate, a scalar
                    exponent = self.script_expr()
                    base = self.power(base, exponent, tok)
                elif self.is_op("!"):
                    tok = self.next()
                    if not (base.is_Integer and 0 <= base <= MAX_EXPONENT) and base.is_number:
                        raise self.error("factorial of a non-integer or huge number", tok,
                                         UnsupportedLatexError)
                    base = sp.factorial(base)
                else:
                    return base
        finally:
            self.leave()

    def transpose(self) -> bool:
        """Consume ^\\top, ^{\\top}, ^\\intercal, ^{\\mathsf{T}} (identity on one coordinate)."""
        marks = ("\\top", "\\intercal")
        if self.peek().kind == "cmd" and self.peek().value in marks:
            self.next()
            return True
        if self.is_op("{") and self.is_op("}", 2) and (
                (self.peek(1).kind == "cmd" and self.peek(1).value in marks)
                or (self.peek(1).kind == "word" and self.peek(1).value == "T")):
            self.i += 3
            return True
        return False

    def literal(self, tok: Token) -> sp.Rational:
        """A number written in digits, within 10^-300 .. 10^300 like every number of a claim."""
        digits = tok.value.replace(".", "").lstrip("0")
        whole = tok.value.split(".")[0].lstrip("0")
        if len(whole) > MAX_DIGITS or (not whole and len(tok.value) - len(digits) > MAX_DIGITS):
            raise self.error(f"a number written with more than {MAX_DIGITS} digits (numbers in "
                             "a claim stay between 10^-300 and 10^300)", tok, UnsupportedLatexError)
        return sp.Rational(tok.value)

    def power(self, base, exponent, tok=None):
        if exponent.is_number and exponent.is_finite is not False:
            try:
                too_big = abs(float(exponent)) > MAX_EXPONENT
            except (TypeError, ValueError):
                too_big = False
            if too_big:
                raise self.error(f"exponent {exponent} is too large", tok, UnsupportedLatexError)
        if base.is_number and base != 0 and exponent.is_number:
            size = _log10_size(base)
            power = _log10_size(exponent)
            if size is not None and power is not None and \
                    math.log10(abs(size) + 1e-300) + power > math.log10(MAX_DIGITS):
                raise self.error(f"a power whose value has more than {MAX_DIGITS} digits "
                                 "(numbers in a claim stay between 10^-300 and 10^300)", tok,
                                 UnsupportedLatexError)
        return sp.Pow(base, exponent)

    def script_expr(self) -> sp.Expr:
        """The argument of ^ or _ or of a \\frac/\\sqrt slot: a braced group or one token."""
        tok = self.peek()
        if tok.kind == "op" and tok.value == "{":
            self.next()
            value = self.parse_sum()
            self.expect("}", "to close the group")
            return value
        if tok.kind == "num" and len(tok.value) > 1:
            self.split_number()
            tok = self.peek()
        if tok.kind == "num":
            self.next()
            return self.literal(tok)
        if tok.kind in ("letter", "cmd", "word"):
            value, pending = self.parse_primary(single=True)
            return value if pending is None else self.power(value, pending)
        if tok.kind == "op" and tok.value == "-":
            self.next()
            return -self.script_expr()
        raise self.error("expected an exponent, a subscript or a braced group", tok)

    def split_number(self):
        """LaTeX reads x^23 as x^2 3 and \\frac12 as 1/2: split a number token in two."""
        tok = self.tokens[self.i]
        first = Token("num", tok.value[0], tok.pos)
        rest = Token("num", tok.value[1:], tok.pos + 1)
        if rest.value.startswith("."):
            raise self.error("a decimal number as a one-character argument", tok)
        self.tokens[self.i:self.i + 1] = [first, rest]

    def group_expr(self) -> sp.Expr:
        """A braced group (required, e.g. \\frac's slots) or one token."""
        return self.script_expr()

    # -- primaries ---------------------------------------------------------------------------
    def parse_primary(self, single: bool = False) -> tuple[sp.Expr, sp.Expr | None]:
        tok = self.peek()
        if tok.kind == "num":
            self.next()
            return self.literal(tok), None
        if tok.kind == "op":
            if single:
                raise self.error("expected a single token", tok)
            if tok.value in "([":
                self.next()
                value = self.parse_sum()
                if self.is_op(")") or self.is_op("]"):
                    self.next()
                else:
                    self.expect(")" if tok.value == "(" else "]", "to close the parenthesis")
                return value, None
            if tok.value == "{":
                self.next()
                value = self.parse_sum()
                self.expect("}", "to close the group")
                return value, None
            if tok.value == "|":
                self.next()
                self.in_abs += 1
                value = self.parse_sum()
                self.in_abs -= 1
                self.expect("|", "to close the absolute value")
                return sp.Abs(value), None
            if tok.value == "‖":
                self.next()
                self.in_abs += 1
                value = self.parse_sum()
                self.in_abs -= 1
                self.expect("‖", "to close the norm")
                if self.is_op("_"):                  # \|x\|_2: the Euclidean norm
                    self.next()
                    if self.read_subscript() != "2":
                        raise self.error("only the Euclidean norm \\|x\\|_2 is supported", tok,
                                         UnsupportedLatexError)
                return sp.Abs(value), None
            raise self.error(f"unexpected '{tok.value}'", tok)
        if tok.kind == "cmd":
            handler = {"\\frac": self.parse_frac, "\\dfrac": self.parse_frac,
                       "\\tfrac": self.parse_frac, "\\sqrt": self.parse_sqrt,
                       "\\int": self.parse_integral, "\\sum": self.parse_sum_prod,
                       "\\prod": self.parse_sum_prod, "\\mathcal": self.parse_mathcal,
                       "\\min": self.parse_minmax, "\\max": self.parse_minmax,
                       "\\infty": self.parse_infinity, "\\binom": self.parse_binom,
                       "\\underbrace": self.parse_brace, "\\overbrace": self.parse_brace}.get(tok.value)
            if handler is not None and not single:
                return handler(), None
            if tok.value in _FUNCS and not single:
                self.next()
                return self.apply_function(_FUNCS[tok.value], tok), None
            if tok.value == "\\mathbb" and not single and self.peek(2).value == "E":
                conditional = self.parse_conditional_expectation()
                if conditional is not None:
                    return conditional, None
                return self.parse_expectation(), None
            if tok.value in _ELLIPSES:
                raise self.error(f"{tok.value} inside a formula (elided terms) cannot be checked",
                                 tok, UnsupportedLatexError)
            if tok.value in ("\\mathbb", "\\lim", "\\sup", "\\inf", "\\arg", "\\argmin",
                             "\\argmax", "\\partial", "\\mathbb", "\\infty", "\\pm", "\\mp"):
                why = {"\\mathbb": "expectations and number sets (\\mathbb) are not values diffproof "
                                   "can check", "\\partial": "a lone \\partial (write "
                                   "\\frac{\\partial}{\\partial x} f)",
                       "\\pm": "\\pm has two readings, + or -: write two claims",
                       "\\mp": "\\mp has two readings (- and +): write two claims"}.get(
                    tok.value, f"{tok.value} is not supported")
                cls = AmbiguousLatexError if tok.value in ("\\pm", "\\mp") else UnsupportedLatexError
                raise self.error(why, tok, cls)
        if tok.kind in ("letter", "cmd", "word"):
            return self.parse_named(single)
        if tok.kind == "end":
            raise self.error("the formula ends where a value was expected", tok)
        raise self.error(f"unexpected '{tok.value}'", tok)

    # -- names and applications --------------------------------------------------------------
    def read_name(self) -> tuple[Name, sp.Expr | None]:
        """Read one name with its decorations, subscript, primes and a leading superscript."""
        tok = self.peek()
        decos: list[str] = []
        if tok.kind == "cmd" and tok.value in _DECOS:
            self.next()
            inner = self.read_name_arg()
            name = Name(inner.base, tuple(sorted(inner.decos + (_DECOS[tok.value],))), inner.sub,
                        inner.primes)
        elif tok.kind == "cmd" and tok.value in _BOLD:
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
            raise self.error(f"unknown command '{tok.value}'" if tok.kind == "cmd"
                             else f"expected a name, found '{tok.value}'", tok)
        del decos
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
        if tok.kind == "cmd" and (tok.value in _DECOS or tok.value in _BOLD):
            self.next()
            inner = self.read_name_arg()
            if tok.value in _DECOS:
                return Name(inner.base, tuple(sorted(inner.decos + (_DECOS[tok.value],))), inner.sub)
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

    def parse_named(self, single: bool = False) -> tuple[sp.Expr, sp.Expr | None]:
        start_tok = self.peek()
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
        if name.base == "I" and start_tok.kind == "cmd" and start_tok.value in _BOLD:
            return sp.Integer(1), power        # identity matrix of one coordinate
        if name.base == "nabla":
            return self.parse_nabla(name, start_tok), power
        if name.base in _WORD_FUNCS and not name.sub and start_tok.kind == "word":
            return self.apply_function(_WORD_FUNCS[name.base], start_tok), power
        if name.primes:
            return self.parse_prime(name, start_tok), power
        if name.base == "D" and name.sub in ("KL", "mathrmKL") and self.is_op("(") and not single:
            return self.parse_kl(start_tok), power
        function = ctx.functions.get(name.key)
        if function is None and ctx.vocabulary:
            from derive.vocabulary import lookup_function  # noqa: PLC0415 - avoids an import cycle
            function = lookup_function(name.key)
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
                args = self.parse_arguments()
                if braced:
                    self.expect("}", "after the arguments")
                try:
                    return function.apply(args), power
                except ValueError as error:
                    raise self.error(str(error), start_tok) from None
            if function.defaults is not None:
                return function.apply(list(function.defaults)), power
            raise self.error(f"{name.latex()} is a function here: write its argument, "
                             f"{function.latex}", start_tok)
        symbol = self.lookup_symbol(name, start_tok)
        if symbol is None:
            return self.unknown_name(name, start_tok, single), power
        if not single and isinstance(symbol, sp.Symbol):
            if name.sub in ("theta", "phi") and self.is_op("("):
                return self.model_arguments(name, symbol), power
            self.refuse_ambiguous_call(name, start_tok)
        return symbol, power

    def refuse_ambiguous_call(self, name: Name, tok: Token):
        """``\\sigma(t)``: a product or an application of an undefined function? Refuse to guess
        when a plain name (no subscript, no accent) is followed by one parenthesized symbol."""
        if not self.is_op("(") or name.sub is not None or name.decos:
            return
        inner, close = self.peek(1), self.peek(2)
        if inner.kind in ("letter", "cmd") and close.kind == "op" and close.value == ")" and \
                (inner.kind == "letter" or inner.value[1:] in GREEK):
            raise self.error(
                f"ambiguous '{name.latex()}({inner.value})': the product {name.latex()}·({inner.value})"
                f" or the function {name.latex()} applied to {inner.value}; define the function "
                f"(% assume: {name.latex()}({inner.value}) = ...) or write {name.latex()} \\cdot "
                f"({inner.value})", tok, AmbiguousLatexError)

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
        names, suffixes = _table_names(ctx.table)
        for suffix, symbol in suffixes.get(name.key, ()):
            if self.matches(suffix):
                return symbol
        if name.key in names:
            return names[name.key]
        if ctx.vocabulary:
            from derive.vocabulary import lookup_value  # noqa: PLC0415
            value = lookup_value(name.key)
            if value is not None:
                return value
        return None

    def matches(self, suffix) -> bool:
        j = self.i
        k = 0
        while k < len(suffix):
            tok = self.tokens[j]
            if tok.kind == "end":
                return False
            if (tok.kind == "cmd" and tok.value in _BOLD) or tok.value in ("{", "}"):
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
            word = len(name.base) > 1 and name.base not in GREEK.values()
            if ((name.base in _FUNCTION_LETTERS or name.base in ("phi", "psi")) and not name.decos) \
                    or word or self.comma_inside():
                args = self.parse_arguments(conditional=True)
                if self.ctx.vocabulary and self.last_bar is not None:
                    from derive.vocabulary import density  # noqa: PLC0415
                    value = density(name.key, args[:self.last_bar], args[self.last_bar:])
                    if value is not None:
                        self.ctx.density_variables.append((args[0], value))
                        return value
                return sp.Function(name.symbol_name(), real=True)(*args)
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

    def comma_inside(self) -> bool:
        """Whether the parenthesis at the cursor holds a top-level comma (an argument list)."""
        depth = 0
        j = self.i
        while j < len(self.tokens):
            tok = self.tokens[j]
            if tok.kind == "op" and tok.value in "([{":
                depth += 1
            elif tok.kind == "op" and tok.value in ")]}":
                depth -= 1
                if depth == 0:
                    return False
            elif tok.kind == "op" and tok.value in ",;" and depth == 1:
                return True
            elif tok.kind == "end":
                return False
            j += 1
        return False

    def model_arguments(self, name: Name, symbol: sp.Symbol) -> sp.Expr:
        """eps_theta(x_t, t) is the table's prediction; at other arguments, an opaque function."""
        from derive.symbols import t as time, x_t  # noqa: PLC0415

        args = self.parse_arguments()
        if args == [x_t, time]:
            return symbol
        return sp.Function(name.symbol_name(), real=True)(*args)

    def parse_conditional_expectation(self) -> sp.Expr | None:
        """``\\mathbb{E}[f \\mid x_t]`` with f affine in x_0 and the noise: Tweedie's conditional
        means (derive.vocabulary.conditional_mean_given_xt); None if no ``[`` follows E."""
        start = self.i
        tok = self.next()
        self.read_name_arg()
        if not self.is_op("["):
            self.i = start
            return None
        self.next()
        self.in_abs += 1
        try:
            body = self.parse_sum()
            if not self.is_op("|"):
                raise self.error("write the distribution of the expectation, "
                                 "\\mathbb{E}_{x \\sim \\mathcal{N}(m, v)}[f], or condition it: "
                                 "\\mathbb{E}[f \\mid x_t]", tok, UnsupportedLatexError)
            self.next()
            given = self.parse_sum()
        finally:
            self.in_abs -= 1
        self.expect("]", "to close the conditional expectation")
        from derive.vocabulary import conditional_mean_given_xt  # noqa: PLC0415
        try:
            return conditional_mean_given_xt(body, given)
        except ValueError as error:
            raise self.error(str(error), tok, UnsupportedLatexError) from None

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

    def apply_function(self, fn, tok: Token) -> sp.Expr:
        power = None
        if self.is_op("^"):                 # \log^2 x
            self.next()
            power = self.script_expr()
        if power == -1 and tok.value in _INVERSES:
            fn, power = _INVERSES[tok.value], None       # \cos^{-1} x is arccos x
        elif power is not None and power.is_negative:
            raise self.error(f"{tok.value}^{{{power}}} reads as a power of {tok.value} or as its "
                             f"inverse function; write ({tok.value} x)^{{{power}}} or the inverse "
                             "by name", tok, AmbiguousLatexError)
        if self.is_op("(") or self.is_op("["):
            _, arg = None, self.parse_primary()[0]
            if self.is_op("^") and power is None:
                raise self.error(f"{tok.value}(x)^k reads as ({tok.value} x)^k or as "
                                 f"{tok.value}(x^k); write {tok.value}^k(x) or "
                                 f"{tok.value}(x^k)", self.peek(), AmbiguousLatexError)
        elif self.is_op("{"):
            arg = self.parse_primary()[0]
        else:
            if not self.starts_factor():
                raise self.error(f"{tok.value} needs an argument", tok)
            arg = self.parse_factor()
            if self.starts_factor() and not self.is_cmd("\\cdot"):
                nxt = self.peek()
                raise self.error(
                    f"ambiguous argument of {tok.value}: '{tok.value} a b' reads as "
                    f"{tok.value}(a)·b or as {tok.value}(a b); add parentheses",
                    nxt, AmbiguousLatexError)
        value = fn(arg)
        return value if power is None else self.power(value, power)

    # -- operators -------------------------------------------------------------------------------
    def parse_frac(self) -> sp.Expr:
        tok = self.next()
        derivative = self.try_derivative(tok)
        if derivative is not None:
            return derivative
        numerator = self.group_expr()
        denominator = self.group_expr()
        return numerator / denominator

    def _group_tokens(self) -> tuple[list[Token], int]:
        """The tokens of the braced group at the cursor (without braces) and the index after."""
        if not self.is_op("{"):
            return [self.peek()], self.i + 1
        end = self.i + self._after_group(0)
        return self.tokens[self.i + 1:end - 1], end

    def try_derivative(self, tok: Token) -> sp.Expr | None:
        """\\frac{d}{dt} f, \\frac{d f}{dt}, \\frac{d^2}{dt^2}, \\frac{\\partial}{\\partial x}."""
        start = self.i
        num, after_num = self._group_tokens()
        if not num or not _is_d(num[0]):
            return None
        self.i = after_num
        den, after_den = self._group_tokens()
        if not den or not _is_d(den[0]) or len(den) < 2:
            self.i = start
            return None
        # the variable: parse the denominator's tokens after d
        sub = _Parser.__new__(_Parser)
        sub.__dict__.update(self.__dict__)
        sub.tokens = den[1:] + [Token("end", "", den[-1].pos + 1)]
        sub.i = 0
        sub.depth = self.depth
        variable, power = sub.read_name()
        order = 1
        if sub.is_op("^"):
            sub.next()
            order_expr = sub.script_expr()
            if not (order_expr.is_Integer and 1 <= order_expr <= 10):
                raise self.error("the order of a derivative must be a small integer", den[0])
            order = int(order_expr)
        if sub.peek().kind != "end":
            self.i = start
            return None
        var = self.lookup_symbol(variable, den[0])
        if var is None:
            var = self.unknown_name(variable, den[0], True)
        if not isinstance(var, sp.Symbol):
            raise self.error(f"cannot differentiate with respect to {variable.latex()}", den[0],
                             UnsupportedLatexError)
        num_rest = num[1:]
        if num_rest and num_rest[0].kind == "op" and num_rest[0].value == "^":
            num_rest = num_rest[2:]
        self.i = after_den
        if num_rest:
            inner = _Parser.__new__(_Parser)
            inner.__dict__.update(self.__dict__)
            inner.tokens = list(num_rest) + [Token("end", "", num_rest[-1].pos + 1)]
            inner.i = 0
            operand_start = num_rest[0]
            operand = inner.parse_sum()
            if inner.peek().kind != "end":
                raise inner.error(f"unexpected '{inner.peek().value}'")
        else:
            operand_start = self.peek()
            if not self.starts_factor():
                raise self.error("a derivative operator needs something to differentiate", tok)
            operand = self.parse_term()
        self.check_differentiable(operand, var, operand_start)
        try:
            return sp.diff(operand, var, order)
        except (ValueError, TypeError) as error:
            raise self.error(f"cannot differentiate: {error}", tok, UnsupportedLatexError) from None

    def check_differentiable(self, operand, var, tok):
        if isinstance(operand, sp.Symbol) and operand != var:
            raise self.error(
                f"ambiguous derivative of the symbol {operand} with respect to {var}: it is 0 if "
                f"{operand} is a constant, or the derivative of a function {operand}({var}); define "
                f"the function with % assume:", tok, AmbiguousLatexError)

    def parse_nabla(self, name: Name, tok: Token) -> sp.Expr:
        names, suffixes = _table_names(self.ctx.table)
        for key in (name.key, Name("nabla", (), "x_t").key):
            for suffix, symbol in suffixes.get(key, ()):
                if (key == name.key or name.sub is None) and self.matches(suffix):
                    return symbol                       # \nabla_{x_t} \log p(x_t): the score
        if name.sub is None:
            raise self.error("write the gradient's variable, \\nabla_{x}", tok, UnsupportedLatexError)
        sub = _Parser(name.sub.replace("_", "_{", 1) + "}" if "_" in name.sub else name.sub, self.ctx)
        variable, _ = sub.read_name()
        var = self.lookup_symbol(variable, tok) or self.unknown_name(variable, tok, True)
        if not isinstance(var, sp.Symbol):
            raise self.error(f"cannot differentiate with respect to {name.sub}", tok)
        operand_start = self.peek()
        if not self.starts_factor():
            raise self.error("\\nabla needs something to differentiate", tok)
        operand = self.parse_term()
        self.check_differentiable(operand, var, operand_start)
        conditional = _conditional_score(operand, var, self.ctx)
        if conditional is not None:
            return conditional
        return sp.diff(operand, var)

    def parse_prime(self, name: Name, tok: Token) -> sp.Expr:
        base = Name(name.base, name.decos, name.sub)
        function = self.ctx.functions.get(base.key)
        if function is None or len(function.params) != 1 or not self.is_op("("):
            raise self.error(f"{name.latex()}: a prime needs a defined one-argument function "
                             f"applied to an argument", tok, UnsupportedLatexError)
        args = self.parse_arguments()
        derivative = sp.diff(function.body, function.params[0], name.primes)
        return derivative.xreplace({function.params[0]: args[0]})

    def parse_sqrt(self) -> sp.Expr:
        self.next()
        index = sp.Integer(2)
        if self.is_op("["):
            self.next()
            index = self.parse_sum()
            self.expect("]", "to close the root's index")
        radicand = self.group_expr()
        return sp.sqrt(radicand) if index == 2 else sp.root(radicand, index)

    def parse_brace(self) -> sp.Expr:
        """\\underbrace{a}_{note}: the value a; the note is dropped."""
        self.next()
        value = self.group_expr()
        while self.is_op("_") or self.is_op("^"):
            self.next()
            if self.is_op("{"):
                self.i += self._after_group(0)
            else:
                self.next()
        return value

    def parse_binom(self) -> sp.Expr:
        tok = self.next()
        n, k = self.group_expr(), self.group_expr()
        if n.is_number and k.is_number:
            size = _log10_size(n)
            if size is not None and (size > math.log10(MAX_EXPONENT) or
                                     (abs(k) > 1000 and size > 3)):
                raise self.error(f"a binomial coefficient too large to evaluate (numbers in a "
                                 "claim stay below 10^300)", tok, UnsupportedLatexError)
        return sp.binomial(n, k)

    def parse_infinity(self) -> sp.Expr:
        self.next()
        return sp.oo

    def parse_minmax(self) -> sp.Expr:
        tok = self.next()
        if self.is_op("_"):
            raise self.error(f"{tok.value} over a set is not supported", tok, UnsupportedLatexError)
        if not (self.is_op("(") or self.is_op("[") or self.is_op("{")):
            raise self.error(f"{tok.value} needs parenthesized arguments", tok)
        args = self.parse_arguments() if self.is_op("(") else [self.parse_primary()[0]]
        return (sp.Min if tok.value == "\\min" else sp.Max)(*args)

    def parse_integral(self) -> sp.Expr:
        tok = self.next()
        lower = upper = None
        for _ in range(2):
            if self.is_op("_") and lower is None:
                self.next()
                lower = self.script_expr()
            elif self.is_op("^") and upper is None:
                self.next()
                upper = self.script_expr()
        if lower is None or upper is None:
            raise self.error("indefinite integrals are not supported: write \\int_a^b", tok,
                             UnsupportedLatexError)
        self.integral_depth += 1
        try:
            body = self.parse_sum() if not self.at_differential() else sp.Integer(1)
        finally:
            self.integral_depth -= 1
        if not self.at_differential():
            raise self.error("the integral needs its differential (\\, du) after the integrand",
                             self.peek())
        self.i += 3 if self.is_op("{") else 1
        d_tok = self.peek()
        variable, _ = self.read_name()
        var_symbol = self.lookup_symbol(variable, d_tok) or self.unknown_name(variable, d_tok, True)
        if not isinstance(var_symbol, sp.Symbol):
            raise self.error(f"cannot integrate over {variable.latex()}", d_tok)
        return sp.Integral(body, (var_symbol, lower, upper))

    def parse_sum_prod(self) -> sp.Expr:
        tok = self.next()
        if not self.is_op("_"):
            raise self.error(f"{tok.value} needs bounds, {tok.value}_{{i=1}}^{{n}}", tok,
                             UnsupportedLatexError)
        self.next()
        self.expect("{", f"after {tok.value}_ (write {tok.value}_{{i=1}}^{{n}})")
        var_tok = self.peek()
        variable, power = self.read_name()
        if power is not None or variable.decos:
            raise self.error("the index of a sum must be a plain letter", var_tok)
        self.expect("=", f"in the lower bound of {tok.value}")
        lower = self.parse_sum()
        self.expect("}", "to close the lower bound")
        if not self.is_op("^"):
            raise self.error(f"{tok.value} needs an upper bound", tok, UnsupportedLatexError)
        self.next()
        upper = self.script_expr()
        for bound in (lower, upper):
            size = _log10_size(bound) if bound.is_number else None
            if size is not None and size > math.log10(MAX_EXPONENT):
                raise self.error(f"bounds beyond {MAX_EXPONENT} are not supported", tok,
                                 UnsupportedLatexError)
        index = sp.Symbol(variable.symbol_name(), integer=True)
        self.bound.append({variable.key: index, f"||{variable.base}": index})
        try:
            if not self.starts_factor() and not self.is_op("-"):
                raise self.error(f"{tok.value} needs a summand", self.peek())
            body = self.parse_term()
        finally:
            self.bound.pop()
        cls = sp.Sum if tok.value == "\\sum" else sp.Product
        if cls is sp.Product and self.ctx.vocabulary:
            from derive.vocabulary import cumulative_product  # noqa: PLC0415
            known = cumulative_product(body, index, lower, upper)
            if known is not None:
                return known
        return cls(body, (index, lower, upper))



def _is_d(tok: Token) -> bool:
    return (tok.kind == "letter" and tok.value == "d") or (tok.kind == "word" and tok.value == "d") \
        or (tok.kind == "cmd" and tok.value == "\\partial")


def _subscript_text(tokens: list[Token]) -> str:
    parts = []
    for tok in tokens:
        if tok.kind == "cmd" and tok.value in _BOLD:
            continue
        if tok.kind == "op" and tok.value in "{}":
            continue
        if tok.kind == "cmd":
            parts.append(_SUB_WORDS.get(tok.value, GREEK.get(tok.value[1:], tok.value[1:])))
        else:
            parts.append(tok.value.replace(" ", ""))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------
@dataclass
class Relation:
    """A chain ``terms[0] ops[0] terms[1] ops[1] ...``; ``lhs``/``rhs``/``op`` for one relation."""

    terms: list[sp.Expr]
    ops: list[str]

    @property
    def lhs(self) -> sp.Expr:
        return self.terms[0]

    @property
    def rhs(self) -> sp.Expr:
        return self.terms[-1]

    @property
    def op(self) -> str:
        return self.ops[0]


def _guarded(fn, text: str):
    try:
        return fn()
    except LatexParseError:
        raise
    except RecursionError:
        raise LatexParseError("formula nested too deeply", text, None) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, NotImplementedError,
            IndexError, KeyError) as error:
        raise LatexParseError(f"could not build the formula: {type(error).__name__}: {error}",
                              text, None) from None


def parse_expression(text: str, table: SymbolTable = TABLE, context: Context | None = None) -> sp.Expr:
    """The SymPy expression of a LaTeX formula (no relation sign)."""
    ctx = context or Context(table)

    def run():
        parser = _Parser(text, ctx)
        if parser.peek().kind == "end":
            raise LatexParseError("empty formula", text, 0)
        value = parser.parse_sum()
        if parser.relation_op() is not None:
            raise parser.error("a relation where an expression was expected (use parse_relation)")
        parser.finish()
        return value
    return _guarded(run, text)


def parse_relation(text: str, table: SymbolTable = TABLE, context: Context | None = None) -> Relation:
    """``a = b``, ``a \\le b``, or a chain ``a = b = c``; relations are =, propto, <=, >=, <, >,
    approx, !=, :=, in."""
    ctx = context or Context(table)

    def run():
        parser = _Parser(text, ctx)
        if parser.peek().kind == "end":
            raise LatexParseError("empty formula", text, 0)
        terms, ops = parser.parse_chain()
        if not ops:
            raise LatexParseError("no relation (=, \\le, \\propto, ...) in the formula", text, 0)
        return Relation(terms, ops)
    return _guarded(run, text)


def parse_chain(text: str, context: Context, allow_leading: bool = False):
    """Parse one line of a display; returns (terms, ops) where terms[0] is None when the line
    starts with a relation (``&= ...``, continuing the previous line)."""
    def run():
        parser = _Parser(text, context)
        if parser.peek().kind == "end":
            raise LatexParseError("empty line", text, 0)
        if allow_leading and parser.relation_op() is not None:
            ops = [parser.take_relation()]
            terms: list = [None, parser.parse_chain_term()]
            while parser.relation_op() is not None:
                ops.append(parser.take_relation())
                terms.append(parser.parse_chain_term())
            parser.finish()
            return terms, ops
        return parser.parse_chain()
    return _guarded(run, text)


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


def parse_function_definition(text: str, context: Context) -> tuple[str, FunctionDef] | None:
    """``g(t) = ...`` with a name and plain-symbol parameters: a function definition, or None."""
    def run():
        parser = _Parser(text, context)
        tok = parser.peek()
        if tok.kind not in ("letter", "cmd", "word"):
            return None
        try:
            name, power = parser.read_name()
        except LatexParseError:
            return None
        if power is not None or not parser.is_op("(") or name.primes:
            return None
        parser.next()
        params = []
        while True:
            ptok = parser.peek()
            pname, ppower = parser.read_name()
            if ppower is not None:
                raise parser.error("a parameter must be a plain symbol", ptok)
            symbol = parser.lookup_symbol(pname, ptok) or parser.unknown_name(pname, ptok, True)
            if not isinstance(symbol, sp.Symbol):
                raise parser.error("a parameter must be a plain symbol", ptok)
            params.append(symbol)
            if parser.is_op(","):
                parser.next()
                continue
            parser.expect(")", "to close the parameter list")
            break
        if parser.relation_op() not in ("=", ":=", "\\coloneqq", "\\triangleq", "\\equiv"):
            return None
        parser.take_relation()
        # the body may refer to other functions, but not to itself
        body = parser.parse_sum()
        parser.finish()
        fdef = FunctionDef(f"{name.latex()}({', '.join(str(p) for p in params)})", tuple(params),
                           body)
        return name.key, fdef
    return _guarded(run, text)


__all__ = ["LatexParseError", "AmbiguousLatexError", "UnsupportedLatexError", "Context",
           "FunctionDef", "Name", "Relation", "parse_expression", "parse_relation", "parse_chain",
           "parse_function_definition", "has_relation", "tokenize"]
