"""Lowering the vector reading into a frame (derive.vectors states the model; docs/claims.md
'Vectors and the dimension d'): k free vectors written in k coordinates, the dimension d an
integer or a symbol, expectations over isotropic Gaussians computed coordinate by coordinate with
the orthogonal part's chi-squared moments."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from diffproof.derive.domains import REAL
from diffproof.derive.gaussian import Normal, NotGaussian
from diffproof.derive.vectors import (DIAGONAL_ELSEWHERE, DIAGONALS, DIM, EYE, MARKERS,
                                      Expectation, Norm, NotLowerable, Transposed)

@dataclass(frozen=True)
class Frame:
    """A reading of vectors: ``coords`` coordinates for the free vectors, dimension ``dim``
    (an integer, or a symbol d with d >= coords)."""

    coords: int
    dim: sp.Expr


def coordinate_symbols(vector: sp.Symbol, count: int) -> tuple[sp.Symbol, ...]:
    """The coordinates of a free vector: real symbols named ``x[1]``, ``x[2]``, ..."""
    return tuple(sp.Symbol(f"{vector.name}[{i}]", real=True) for i in range(1, count + 1))


@dataclass
class _Vec:
    """A vector expression: its coordinates and, per random vector, the coefficient of its part
    orthogonal to the frame."""

    coords: list
    perp: dict = field(default_factory=dict)

    def scaled(self, factor):
        return _Vec([factor * c for c in self.coords], {z: factor * a for z, a in self.perp.items()})

    def plus(self, other: "_Vec"):
        perp = dict(self.perp)
        for z, a in other.perp.items():
            perp[z] = perp.get(z, 0) + a
        return _Vec([a + b for a, b in zip(self.coords, other.coords)], perp)


class _Lowering:
    def __init__(self, vectors: set, frame: Frame):
        self.vectors = vectors
        self.frame = frame
        self.env = {v: (coordinate_symbols(v, frame.coords), None) for v in vectors}

    # -- scalars --------------------------------------------------------------------------------
    def scalar(self, expr):
        if not isinstance(expr, sp.Basic):
            return expr
        if expr == EYE:
            return sp.Integer(1)            # c I compared with c' I: the coefficients
        if expr == DIM:
            return self.frame.dim
        if isinstance(expr, DIAGONALS):
            raise NotLowerable(DIAGONAL_ELSEWHERE.format(where="where a number stands"))
        if isinstance(expr, sp.Symbol):
            if expr in self.env:
                raise NotLowerable(f"{expr} is a vector in a norm or inner product and a number "
                                   f"elsewhere")
            return expr
        if isinstance(expr, Norm):
            return sp.sqrt(self.squared_norm(self.vector(expr.args[0])))
        if isinstance(expr, Transposed):
            raise NotLowerable("a transposed vector without the vector it multiplies")
        if isinstance(expr, Expectation):
            return self.expectation(expr, scalar=True)
        if isinstance(expr, sp.Mul):
            return self.product(expr)
        if isinstance(expr, (sp.Derivative, sp.Integral, sp.Subs)) and self.uses_vectors(expr):
            raise NotLowerable("a derivative or integral over vectors that is not a gradient")
        if not expr.args:
            return expr
        return expr.func(*[self.scalar(a) for a in expr.args])

    def uses_vectors(self, expr) -> bool:
        return bool(expr.free_symbols & set(self.env)) or expr.has(*MARKERS)

    def product(self, mul: sp.Mul):
        """A product with a transposed vector and one vector is an inner product; SymPy writes
        (a^T b)^n as (a^T)^n b^n, read back with equal powers."""
        transposed, vectorial, rest = [], [], []
        for factor in mul.args:
            base, power = (factor.base, factor.exp) if isinstance(factor, sp.Pow) else (factor, 1)
            if isinstance(base, Transposed):
                transposed.append((base.args[0], power))
            elif self.is_vector(base):
                vectorial.append((base, power))
            else:
                rest.append(factor)
        scalars = sp.Mul(*[self.scalar(f) for f in rest])
        if not transposed and not vectorial:
            return scalars
        pairs = transposed + vectorial
        if len(pairs) != 2 or not transposed or pairs[0][1] != pairs[1][1]:
            raise NotLowerable("a product of vectors other than an inner product a^\\top b "
                               "(or more than one in one product, whose order is lost)")
        first, second = self.vector(pairs[0][0]), self.vector(pairs[1][0])
        return self.inner(first, second) ** pairs[0][1] * scalars

    def is_vector(self, expr) -> bool:
        """Whether an expression is vector-valued: a vector outside norms, inner products and
        expectations of scalars."""
        if isinstance(expr, sp.Symbol):
            return expr in self.env
        if isinstance(expr, Norm):
            return False
        if isinstance(expr, Transposed):
            return True                    # alone (a gradient of a^T b): the vector a
        if isinstance(expr, Expectation):
            return self.is_vector(expr.args[0])
        if isinstance(expr, sp.Mul):
            transposed = vectorial = 0
            for factor in expr.args:
                base, power = (factor.base, factor.exp) if isinstance(factor, sp.Pow) \
                    else (factor, 1)
                if isinstance(base, Transposed):
                    transposed += power
                elif self.is_vector(base):
                    vectorial += power
            return bool(vectorial > transposed) or (transposed == 1 and vectorial == 0)
        if isinstance(expr, sp.Add):
            return any(self.is_vector(a) for a in expr.args)
        if isinstance(expr, sp.Pow):
            return self.is_vector(expr.base) and expr.exp == 1
        return any(self.is_vector(a) for a in getattr(expr, "args", ()))

    # -- vectors --------------------------------------------------------------------------------
    def vector(self, expr) -> _Vec:
        """The coordinates of a vector-valued expression, linear in the vectors."""
        k = self.frame.coords
        if isinstance(expr, sp.Symbol) and expr in self.env:
            coords, random = self.env[expr]
            return _Vec(list(coords), {random: sp.Integer(1)} if random is not None else {})
        if isinstance(expr, Transposed):
            return self.vector(expr.args[0])
        if isinstance(expr, sp.Add):
            total = _Vec([sp.Integer(0)] * k)
            for term in expr.args:
                if not self.is_vector(term):
                    if term == 0:
                        continue
                    raise NotLowerable("a vector plus a number (broadcasting is not modelled)")
                total = total.plus(self.vector(term))
            return total
        if isinstance(expr, sp.Mul):
            vectorial = [f for f in expr.args if self.is_vector(f)]
            transposed = [f for f in expr.args if isinstance(f, Transposed)]
            if len(vectorial) == 1 and not transposed:
                factor = sp.Mul(*[self.scalar(f) for f in expr.args if f is not vectorial[0]])
                return self.vector(vectorial[0]).scaled(factor)
            raise NotLowerable("a product of two vectors that is not an inner product")
        if isinstance(expr, Expectation):
            return self.expectation(expr, scalar=False)
        if isinstance(expr, sp.Pow) and expr.exp == 1:
            return self.vector(expr.base)
        if expr == 0:
            return _Vec([sp.Integer(0)] * k)
        raise NotLowerable(f"a vector inside {type(expr).__name__}, which acts coordinate by "
                           f"coordinate (not modelled in d dimensions)")

    def squared_norm(self, vec: _Vec):
        return self.inner(vec, vec)

    def inner(self, a: _Vec, b: _Vec):
        """a^T b: the frame's coordinates, and R for a random vector's part orthogonal to the
        frame (orthogonal to every free vector)."""
        if len(set(a.perp) | set(b.perp)) > 1:
            raise NotLowerable("two random vectors in one inner product")
        total = sp.Add(*[x * y for x, y in zip(a.coords, b.coords)])
        for radial in set(a.perp) & set(b.perp):
            total += a.perp[radial] * b.perp[radial] * radial
        return total

    # -- expectations -----------------------------------------------------------------------------
    def expectation(self, expr: Expectation, scalar: bool):
        body, var, mean, scale = expr.args
        k = self.frame.coords
        mean_vec = self.vector(mean) if mean != 0 else _Vec([sp.Integer(0)] * k)
        if mean_vec.perp:
            raise NotLowerable("an expectation whose mean is itself random")
        scale = self.scalar(scale)
        coords = tuple(sp.Dummy(f"{var.name}_{i}", real=True) for i in range(1, k + 1))
        radial = sp.Dummy("R", nonnegative=True)
        saved = self.env.get(var)
        self.env[var] = (coords, radial)
        try:
            value = self.scalar(body) if scalar else self.vector(body)
        finally:
            if saved is None:
                self.env.pop(var)
            else:
                self.env[var] = saved
        if scalar:
            return self.integrate(value, coords, radial, mean_vec.coords, scale)
        return _Vec([self.integrate(c, coords, radial, mean_vec.coords, scale)
                     for c in value.coords])           # the orthogonal part has mean zero

    def integrate(self, value, coords, radial, means, scale):
        value = sp.expand(value)
        if radial in value.free_symbols:
            if not value.is_polynomial(radial):
                raise NotLowerable("the expectation of a function of a norm that is not a "
                                   "polynomial in it")
            degrees = sp.Poly(value, radial)
            free = self.frame.dim - self.frame.coords
            total = sp.Integer(0)
            for (j,), coefficient in degrees.terms():
                moment = sp.Mul(*[free + 2 * i for i in range(j)]) * scale ** j
                total += coefficient * moment
            value = total
        for coordinate, mean in zip(coords, means):
            try:
                value = Normal(coordinate, mean, scale).expect(value)
            except (NotGaussian, ValueError) as error:
                raise NotLowerable(f"an expectation that is not of a polynomial ({error})") \
                    from None
        return value

    # -- a relation -------------------------------------------------------------------------------
    def side(self, expr, vectorial: bool):
        if vectorial:
            if not self.is_vector(expr):
                if expr == 0:
                    return sp.Integer(0)
                raise NotLowerable("a vector compared with a number")
            vec = self.vector(expr)
            return vec.coords[0] if vec.coords else sp.Integer(0)
        return self.scalar(expr)


def lower_relation(lhs, rhs, relation: str, vectors: set, frame: Frame):
    """Both sides of a relation in a frame: scalars as they are, vectors by their first
    coordinate (an identity between vectors is equivariant under rotations)."""
    lowering = _Lowering(vectors, frame)
    vectorial = lowering.is_vector(lhs) or lowering.is_vector(rhs)
    if vectorial and relation not in ("=", ":="):
        raise NotLowerable(f"the relation {relation} between vectors")
    if vectorial and frame.coords == 0:
        raise NotLowerable("a vector identity with no free vector")
    return lowering.side(lhs, vectorial), lowering.side(rhs, vectorial)


# ---------------------------------------------------------------------------------------------
# sums and products over indexed entries (the diagonal of diag(a_1, ..., a_n), derive.vectors)
# ---------------------------------------------------------------------------------------------
_INDEX = sp.Symbol("i", integer=True)


def _over_entries(node) -> bool:
    return isinstance(node, (sp.Sum, sp.Product)) and len(node.limits) == 1 and \
        node.function.has(sp.Indexed)


def index_sizes(expr) -> set:
    """The symbols n that bound a sum or product over indexed entries, sum_{i=1}^{n} a_i."""
    if not isinstance(expr, sp.Basic):
        return set()
    return {node.limits[0][2] for node in sp.preorder_traversal(expr) if _over_entries(node)
            and isinstance(node.limits[0][2], sp.Symbol)}


def expand_indexed(expr, family_domain):
    """Sums and products over indexed entries with whole-number limits written out, each entry
    base[j] a real symbol named ``base[j]`` (positive when ``family_domain(base)`` is); returns
    the expression and {entry symbol: (base name, domain)}."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Indexed):
        return expr, {}

    def written(node):
        return _over_entries(node) and all(b.is_Integer for b in node.limits[0][1:]) and \
            0 <= node.limits[0][2] - node.limits[0][1] + 1 <= 64
    expr = expr.replace(written, lambda node: node.doit())
    entries, replaced = {}, {}
    for node in expr.atoms(sp.Indexed):
        if len(node.indices) != 1 or not node.indices[0].is_Integer:
            continue
        base = str(node.base.label)
        domain = family_domain(base)
        positive = domain is not None and domain.lo is not None and domain.lo >= 0 and \
            (domain.lo > 0 or domain.lo_open)
        symbol = sp.Symbol(f"{base}[{node.indices[0]}]", real=True, positive=positive or None)
        replaced[node] = symbol
        entries[symbol] = (base, domain or REAL)
    return expr.xreplace(replaced), entries


