"""A claim and its steps: one display of LaTeX parsed into links ``lhs REL rhs``.

A chain ``a &= b \\\\ &= c`` has one step per link (a = b, b = c), and so has ``a = b = c`` on one
line; a line with its own left side starts a new step, a line without a relation continues the
line above (docs/claims.md 'Checking claims written in LaTeX').  ``A = \\ldots = B`` is one *elided* link
(docs/claims.md 'Steps that hold in distribution'): :func:`build_steps` merges it, and
:func:`settle_elided` decides, once every link has its verdict, whether the chain lets it stand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from diffproof.derive.verdict import ERROR, FAILS, HOLDS, UNDECIDED, Verdict
from diffproof.derive.latex.parser import ELLIPSIS
from diffproof.derive.latex.printer import plain_text, to_latex
from diffproof.derive.latex.tokens import LatexParseError, UnsupportedLatexError
from diffproof.derive.notation_reader import parse_chain
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.document import split_lines, trailer_condition
from diffproof.proofs.report.notebook import claims_markdown

UNPARSABLE = "unparsable"
# the table keys of a claim's variables: the latents and noises densities and \propto are taken in
VARIABLE_KEYS = ("x", "x_0", "x_t", "x_tm1", "x_tm2", "x_tp1", "z", "eps", "eps_0", "eps_1", "eps_2")


@dataclass
class ClaimStep:
    """One link ``lhs relation rhs`` of a claim, with its verdict once checked."""

    index: int
    lhs: sp.Expr
    relation: str
    rhs: sp.Expr
    verdict: Verdict | None = None
    source: str = ""                 # the line of the display this step comes from
    wrt: tuple = ()                  # for propto: the variables of the densities met so far
    wrt_known: bool = False          # the chain starts with a density: wrt is its variable
    elided: bool = False             # "A = \\ldots = B": the author left steps out
    computed: bool = False           # its sides were computed from vector notation: no definition


@dataclass
class Claim:
    """One display: its steps, or why it has none (unparsable, an internal error, a limit)."""

    index: int
    latex: str
    line: int | None = None
    steps: list[ClaimStep] = field(default_factory=list)
    error: str | None = None         # unparsable input: what is wrong with it (exit 2)
    internal: str | None = None      # a bug in diffproof met while checking it (exit 3)
    reason: str | None = None        # undecided as a whole (e.g. reading it hit the hard limit)
    unconfirmed: bool = False        # refuted in R^d frames where built-in relations are not applied

    @property
    def status(self) -> str:
        """error, unparsable, then the worst step: fails, undecided (also with no step), holds."""
        if self.internal is not None:
            return ERROR
        if self.error is not None:
            return UNPARSABLE
        statuses = {s.verdict.status for s in self.steps}
        if ERROR in statuses:
            return ERROR
        if FAILS in statuses:
            return FAILS
        if UNDECIDED in statuses or not self.steps:
            return UNDECIDED
        return HOLDS

    def first_failure(self) -> ClaimStep | None:
        """The first step that fails, if any."""
        return next((s for s in self.steps if s.verdict.status == FAILS), None)

    def _repr_markdown_(self) -> str:
        """In a notebook: a table of the steps with their verdicts (proofs.report.notebook)."""
        return claims_markdown([self])


def latex_text(expr) -> str:
    """The LaTeX of ``expr`` for display; its string form if the printer fails."""
    try:
        return to_latex(expr)
    except Exception:  # noqa: BLE001 - display only
        return plain_text(expr)


def build_steps(latex: str, assumptions: Assumptions) -> list[ClaimStep]:
    """Parse a display into steps; raises LatexParseError for unparsable input.  A line the
    parser cannot evaluate (UnsupportedLatexError) becomes an undecided step, and so does the
    link that continues it; the chain goes on after it."""
    lines = split_lines(latex)
    if not lines:
        raise LatexParseError("the display is empty", latex, 0)
    assumptions.context.density_variables = []
    assumptions.context.scope = "\n".join([latex] + list(assumptions.texts))
    subject = None
    steps: list[ClaimStep] = []
    previous = None
    unreadable = None          # why the previous line could not be evaluated
    for number, line in enumerate(lines):
        source = " ".join(line.split())
        try:
            terms, ops = parse_chain(line, assumptions.context, allow_leading=number > 0)
        except UnsupportedLatexError as error:
            steps.append(ClaimStep(len(steps) + 1, None, "?", None, source=source,
                                   verdict=Verdict(UNDECIDED, "none", reason=error.message)))
            previous, unreadable = None, error.message
            continue
        if terms[0] is None:
            if previous is None and unreadable is not None:
                steps.append(ClaimStep(len(steps) + 1, None, ops[0], terms[1], source=source,
                                       verdict=Verdict(UNDECIDED, "none", reason=(
                                           "its left-hand side (the line above) could not be "
                                           f"evaluated: {unreadable}"))))
                terms, ops = terms[1:], ops[1:]
            elif previous is None:
                raise LatexParseError("the first line starts with a relation", line, 0)
            else:
                terms[0] = previous
        unreadable = None
        if not ops and len(terms) == 1 and steps and steps[-1].verdict is not None:
            previous = terms[-1]
            continue
        if not ops:
            raise LatexParseError("no relation (=, \\le, \\propto, ...) in this line of the "
                                  "display", line, 0)
        seen = assumptions.context.density_variables
        if number == 0 and seen and terms[0] is not None and terms[0] == seen[0][1]:
            subject = seen[0][0]          # the chain starts with a density: its variable
        for left, op, right in zip(terms, ops, terms[1:]):
            wrt = (subject,) if subject is not None else \
                tuple(dict.fromkeys(v for v, _ in seen))
            steps.append(ClaimStep(len(steps) + 1, left, op, right, source=source, wrt=wrt,
                                   wrt_known=subject is not None))
        previous = terms[-1]
    return _merge_elided(steps)


# ---------------------------------------------------------------------------------------------
# elided links: A = \ldots = B
# ---------------------------------------------------------------------------------------------
def _merge_elided(steps: list[ClaimStep]) -> list[ClaimStep]:
    """``A = \\ldots = B`` (two links through a lone \\ldots) becomes one elided link A = B; a
    \\ldots with nothing on one side is undecided."""
    merged: list[ClaimStep] = []
    for step in steps:
        last = merged[-1] if merged else None
        if last is not None and last.rhs is ELLIPSIS and step.lhs is ELLIPSIS and \
                last.verdict is None and step.verdict is None:
            same = {last.relation, step.relation} <= {"=", ":="}
            last.rhs, last.relation, last.elided = step.rhs, "=" if same else "?", True
            if step.source != last.source:
                last.source = f"{last.source} {step.source}"
            if not same:
                last.verdict = Verdict(UNDECIDED, "none", reason=(
                    "steps elided with \\ldots in a chain of inequalities are not checked"))
            continue
        merged.append(step)
    for number, step in enumerate(merged, start=1):
        step.index = number
        if step.verdict is None and (step.lhs is ELLIPSIS or step.rhs is ELLIPSIS):
            step.verdict = Verdict(UNDECIDED, "none", reason=(
                "\\ldots stands for steps left out, and there is no expression on its other "
                "side to compare with"))
    return merged


def settle_elided(steps: list[ClaimStep]) -> None:
    """An elided link A = \\ldots = B is checked as S = B (S the chain's subject), which decides
    A = B only when S = A is established: every link above is an equality that holds.  After a
    \\le or \\propto link, or a link that did not hold, the elided link is undecided."""
    for number, step in enumerate(steps):
        if not step.elided or step.verdict is None or step.verdict.status not in (HOLDS, FAILS):
            continue
        above = steps[:number]
        loose = [s for s in above if s.relation not in ("=", ":=")]
        open_links = [s for s in above if s.verdict is None or s.verdict.status != HOLDS]
        if loose or open_links:
            why = (f"link {loose[0].index} is a '{loose[0].relation}' relation, not an equality"
                   if loose else f"link {open_links[0].index} above did not hold")
            step.verdict = step.verdict.but(status=UNDECIDED, counterexample=None, reason=(
                "steps elided with \\ldots are checked through the chain's subject, which equals "
                f"this link's left side only if every link above is a holding equality; {why}"))


# ---------------------------------------------------------------------------------------------
# text after a formula: \quad \text{for all } t, \quad t \in [0, 1]
# ---------------------------------------------------------------------------------------------
def note_trailers(steps: list[ClaimStep], latex: str) -> None:
    """The text dropped after a line's formula (docs/claims.md 'Checking claims written in
    LaTeX') is noted in the verdicts of that line's steps.  A condition among them (a relation:
    ``t \\in [0, 1]``, ``\\text{where } b = c``) is not read, so a failure of the display is
    undecided: its counterexample may lie outside the condition."""
    trailers: list = []
    split_lines(latex, trailers)
    conditions = [c for c in (trailer_condition(text) for _, text in trailers) if c]
    for step in steps:
        if step.verdict is None:
            continue
        if conditions and step.verdict.status == FAILS:
            step.verdict = step.verdict.but(status=UNDECIDED, counterexample=None, reason=(
                f"refuted without the condition '{conditions[0]}' stated after the formula, which "
                f"is not read; to check the claim under it, state it as an assumption: "
                f"% assume: {conditions[0]}"))
            continue
        own = [text for line, text in trailers if line and line in step.source]
        if own:
            step.verdict = step.verdict.noted(_trailer_note(own[0]))


def _trailer_note(text: str) -> str:
    """What a verdict says of the text dropped after its line."""
    condition = trailer_condition(text)
    if condition is None:
        return f"the text '{text}' beside the formula is read as a comment, not checked"
    return (f"the condition '{condition}' after the formula is not read (the step is checked "
            f"for all values); % assume: {condition} states it")
