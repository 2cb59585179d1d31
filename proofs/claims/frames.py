"""Claims about vectors in R^d, checked for every dimension d (docs/claims.md 'Vectors and the
dimension d').

A claim that uses what only vectors have (``\\|v\\|``, ``a^\\top b``, ``\\mathbf{I}``,
``\\operatorname{tr}``, ``\\det``, ``\\mathbb{R}^d``) is read in the vector reading
(:mod:`derive.vectors`) and checked in frames that together cover every dimension: with k free
vectors, the frames d = 1, ..., k - 1 (vectors of d coordinates) and d >= k (k coordinates, d a
symbol).  A step holds when it holds in every frame, and fails when it fails in one (the
counterexample gives d and the vectors' coordinates).  What the frames cannot express leaves the
claim to the one-coordinate reading (:mod:`proofs.claims.dimension`).
"""
from __future__ import annotations

import re

import sympy as sp

from diffproof.derive.latex.parser import read_expression
from diffproof.derive.latex.tokens import LatexParseError
from diffproof.derive.verdict import ERROR, FAILS, HOLDS, UNDECIDED, FrozenMap
from diffproof.derive.domains import REAL
from diffproof.derive.symbols import SymbolSpec
from diffproof.derive.lowering import Frame, coordinate_symbols, lower_relation
from diffproof.derive.vectors import (DIM, EYE, Norm, NotLowerable, Transposed, free_vectors,
                                      has_markers,
                                      one_coordinate_exact, vector_symbols)
from diffproof.proofs.claims.assumptions import read_assumptions
from diffproof.proofs.claims.dimension import DIMENSION, VECTOR_NOTATION
from diffproof.proofs.claims.steps import Claim

MAX_FREE_VECTORS = 3            # 3 vectors: 9 coordinates, and the frames d = 1, 2, >= 3
# latents the built-in relations define (x_t = sqrt(abar_t) x_0 + ..., the model mean): the frames
# give their coordinates freely, so a refutation there is left to the one-coordinate reading
RELATED_KEYS = ("x_t", "x_tm1", "x_tm2", "x_tp1", "mu_theta", "score")
# what those relations tie them to: the noises and the model's predictions
NOISE_KEYS = ("eps", "eps_0", "eps_1", "eps_2", "epshat", "score")
_COORDINATE = re.compile(r"^(.*)\[(\d+)\]$")


_LIMITS = re.compile(r"\\(?:sum|prod|int)\s*_\s*(?:\{[^{}]*\}|\S)\s*\^\s*(?:\{[^{}]*\}|\S)")
_TRANSPOSE_T = re.compile(r"[})]\s*\^\s*\{?\s*T(?![A-Za-z])")     # (\mathbf{a} - \mathbf{b})^T


def uses_vectors(latex: str, assumption_texts: list[str]) -> bool:
    """Whether a claim or its assumptions use notation that only vectors have (a ^T after a
    brace or parenthesis counts, not the upper limit of a sum)."""
    return any(VECTOR_NOTATION.search(text) or _TRANSPOSE_T.search(_LIMITS.sub("", text))
               for text in [latex, *assumption_texts])


def check_in_frames(latex, assumption_lines, table, check) -> Claim | None:
    """The claim checked in the frames covering every dimension; None when the vector reading
    does not apply (then the one-coordinate reading decides).  ``check(assumptions, prepare)``
    checks the claim under assumptions, rewriting its parsed steps with ``prepare``."""
    probe = _probed(assumption_lines, table, check)
    if probe is None:
        return None
    base = probe.assumptions
    fixed = _fixed_dimension(base)
    if fixed is False:
        return None
    k = len(probe.free)
    if k > MAX_FREE_VECTORS:
        return None
    results = []
    for frame_lines, coords, concrete in _frames(k, fixed):
        try:
            assumptions = read_assumptions(list(assumption_lines) + frame_lines, table,
                                           vectors=True)
            d = read_expression(DIMENSION, assumptions.context)
        except LatexParseError:
            return None
        frame = Frame(coords, sp.Integer(concrete) if concrete else d)
        lowering = _Lowering(frame, d, concrete, assumptions)
        try:
            result = check(assumptions, lowering.prepare)
        except NotLowerable:
            return None
        if result.error is not None or len(result.steps) != probe.count:
            return None
        results.append((frame, concrete, result))
    combined = _combine(results)
    related = {v for v in probe.free if v in {table[key] for key in RELATED_KEYS}
               or table.expand_definitions(v) != v}
    combined.unconfirmed = bool(related) and combined.status == FAILS and \
        not _relations_idle(probe, related, table)
    return combined


