"""What the LaTeX and Markdown documents of ``diffproof latex`` share: the title, the words for
verdicts ("proved" only for a proof method; every other ``holds`` is labelled as evidence), and
the tallies of a derivation's steps by those words."""
from __future__ import annotations

from diffproof.derive.latex.printer import RELATION_LATEX, to_latex
from diffproof.derive.latex.text import estimate_width
from diffproof.derive.verdict import PROOF_METHODS
from diffproof.proofs.checker import DerivationResult

TITLE = "diffproof: derived formulas of diffusion models"

# an erratum's formula as its author wrote it, then the claim as checked (built in SymPy)
AS_WRITTEN = "As the seed writes it:"
AS_CHECKED = "Checked as (built in SymPy, so it may be simplified):"

PROOF_TAGS = {"symbolic": "proved symbolically", "rules": "proved by rewriting rules"}
EVIDENCE_TAGS = {"numeric": "supported numerically", "monte-carlo": "supported by Monte Carlo",
                 "closed-form": "exact at sampled parameters"}


def verdict_tag(status: str, method: str) -> str:
    """The words a document uses for a verdict: "proved" only for a proof method
    (derive.derivation.PROOF_METHODS); every other ``holds`` is labelled as evidence."""
    if status == "holds":
        if method in PROOF_METHODS:
            return PROOF_TAGS.get(method, f"proved ({method})")
        return EVIDENCE_TAGS.get(method, f"supported ({method}, evidence)")
    if status == "fails":
        return "fails" if method in ("", "none") else f"fails ({method})"
    return "undecided"


def derivation_verdict(result: DerivationResult, erratum=None) -> str:
    """A derivation's verdict in words: its status, with the kinds of support when it holds; for
    an erratum, whether it is refuted as expected."""
    if erratum is not None:
        return "fails, as expected (seed erratum)" if result.status == "fails" else \
            f"{result.status} (an erratum the checker should refute)"
    if result.status != "holds":
        return result.status
    tags = sorted({verdict_tag(r.verdict.status, r.verdict.method) for r in result.steps})
    return "holds: " + ", ".join(tags)


def verdict_counts(steps) -> dict[str, int]:
    """The number of steps per verdict word (:func:`verdict_tag`), in order of first occurrence."""
    counts: dict[str, int] = {}
    for r in steps:
        key = verdict_tag(r.verdict.status, r.verdict.method)
        counts[key] = counts.get(key, 0) + 1
    return counts


def steps_by_verdict(result: DerivationResult) -> str:
    """``2 proved symbolically; 1 fails (numeric)``: a derivation's steps by verdict word."""
    return "; ".join(f"{n} {k}" for k, n in verdict_counts(result.steps).items())


def step_formulas(result: DerivationResult, width: float | None = None) -> list[str]:
    """Each step's math (``lhs = rhs``; the left side only where the chain restarts), or a note
    in math when a step has no expression or cannot be typeset (a report never crashes on it).
    ``width``: a formula estimated wider than this many characters is set in two rows of an
    ``aligned`` (the left side, then the relation and the right side)."""
    out = []
    previous = result.derivation.start
    for r in result.steps:
        step = r.step
        try:
            if step.expr is None:
                out.append(r"\text{(decided by its checks)}")
                continue
            show = r.lhs is not None and (step.lhs is not None or r.index == 1 or previous is None)
            left = to_latex(r.lhs) if show else ""
            right = f"{RELATION_LATEX[step.relation]} {to_latex(step.expr)}"
            if left and width is not None and estimate_width(f"{left} {right}") > width:
                out.append(rf"\begin{{aligned}} & {left} \\ & {right} \end{{aligned}}")
            else:
                out.append(f"{left} {right}")
            previous = step.expr
        except Exception as error:  # noqa: BLE001
            out.append(rf"\text{{(could not be typeset: {type(error).__name__})}}")
    return out
