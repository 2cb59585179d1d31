"""What a claim means beyond its symbols: built-in relations, definitions, the marginal score.

Three rules keep ``diffproof claim`` from refuting a true claim because it treats related or
undefined symbols as free:

- *reparametrization*: a claim with x_t and the noise eps_0 (or eps) is checked under
  x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0 (Luo Eq. 69; DDPM Eq. 4), unless the user
  defines x_t, x_0 or the noise, the claim mentions another latent (x_{t-1}: then eps is the
  step's noise), or the claim is ``x_t = ...`` with parameters outside the DDPM schedule (the
  definition of another process);
- *definitions*: a claim ``g(t) = <formula>`` whose one side is an undefined name (no table
  definition, no ``% assume:``) absent from the other side defines that name; so does a claim in
  which an undefined quantity (g(t), f(t), lambda(t), a user symbol with no bound) occurs on one
  side only.  Such a claim is ``undecided`` (alone) or a definition link (first link of a chain);
- *marginal score*: nabla log p(x_t) is a function of x_t alone; a claim equating it with
  something that changes with x_0 or eps_0 at fixed x_t fails (Luo Eq. 151 holds for the
  conditional score, and for the marginal only in expectation); otherwise it depends on the data
  distribution and is undecided.

Standard normal noises (eps_k, eps*_{t-1}, z_i: :func:`proofs.claim_distribution.is_noise`) are
not undefined quantities: a noise met on one side only is a merge of noises (Luo Eq. 66), read in
distribution by :mod:`proofs.claim_distribution`.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from fractions import Fraction

import sympy as sp

from derive.derivation import FAILS, UNDECIDED, Verdict
from derive.latex.printer import to_latex
from derive.symbols import TABLE
from derive.vocabulary import DDPM_PARAMETER_KEYS, tweedie_noise, tweedie_x0
from numeric.points import simple_points
from proofs.claim_distribution import is_noise
from proofs.claim_readings import (BETA_READING, SCHEDULES, UNDEFINED_QUANTITY_KEYS, Relation,
                                   model_mean_parametrizations, reparametrization,
                                   reparametrization_x0)

_OTHER_LATENTS = ("x_tm1", "x_tm2", "x_tp1")
DEFINITION = "definition"


def _free(expr, assumptions) -> set:
    return assumptions.table.expand_definitions(sp.sympify(expr), assumptions.definitions).free_symbols


def builtin_relation(lhs, rhs, assumptions) -> Relation | None:
    """The reparametrization to check this step under, or None (see the module docstring)."""
    free = _free(lhs, assumptions) | _free(rhs, assumptions)
    x_t, x_0 = TABLE["x_t"], TABLE["x_0"]
    noise = next((TABLE[k] for k in ("eps_0", "eps") if TABLE[k] in free), None)
    if x_t not in free or noise is None:
        return None
    if any(TABLE[k] in free for k in _OTHER_LATENTS):
        return None
    if any(s in assumptions.definitions for s in (x_t, x_0, noise)):
        return None
    allowed = {x_0, noise} | {TABLE[k] for k in DDPM_PARAMETER_KEYS}
    for side, other in ((lhs, rhs), (rhs, lhs)):
        if side == x_t and not _free(other, assumptions) <= allowed:
            return None               # x_t = x_0 + sigma_t eps: another process's definition
    return reparametrization(noise)


def with_relation(assumptions, relation: Relation):
    return replace(assumptions, definitions={**assumptions.definitions,
                                             relation.target: relation.value})


# ---------------------------------------------------------------------------------------------
# definitions
# ---------------------------------------------------------------------------------------------
def _named(side):
    """The name a side consists of: S, S^k, or an undefined function application f(...)."""
    if isinstance(side, sp.Symbol):
        return side
    if isinstance(side, sp.Pow) and isinstance(side.base, sp.Symbol) and side.exp.is_Rational:
        return side.base
    if isinstance(side, sp.core.function.AppliedUndef):
        return side
    return None


def _undefined_quantities(assumptions) -> set:
    table = assumptions.table
    out = {TABLE[k] for k in UNDEFINED_QUANTITY_KEYS}
    for spec in table.specs.values():
        if spec.key.startswith("unknown:"):
            out.add(spec.symbol)
    return {s for s in out if s not in table.definitions and s not in assumptions.definitions}


def _user_unknowns(lhs, rhs, assumptions) -> set:
    """Symbols neither in the table nor bounded nor defined by an assumption."""
    table = assumptions.table
    free = _free(lhs, assumptions) | _free(rhs, assumptions)
    return {s for s in free if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)
            and table.spec(s) is None and not s.is_integer and not is_noise(s)}


def _latex(expr) -> str:
    try:
        return to_latex(expr)
    except Exception:  # noqa: BLE001 - display only
        return str(expr)


def reads_as_definition(lhs, rhs, assumptions) -> str | None:
    """Why ``lhs = rhs`` defines a name rather than states an identity, or None."""
    table = assumptions.table
    defined = set(table.definitions) | set(assumptions.definitions)
    for side, other in ((lhs, rhs), (rhs, lhs)):
        name = _named(side)
        if name is None or name in defined:
            continue
        if isinstance(name, sp.Symbol) and name in _free(other, assumptions):
            continue
        if isinstance(name, sp.core.function.AppliedUndef) and \
                sp.sympify(other).has(name.func):
            continue
        shown = _latex(name)
        return (f"reads as a definition of {shown}, not an identity: {shown} is not defined "
                f"(no built-in value, no assumption) and does not occur on the other side; "
                f"to check it against a definition, state one: % assume: {shown} = ...")
    loose = _undefined_quantities(assumptions) | _user_unknowns(lhs, rhs, assumptions)
    left, right = _free(lhs, assumptions), _free(rhs, assumptions)
    one_sided = sorted(((left ^ right) & loose), key=lambda s: s.name)
    if one_sided:
        names = ", ".join(_latex(s) for s in one_sided)
        return (f"{names} {'is' if len(one_sided) == 1 else 'are'} not defined (no built-in "
                f"value, no assumption) and occur{'s' if len(one_sided) == 1 else ''} on one "
                f"side only, so the claim constrains {names} rather than stating an identity; "
                f"state a definition with % assume: {_latex(min(one_sided, key=lambda s: len(s.name)))} = ...")
    return None


# ---------------------------------------------------------------------------------------------
# the marginal score
# ---------------------------------------------------------------------------------------------
def marginal_score(lhs, rhs, assumptions) -> Verdict | None:
    """A verdict for ``a * score + b = c`` from the dependence of (c - b) / a at fixed x_t."""
    score = TABLE["score"]
    left = assumptions.table.expand_definitions(sp.sympify(lhs), assumptions.definitions)
    right = assumptions.table.expand_definitions(sp.sympify(rhs), assumptions.definitions)
    if left.has(score) == right.has(score):
        return None
    side, other = (left, right) if left.has(score) else (right, left)
    x_0, x_t = TABLE["x_0"], TABLE["x_t"]
    hidden = {x_0, TABLE["eps_0"], TABLE["eps"]}
    slope = sp.diff(side, score)
    offset = sp.expand(side - slope * score)
    if slope.has(score) or slope == 0 or (slope.free_symbols | offset.free_symbols) & hidden:
        return None
    target = (other - offset) / slope
    noise = next((n for n in (TABLE["eps_0"], TABLE["eps"]) if target.has(n)), None)
    relation = ""
    if noise is not None and x_0 not in assumptions.definitions and \
            x_t not in assumptions.definitions:
        target = target.xreplace({x_0: reparametrization_x0(noise)})
        relation = f" (with {reparametrization(noise).text})"
    moving = [v for v in (noise, x_0) if v is not None and target.has(v)]
    if not moving:
        return Verdict(UNDECIDED, "none", reason=(
            "the marginal score nabla log p(x_t) depends on the data distribution p(x_0), which "
            "the claim does not fix"))
    var = moving[0]
    others = sorted(target.free_symbols - {var}, key=lambda s: s.name)
    for point in simple_points(others, assumptions.table, 40):
        subs = {s: sp.Rational(v.numerator, v.denominator) for s, v in point.items()}
        values = []
        for value in (0, 1):
            number = sp.N(target.xreplace({**subs, var: value}), 30)
            # a number, not an expression with an unknown function's value left in it
            values.append(number if number.is_Number and number.is_finite else None)
        if None in values or abs(values[0] - values[1]) < 1e-12:
            continue
        shown = {s.name: str(Fraction(v)) for s, v in point.items()}
        shown[var.name] = "0 and 1"
        if var != x_t and x_t.name not in shown:
            shown[x_t.name] = "any value, the same at both points"
        shown["lhs"] = "nabla log p(x_t): one value, the same at both points"
        shown["rhs"] = f"{float(values[0])} and {float(values[1])}"
        return Verdict(FAILS, "symbolic", counterexample=shown, reason=(
            f"the marginal score nabla log p(x_t) is a function of x_t (and t) only, but the "
            f"other side changes with {var.name} at fixed x_t{relation}; the identity holds for "
            f"the conditional score nabla log q(x_t | x_0), and for the marginal score only in "
            f"expectation over x_0 given x_t (Tweedie)"))
    return None


# ---------------------------------------------------------------------------------------------
# unknown functions at one point
# ---------------------------------------------------------------------------------------------
def generic_values(lhs, rhs):
    """(lhs, rhs, names) with each undefined function value f(x) and derivative f'(x) replaced by
    a free symbol, or None when that is not a faithful generalization: a claim about every
    function f is then a claim about independent numbers, because the values and derivatives of
    a function at one point are arbitrary.  Refused when a function is met at two different
    arguments or inside an integral, sum, product or limit (values there are not independent)."""
    both = sp.Tuple(sp.sympify(lhs), sp.sympify(rhs))
    if both.has(sp.Integral, sp.Sum, sp.Product, sp.Limit):
        return None
    atoms, arguments = {}, {}
    for node in sp.preorder_traversal(both):
        if isinstance(node, sp.Derivative) and isinstance(node.expr, sp.core.function.AppliedUndef):
            base = node.expr
        elif isinstance(node, sp.core.function.AppliedUndef):
            base = node
        else:
            continue
        if arguments.setdefault(base.func, base.args) != base.args:
            return None
        if node not in atoms:
            order = sum(n for _, n in node.variable_count) if node is not base else 0
            name = f"{base.func.__name__}{chr(39) * order}({', '.join(map(str, base.args))})"
            positive = base.func.__name__ in ("p", "q", "p_t", "p_theta")
            atoms[node] = sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)
    if not atoms:
        return None
    new = both.xreplace(atoms)
    if new.has(sp.core.function.AppliedUndef, sp.Derivative):
        return None
    return new[0], new[1], sorted(s.name for s in atoms.values())


# ---------------------------------------------------------------------------------------------
# the model mean and the Tweedie reading
# ---------------------------------------------------------------------------------------------
def model_mean(lhs, rhs, assumptions) -> tuple:
    """How to read mu_theta in this step: (None, ()) when it is absent or defined by an
    assumption; ("relation", (p,)) when exactly one kind of prediction (xhat, epshat, s_theta)
    occurs, p being that parametrization (Luo Eqs. 95, 125, 143); ("ambiguous", (p, q, ...)) when
    several kinds occur; ("free", ()) when none does (mu_theta is then any model output)."""
    mu_theta = TABLE["mu_theta"]
    if mu_theta in assumptions.definitions:
        return None, ()
    free = _free(lhs, assumptions) | _free(rhs, assumptions)
    if mu_theta not in free:
        return None, ()
    present = tuple(p for p in model_mean_parametrizations() if p.prediction in free)
    if not present:
        return "free", ()
    return ("relation" if len(present) == 1 else "ambiguous"), present


def with_model_mean(assumptions, parametrization):
    return replace(assumptions, definitions={**assumptions.definitions,
                                             TABLE["mu_theta"]: parametrization.value})


def tweedie(lhs, rhs, assumptions):
    """Both sides with x_0 and the noise of x_t replaced by their conditional expectations given
    x_t (Tweedie: E[x_0 | x_t] = (x_t + (1 - abar_t) grad log p(x_t)) / sqrt(abar_t)), as
    (lhs, rhs, affine), or None when the step has no marginal score, no x_0 or noise, or other
    latents.  ``affine``: both sides are affine in x_0 and the noise, so the substitution is the
    conditional expectation of the claim itself; otherwise it is the claim with x_0 replaced by
    its conditional mean (the reading of Luo Eqs. 142-148)."""
    left = assumptions.table.expand_definitions(sp.sympify(lhs), assumptions.definitions)
    right = assumptions.table.expand_definitions(sp.sympify(rhs), assumptions.definitions)
    free = left.free_symbols | right.free_symbols
    x_0, x_t = TABLE["x_0"], TABLE["x_t"]
    if TABLE["score"] not in free or any(TABLE[k] in free for k in _OTHER_LATENTS):
        return None
    if any(s in assumptions.definitions for s in (x_t, x_0)):
        return None
    noises = [TABLE[k] for k in ("eps_0", "eps") if TABLE[k] in free]
    hidden = ([x_0] if x_0 in free else []) + noises
    if not hidden:
        return None
    subs = {x_0: tweedie_x0(), **{n: tweedie_noise(n) for n in noises}}
    affine = all(sp.Poly(side, *hidden).total_degree() <= 1 if side.is_polynomial(*hidden)
                 else False for side in (left, right))
    return left.xreplace(subs), right.xreplace(subs), affine


# ---------------------------------------------------------------------------------------------
# continuous-time schedules (notation.md)
# ---------------------------------------------------------------------------------------------
# possessive quantifiers (*+): whitespace is consumed once, so a search is linear in the text
_APPLIED = r"\s*+(?:\^\s*+(?:\{[^{}]*+\}|\w))?\s*+(?:\\left\s*+)?\("
_FUNCTION_PATTERNS = {
    "|sigma|": re.compile(r"\\(?:var)?sigma(?![A-Za-z])" + _APPLIED),
    "|beta|": re.compile(r"\\beta(?![A-Za-z])" + _APPLIED),
    "|g|": re.compile(r"(?<![\\A-Za-z])g" + _APPLIED),
    "|f|": re.compile(r"(?<![\\A-Za-z])f" + _APPLIED),
}
_CUES = {
    "VE": re.compile(r"\\sigma\s*+_\s*+\{?+\s*+\\m(?:in|ax)(?![A-Za-z])"),
    "VP": re.compile(r"\\beta\s*+_\s*+\{?+\s*+\\m(?:in|ax)(?![A-Za-z])"),
}
_BASE_CUE = {"VE": "|sigma|", "VP": "|beta|"}


@lru_cache(maxsize=8)          # a file's text is asked once per claim
def schedule_cues(text: str) -> frozenset[str]:
    """Which schedules of notation.md a text points at: VE (sigma_min, sigma_max, sigma(t)),
    VP (beta_min, beta_max, beta(t))."""
    return frozenset(name for name, cue in _CUES.items()
                     if cue.search(text) or _FUNCTION_PATTERNS[_BASE_CUE[name]].search(text))


def applied_functions(text: str) -> set[str]:
    """Name keys of the schedule functions (sigma, beta, g, f) applied in a text."""
    return {key for key, pattern in _FUNCTION_PATTERNS.items() if pattern.search(text)}


def schedule_reading(claim_text: str, file_text: str, defined) -> tuple[dict, list[str], str | None]:
    """The built-in schedule functions for one claim: (name key -> FunctionDef, readings stated,
    note for g/f left undefined because both schedules are mentioned).

    The claim's own cues decide, else the file's (notation.md): VE reads sigma(t), g(t), f(t) = 0
    from derive.sde.VE; VP reads beta(t), f(t) = -beta/2, g(t) = sqrt(beta) from derive.sde.VP.
    A function the user defines (``defined``: name keys) is never replaced, and g, f are built in
    only together with the schedule's own function (a user sigma(t) or beta(t) is another
    schedule).  With both or neither schedule mentioned, g and f are not built in; beta(t) keeps
    its one meaning."""
    kinds = schedule_cues(claim_text) or schedule_cues(file_text)
    applied = applied_functions(claim_text) - set(defined)
    functions, readings, note = {}, [], None
    if len(kinds) == 1:
        schedule = SCHEDULES[next(iter(kinds))]
        if schedule.base not in defined:
            keys = applied & ({schedule.base, "|g|", "|f|"})
            functions = schedule.functions(keys)
    elif "|beta|" in applied:
        functions = SCHEDULES["VP"].functions({"|beta|"})
    if kinds == {"VE", "VP"} and applied & {"|g|", "|f|"}:
        names = " and ".join(k.strip("|") + "(t)" for k in sorted(applied & {"|g|", "|f|"}))
        note = (f"ambiguous: the claim mentions both the VE and the VP schedule, so {names} can "
                f"be read as VE ({SCHEDULES['VE'].text}) or as VP ({SCHEDULES['VP'].text}); state "
                f"one with % assume:")
    if functions:
        readings = [SCHEDULES[next(iter(kinds))].text if len(kinds) == 1 else BETA_READING]
    return functions, readings, note


__all__ = ["schedule_cues", "applied_functions", "schedule_reading", "model_mean", "with_model_mean", "tweedie", "DEFINITION", "generic_values", "builtin_relation", "with_relation", "reads_as_definition",
           "marginal_score"]
