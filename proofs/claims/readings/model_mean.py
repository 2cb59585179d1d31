"""The model mean mu_theta through one prediction (docs/claims.md 'Built-in relations, definitions and
unknown functions', Model mean; Luo Eqs. 95, 125, 143; DDPM Eq. 11).

A step with mu_theta and exactly one kind of prediction (xhat_theta, epshat_theta, s_theta) reads
mu_theta as mu_q(x_t, x_0) with x_0 replaced by that prediction (directly, through Eq. 115, or
through Tweedie), computed from :func:`derive.formulas.posterior_mean`.  With no prediction,
mu_theta is a free model output; with two kinds, each parametrization is a reading and the step
is undecided, unless ``% assume: \\mu_\\theta = ...`` defines it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive.verdict import UNDECIDED, ReadingVerdict, Verdict
from diffproof.derive.symbols import TABLE, abar_t, abar_tm1, alpha_t, epshat, s_theta, x_0, x_t, xhat
from diffproof.derive.formulas import tweedie_x0
from diffproof.proofs.claims.assumptions import Assumptions
from diffproof.proofs.claims.readings.base import BaseReading, StepState
from diffproof.proofs.claims.readings.reparametrization import reparametrization_x0


@dataclass(frozen=True)
class Parametrization:
    """mu_theta written through one model prediction: mu_q(x_t, x_0) with x_0 (or the noise, or
    the score) replaced by the prediction."""

    kind: str                     # "x0", "noise", "score"
    prediction: sp.Symbol
    text: str                     # shown in the report
    value: sp.Expr


def _x0_of(kind: str) -> sp.Expr:
    if kind == "x0":
        return xhat                                             # Luo Eq. 95
    if kind == "noise":
        return reparametrization_x0(TABLE["eps_0"]).xreplace({TABLE["eps_0"]: epshat})  # Eq. 115
    return tweedie_x0(s_theta)                                  # Luo Eq. 133 with s_theta


_PARAMETRIZATIONS = (
    ("x0", xhat, "xhat_theta(x_t, t)", "mu_q(x_t, xhat_theta) (Luo Eq. 95)"),
    ("noise", epshat, "epshat_theta(x_t, t)",
     "mu_q(x_t, (x_t - sqrt(1 - abar_t) epshat_theta) / sqrt(abar_t)) (Luo Eq. 125; DDPM Eq. 11)"),
    ("score", s_theta, "s_theta(x_t, t)",
     "mu_q(x_t, (x_t + (1 - abar_t) s_theta) / sqrt(abar_t)) (Luo Eq. 143)"),
)


@lru_cache(maxsize=None)
def model_mean_parametrizations() -> tuple[Parametrization, ...]:
    """The three parametrizations of mu_theta, computed from the posterior mean mu_q."""
    out = []
    for kind, prediction, _, text in _PARAMETRIZATIONS:
        value = F.posterior_mean().xreplace({x_0: _x0_of(kind)})
        out.append(Parametrization(kind, prediction, f"mu_theta = {text} = {_shown(value, prediction)}",
                                   value))
    return tuple(out)


def _shown(value: sp.Expr, prediction: sp.Symbol) -> str:
    """c_1 x_t + c_2 prediction, each coefficient simplified (display only)."""
    expanded = value.xreplace({abar_t: TABLE.definitions[abar_t]})
    terms = []
    for variable in (x_t, prediction):
        coefficient = sp.factor(sp.simplify(sp.diff(expanded, variable)))
        coefficient = coefficient.subs(alpha_t * abar_tm1, abar_t)
        terms.append(f"({coefficient}) {variable}")
    return " + ".join(terms)


def model_mean(lhs, rhs, assumptions: Assumptions) -> tuple:
    """How to read mu_theta in this step: (None, ()) when it is absent or defined by an
    assumption; ("relation", (p,)) when exactly one kind of prediction (xhat, epshat, s_theta)
    occurs, p being that parametrization (Luo Eqs. 95, 125, 143); ("ambiguous", (p, q, ...)) when
    several kinds occur; ("free", ()) when none does (mu_theta is then any model output)."""
    mu_theta = TABLE["mu_theta"]
    if mu_theta in assumptions.definitions:
        return None, ()
    free = assumptions.free(lhs) | assumptions.free(rhs)
    if mu_theta not in free:
        return None, ()
    present = tuple(p for p in model_mean_parametrizations() if p.prediction in free)
    if not present:
        return "free", ()
    return ("relation" if len(present) == 1 else "ambiguous"), present


def with_model_mean(assumptions: Assumptions, parametrization: Parametrization) -> Assumptions:
    """The assumptions with mu_theta defined by the parametrization."""
    return replace(assumptions, definitions={**assumptions.definitions,
                                             TABLE["mu_theta"]: parametrization.value})


def ambiguous_model_mean(parametrizations, assumptions: Assumptions,
                         check: Callable[[Assumptions], Verdict]) -> Verdict:
    """mu_theta with predictions of several kinds: each parametrization is a reading, the step
    checked under it by ``check``; undecided, naming every reading and its verdict."""
    readings, parts = [], []
    for parametrization in parametrizations:
        verdict = check(with_model_mean(assumptions, parametrization))
        readings.append(ReadingVerdict.of(parametrization.text, verdict))
        parts.append(f"{parametrization.text}: {verdict.status}")
    kinds = " and ".join(p.kind for p in parametrizations)
    return Verdict(UNDECIDED, "none", readings=readings, reason=(
        f"ambiguous: mu_theta occurs with predictions of {kinds}, so it can be read as "
        + "; or as ".join(parts) + r"; define it with % assume: \mu_\theta = ..."))


class ModelMeanReading(BaseReading):
    """mu_theta through its one kind of prediction (a built-in relation); with several kinds,
    every reading, and the step undecided (Luo Eqs. 95, 125, 143)."""

    name = "model mean"

    def before(self, state: StepState) -> Verdict | None:
        if state.relation == "propto":
            return None
        kind, parametrizations = model_mean(state.lhs, state.rhs, state.assumptions)
        if kind == "ambiguous":
            return ambiguous_model_mean(parametrizations, state.assumptions, state.recheck)
        if kind == "relation":
            chosen = parametrizations[0]
            state.extend(with_model_mean(state.assumptions, chosen), chosen.text, base=True)
        return None
