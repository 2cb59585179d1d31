"""Claims about vectors in R^d read in one coordinate (docs/claims.md 'Vectors and the dimension d').

diffproof reads a vector as one coordinate: ``\\|x\\|^2`` is x^2, ``x^\\top y`` is x y, ``\\mathbf{I}``
is 1.  That reading is exactly the case d = 1.  A claim that also names the dimension ``d`` (in
its formulas or its assumptions) may depend on it, so the one-coordinate reading with d left free
could refute a true claim (``\\log\\mathcal{N}(x; \\mu, \\sigma^2\\mathbf{I}) = -\\frac{d}{2}\\log
2\\pi\\sigma^2 - ...`` failed at d = 2) or prove a false one (``\\mathbb{E}\\|\\epsilon\\|^2 = 1``).
Such a claim is checked at d = 1, where the reading is exact: a counterexample there is a true
counterexample (d = 1 is a dimension), while holding there proves nothing about other d, so
``holds`` becomes ``undecided``.
"""
from __future__ import annotations

import re

from diffproof.derive.verdict import FAILS, HOLDS, UNDECIDED

# notation that only makes sense for vectors or matrices
VECTOR_NOTATION = re.compile(r"\\\||\\[lr]Vert|\^\s*\{?\s*\\top|\\(?:mathbf|boldsymbol)\s*\{\s*I\s*\}"
                             r"|\\(?:operatorname|mathrm)\s*\{\s*(?:tr|diag)\s*\}|\\det\b"
                             r"|\\mathbb\s*\{\s*R\s*\}\s*\^")
DIMENSION = "d"
AT_ONE = "d = 1"
HOLDS_AT_ONE = ("holds for d = 1, where diffproof's one-coordinate reading of vectors is exact; "
                "it names the dimension d, and vectors in R^d for general d are not modelled, so "
                "this is not a proof (what would decide it: the claim for every d, which needs "
                "d-dimensional support, or a claim that does not name d)")
FAILS_AT_ONE = "a counterexample in dimension d = 1, where the one-coordinate reading is exact"


NOT_EXACT = ("holds in one coordinate (d = 1), but in R^d the claim is not linear in the squared "
             "norms and inner products of its vectors ({what}), and the d-dimensional reading "
             "cannot express it, so holding for d = 1 proves nothing about other d (what would "
             "decide it: the claim with its vectors only in norms \\|v\\|^2 and inner products "
             "a^\\top b of sums of vectors, scalar multiples of \\mathbf{{I}}, and isotropic "
             "Gaussians)")
WHAT_UNREAD = "the vector reading cannot read it"
WHAT_NONLINEAR = ("a product of two of them, a vector inside a nonlinear function or a density "
                  "whose normalizer depends on d")


def exact_or_undecided(verdict, exact: bool | None):
    """A verdict of the one-coordinate reading of a claim with vectors the frames cannot read:
    a refutation is one at d = 1; a proof stands only when the reading is exact for every d
    (``exact``, :func:`proofs.claims.frames.exact_in_one_coordinate`)."""
    if verdict.status == FAILS:
        return verdict.noted(FAILS_AT_ONE)
    if verdict.status == HOLDS and not exact:
        what = WHAT_UNREAD if exact is None else WHAT_NONLINEAR
        return verdict.but(status=UNDECIDED, reason=NOT_EXACT.format(what=what))
    return verdict


def about_dimension(latex: str, assumption_texts: list[str], names: set[str]) -> bool:
    """Whether the claim uses vector notation and names the dimension d (``names``: the names of
    the symbols read in the claim and its assumptions)."""
    texts = [latex, *assumption_texts]
    return DIMENSION in names and any(VECTOR_NOTATION.search(text) for text in texts)


def judged_at_one(verdict):
    """The verdict of a step checked at d = 1, as a verdict about every d."""
    if verdict.status == HOLDS:
        return verdict.but(status=UNDECIDED, reason=HOLDS_AT_ONE)
    if verdict.status == FAILS:
        return verdict.noted(FAILS_AT_ONE)
    return verdict


def undecided_for_fixed_dimension(verdict):
    """A step of a claim whose assumptions fix d: one coordinate is not that dimension."""
    if verdict.status in (HOLDS, FAILS):
        return verdict.but(status=UNDECIDED, counterexample=None, reason=(
            "the assumptions fix the dimension d, and diffproof reads vectors as one coordinate "
            "(exact only for d = 1), so this reading decides nothing (what would decide it: "
            "d-dimensional support, or the claim for d = 1)"))
    return verdict
