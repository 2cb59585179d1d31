"""The continuous-time schedules of notation.md (docs/claims.md 'Built-in relations, definitions and
unknown functions', Continuous-time schedules): sigma(t), beta(t), f(t), g(t) computed by
:mod:`derive.sde`.

A claim that mentions sigma_min, sigma_max or sigma(t) reads the VE schedule (Song et al. Eq. 30);
one that mentions beta_min, beta_max or beta(t) reads the VP schedule (Eqs. 32-33).  The claim's
own symbols decide, else the file's; with both schedules (or neither) g and f stay undefined and
the reason names both readings.  A function the user defines wins.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from diffproof.derive import sde
from diffproof.derive.latex.context import FunctionDef
from diffproof.derive.symbols import t


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
        return {key: FunctionDef(usage, (t,), body, meaning=f"{self.name} schedule (Song et al. 2021)")
                for key, (usage, body) in self.bodies().items() if key in keys}


SCHEDULES = {
    "VE": Schedule("VE", "|sigma|", "the VE schedule: sigma(t) = sigma_min "
                   "(sigma_max/sigma_min)^t, g(t) = sqrt(d sigma(t)^2/dt) (Song et al. Eq. 30), "
                   "f(t) = 0"),
    "VP": Schedule("VP", "|beta|", "the VP schedule: beta(t) = beta_min + "
                   "t (beta_max - beta_min), f(t) = -beta(t)/2, g(t) = sqrt(beta(t)) (Song et al. "
                   "Eqs. 32-33), t in [0, 1]"),
}
BETA_READING = ("beta(t) = beta_min + t (beta_max - beta_min), the VP schedule "
                "(Song et al. Eq. 33); f(t), g(t) not built in")

# possessive quantifiers (*+): whitespace is consumed once, so a search is linear in the text
_APPLIED = r"\s*+'*+\s*+(?:\^\s*+(?:\{[^{}]*+\}|\w))?\s*+(?:\\left\s*+)?\("
_D = r"(?:d|\\mathrm\s*+\{\s*+d\s*+\}|\{\s*+\\rm\s++d\s*+\}|\\partial(?![A-Za-z]))"


def _used(name: str) -> re.Pattern:
    """A schedule function applied (``\\sigma(t)``, ``\\sigma'(t)``, ``\\dot{\\sigma}(t)``) or
    differentiated bare (``\\frac{d\\sigma}{dt}``)."""
    return re.compile(rf"(?:\\d?dot\s*+\{{\s*+{name}\s*+\}}|{name}){_APPLIED}"
                      rf"|\{{\s*+{_D}\s*+{name}\s*+\}}\s*+\{{\s*+{_D}")


_FUNCTION_PATTERNS = {
    "|sigma|": _used(r"\\(?:var)?sigma(?![A-Za-z])"),
    "|beta|": _used(r"\\beta(?![A-Za-z])"),
    "|g|": _used(r"(?:(?<![\\A-Za-z])|(?<=\{d))g(?![A-Za-z])"),
    "|f|": _used(r"(?:(?<![\\A-Za-z])|(?<=\{d))f(?![A-Za-z])"),
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
    from diffproof.derive.sde.VE; VP reads beta(t), f(t) = -beta/2, g(t) = sqrt(beta) from diffproof.derive.sde.VP.
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


def declared_over_schedule(claim_text: str, file_text: str, declared, defined) -> list[str]:
    """What a claim is told when it applies g(t) or f(t) declared generic by the assumptions
    (``% assume: g(t) > 0``; name keys ``declared``) while its cues name one schedule whose own
    function the user does not define (``defined``: every user function's key): the
    declaration wins, so the schedule's g(t), f(t) are not used.  A declared sigma(t) or beta(t)
    is another schedule, as a defined one is."""
    kinds = schedule_cues(claim_text) or schedule_cues(file_text)
    if len(kinds) != 1:
        return []
    schedule = SCHEDULES[next(iter(kinds))]
    if schedule.base in defined:
        return []
    return [f"{schedule.bodies()[key][0]} is the generic function the assumptions declare (values "
            f"left free), not the {schedule.name} schedule's"
            for key in sorted(applied_functions(claim_text) & set(declared) & {"|g|", "|f|"})]
