"""The readings ``diffproof claim`` may give a claim's symbols: built-in relations, the model mean
through one prediction, the Tweedie reading and the continuous-time schedules of notation.md.

Each reading is computed from :mod:`derive` (the forward marginal, the posterior mean, Tweedie's
formula, :mod:`derive.sde`), never retyped; :mod:`proofs.claim_context` decides when a claim is
read with one of them, and the report states the reading it used.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive import formulas as F
from derive import sde
from derive.latex.context import FunctionDef
from derive.symbols import TABLE, abar_t, abar_tm1, alpha_t, epshat, s_theta, t, x_0, x_t, xhat
from derive.vocabulary import forward_sample, tweedie_x0


# ---------------------------------------------------------------------------------------------
# the reparametrization of the forward marginal
# ---------------------------------------------------------------------------------------------
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


TWEEDIE_READING = "in conditional expectation given x_t (Tweedie, Luo Eq. 133)"

# Symbols that name a quantity defined elsewhere (per SDE, per model, per paper section) rather
# than a free parameter: a claim that merely equates one of them with a formula is a definition.
UNDEFINED_QUANTITY_KEYS = ("g_t", "f_t", "S_t", "V_t", "lam", "score")


# ---------------------------------------------------------------------------------------------
# the model mean mu_theta through one prediction
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# continuous-time schedules (notation.md): sigma(t), beta(t), f(t), g(t) from derive.sde
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A linear SDE of notation.md as built-in functions of one argument: ``base`` (sigma or
    beta, the schedule's own function) and the SDE coefficients f, g, all computed by
    :mod:`derive.sde`."""

    name: str                       # "VE" or "VP"
    base: str                       # name key of the schedule function (|sigma| or |beta|)
    text: str                       # the reading, as the report states it

    def bodies(self) -> dict[str, tuple[str, sp.Expr]]:
        """name key -> (LaTeX usage, body in t)."""
        if self.name == "VE":
            return {"|sigma|": (r"\sigma(t)", sde.VE.sigma(t)), "|g|": ("g(t)", sde.VE.g(t)),
                    "|f|": ("f(t)", sde.VE.f(t))}
        return {"|beta|": (r"\beta(t)", sde.VP.beta(t)), "|g|": ("g(t)", sde.VP.g(t)),
                "|f|": ("f(t)", sde.VP.f(t))}

    def functions(self, keys) -> dict:
        """FunctionDefs for the given name keys (a subset of :meth:`bodies`)."""
        return {key: FunctionDef(usage, (t,), body, meaning=f"{self.name} schedule (notation.md)")
                for key, (usage, body) in self.bodies().items() if key in keys}


SCHEDULES = {
    "VE": Schedule("VE", "|sigma|", "the VE schedule of notation.md: sigma(t) = sigma_min "
                   "(sigma_max/sigma_min)^t, g(t) = sqrt(d sigma(t)^2/dt) (Song et al. Eq. 30), "
                   "f(t) = 0"),
    "VP": Schedule("VP", "|beta|", "the VP schedule of notation.md: beta(t) = beta_min + "
                   "t (beta_max - beta_min), f(t) = -beta(t)/2, g(t) = sqrt(beta(t)) (Song et al. "
                   "Eqs. 32-33), t in [0, 1]"),
}
BETA_READING = ("beta(t) = beta_min + t (beta_max - beta_min), the VP schedule of notation.md "
                "(Song et al. Eq. 33); f(t), g(t) not built in")

__all__ = ["Relation", "reparametrization", "reparametrization_x0", "TWEEDIE_READING",
           "UNDEFINED_QUANTITY_KEYS", "Parametrization", "model_mean_parametrizations", "Schedule",
           "SCHEDULES", "BETA_READING"]
