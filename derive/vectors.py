"""Vectors in R^d for any dimension d (docs/claims.md 'Vectors and the dimension d').

In its vector reading the LaTeX reader keeps what only vectors have as markers: ``\\|v\\|`` is
:class:`Norm`, ``a^\\top`` is :class:`Transposed`, ``\\mathbf{I}`` is :data:`EYE`, the dimension
that ``\\mathbf{I}``, ``\\operatorname{tr}``, ``\\det`` and the isotropic Gaussians bring is
:data:`DIM`, and an expectation over an isotropic Gaussian ``N(m, s I)`` is :class:`Expectation`.
:func:`derive.lowering.lower_relation` turns such an expression into a scalar one in a
:class:`derive.lowering.Frame`:

- the k free vectors of a claim are written in k coordinates (k symbols each, in general
  position).  Every function built from sums, scalar multiples, norms, inner products and
  isotropic Gaussians is invariant under rotations, so a configuration of k vectors in R^d
  (d >= k) is one of k vectors in R^k, and one in R^d with d < k is one in R^d: the frames
  ``coords = j, d = j`` (j < k) and ``coords = k, d >= k`` together cover every dimension;
- a vector identity ``sum_v c_v v = 0`` is equivariant, so it holds for all vectors exactly when its
  first coordinate does;
- a random vector z ~ N(m, s I_d) under an expectation has, in the k coordinates of the free
  vectors, independent coordinates N(m_i, s), and a part orthogonal to them whose squared norm
  R is s chi^2 with n = d - k degrees of freedom, independent of them:
  E[R^j] = s^j n (n + 2) ... (n + 2j - 2).

What the frames cannot express (a vector inside a nonlinear function, a product of two vectors
other than an inner product, matrices other than c I) raises :class:`NotLowerable`; the claim is
then read in one coordinate.
"""
from __future__ import annotations

import sympy as sp

# markers: names the LaTeX reader never creates (they contain '<')
class _Identity(sp.Symbol):
    """The identity matrix: I^k = I for every number k, so (s I)^{-1} = s^{-1} I and
    (s I)(t I) = s t I never cancel to a scalar."""

    def _eval_power(self, exponent):
        if exponent.is_number and exponent != 0:
            return self
        return None


EYE = _Identity("<I>")                                # the identity matrix
DIM = sp.Symbol("<d>", integer=True, positive=True)   # the dimension it brings


class NotLowerable(ValueError):
    """The expression uses vectors in a way the frames do not model; the message says how."""


class Norm(sp.Function):
    """||v||, the Euclidean norm of a vector expression (d/dv ||v|| = v / ||v||)."""

    nargs = 1
    is_real = True
    is_nonnegative = True

    def fdiff(self, argindex=1):
        return self.args[0] / self

    def _latex(self, printer):
        return r"\left\|" + printer._print(self.args[0]) + r"\right\|"


class Transposed(sp.Function):
    """a^T, a vector transposed: paired with the vector it multiplies, an inner product."""

    nargs = 1
    is_commutative = True

    def fdiff(self, argindex=1):
        return sp.Integer(1)

    def _latex(self, printer):
        return printer.parenthesize(self.args[0], 1000) + r"^{\top}"


class Expectation(sp.Function):
    """E_{var ~ N(mean, scale I)}[body], kept whole until :func:`lower` computes it."""

    nargs = 4

    def _latex(self, printer):
        body, var, mean, scale = (printer._print(a) for a in self.args)
        return (r"\mathbb{E}_{" + var + r" \sim \mathcal{N}(" + mean + ", " + scale +
                r"\mathbf{I})}\left[" + body + r"\right]")


MARKERS = (Norm, Transposed, Expectation)


def has_markers(expr) -> bool:
    """Whether an expression uses anything only vectors have."""
    return isinstance(expr, sp.Basic) and (expr.has(*MARKERS) or expr.has(EYE) or expr.has(DIM))


def isotropic_scale(variance: sp.Expr) -> sp.Expr | None:
    """s for a covariance s I (None when it has no I); NotLowerable for any other matrix."""
    if not isinstance(variance, sp.Basic) or not variance.has(EYE):
        return None
    terms = sp.Add.make_args(sp.expand(variance))
    if not all(sp.Mul.make_args(term).count(EYE) == 1 for term in terms):
        raise NotLowerable("a covariance other than a scalar multiple of \\mathbf{I}")
    return sp.factor_terms(variance.xreplace({EYE: sp.Integer(1)}))


def trace(matrix: sp.Expr) -> sp.Expr:
    """tr(s I) = s d."""
    scale = isotropic_scale(matrix)
    if scale is None:
        raise NotLowerable("\\operatorname{tr} of a matrix other than a scalar multiple of "
                           "\\mathbf{I}")
    return scale * DIM


def determinant(matrix: sp.Expr) -> sp.Expr:
    """det(s I) = s^d."""
    scale = isotropic_scale(matrix)
    if scale is None:
        raise NotLowerable("\\det of a matrix other than a scalar multiple of \\mathbf{I}")
    return scale ** DIM


