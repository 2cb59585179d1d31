"""Built-in names read next to a user's redefinition of the schedule they are built from.

The vocabulary's derived names (``\\mathrm{SNR}(t)`` = abar_t / (1 - abar_t), ``\\mu_q``,
``\\Sigma_q``, ...) are DDPM's, built from the symbol table's schedule (alpha_t, abar_t, beta_t).
A claim whose assumptions redefine a schedule symbol writes another paper's notation (VDM's alpha_t^2
is DDPM's abar_t), and a refutation would then test DDPM's formula against it: a true claim in the
author's notation was refuted.  Such a refutation is undecided, naming the built-in meaning and the
``% assume:`` line that states the author's.
"""
from __future__ import annotations

import re

from diffproof.derive.verdict import FAILS, UNDECIDED
from diffproof.derive.vocabulary import ENTRIES

# names whose built-in value comes from the schedule (not notation such as \nabla or \epsilon_\theta)
DERIVED = tuple(e for e in ENTRIES if e.latex.startswith(("\\mu_q", "\\tilde{\\mu}", "\\Sigma_q",
                                                          "\\sigma_q", "\\mathrm{SNR}")))


def clash(latex: str, assumption_texts: list[str], redefined: list[str]) -> str | None:
    """The reason a refutation is not trusted, or None: ``redefined`` names the schedule symbols
    the assumptions define; the built-in names used in ``latex`` and not defined by the user."""
    if not redefined:
        return None
    used = [e for e in DERIVED if e.latex in latex and not any(
        re.match(rf"\s*{re.escape(e.latex)}\s*[(_=]", text) for text in assumption_texts)]
    if not used:
        return None
    names = ", ".join(f"{e.usage} ({e.meaning})" for e in used)
    return (f"the claim uses the built-in {names}, built from DDPM's schedule, while the "
            f"assumptions redefine {', '.join(redefined)}: in another paper's notation (VDM's "
            "alpha_t^2 is DDPM's abar_t) that refutation would test DDPM's formula; what would "
            f"decide it: state the meaning you use, % assume: {used[0].usage} = ...")


def undecided_for_clash(verdict, reason: str):
    """A refutation made untrustworthy by a notation clash (other verdicts unchanged)."""
    if verdict.status == FAILS:
        return verdict.but(status=UNDECIDED, counterexample=None, reason=reason)
    return verdict
