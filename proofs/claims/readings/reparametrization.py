"""The reparametrization of the forward marginal (docs/claims.md 'Built-in relations, definitions and
unknown functions', Reparametrization): a step with x_t and the noise eps_0 (or eps) is checked
under x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0 (Luo Eq. 69; DDPM Eq. 4), computed by
:func:`derive.vocabulary.forward_sample`.

Not used when the user defines x_t, x_0 or the noise, when the step mentions another latent
(x_{t-1}: there eps is the step's noise), nor for ``x_t = ...`` with parameters outside the DDPM
schedule (the definition of another process).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from diffproof.derive.symbols import TABLE, abar_t, x_t
from diffproof.derive.formulas import forward_sample
from diffproof.derive.verdict import Verdict
from diffproof.derive.vocabulary import DDPM_PARAMETER_KEYS
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.readings.base import BaseReading, StepState

# latents other than x_t and x_0: with one of them, eps is that step's noise
OTHER_LATENTS = ("x_tm1", "x_tm2", "x_tp1")


@dataclass(frozen=True)
class Relation:
    """A relation the papers take for granted, used when a claim mentions its symbols."""

    text: str                       # shown in the report
    target: sp.Symbol               # the symbol it substitutes
    value: sp.Expr
    noise: sp.Symbol


def reparametrization(noise: sp.Symbol) -> Relation:
    """x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise: the forward marginal written with its
    noise (Luo Eq. 69 with eps_0; DDPM Eq. 4 and Alg. 1 with eps)."""
    name = {"eps_0": "eps_0", "eps": "eps"}[noise.name]
    source = "Luo Eq. 69" if name == "eps_0" else "DDPM Eq. 4, Alg. 1"
    return Relation(f"x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) {name} ({source})", x_t,
                    forward_sample(noise), noise)


def reparametrization_x0(noise: sp.Symbol) -> sp.Expr:
    """The same relation solved for x_0 (Luo Eq. 115)."""
    return (x_t - sp.sqrt(1 - abar_t) * noise) / sp.sqrt(abar_t)


def builtin_relation(lhs, rhs, assumptions: Assumptions) -> Relation | None:
    """The reparametrization to check this step under, or None (see the module docstring)."""
    free = assumptions.free(lhs) | assumptions.free(rhs)
    x_0 = TABLE["x_0"]
    noise = next((TABLE[k] for k in ("eps_0", "eps") if TABLE[k] in free), None)
    if x_t not in free or noise is None:
        return None
    if any(TABLE[k] in free for k in OTHER_LATENTS):
        return None
    if any(s in assumptions.definitions for s in (x_t, x_0, noise)):
        return None
    allowed = {x_0, noise} | {TABLE[k] for k in DDPM_PARAMETER_KEYS}
    for side, other in ((lhs, rhs), (rhs, lhs)):
        if side == x_t and not assumptions.free(other) <= allowed:
            return None               # x_t = x_0 + sigma_t eps: another process's definition
    return reparametrization(noise)


def with_relation(assumptions: Assumptions, relation: Relation) -> Assumptions:
    """The assumptions with the relation's symbol defined by it."""
    return replace(assumptions, definitions={**assumptions.definitions,
                                             relation.target: relation.value})


class ReparametrizationReading(BaseReading):
    """x_t with x_0 and one noise: the step is checked with x_t = sqrt(abar_t) x_0 +
    sqrt(1 - abar_t) eps_0 (Luo Eq. 69)."""

    name = "reparametrization"

    def before(self, state: StepState) -> Verdict | None:
        if state.relation == "propto":
            return None
        relation = builtin_relation(state.lhs, state.rhs, state.assumptions)
        if relation is not None:
            state.extend(with_relation(state.assumptions, relation), relation.text)
        return None


