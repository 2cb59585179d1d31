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

Diagonal matrices: ``\\operatorname{diag}(a, b, c)`` is :class:`Diagonal` (an explicit list of
entries, a matrix of that size) and ``\\operatorname{diag}(\\sigma_1^2, \\ldots, \\sigma_d^2)``
is :class:`DiagonalFamily` (the entry f(i) for i = 1..n, n a symbol).  Diagonal matrices commute,
so sums, scalar multiples, products and powers of them and of ``\\mathbf{I}`` are diagonal with
entries computed entry by entry (:func:`diagonal_entries`); :func:`determinant` is the product of
the entries (``Product`` over i = 1..n for a symbolic length) and :func:`trace` their sum.  A
diagonal matrix anywhere else (a covariance of ``\\mathcal{N}``, a number's place) is refused.
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


class Diagonal(sp.Function):
    """diag(e_1, ..., e_m): a diagonal matrix of an explicit list of entries (commutes with every
    diagonal matrix, so a commutative product is exact)."""

    def _latex(self, printer):
        return r"\operatorname{diag}\left(" + ", ".join(printer._print(a) for a in self.args) + \
            r"\right)"


class DiagonalFamily(sp.Function):
    """diag(f(1), ..., f(n)): args (f(i), i, n), the entry f of the index i, n entries."""

    nargs = 3

    def _latex(self, printer):
        entry, index, size = self.args
        first, last = (printer._print(entry.xreplace({index: k})) for k in (sp.Integer(1), size))
        return r"\operatorname{diag}\left(" + first + r", \ldots, " + last + r"\right)"


DIAGONALS = (Diagonal, DiagonalFamily)
MARKERS = (Norm, Transposed, Expectation, Diagonal, DiagonalFamily)
DIAGONAL_ELSEWHERE = ("a diagonal matrix \\operatorname{{diag}}(...) {where}: diffproof reads it "
                      "only under \\det, \\log\\det and \\operatorname{{tr}} (with sums, scalar "
                      "multiples, products and powers of diagonal matrices and \\mathbf{{I}} inside "
                      "them)")


def has_markers(expr) -> bool:
    """Whether an expression uses anything only vectors have."""
    return isinstance(expr, sp.Basic) and (expr.has(*MARKERS) or expr.has(EYE) or expr.has(DIM))


def isotropic_scale(variance: sp.Expr) -> sp.Expr | None:
    """s for a covariance s I (None when it has no I); NotLowerable for any other matrix."""
    if isinstance(variance, sp.Basic) and variance.has(*DIAGONALS):
        raise NotLowerable(DIAGONAL_ELSEWHERE.format(
            where="as a covariance (a Gaussian with a diagonal covariance is not modelled)"))
    if not isinstance(variance, sp.Basic) or not variance.has(EYE):
        return None
    terms = sp.Add.make_args(sp.expand(variance))
    if not all(sp.Mul.make_args(term).count(EYE) == 1 for term in terms):
        raise NotLowerable("a covariance other than a scalar multiple of \\mathbf{I}")
    return sp.factor_terms(variance.xreplace({EYE: sp.Integer(1)}))


def diagonal_entries(matrix: sp.Expr):
    """The diagonal of a matrix expression with diagonal matrices: None when it has none, else
    ``(entries, None)`` for explicit lists (a list of m entries) or ``(entry, (i, 1, n))`` for a
    symbolic length.  The expression must be a sum of matrices (``s I + diag(...)``), each a
    product of scalars and of powers (numbers) of diagonal matrices and I; NotLowerable else."""
    if not isinstance(matrix, sp.Basic) or not matrix.has(*DIAGONALS):
        return None
    _check_matrix(matrix)
    lists = sorted(matrix.atoms(Diagonal), key=sp.default_sort_key)
    families = sorted(matrix.atoms(DiagonalFamily), key=sp.default_sort_key)
    if lists and families:
        raise NotLowerable("diagonal matrices of an explicit list and of a symbolic length "
                           "(\\ldots) in one matrix expression")
    if lists:
        sizes = {len(m.args) for m in lists}
        if len(sizes) > 1:
            raise NotLowerable(f"diagonal matrices of different sizes ({', '.join(map(str, sorted(sizes)))}) "
                               "in one matrix expression")
        size = sizes.pop()
        return [matrix.xreplace({EYE: sp.Integer(1), **{m: m.args[j] for m in lists}})
                for j in range(size)], None
    sizes = {m.args[2] for m in families}
    if len(sizes) > 1:
        raise NotLowerable("diagonal matrices of different symbolic sizes in one matrix "
                           "expression")
    size = sizes.pop()
    index = families[0].args[1]
    replaced = {EYE: sp.Integer(1)}
    for m in families:
        replaced[m] = m.args[0].xreplace({m.args[1]: index})
    return matrix.xreplace(replaced), (index, sp.Integer(1), size)


def _check_matrix(expr) -> bool:
    """Whether ``expr`` is a matrix (True) or a number (False) in the diagonal algebra;
    NotLowerable where a matrix is used as a number or a number added to a matrix."""
    if expr == EYE or isinstance(expr, DIAGONALS):
        return True
    if not expr.has(EYE, *DIAGONALS):
        return False
    if isinstance(expr, sp.Add):
        kinds = {_check_matrix(a) for a in expr.args}
        if kinds != {True}:
            raise NotLowerable("a diagonal matrix plus a number (write s\\mathbf{I} + "
                               "\\operatorname{diag}(...))")
        return True
    if isinstance(expr, sp.Mul):
        return any([_check_matrix(a) for a in expr.args])
    if isinstance(expr, sp.Pow) and expr.exp.is_number and _check_matrix(expr.base):
        return True
    raise NotLowerable(DIAGONAL_ELSEWHERE.format(
        where=f"inside {type(expr).__name__} (a function or power of a matrix)"))


def trace(matrix: sp.Expr) -> sp.Expr:
    """tr(s I) = s d; the sum of the entries of a diagonal matrix."""
    found = diagonal_entries(matrix)
    if found is not None:
        entries, limits = found
        return sp.Sum(entries, limits) if limits else sp.Add(*entries)
    scale = isotropic_scale(matrix)
    if scale is None:
        raise NotLowerable("\\operatorname{tr} of a matrix other than a scalar multiple of "
                           "\\mathbf{I}")
    return scale * DIM


def determinant(matrix: sp.Expr) -> sp.Expr:
    """det(s I) = s^d; the product of the entries of a diagonal matrix."""
    found = diagonal_entries(matrix)
    if found is not None:
        entries, limits = found
        return sp.Product(entries, limits) if limits else sp.Mul(*entries)
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
           "Diagonal", "DiagonalFamily", "DIAGONALS", "DIAGONAL_ELSEWHERE", "diagonal_entries",
           "has_markers", "isotropic_scale", "trace", "determinant", "vector_symbols",
           "free_vectors", "one_coordinate_exact"]
