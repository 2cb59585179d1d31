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
from diffproof.derive.vectors import DIAGONAL_ELSEWHERE, DIAGONALS
from diffproof.derive.latex.tokens import (LatexParseError, Token, TokenCursor,
                                           UnsupportedLatexError)


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
        if any(isinstance(a, sp.Basic) and a.has(*DIAGONALS) for a in args):
            raise self.error(DIAGONAL_ELSEWHERE.format(
                where="in \\mathcal{N} (a Gaussian with a diagonal covariance is not modelled; "
                      "only scalar multiples of \\mathbf{I})"), tok, UnsupportedLatexError)
        if len(args) == 3 and isinstance(args[0], sp.Symbol):
            return args[1], args[2]      # \mathcal{N}(x; m, v): x is the integration variable
        if len(args) != 2:
            raise self.error("write the distribution as \\mathcal{N}(mean, variance) or "
                             "\\mathcal{N}(x; mean, variance)", tok)
        return args[0], args[1]

    def parse_expectation(self) -> sp.Expr:
        """E_{x ~ N(m, v)}[f], E_{N(x; m, v)}[f], E_{q(x_t | x_0)}[f], E_{q}[f] and E_{x ~ q}[f]
        for a defined Gaussian q(x) = N(x; m, v), for f polynomial in x once its Gaussian
        log-densities are expanded: computed by derive.gaussian.Normal.expect."""
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
            raise self.error(
                f"only expectations of polynomials in {normal.var} are computed, with Gaussian "
                f"log-densities \\log \\mathcal{{N}}({normal.var}; m, v) and defined Gaussians "
                f"\\log q({normal.var}) expanded ({error}); to decide it, write the integrand as "
                f"such a polynomial", tok, UnsupportedLatexError) from None

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
            variance = self.covariance()
            self.expect(")", "to close \\mathcal{N}(x; m, v)")
        else:
            defined = self.defined_density_subscript()
            if defined is not None:
                return defined
            start = self.i
            name_tok = self.peek()
            if name_tok.kind == "letter" and name_tok.value == "q" and self.is_op("(", 1):
                self.next()
                args = self.parse_arguments(conditional=True)
                found = self.ctx.built_in_normal("|q|", args[:self.last_bar or 0],
                                                 args[self.last_bar or 0:]) \
                    if self.last_bar is not None else None
                if found is None:
                    raise self.error("this density is not one of the built-in Gaussians", name_tok,
                                     UnsupportedLatexError)
                return found
            self.i = start
            point, _ = self.parse_named(single=True)
            if not self.is_cmd("\\sim"):
                raise self.error("write \\mathbb{E}_{x \\sim \\mathcal{N}(m, v)}[f], or define the "
                                 "density: % assume: p(x) = \\mathcal{N}(x; m, v)", self.peek(),
                                 UnsupportedLatexError)
            self.next()
            defined = self.defined_density_subscript()
            if defined is not None:
                return defined.rename(point) if isinstance(point, sp.Symbol) else None
            if self.peek().kind == "letter" and self.peek().value == "q":
                return self.parse_gaussian_subscript(tok).rename(point) \
                    if isinstance(point, sp.Symbol) else None
            mean, variance = self.parse_distribution()
        if not isinstance(point, sp.Symbol):
            raise self.error("the variable of the expectation must be a symbol", tok)
        return Normal(point, mean, variance)

    def covariance(self) -> sp.Expr:
        """The variance of \\mathcal{N}: a diagonal one (diag(...)) is refused, naming it."""
        tok = self.peek()
        variance = self.parse_sum()
        if isinstance(variance, sp.Basic) and variance.has(*DIAGONALS):
            raise self.error(DIAGONAL_ELSEWHERE.format(
                where="as a covariance of \\mathcal{N} (a Gaussian with a diagonal covariance is "
                      "not modelled; only scalar multiples of \\mathbf{I})"), tok,
                UnsupportedLatexError)
        return variance

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
        variance = self.covariance()
        self.expect(")", "to close \\mathcal{N}(x; m, v)")
        normal = Normal(point, mean, variance)
        density = normal.density()
        if isinstance(point, sp.Symbol):
            self.ctx.density_variables.append((point, density))
            self.__dict__.setdefault("normals_read", []).append(normal)
        return self.density_value(normal.log_density(), density)

    # -- log-densities: \log N(x; m, v) = -(x - m)^2 / (2 v) - log(2 pi v) / 2 -------------------

    def density_value(self, log_density: sp.Expr, density: sp.Expr) -> sp.Expr:
        """A density just read: itself, or inside the argument of a log a positive placeholder
        that :meth:`log_of_densities` replaces by the log-density."""
        stack = self.__dict__.get("log_placeholders")
        if not stack or stack[-1] is None:
            return density
        placeholder = sp.Dummy("density", positive=True)
        stack[-1][placeholder] = (log_density, density)
        return placeholder

    def log_of_densities(self, read):
        """``\\log`` applied by ``read()``, with the Gaussian densities of its argument expanded:
        log(q^a / p^b) = a log q - b log p for densities q, p > 0, and
        log N(x; m, v) = -(x - m)^2 / (2 v) - log(2 pi v) / 2 (:meth:`Normal.log_density`).

        The argument is read twice, once with the densities as positive placeholders and once as
        they are; the expansion is used only when both readings agree (so no integral, derivative or
        expectation inside the log has treated a placeholder as a constant)."""
        stack = self.__dict__.setdefault("log_placeholders", [])
        start = self.i
        stack.append({})
        try:
            value = read()
        except LatexParseError:
            value = None
        finally:
            placeholders = stack.pop()
        if value is not None and not placeholders:
            return value
        end, self.i = self.i, start
        stack.append(None)
        try:
            plain = read()
        finally:
            stack.pop()
        if value is None or self.i != end:
            return plain
        densities = {s: d for s, (_, d) in placeholders.items()}
        if not _same(value.xreplace(densities), plain):
            return plain
        logs = {sp.log(s): log for s, (log, _) in placeholders.items()}
        return sp.expand_log(value).xreplace(logs).xreplace(densities)

    def defined_normal(self, body: sp.Expr, params: tuple) -> Normal | None:
        """The Gaussian of a definition ``q(x) = \\mathcal{N}(x; m, v)`` (body read by this parser),
        or None when the body is not one density of a parameter."""
        for normal in self.__dict__.get("normals_read", []):
            if normal.var in params and normal.density() == body:
                return normal
        return None

    def apply_density(self, function, args: list) -> tuple[sp.Expr, Normal | None]:
        """q(a) for a defined Gaussian q(x) = N(x; m, v): the density N(a; m, v) (a placeholder
        inside a log), and its Normal over a when a is a symbol."""
        if len(args) != len(function.params):
            raise self.error(f"{function.latex} takes {len(function.params)} argument(s), "
                             f"got {len(args)}", self.peek())
        values = dict(zip(function.params, args))
        base = function.normal
        point = values[base.var]
        normal = Normal(base.var, base.mean.xreplace(values), base.variance.xreplace(values))
        value = self.density_value(normal.log_density(point), normal.density(point))
        return value, (normal.rename(point) if isinstance(point, sp.Symbol) else None)

    def defined_density_subscript(self) -> Normal | None:
        """``q`` or ``q(x)`` under E for a user-defined Gaussian q, or None (cursor unmoved)."""
        start = self.i
        try:
            name, power = self.read_name()
        except LatexParseError:
            self.i = start
            return None
        function = self.ctx.functions.get(name.key)
        if power is not None or function is None:
            self.i = start
            return None
        if function.normal is None:
            raise self.error(f"{function.latex} is not defined as one Gaussian density "
                             "\\mathcal{N}(x; m, v), so expectations under it are not computed",
                             self.tokens[start], UnsupportedLatexError)
        if not self.is_op("("):
            return function.normal
        _, normal = self.apply_density(function, self.parse_arguments())
        if normal is None:
            raise self.error("the variable of the expectation must be a symbol", self.peek())
        return normal

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

_SIMPLIFY_OPS = 400


def _same(first: sp.Expr, second: sp.Expr) -> bool:
    """Whether two readings are provably equal (structurally, or their difference simplifies
    to 0)."""
    if first == second:
        return True
    if sp.count_ops(first) + sp.count_ops(second) > _SIMPLIFY_OPS:
        return False                     # too large to compare quickly: keep the plain reading
    try:
        return sp.simplify(first - second) == 0
    except (TypeError, ValueError, RecursionError):   # pragma: no cover - sympy internals
        return False


__all__ = ["ProbabilitySyntax"]
