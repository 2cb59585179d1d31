"""Probability notation of the LaTeX reader: Gaussian densities, KL divergences, expectations.

``\\mathcal{N}(x; m, v)`` is the density, ``D_{KL}(N(m1, v1) || N(m2, v2))`` is computed by
:func:`derive.gaussian.kl_divergence`, ``\\mathbb{E}_{x ~ N(m, v)}[f]`` for polynomial f by
:meth:`derive.gaussian.Normal.expect`; ``\\mathbb{E}_{q(x_t | x_0)}[f]`` and
``\\mathbb{E}[f \\mid x_t]`` use the Gaussians and conditional means of the vocabulary.

A mixin of :class:`derive.latex.parser.Parser` (it uses the parser's ``parse_sum``,
``parse_arguments``, ``parse_named``, ``read_name_arg``).
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.gaussian import Normal, NotGaussian, kl_divergence
from diffproof.derive.latex.tokens import Token, TokenCursor, UnsupportedLatexError


class ProbabilitySyntax(TokenCursor):
    """Parsing methods for Gaussian densities, KL and expectations (a mixin of the parser)."""

    def parse_kl(self, tok: Token) -> sp.Expr:
        """D_{KL}(N(m1, v1) || N(m2, v2)): computed by derive.gaussian.kl_divergence."""
        self.expect("(", "after D_{KL}")
        first = self.parse_distribution()
        if self.is_op("‖"):
            self.next()
        elif self.is_op("|") and self.is_op("|", 1):
            self.i += 2
        else:
            raise self.error("expected \\parallel between the two distributions of D_{KL}")
        second = self.parse_distribution()
        self.expect(")", "to close D_{KL}(...)")
        point = sp.Dummy("x", real=True)
        return kl_divergence(Normal(point, *first), Normal(point, *second))

    def parse_distribution(self) -> tuple[sp.Expr, sp.Expr]:
        tok = self.peek()
        if not self.is_cmd("\\mathcal"):
            raise self.error("D_{KL} is computed between Gaussians \\mathcal{N}(m, v) only", tok,
                             UnsupportedLatexError)
        self.next()
        letter = self.read_name_arg()
        if letter.base != "N":
            raise self.error("D_{KL} is computed between Gaussians \\mathcal{N}(m, v) only", tok,
                             UnsupportedLatexError)
        args = self.parse_arguments()
        if len(args) == 3 and isinstance(args[0], sp.Symbol):
            return args[1], args[2]      # \mathcal{N}(x; m, v): x is the integration variable
        if len(args) != 2:
            raise self.error("write the distribution as \\mathcal{N}(mean, variance) or "
                             "\\mathcal{N}(x; mean, variance)", tok)
        return args[0], args[1]

    def parse_expectation(self) -> sp.Expr:
        """E_{x ~ N(m, v)}[f], E_{N(x; m, v)}[f], E_{q(x_t | x_0)}[f] for f polynomial in x:
        computed by derive.gaussian.Normal.expect (moments of the Gaussian)."""
        tok = self.next()
        self.read_name_arg()
        if not self.is_op("_"):
            raise self.error("write the distribution of the expectation, "
                             "\\mathbb{E}_{x \\sim \\mathcal{N}(m, v)}[f]", tok,
                             UnsupportedLatexError)
        self.next()
        braced = self.is_op("{")
        if braced:
            self.next()
        normal = self.parse_gaussian_subscript(tok)
        if braced:
            self.expect("}", "to close the expectation's subscript")
        if not (self.is_op("[") or self.is_op("(") or self.is_op("{")):
            raise self.error("expected [ after \\mathbb{E}_{...}", self.peek())
        closing = {"[": "]", "(": ")", "{": "}"}[self.next().value]
        body = self.parse_sum()
        if self.is_op("]") or self.is_op(")") or self.is_op("}"):
            self.next()
        else:
            self.expect(closing, "to close the expectation")
        try:
            return normal.expect(body)
        except (NotGaussian, ValueError) as error:
            raise self.error(f"only expectations of polynomials in {normal.var} are computed "
                             f"({error})", tok, UnsupportedLatexError) from None

    def parse_gaussian_subscript(self, tok: Token):
        if self.is_cmd("\\mathcal"):
            self.next()
            self.read_name_arg()
            self.expect("(", "after \\mathcal{N}")
            point = self.parse_sum()
            if not (self.is_op(";") or self.is_op("|")):
                raise self.error("write \\mathcal{N}(x; m, v) under \\mathbb{E}", self.peek())
            self.next()
            mean = self.parse_sum()
            self.expect(",", "between the mean and the variance")
            variance = self.parse_sum()
            self.expect(")", "to close \\mathcal{N}(x; m, v)")
        else:
            start = self.i
            name_tok = self.peek()
            if name_tok.kind == "letter" and name_tok.value == "q" and self.is_op("(", 1):
                self.next()
                args = self.parse_arguments(conditional=True)
                found = self.ctx.vocabulary.normal("|q|", args[:self.last_bar or 0],
                                                   args[self.last_bar or 0:]) \
                    if self.last_bar is not None else None
                if found is None:
                    raise self.error("this density is not one of the built-in Gaussians", name_tok,
                                     UnsupportedLatexError)
                return found
            self.i = start
            point, _ = self.parse_named(single=True)
            if not self.is_cmd("\\sim"):
                raise self.error("write \\mathbb{E}_{x \\sim \\mathcal{N}(m, v)}[f]", self.peek(),
                                 UnsupportedLatexError)
            self.next()
            if self.peek().kind == "letter" and self.peek().value == "q":
                return self.parse_gaussian_subscript(tok).rename(point) \
                    if isinstance(point, sp.Symbol) else None
            mean, variance = self.parse_distribution()
        if not isinstance(point, sp.Symbol):
            raise self.error("the variable of the expectation must be a symbol", tok)
        return Normal(point, mean, variance)

    def parse_mathcal(self) -> sp.Expr:
        tok = self.next()
        letter = self.read_name_arg()
        if letter.base != "N" or letter.sub:
            raise self.error(f"\\mathcal{{{letter.base}}} is not supported (only \\mathcal{{N}}, "
                             "the Gaussian density)", tok, UnsupportedLatexError)
        if self.is_op("_"):      # \mathcal{N}_x ...
            raise self.error("\\mathcal{N} with a subscript is not supported", tok,
                             UnsupportedLatexError)
        open_tok = self.expect("(", "after \\mathcal{N}")
        point = self.parse_sum()
        if not self.is_op(";") and not self.is_op("|"):
            raise self.error("\\mathcal{N}(m, v) is a distribution, not a number; write the "
                             "density \\mathcal{N}(x; m, v)", open_tok, UnsupportedLatexError)
        self.next()
        mean = self.parse_sum()
        self.expect(",", "between the mean and the variance of \\mathcal{N}")
        variance = self.parse_sum()
        self.expect(")", "to close \\mathcal{N}(x; m, v)")
        density = Normal(point, mean, variance).density()
        if isinstance(point, sp.Symbol):
            self.ctx.density_variables.append((point, density))
        return density

    def parse_conditional_expectation(self) -> sp.Expr | None:
        """``\\mathbb{E}[f \\mid x_t]`` with f affine in x_0 and the noise: Tweedie's conditional
        means (the vocabulary's conditional_mean_given_xt); None if no ``[`` follows E."""
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
        try:
            return self.ctx.vocabulary.conditional_mean_given_xt(body, given)
        except ValueError as error:
            raise self.error(str(error), tok, UnsupportedLatexError) from None


__all__ = ["ProbabilitySyntax"]
