"""``a \\propto b`` with no density to say in which variable (docs/claims.md 'Checking claims written in
LaTeX', relations): proportional in any of the variables present."""
from __future__ import annotations

from diffproof.derive.derivation import Step
from diffproof.derive.verdict import FAILS, HOLDS, Verdict
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.safety import check_relation_safely


def propto_any(lhs, rhs, candidates, assumptions: Assumptions, options: Options,
               unsupported: set) -> Verdict:
    """Holds if proportional in one of the candidates (named in the reason), fails only if it
    fails in each of them; otherwise the first verdict that is not a failure."""
    verdicts = []
    for variable in candidates:
        verdict = check_relation_safely(lhs, rhs, Step(rhs, "claim", relation="propto",
                                                       wrt=(variable,)),
                                        assumptions, options, unsupported)
        if verdict.status == HOLDS:
            return verdict.but(reason=f"proportional as functions of {variable} (the variable is "
                                      f"not stated; {', '.join(map(str, candidates))} were tried)"
                                      + (f"; {verdict.reason}" if verdict.reason else ""))
        verdicts.append(verdict)
    if all(v.status == FAILS for v in verdicts):
        return verdicts[0].but(reason=f"not proportional in any of "
                                      f"{', '.join(map(str, candidates))}")
    return next(v for v in verdicts if v.status != FAILS)
