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
from diffproof.derive.verdict import ERROR, FAILS, HOLDS, UNDECIDED, FrozenMap, Verdict
from diffproof.derive.domains import REAL
from diffproof.derive.symbols import SymbolSpec
from diffproof.derive.lowering import (Frame, coordinate_symbols, expand_indexed, index_sizes,
                                       lower_relation, normalize_indexed)
from diffproof.derive.vectors import (DIAGONALS, DIM, EYE, Norm, NotLowerable, Transposed,
                                      free_vectors, has_markers,
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
DIAGONAL = re.compile(r"\\(?:operatorname|mathrm)\s*\{\s*diag\s*\}")


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
    if probe.steps is None:
        unread = probe.unread
        if unread is not None and unread.error is not None and DIAGONAL.search(latex):
            return unread           # read in one coordinate, diag is refused: keep this error
        return None
    k = len(probe.free)
    if k > MAX_FREE_VECTORS:
        return None
    results = []
    for frame_lines, coords, concrete, sizes in _frames(k, fixed, probe.sizes):
        try:
            assumptions = read_assumptions(list(assumption_lines) + frame_lines, table,
                                           vectors=True)
            d = read_expression(DIMENSION, assumptions.context)
        except LatexParseError:
            if sizes:                   # the assumptions rule this size out
                continue
            return None
        frame = Frame(coords, sp.Integer(concrete) if concrete else d)
        lowering = _Lowering(frame, d, concrete, assumptions, probe.sizes)
        try:
            result = check(assumptions, lowering.prepare)
        except NotLowerable:
            return None
        if result.error is not None and DIAGONAL.search(latex):
            return result           # read in one coordinate, diag is refused: keep this error
        if result.error is not None or len(result.steps) != probe.count:
            return None
        results.append((frame, concrete, result, sizes))
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
    if probe is None or probe.steps is None:
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
        probe.unread = check(base, probe.collect)
    except _Stop:
        pass
    except NotLowerable:
        return None
    return probe


def _fixed_dimension(assumptions):
    """None when d is free, its value when an assumption fixes it to a positive integer, False
    when it fixes it otherwise."""
    for key, value in assumptions.definitions.items():
        if getattr(key, "name", None) == DIMENSION:
            value = sp.sympify(value)
            return int(value) if value.is_Integer and 0 < value <= 64 else False
    return None


SIZES_TRIED = (1, 2, 3)         # the sizes a sum or product over indexed entries is written out at


def _frames(k: int, fixed, sizes=frozenset()):
    """(assumption lines, coordinates, concrete d or 0 for a symbolic d, sizes written out)
    covering every d.  A sum or product over indexed entries up to a size n (the diagonal of
    diag(a_1, ..., a_n)) is also checked with n = 1, 2, 3 written out (every size the same): a
    counterexample there is one; a proof comes only from the frame with n symbolic."""
    natural = [f"{n} \\in \\mathbb{{N}}" for n in sorted(sizes) if n != DIMENSION]
    if fixed is not None:
        return [(natural, min(k, fixed), 0, {})]
    frames = [([f"{DIMENSION} = {j}"] + natural, j, j, {}) for j in range(1, k)]
    bound = [f"{DIMENSION} \\in \\mathbb{{N}}"] + ([f"{DIMENSION} \\ge {k}"] if k > 1 else [])
    written = []
    for j in SIZES_TRIED if sizes else ():
        values = {n: j for n in sorted(sizes)}
        lines = [f"{n} = {j}" for n in values]
        if DIMENSION in sizes:
            if j < k:           # the frame d = j is there: it writes the sizes out too
                frames = [frame for frame in frames if frame[2] != j]
            written.append((lines, min(j, k), j, values))
        else:
            written.append((lines + bound, k, 0, values))
    return frames + written + [(bound + natural, k, 0, {})]


class _Probe:
    """A first reading of the claim: which symbols are vectors, and which of them are free."""

    def __init__(self, assumptions):
        self.assumptions = assumptions
        self.free = None
        self.sizes: frozenset = frozenset()     # names of the sizes of indexed sums, products
        self.count = 0
        self.steps = None       # (lhs, rhs) of each step, vector definitions substituted
        self.unread = None      # the checked claim when the reading stopped before the probe

    def collect(self, steps):
        self.count = len(steps)
        _substitute_vector_definitions(steps, self.assumptions)
        self.steps = [(step.lhs, step.rhs) for step in steps]
        sides = [s for step in steps for s in (step.lhs, step.rhs) if isinstance(s, sp.Basic)]
        vectors = _vectors(sides, self.assumptions)
        self.free = set().union(*[free_vectors(s, vectors) for s in sides]) if sides else set()
        self.sizes = frozenset(n.name for side in sides for n in index_sizes(side)
                               if len(n.name) == 1 and n.name.isalpha())
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

    def __init__(self, frame: Frame, d, concrete: int, assumptions, sizes=frozenset()):
        self.frame, self.d, self.concrete = frame, d, concrete
        self.assumptions = assumptions
        self.sizes = sizes

    def written_out(self, expr):
        """Sums and products over indexed entries with a size the assumptions fix (this frame's
        n = 2, or the user's d = 2) written out, their entries base[j] declared in the table (with
        the domain of a bound on base_i, base_j or base_k, else real); else normalized
        (derive.lowering.normalize_indexed) with the entries' sign from such a bound."""
        fixed = {}
        for symbol in expr.free_symbols:
            if getattr(symbol, "name", None) in self.sizes:
                value = self._definition(symbol.name)
                if value is not None:
                    fixed[symbol] = value
        expr = expr.xreplace(fixed)
        expr, entries = expand_indexed(expr, self.family_domain)
        specs = [SymbolSpec(e.name, e, e.name, f"an entry of {base}", domain)
                 for e, (base, domain) in entries.items()]
        if specs:
            context = self.assumptions.context
            context.table = context.table.declare(*specs)
        return normalize_indexed(expr, self.family_domain)

    def _definition(self, name: str):
        for key, value in self.assumptions.definitions.items():
            if getattr(key, "name", None) == name:
                value = sp.sympify(value)
                return value if value.is_Integer and value > 0 else None
        return None

    def family_domain(self, base: str):
        """The domain of a bound stated on base_i (or base_j, base_k): it bounds every entry
        base_1, base_2, ... of the family; None when none is stated."""
        context = self.assumptions.context
        for letter in "ijk":
            symbol = context.symbols.get(f"|{base}|{letter}")
            if symbol is not None:
                domain = context.table.domain(symbol)
                if domain.lo is not None or domain.hi is not None:
                    return domain
        return None

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
            try:
                lhs, rhs = lower_relation(step.lhs, step.rhs, step.relation, vectors, self.frame)
            except NotLowerable as error:
                if not (step.lhs.has(*DIAGONALS) or step.rhs.has(*DIAGONALS)):
                    raise
                # read in one coordinate, diag is refused too: say why here
                step.verdict = Verdict(UNDECIDED, "none", reason=str(error))
                continue
            lhs, rhs = self.written_out(lhs.xreplace(values)), self.written_out(rhs.xreplace(values))
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
        verdicts = [(frame, concrete, r.steps[i].verdict, sizes)
                    for frame, concrete, r, sizes in results]
        failing = [v for v in verdicts if v[2].status == FAILS]
        errors = [v for v in verdicts if v[2].status == ERROR]
        if errors:
            verdict = errors[0][2]
        elif failing:
            frame, concrete, verdict, sizes = failing[0]
            counterexample = _grouped(verdict.counterexample, concrete, sizes)
            verdict = verdict.but(counterexample=counterexample)
            if sizes:
                verdict = verdict.noted(
                    "a counterexample with " + ", ".join(f"{n} = {j}" for n, j in sizes.items())
                    + " (sums and products over the indexed entries written out; a = (.., ..) "
                    "lists the entries a_1, a_2, ...)" + (f", in R^d with d = {concrete}" if concrete and
                                      DIMENSION not in sizes else ""))
            elif counterexample and DIMENSION in counterexample:
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
            frame, concrete, verdict, sizes = next(v for v in verdicts
                                                   if v[2].status == UNDECIDED)
            written = [v[3] for v in verdicts if v[3]]
            if written and not sizes and all(v[2].status == HOLDS for v in verdicts if v[3]):
                names = ", ".join(sorted(written[0]))
                tried = ", ".join(str(j) for j in SIZES_TRIED)
                verdict = verdict.but(reason=(
                    f"holds with {names} = {tried} (sums and products over the indexed entries "
                    f"written out), but for a symbolic {names} it was not proved ({verdict.reason}); "
                    "what would decide it: a symbolic proof for every size, which needs the "
                    "entries' signs where a log or a power splits a product (% assume: "
                    "\\sigma_i > 0 bounds every entry \\sigma_1, \\sigma_2, ...), or the claim "
                    f"at a stated size (% assume: {sorted(written[0])[0]} = 3)"))
            else:
                verdict = verdict.but(reason=f"in dimension {_where(concrete)}"
                                             f"{_at(sizes)}: {verdict.reason}")
        shown = getattr(step, "shown", None)
        if shown is not None:
            step.lhs, step.rhs = shown
        step.verdict = verdict
        merged.steps.append(step)
    return merged


def _where(concrete: int) -> str:
    return f"d = {concrete}" if concrete else "d >= the number of free vectors"


def _at(sizes: dict) -> str:
    return (" with " + ", ".join(f"{n} = {j}" for n, j in sizes.items())) if sizes else ""


def _covered(results) -> str:
    concrete = [c for _, c, _, _ in results if c]
    symbolic = [f.coords for f, c, _, _ in results if not c]
    parts = [f"d = {c}" for c in dict.fromkeys(concrete)] + \
        [f"every d >= {max(k, 1)}" for k in dict.fromkeys(symbolic)]
    return ("checked in R^d for every dimension d (" + ", ".join(parts) + "), vectors in "
            "general position")


def _grouped(counterexample, concrete: int, sizes=None):
    """Coordinates x[1], x[2] shown as one vector x = (.., ..); the dimension if concrete, and
    the sizes written out."""
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
    for name, size in (sizes or {}).items():
        values.setdefault(name, str(size))
    return FrozenMap(values)


__all__ = ["uses_vectors", "check_in_frames", "confirmed", "exact_in_one_coordinate",
           "MAX_FREE_VECTORS"]