def _relations_idle(probe, related: set, table) -> bool:
    """Whether the built-in relations cannot constrain the related latents of a claim: none is
    defined by an assumption, and the claim has no noise (eps, ...), prediction (eps_theta, score)
    or other unknown function, so every value of x_t, x_{t-1}, x_0 and mu_theta is realized by
    some noise (its coefficient sqrt(1 - abar_t) is not 0) or model output."""
    if any(table.expand_definitions(v) != v for v in related):
        return False
    partners = {table[key] for key in NOISE_KEYS}
    sides = [s for pair in probe.steps or () for s in pair if isinstance(s, sp.Basic)]
    return not any(side.free_symbols & partners or side.atoms(sp.core.function.AppliedUndef)
                   for side in sides)


def confirmed(framed: Claim, one_coordinate: Claim) -> Claim:
    """A refutation in the frames of a claim with latents the built-in relations define (x_t =
    sqrt(abar_t) x_0 + ...): the frames give their coordinates freely, so it stands only where
    the one-coordinate reading (d = 1, relations applied) refutes the step too."""
    steps = one_coordinate.steps if len(one_coordinate.steps) == len(framed.steps) else None
    for i, step in enumerate(framed.steps):
        if step.verdict.status != FAILS:
            continue
        if steps is not None and steps[i].verdict.status == FAILS:
            step.verdict = steps[i].verdict.noted("a counterexample in dimension d = 1")
            continue
        step.verdict = step.verdict.but(status=UNDECIDED, counterexample=None, reason=(
            "refuted in R^d with free coordinates for a latent the built-in relations define "
            "(x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, ...), which the d-dimensional reading "
            "does not apply, while the one-coordinate reading (d = 1, relations applied) does not "
            "refute it; what would decide it: the claim written with x_0 and eps in place of x_t"))
    return framed


def exact_in_one_coordinate(assumption_lines, table, check) -> list[bool] | None:
    """Per step, whether a verdict of the one-coordinate reading holds for every d
    (:func:`derive.vectors.one_coordinate_exact` on the step in the vector reading); None when
    the vector reading cannot read the claim.  ``check`` as for :func:`check_in_frames`."""
    probe = _probed(assumption_lines, table, check)
    if probe is None:
        return None
    sides = [s for pair in probe.steps for s in pair if isinstance(s, sp.Basic)]
    vectors = _vectors(sides, probe.assumptions)
    return [one_coordinate_exact(pair, vectors) for pair in probe.steps]


def _probed(assumption_lines, table, check):
    """The claim's steps read in the vector reading (a :class:`_Probe`), or None when that
    reading cannot read the claim or its assumptions."""
    try:
        base = read_assumptions(list(assumption_lines), table, vectors=True)
    except (LatexParseError, NotLowerable):
        return None
    probe = _Probe(base)
    try:
        check(base, probe.collect)
    except _Stop:
        pass
    except NotLowerable:
        return None
    return probe if probe.steps is not None else None


def _fixed_dimension(assumptions):
    """None when d is free, its value when an assumption fixes it to a positive integer, False
    when it fixes it otherwise."""
    for key, value in assumptions.definitions.items():
        if getattr(key, "name", None) == DIMENSION:
            value = sp.sympify(value)
            return int(value) if value.is_Integer and 0 < value <= 64 else False
    return None


