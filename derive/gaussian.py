"""Gaussian algebra for one coordinate of an isotropic Gaussian.

Everything here is computed, never typed in: the product of two densities is normalized by
completing the square, moments come from the binomial expansion of m + sqrt(v) Z, and the KL
divergence is the expectation of a log-density ratio computed from those moments.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from diffproof.derive.vectors import DIM, Expectation, Norm, has_markers, isotropic_scale


class NotGaussian(ValueError):
    """An expression is not of the form the Gaussian algebra needs (say, not quadratic)."""


@dataclass(frozen=True)
class Normal:
    """The density N(var; mean, variance)."""

    var: sp.Symbol
    mean: sp.Expr
    variance: sp.Expr

    def log_density(self, at: sp.Expr | None = None) -> sp.Expr:
        point = self.var if at is None else at
        scale = isotropic_scale(self.variance)
        if scale is not None:       # N(x; m, s I) in R^d: -||x - m||^2 / (2 s) - d log(2 pi s) / 2
            return -Norm(point - self.mean) ** 2 / (2 * scale) - DIM * sp.log(2 * sp.pi * scale) / 2
        return -(point - self.mean) ** 2 / (2 * self.variance) - sp.log(2 * sp.pi * self.variance) / 2

    def density(self, at: sp.Expr | None = None) -> sp.Expr:
        point = self.var if at is None else at
        scale = isotropic_scale(self.variance)
        if scale is not None:       # (2 pi s)^(-d/2) exp(-||x - m||^2 / (2 s))
            return sp.exp(-Norm(point - self.mean) ** 2 / (2 * scale)) \
                * (2 * sp.pi * scale) ** (-DIM / 2)
        return sp.exp(-(point - self.mean) ** 2 / (2 * self.variance)) / sp.sqrt(
            2 * sp.pi * self.variance)

    def moment(self, k: int) -> sp.Expr:
        """E[X^k] = sum_j C(k, j) mean^(k-j) variance^(j/2) E[Z^j], E[Z^j] = (j-1)!! for even j."""
        total = sp.Integer(0)
        for j in range(0, k + 1, 2):
            total += sp.binomial(k, j) * self.mean ** (k - j) * self.variance ** sp.Rational(j, 2) \
                * sp.factorial2(j - 1)
        return total

    def expect(self, expr: sp.Expr) -> sp.Expr:
        """E[expr] over this variable, for expr polynomial in it (other symbols are constants).

        With var = mean + u, u ~ N(0, variance): E[f] = sum_k f^(2k)(mean) variance^k / (2^k k!),
        the Taylor series of f around the mean against the central moments of u.  Derivatives keep
        the result as compact as the integrand (no full expansion).
        """
        scale = isotropic_scale(self.variance)
        if scale is not None or (has_markers(expr) and self.var in expr.free_symbols):
            # a vector in R^d: computed by derive.vectors.lower_relation
            return Expectation(expr, self.var, self.mean, self.variance if scale is None else scale)
        if not sp.sympify(expr).is_polynomial(self.var):
            raise NotGaussian(f"{expr} is not polynomial in {self.var}")
        total = sp.Integer(0)
        derivative = sp.sympify(expr)
        for order in range(0, 64):
            if derivative == 0:
                return total
            if order % 2 == 0:
                k = order // 2
                total += derivative.subs(self.var, self.mean) * self.variance ** k \
                    / (2 ** k * sp.factorial(k))
            derivative = sp.diff(derivative, self.var)
        raise NotGaussian(f"{expr} has too high a degree in {self.var}")  # pragma: no cover

    def affine(self, scale: sp.Expr, shift: sp.Expr, var: sp.Symbol) -> "Normal":
        """The law of var = scale * X + shift."""
        return Normal(var, scale * self.mean + shift, scale ** 2 * self.variance)

    def rename(self, var: sp.Symbol) -> "Normal":
        return Normal(var, self.mean, self.variance)


def sum_of_independent(first: Normal, second: Normal, var: sp.Symbol) -> Normal:
    """The law of X + Y for independent Gaussians X, Y: means and variances add."""
    return Normal(var, first.mean + second.mean, first.variance + second.variance)


def linear_coefficients(expr: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(a, b) with expr = a var + b; raises NotGaussian when expr is not affine in var."""
    expanded = sp.expand(expr)
    a = expanded.coeff(var, 1)
    b = expanded.coeff(var, 0)
    if sp.expand(a * var + b - expanded) != 0 or a.has(var) or b.has(var):
        raise NotGaussian(f"{expr} is not affine in {var}")
    return a, b


def complete_the_square(log_expr: sp.Expr, var: sp.Symbol) -> tuple[Normal, sp.Expr]:
    """Write a log-density quadratic in var as log N(var; m, v) + rest (rest free of var).

    With log_expr = A var^2 + B var + C and A < 0: v = -1/(2A), m = B v.
    """
    expanded = sp.expand(log_expr)
    A, B, C = (expanded.coeff(var, k) for k in (2, 1, 0))
    if sp.expand(A * var ** 2 + B * var + C - expanded) != 0 or any(e.has(var) for e in (A, B, C)):
        raise NotGaussian(f"log-density is not quadratic in {var}")
    if A == 0:
        raise NotGaussian(f"log-density has no quadratic term in {var}")
    variance = sp.factor(sp.cancel(-1 / (2 * A)))
    mean = sp.cancel(B * variance)
    normal = Normal(var, mean, variance)
    rest = sp.expand(log_expr - normal.log_density())
    return normal, rest


def condition(prior: Normal, likelihood: Normal) -> Normal:
    """Bayes' rule: the posterior of prior.var given likelihood.var.

    ``likelihood`` is N(y; a x + b, w) with mean affine in x = prior.var; the posterior is the
    normalized product prior(x) likelihood(y | x), found by completing the square in x.
    """
    linear_coefficients(likelihood.mean, prior.var)  # validates the linear-Gaussian form
    posterior, _ = complete_the_square(prior.log_density() + likelihood.log_density(), prior.var)
    return posterior


def marginalize(prior: Normal, likelihood: Normal) -> Normal:
    """int N(y; a x + b, w) N(x; m, v) dx = N(y; a m + b, a^2 v + w)."""
    a_coef, b_coef = linear_coefficients(likelihood.mean, prior.var)
    mapped = prior.affine(a_coef, b_coef, likelihood.var)
    noise = Normal(likelihood.var, sp.Integer(0), likelihood.variance)
    return sum_of_independent(mapped, noise, likelihood.var)


def kl_divergence(q: Normal, p: Normal) -> sp.Expr:
    """D_KL(q || p) = E_q[log q - log p], computed from the moments of q."""
    if q.var != p.var:
        p = p.rename(q.var)
    return q.expect(sp.expand_log(q.log_density() - p.log_density(), force=True))
