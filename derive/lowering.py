"""Lowering the vector reading into a frame (derive.vectors states the model; docs/claims.md
'Vectors and the dimension d'): k free vectors written in k coordinates, the dimension d an
integer or a symbol, expectations over isotropic Gaussians computed coordinate by coordinate with
the orthogonal part's chi-squared moments."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from diffproof.derive.gaussian import Normal, NotGaussian
from diffproof.derive.vectors import (DIM, EYE, MARKERS, Expectation, Norm, NotLowerable,
                                      Transposed)

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



__all__ = ["Frame", "coordinate_symbols", "lower_relation"]