def normalize_indexed(expr, family_domain):
    """Sums and products over indexed entries in a form SymPy compares: one index name, a
    product of factors a product of products, an integer power of a product taken outside, a
    sum of terms a sum of sums with the factors free of the index outside, and the log of a
    product of positive entries the sum of their logs.  Entries of a family with a positive
    bound (``family_domain``) are positive."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum, sp.Product):
        return expr
    positive = {}
    for node in expr.atoms(sp.Indexed):
        base = str(node.base.label)
        domain = family_domain(base)
        if domain is not None and domain.lo is not None and domain.lo >= 0 and \
                (domain.lo > 0 or domain.lo_open):
            positive[node.base] = sp.IndexedBase(node.base.label, positive=True)
    if positive:
        expr = expr.replace(lambda n: isinstance(n, sp.Indexed) and n.base in positive,
                            lambda n: positive[n.base][n.indices])
    return _normal(expr)


def _normal(expr):
    if not expr.args or not expr.has(sp.Sum, sp.Product):
        return expr
    if _over_entries(expr):
        body, (index, lower, upper) = expr.function, expr.limits[0]
        if index != _INDEX and _INDEX not in body.free_symbols:
            body, index = body.xreplace({index: _INDEX}), _INDEX
        body = _normal(body)
        count = upper - lower + 1
        if isinstance(expr, sp.Product):
            out, rest = sp.Integer(1), []
            for factor in sp.Mul.make_args(body):
                base, power = factor.as_base_exp()
                if index not in factor.free_symbols:
                    out *= factor ** count
                elif power.is_Integer and index not in power.free_symbols:
                    out *= sp.Product(base, (index, lower, upper)) ** power
                else:
                    rest.append(factor)
            return out * (sp.Product(sp.Mul(*rest), (index, lower, upper)) if rest else 1)
        out = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(body)):
            free, bound = term.as_independent(index, as_Add=False)
            out += free * (sp.Sum(bound, (index, lower, upper)) if bound != 1 else count)
        return out
    if isinstance(expr, sp.log):
        return _log_of(_normal(expr.args[0]))
    return expr.func(*[_normal(a) for a in expr.args])


def _log_of(arg):
    """log(arg), split over positive factors where a factor is a product over entries."""
    if not arg.has(sp.Product):
        return sp.log(arg)
    if isinstance(arg, sp.Product) and arg.function.is_positive:
        return _normal(sp.Sum(sp.log(arg.function), arg.limits[0]))
    if isinstance(arg, sp.Mul) and all(_positive(f) for f in arg.args):
        return sp.Add(*[_log_of(f) for f in arg.args])
    if isinstance(arg, sp.Pow) and _positive(arg.base) and arg.exp.is_real:
        return arg.exp * _log_of(arg.base)
    return sp.log(arg)


def _positive(expr) -> bool:
    if isinstance(expr, sp.Product):
        return bool(expr.function.is_positive)
    if isinstance(expr, sp.Pow):
        return _positive(expr.base) and bool(expr.exp.is_real)
    return bool(expr.is_positive)


__all__ = ["Frame", "coordinate_symbols", "lower_relation", "index_sizes", "expand_indexed",
           "normalize_indexed"]
