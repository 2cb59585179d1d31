"""Numbers, powers and elementary functions of the LaTeX reader.

Numbers written in a claim stay between 10^-300 and 10^300 (longer literals, huge powers and
binomial coefficients are refused before SymPy evaluates them); ``\\log``/``\\ln``/``\\exp``,
trigonometric and hyperbolic functions (``\\sin^{-1} x`` is arcsin), ``\\sqrt[n]{}``,
``\\binom``, ``\\min``/``\\max``, ``\\infty``.

A mixin of :class:`derive.latex.parser.Parser` (it uses the parser's ``parse_sum``,
``parse_factor``, ``parse_primary``, ``script_expr``, ``group_expr`` and ``parse_arguments``).
"""
from __future__ import annotations

import math

import mpmath
import sympy as sp

from diffproof.derive.latex.tokens import (MAX_EXPONENT, AmbiguousLatexError, Token, TokenCursor,
                                 UnsupportedLatexError)

FUNCTIONS = {"\\log": sp.log, "\\ln": sp.log, "\\exp": sp.exp, "\\sin": sp.sin, "\\cos": sp.cos,
          "\\tan": sp.tan, "\\sinh": sp.sinh, "\\cosh": sp.cosh, "\\tanh": sp.tanh,
          "\\arctan": sp.atan, "\\arcsin": sp.asin, "\\arccos": sp.acos}
# standard notation: \sin^{-1} x is the inverse function arcsin x, not 1/sin x
INVERSES = {"\\sin": sp.asin, "\\cos": sp.acos, "\\tan": sp.atan, "\\sinh": sp.asinh,
             "\\cosh": sp.acosh, "\\tanh": sp.atanh}
WORD_FUNCTIONS = {"log": sp.log, "ln": sp.log, "exp": sp.exp, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
               "softplus": lambda x: sp.log(1 + sp.exp(x)), "tanh": sp.tanh, "sign": sp.sign,
               "erf": sp.erf, "erfc": sp.erfc}


MAX_DIGITS = 300    # numbers written in a claim stay below 10^300 (a power above is refused)


def log10_size(number: sp.Expr) -> float | None:
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


class ElementarySyntax(TokenCursor):
    """Numbers, powers and elementary functions (a mixin of the parser)."""

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
            size = log10_size(base)
            power = log10_size(exponent)
            if size is not None and power is not None and \
                    math.log10(abs(size) + 1e-300) + power > math.log10(MAX_DIGITS):
                raise self.error(f"a power whose value has more than {MAX_DIGITS} digits "
                                 "(numbers in a claim stay between 10^-300 and 10^300)", tok,
                                 UnsupportedLatexError)
        return sp.Pow(base, exponent)

    def apply_function(self, fn, tok: Token) -> sp.Expr:
        """fn applied to the argument at the cursor; a log expands the Gaussian log-densities of
        its argument (ProbabilitySyntax.log_of_densities)."""
        if fn is sp.log:
            return self.log_of_densities(lambda: self.apply_plain(fn, tok))
        return self.apply_plain(fn, tok)

    def apply_plain(self, fn, tok: Token) -> sp.Expr:
        power = None
        if self.is_op("^"):                 # \log^2 x
            self.next()
            power = self.script_expr()
        if power == -1 and tok.value in INVERSES:
            fn, power = INVERSES[tok.value], None       # \cos^{-1} x is arccos x
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

    def parse_sqrt(self) -> sp.Expr:
        self.next()
        index = sp.Integer(2)
        if self.is_op("["):
            self.next()
            index = self.parse_sum()
            self.expect("]", "to close the root's index")
        radicand = self.group_expr()
        return sp.sqrt(radicand) if index == 2 else sp.root(radicand, index)

    def parse_binom(self) -> sp.Expr:
        tok = self.next()
        n, k = self.group_expr(), self.group_expr()
        if n.is_number and k.is_number:
            size = log10_size(n)
            if size is not None and (size > math.log10(MAX_EXPONENT) or
                                     (abs(k) > 1000 and size > 3)):
                raise self.error("a binomial coefficient too large to evaluate (numbers in a "
                                 "claim stay below 10^300)", tok, UnsupportedLatexError)
        return sp.binomial(n, k)

    def parse_minmax(self) -> sp.Expr:
        tok = self.next()
        if self.is_op("_"):
            raise self.error(f"{tok.value} over a set is not supported", tok, UnsupportedLatexError)
        if not (self.is_op("(") or self.is_op("[") or self.is_op("{")):
            raise self.error(f"{tok.value} needs parenthesized arguments", tok)
        args = self.parse_arguments() if self.is_op("(") else [self.parse_primary()[0]]
        try:
            return (sp.Min if tok.value == "\\min" else sp.Max)(*args)
        except ValueError:   # SymPy: "The argument ... is not comparable"
            raise self.error(f"{tok.value} needs real arguments that can be ordered; one of "
                             "them is not a real number (nan, complex, or undefined such as "
                             "log of a negative number)", tok, UnsupportedLatexError) from None

    def parse_infinity(self) -> sp.Expr:
        self.next()
        return sp.oo


__all__ = ["FUNCTIONS", "INVERSES", "WORD_FUNCTIONS", "MAX_DIGITS", "ElementarySyntax",
           "log10_size"]