def _frames(k: int, fixed):
    """(assumption lines, coordinates, concrete d or 0 for a symbolic d) covering every d."""
    if fixed is not None:
        return [([], min(k, fixed), 0)]
    frames = [([f"{DIMENSION} = {j}"], j, j) for j in range(1, k)]
    bound = [f"{DIMENSION} \\in \\mathbb{{N}}"] + ([f"{DIMENSION} \\ge {k}"] if k > 1 else [])
    return frames + [(bound, k, 0)]


class _Probe:
    """A first reading of the claim: which symbols are vectors, and which of them are free."""

    def __init__(self, assumptions):
        self.assumptions = assumptions
        self.free = None
        self.count = 0
        self.steps = None       # (lhs, rhs) of each step, vector definitions substituted

    def collect(self, steps):
        self.count = len(steps)
        _substitute_vector_definitions(steps, self.assumptions)
        self.steps = [(step.lhs, step.rhs) for step in steps]
        sides = [s for step in steps for s in (step.lhs, step.rhs) if isinstance(s, sp.Basic)]
        vectors = _vectors(sides, self.assumptions)
        self.free = set().union(*[free_vectors(s, vectors) for s in sides]) if sides else set()
        raise _Stop()


def _substitute_vector_definitions(steps, assumptions):
    """Definitions with vector notation (% assume: \\Sigma = \\sigma^2 \\mathbf{I}), and those of
    symbols inside a norm or inner product (% assume: v = \\alpha_t\\epsilon - \\sigma_t x, so v is
    a vector and so are epsilon and x), are substituted before the frame: after it, nothing of the
    vector reading may remain."""
    definitions = {k: v for k, v in assumptions.definitions.items() if isinstance(k, sp.Symbol)}
    for _ in range(len(definitions) + 1):
        inside = set()
        for step in steps:
            for side in (step.lhs, step.rhs):
                if isinstance(side, sp.Basic):
                    inside |= {s for node in side.atoms(Norm, Transposed) for s in node.free_symbols}
        chosen = {k: v for k, v in definitions.items() if k in inside or has_markers(v)}
        if not chosen:
            return
        changed = False
        for step in steps:
            if isinstance(step.lhs, sp.Basic) and isinstance(step.rhs, sp.Basic):
                lhs, rhs = step.lhs.xreplace(chosen), step.rhs.xreplace(chosen)
                changed |= (lhs, rhs) != (step.lhs, step.rhs)
                step.lhs, step.rhs = lhs, rhs
        if not changed:
            return


class _Stop(NotLowerable):
    """Ends the probe's reading once the steps are parsed (nothing is checked)."""


def _vectors(sides, assumptions) -> set:
    """The vectors of the claim: those vector_symbols finds, and those declared in R^d."""
    table = assumptions.table
    scalars = {s for side in sides for s in side.free_symbols
               if _bounded(table.domain(s)) or table.family_chains({s})}
    declared = {s for side in sides for s in side.free_symbols} & assumptions.vectors
    return vector_symbols(sides, scalars) | declared


def _bounded(domain) -> bool:
    return domain.lo is not None or domain.hi is not None


class _Lowering:
    """Rewrites each parsed step into its frame; the steps keep their vector reading for display."""

    def __init__(self, frame: Frame, d, concrete: int, assumptions):
        self.frame, self.d, self.concrete = frame, d, concrete
        self.assumptions = assumptions

    def declare(self, vectors):
        """The coordinates of the vectors in the table, with their vector's domain (real)."""
        context = self.assumptions.context
        specs = [SymbolSpec(c.name, c, c.name, f"a coordinate of {v.name}", REAL)
                 for v in vectors for c in coordinate_symbols(v, self.frame.coords)]
        context.table = context.table.declare(*specs)

    def prepare(self, steps):
        _substitute_vector_definitions(steps, self.assumptions)
        sides = [s for step in steps for s in (step.lhs, step.rhs) if isinstance(s, sp.Basic)]
        vectors = _vectors(sides, self.assumptions)
        self.declare(vectors)
        values = {DIM: self.frame.dim}
        if self.concrete:
            values[self.d] = sp.Integer(self.concrete)
        for step in steps:
            if not (isinstance(step.lhs, sp.Basic) and isinstance(step.rhs, sp.Basic)):
                continue
            lhs, rhs = lower_relation(step.lhs, step.rhs, step.relation, vectors, self.frame)
            if has_markers(lhs) or has_markers(rhs):
                raise NotLowerable("vector notation left after the frame")
            step.computed = any(not isinstance(side, (sp.Symbol, sp.core.function.AppliedUndef))
                                for side in (step.lhs, step.rhs))
            step.shown = (step.lhs.xreplace({EYE: 1, DIM: self.d}),
                          step.rhs.xreplace({EYE: 1, DIM: self.d}))
            step.lhs, step.rhs = lhs.xreplace(values), rhs.xreplace(values)