# ---------------------------------------------------------------------------------------------
# which symbols are vectors
# ---------------------------------------------------------------------------------------------
def vector_symbols(exprs, scalars: set) -> set:
    """The symbols used as vectors: those inside norms and transposes, and the variables and
    means of isotropic expectations, except ``scalars`` (symbols known to be numbers)."""
    found: set = set()

    def visit(node):
        if isinstance(node, (Norm, Transposed)):
            found.update(node.args[0].free_symbols)
        elif isinstance(node, Expectation):
            found.add(node.args[1])
            found.update(node.args[2].free_symbols)
        for arg in getattr(node, "args", ()):
            visit(arg)

    for expr in exprs:
        if isinstance(expr, sp.Basic):
            visit(expr)
    return {s for s in found if isinstance(s, sp.Symbol) and s not in scalars
            and s not in (EYE, DIM) and not s.is_positive and not s.is_negative}


def free_vectors(expr, vectors: set) -> set:
    """The vectors of ``expr`` not bound by an expectation over them."""
    if isinstance(expr, Expectation):
        body, var, mean, scale = expr.args
        return (free_vectors(body, vectors) - {var}) | free_vectors(mean, vectors) | \
            free_vectors(scale, vectors)
    if isinstance(expr, sp.Symbol):
        return {expr} & vectors
    out: set = set()
    for arg in getattr(expr, "args", ()):
        out |= free_vectors(arg, vectors)
    return out


# ---------------------------------------------------------------------------------------------
# when the one-coordinate reading is exact for every d
# ---------------------------------------------------------------------------------------------
_SCALAR, _VECTOR, _LONE_TRANSPOSE, _GRAM = (0, 0), (1, 0), (1, 1), (2, 1)


def one_coordinate_exact(sides, vectors: set) -> bool:
    """Whether an identity between ``sides`` (in the vector reading) holds for every d as soon as
    it holds in one coordinate, for all values of its symbols.

    True when the claim is linear in the Gram entries of its vectors: every term is a scalar, or
    every term a scalar times one vector (a vector identity: it holds coordinate by coordinate),
    or each term a scalar or a scalar times one squared norm or inner product.  Then the claim is
    sum_ij c_ij <v_i, v_j> + c_0 (relation) 0, and holding for all real v_i (one coordinate) makes
    the symmetric part of C zero (an equality) or positive semidefinite (an inequality), and c_0 so,
    whence it holds for vectors in any R^d.  The vectors are ``vectors`` and the values of unknown
    functions of them (free vectors, like a model output eps_theta(x_t, t)).  Anything else (a
    product of two Gram entries, a vector inside exp or log, the dimension d, an expectation over a
    vector) may depend on d: False."""
    degrees: set = set()
    for side in sides:
        if not isinstance(side, sp.Basic) or side == 0:
            continue
        found = _degrees(side, vectors)
        if found is None:
            return False
        degrees |= found
    return degrees <= {_SCALAR, _GRAM} or degrees <= {_VECTOR}


def _is_vector_atom(expr, vectors: set) -> bool:
    if isinstance(expr, sp.Symbol):
        return expr in vectors
    opaque = expr
    if isinstance(expr, sp.Derivative):       # a gradient of an unknown function of vectors
        opaque = expr.expr.args[0] if isinstance(expr.expr, sp.log) else expr.expr
    return isinstance(opaque, sp.core.function.AppliedUndef) and bool(opaque.free_symbols & vectors)


def _degrees(expr, vectors: set):
    """The (vector degree, transposes) of the terms of ``expr``, or None where it is not a
    polynomial of degree <= 2 in its vectors with vector-free coefficients."""
    if _is_vector_atom(expr, vectors):
        return {_VECTOR}
    if not (expr.free_symbols & vectors) and not expr.has(*MARKERS):
        return None if expr.has(EYE) or expr.has(DIM) else {_SCALAR}
    if isinstance(expr, sp.Add):
        out: set = set()
        for arg in expr.args:
            found = _degrees(arg, vectors)
            if found is None:
                return None
            out |= found
        return out
    if isinstance(expr, sp.Mul):
        out = {_SCALAR}
        for arg in expr.args:
            found = _degrees(arg, vectors)
            if found is None:
                return None
            out = {(a[0] + b[0], a[1] + b[1]) for a in out for b in found}
            if any(d > 2 or t > 1 for d, t in out):
                return None
        return out
    if isinstance(expr, Transposed):
        return {_LONE_TRANSPOSE} if _degrees(expr.args[0], vectors) == {_VECTOR} else None
    if isinstance(expr, sp.Pow) and isinstance(expr.base, Norm) and expr.exp == 2:
        return {_GRAM} if _degrees(expr.base.args[0], vectors) == {_VECTOR} else None
    return None


__all__ = ["EYE", "DIM", "Norm", "Transposed", "Expectation", "NotLowerable", "MARKERS",
           "has_markers", "isotropic_scale", "trace", "determinant", "vector_symbols",
           "free_vectors", "one_coordinate_exact"]
