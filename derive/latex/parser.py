"""A LaTeX reader for the formulas of diffusion papers, built on the symbol table.

A small hand-written recursive-descent parser (the grammar needs context: whether ``g(t)`` is an
application depends on whether ``g`` was defined, and ``\\bar\\alpha_{t-1}`` must be read as one
symbol).  It never evaluates user text: every token is matched against the grammar and SymPy
objects are built from the parts.  This module holds the core rules (relations and chains, sums,
products, powers, groups, ``\\frac``, ``\\cdot``, ``\\times``, ``/``, implicit multiplication,
``|x|``, ``\\left( \\right)``) and the entry points; the rest of the grammar is in
:mod:`derive.latex.names`, :mod:`derive.latex.elementary`, :mod:`derive.latex.calculus` and
:mod:`derive.latex.probability`.

The built-in names come with the :class:`derive.latex.context.Context` (its ``vocabulary``): this
package never imports a vocabulary.  :mod:`derive.notation_reader` reads with the diffusion one.

Ambiguity is an error naming both readings: ``\\log 2\\pi\\sigma^2``, ``a/b c``, ``\\sigma(t)`` for
an undefined ``\\sigma``, ``\\frac{dx}{dt}`` for a plain symbol x.  Errors:
:class:`~derive.latex.tokens.LatexParseError` (with ``position``), ``AmbiguousLatexError``,
``UnsupportedLatexError``.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from diffproof.derive.latex.calculus import CalculusSyntax
from diffproof.derive.latex.context import NO_VOCABULARY, Context, FunctionDef
from diffproof.derive.latex.elementary import FUNCTIONS, ElementarySyntax
from diffproof.derive.latex.names import NameSyntax
from diffproof.derive.latex.probability import ProbabilitySyntax
from diffproof.derive.latex.tokens import (MAX_EXPONENT, RELATIONS, AmbiguousLatexError, LatexParseError,
                                 UnsupportedLatexError)
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.derive.vectors import (DIAGONALS, DIM, EYE, Norm, NotLowerable, Transposed,
                                      determinant)

_RELATION_OPS = {"=", "<", ">", "<=", ">=", ":="}
_ELLIPSES = {"\\ldots", "\\cdots", "\\dots", "\\dotsb", "\\dotsc", "\\dotso"}
# a chain term that is only "\ldots" (``= \ldots =``, Luo Eq. 68): steps left out by the author
ELLIPSIS = sp.Dummy("ldots")


class Parser(NameSyntax, ElementarySyntax, CalculusSyntax, ProbabilitySyntax):
    """The grammar over one formula, read in ``ctx`` (table, user names, vocabulary)."""

    def __init__(self, text: str, ctx: Context):
        super().__init__(text)
        self.ctx = ctx
        self.in_abs = 0
        self.integral_depth = 0
        self.last_bar: int | None = None
        self.bound: list[dict[str, sp.Symbol]] = []

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
        self.check_diagonal_sizes(terms)
        return terms, ops

    def check_diagonal_sizes(self, terms):
        """An explicit diag(a, b) is a 2 x 2 matrix: in a formula that also has the dimension d
        (the symbol d, or tr/det of s I and isotropic Gaussians, which bring it) the two sizes
        must agree, so the assumptions must fix d to that size (% assume: d = 2)."""
        sizes = getattr(self, "diagonal_sizes", [])
        if not sizes:
            return
        sides = [term for term in terms if isinstance(term, sp.Basic)]
        # "d": the dimension's name (proofs.claims.dimension.DIMENSION)
        if not any(side.has(DIM) or any(getattr(s, "name", None) == "d"
                                        for s in side.free_symbols) for side in sides):
            return
        fixed = {value for key, value in self.ctx.definitions.items()
                 if getattr(key, "name", None) == "d"}
        for size, tok in sizes:
            if fixed != {size}:
                raise self.error(
                    f"\\operatorname{{diag}} of {size} entries is a {size} x {size} matrix, and "
                    "the formula also has the dimension d (d, or \\operatorname{tr}, \\det of "
                    "s\\mathbf{I} or an isotropic Gaussian); state the size: % assume: d = "
                    f"{size}, or write the entries as \\operatorname{{diag}}(a_1, \\ldots, a_d)",
                    tok, UnsupportedLatexError)

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
        return self.parse_signed() * self.parse_term_rest()

    def parse_term_rest(self) -> sp.Expr:
        """The factors that continue a term after its first one (1 when none)."""
        result = sp.Integer(1)
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

    def parse_factor(self) -> sp.Expr:
        self.enter()
        try:
            bold_before = getattr(self, "bold_names", 0)
            base, pending = self.parse_primary()
            bold = getattr(self, "bold_names", 0) > bold_before     # written with a bold name
            if pending is not None:
                base = self.power(base, pending)
            while True:
                if self.is_op("^"):
                    tok = self.next()
                    if self.transpose():             # x^\top: one coordinate, a scalar
                        if self.ctx.vectors:         # or kept (derive.vectors)
                            base = Transposed(base)
                        continue
                    if self.transpose_or_power(base) and bold and pending is None:
                        # (\boldsymbol{\mu}_\theta - \boldsymbol{\mu}_q)^T: a bold vector has no
                        # power, so T is its transpose (Luo Eq. 86)
                        self.i += 1 if self.peek().kind == "letter" else 3
                        if self.ctx.vectors:
                            base = Transposed(base)
                        continue
                    if self.transpose_or_power(base):
                        raise self.error(
                            "x^T reads as the transpose of x or as x to the power T; write "
                            "x^\\top for the transpose, or x^{(T)} for the power", tok,
                            AmbiguousLatexError)
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

    def matrix_function(self, fn, tok):
        """tr or det: of s I in the vector reading (derive.vectors), else of one coordinate (the
        number itself)."""
        if not self.ctx.vectors:
            return lambda matrix: matrix

        def apply(matrix):
            try:
                return fn(matrix)
            except NotLowerable as error:
                raise self.error(str(error), tok, UnsupportedLatexError) from None
        return apply

    def transpose_or_power(self, base) -> bool:
        """``^T`` or ``^{T}`` after anything but a number: papers write both the transpose and
        the power T (the last time step) this way (after a bold name, only the transpose)."""
        if isinstance(base, sp.Basic) and base.is_number:
            return False
        letter_t = lambda k: self.peek(k).kind == "letter" and self.peek(k).value == "T"
        bare = letter_t(0) and not self.is_op("_", 1)
        braced = self.is_op("{") and letter_t(1) and self.is_op("}", 2)
        return bare or braced

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

    def group_expr(self) -> sp.Expr:
        """A braced group (required, e.g. \\frac's slots) or one token."""
        return self.script_expr()

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
                if self.ctx.vectors and value.has(EYE, *DIAGONALS):  # |Sigma|: Luo Eq. 86's det
                    return self.matrix_function(determinant, tok)(value), None
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
                return (Norm(value) if self.ctx.vectors else sp.Abs(value)), None
            raise self.error(f"unexpected '{tok.value}'", tok)
        if tok.kind == "cmd":
            handler = {"\\frac": self.parse_frac, "\\dfrac": self.parse_frac,
                       "\\tfrac": self.parse_frac, "\\sqrt": self.parse_sqrt,
                       "\\int": self.parse_integral, "\\sum": self.parse_sum_prod,
                       "\\prod": self.parse_sum_prod, "\\mathcal": self.parse_mathcal,
                       "\\min": self.parse_minmax, "\\max": self.parse_minmax,
                       "\\infty": self.parse_infinity, "\\binom": self.parse_binom,
                       "\\underbrace": self.parse_brace, "\\overbrace": self.parse_brace,
                       "\\partial": self.parse_partial}.get(tok.value)
            if handler is not None and not single:
                return handler(), None
            if tok.value == "\\det" and not single:
                self.next()
                return self.apply_plain(self.matrix_function(determinant, tok), tok), None
            if tok.value in FUNCTIONS and not single:
                self.next()
                return self.apply_function(FUNCTIONS[tok.value], tok), None
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

    def parse_frac(self) -> sp.Expr:
        tok = self.next()
        derivative = self.try_derivative(tok)
        if derivative is not None:
            return derivative
        numerator = self.group_expr()
        denominator = self.group_expr()
        return numerator / denominator

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


# ---------------------------------------------------------------------------------------------
# entry points (the context carries the vocabulary: see derive.notation_reader)
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


def read_expression(text: str, ctx: Context) -> sp.Expr:
    """The SymPy expression of a LaTeX formula (no relation sign)."""
    def run():
        parser = Parser(text, ctx)
        if parser.peek().kind == "end":
            raise LatexParseError("empty formula", text, 0)
        value = parser.parse_sum()
        if parser.relation_op() is not None:
            raise parser.error("a relation where an expression was expected (use parse_relation)")
        parser.finish()
        return value
    return _guarded(run, text)


def read_relation(text: str, ctx: Context) -> Relation:
    """``a = b``, ``a \\le b``, or a chain ``a = b = c``; relations are =, propto, <=, >=, <, >,
    approx, !=, :=, in."""
    def run():
        parser = Parser(text, ctx)
        if parser.peek().kind == "end":
            raise LatexParseError("empty formula", text, 0)
        terms, ops = parser.parse_chain()
        if not ops:
            raise LatexParseError("no relation (=, \\le, \\propto, ...) in the formula", text, 0)
        return Relation(terms, ops)
    return _guarded(run, text)


def read_chain(text: str, context: Context, allow_leading: bool = False):
    """Parse one line of a display; returns (terms, ops) where terms[0] is None when the line
    starts with a relation (``&= ...``, continuing the previous line)."""
    def run():
        parser = Parser(text, context)
        if parser.peek().kind == "end":
            raise LatexParseError("empty line", text, 0)
        if allow_leading and parser.relation_op() is not None:
            ops = [parser.take_relation()]
            terms: list = [None, parser.parse_chain_term()]
            while parser.relation_op() is not None:
                ops.append(parser.take_relation())
                terms.append(parser.parse_chain_term())
            parser.finish()
            parser.check_diagonal_sizes(terms)
            return terms, ops
        return parser.parse_chain()
    return _guarded(run, text)


def _read_head(parser: Parser) -> tuple | None:
    """``g(t)``, ``D(x; \\sigma)`` at the cursor: a name (no power, no prime) and a parenthesis of
    plain-symbol parameters separated by ``,`` or ``;`` (EDM's ``D(x; \\sigma)``), as (name,
    parameters); None when the cursor is not at a name followed by ``(``."""
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
        if parser.is_op(",") or parser.is_op(";"):
            parser.next()
            continue
        parser.expect(")", "to close the parameter list")
        return name, params


def read_function_definition(text: str, context: Context) -> tuple[str, FunctionDef] | None:
    """``g(t) = ...`` (or ``D(x; \\sigma) = ...``) with a name and plain-symbol parameters: a
    function definition, or None."""
    def run():
        parser = Parser(text, context)
        head = _read_head(parser)
        if head is None:
            return None
        name, params = head
        if parser.relation_op() not in ("=", ":=", "\\coloneqq", "\\triangleq", "\\equiv"):
            return None
        parser.take_relation()
        # the body may refer to other functions, but not to itself
        body = parser.parse_sum()
        parser.finish()
        fdef = FunctionDef(f"{name.latex()}({', '.join(str(p) for p in params)})", tuple(params),
                           body, normal=parser.defined_normal(body, tuple(params)))
        return name.key, fdef
    return _guarded(run, text)


def read_function_head(text: str, context: Context):
    """``a(t)`` or ``D(x; \\sigma)`` alone (the whole text): (name, name key, parameters), or None
    when the text is anything else (a generic function is declared by bounding such a head:
    ``% assume: a(t) > 0``)."""
    def run():
        parser = Parser(text, context)
        try:
            head = _read_head(parser)
        except LatexParseError:
            return None
        if head is None or parser.peek().kind != "end":
            return None
        name, params = head
        return name, name.key, params
    return _guarded(run, text)


def name_key(latex: str, table: SymbolTable = TABLE) -> str:
    """The key a name is looked up by (:attr:`derive.latex.names.Name.key`), read without
    vocabulary: ``\\bar{\\alpha}_{t-1}`` and ``\\overline{\\alpha}_{t - 1}`` have the same key."""
    name, _ = Parser(latex, Context(table, vocabulary=NO_VOCABULARY)).read_name()
    return name.key


__all__ = ["Parser", "Relation", "ELLIPSIS", "read_expression", "read_relation", "read_chain",
           "read_function_definition", "read_function_head", "name_key"]