def _combine(results) -> Claim:
    """One verdict per step from the frames: fails in one, holds in all, else undecided."""
    claim = results[0][2]
    merged = Claim(claim.index, claim.latex, claim.line, steps=[])
    for i, _ in enumerate(results[0][2].steps):
        step = results[0][2].steps[i]
        verdicts = [(frame, concrete, r.steps[i].verdict) for frame, concrete, r in results]
        failing = [v for v in verdicts if v[2].status == FAILS]
        errors = [v for v in verdicts if v[2].status == ERROR]
        if errors:
            verdict = errors[0][2]
        elif failing:
            frame, concrete, verdict = failing[0]
            counterexample = _grouped(verdict.counterexample, concrete)
            verdict = verdict.but(counterexample=counterexample)
            if counterexample and DIMENSION in counterexample:
                verdict = verdict.noted(f"a counterexample in R^d with d = "
                                        f"{counterexample[DIMENSION]}, vectors by their coordinates")
            elif frame.coords:
                verdict = verdict.noted(f"a counterexample in R^d for every d >= {frame.coords}: "
                                        f"vectors by their first {frame.coords} coordinate(s), "
                                        "the others 0")
            else:
                verdict = verdict.noted("a counterexample in R^d for every dimension d")
        elif all(v[2].status == HOLDS for v in verdicts):
            verdict = verdicts[-1][2].noted(_covered(results))
        else:
            frame, concrete, verdict = next(v for v in verdicts if v[2].status == UNDECIDED)
            verdict = verdict.but(reason=f"in dimension {_where(concrete)}: {verdict.reason}")
        shown = getattr(step, "shown", None)
        if shown is not None:
            step.lhs, step.rhs = shown
        step.verdict = verdict
        merged.steps.append(step)
    return merged


def _where(concrete: int) -> str:
    return f"d = {concrete}" if concrete else "d >= the number of free vectors"


def _covered(results) -> str:
    concrete = [c for _, c, _ in results if c]
    symbolic = [f.coords for f, c, _ in results if not c]
    parts = [f"d = {c}" for c in concrete] + [f"every d >= {max(k, 1)}" for k in symbolic]
    return ("checked in R^d for every dimension d (" + ", ".join(parts) + "), vectors in "
            "general position")


def _grouped(counterexample, concrete: int):
    """Coordinates x[1], x[2] shown as one vector x = (.., ..); the dimension if concrete."""
    if not counterexample:
        return counterexample
    values, vectors = {}, {}
    for key, value in counterexample.items():
        match = _COORDINATE.match(key) if isinstance(key, str) else None
        if match:
            vectors.setdefault(match.group(1), {})[int(match.group(2))] = value
        else:
            values[key] = value
    for name, coords in vectors.items():
        values[name] = "(" + ", ".join(str(coords[i]) for i in sorted(coords)) + ")"
    if concrete and DIMENSION not in values:
        values[DIMENSION] = str(concrete)
    return FrozenMap(values)


__all__ = ["uses_vectors", "check_in_frames", "confirmed", "exact_in_one_coordinate",
           "MAX_FREE_VECTORS"]
