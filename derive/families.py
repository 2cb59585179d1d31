"""Indexed schedule families: alpha_s, alphabar_s, beta_s at any step index s.

Convention (Ho et al. 2020 Sec. 2; Luo 2022 Eqs. 61, 69): alpha_s in (0, 1) and beta_s = 1 - alpha_s
for s >= 1; alphabar_s = prod_{i=1}^s alpha_i, so alphabar_0 = 1 (the empty product),
alphabar_s = alpha_s alphabar_{s-1} and alphabar decreases with s.  The indices t and T are steps
1..T (Ho et al. 2020 Alg. 1); any other letter is an index >= 0; every index a claim names exists
(naming alphabar_{t-2} implies t >= 2).  So the lowest alphabar of a chain lies in (0, 1] when its
index may be 0, in (0, 1) otherwise.  Members whose indices differ by a constant (t-1, t, t+1)
form a chain and are related; members of different chains (t, T, s, 2t) are independent.

Here: the step indices (:func:`parse_index`, :func:`index_text`), the members' keys in a symbol
table and their built-in domains.  The table relates a claim's members (``SymbolTable.member``).
"""
from __future__ import annotations

import re

from diffproof.derive.domains import UNIT, UNIT_CLOSED, Domain

FAMILIES = ("alpha", "abar", "beta")
MAX_SPAN = 24                        # steps one chain may span (each adds a free alpha)
LETTER_MIN = {"t": 1, "T": 1}        # least value of an index letter; others: >= 0
_T = (("t", 1),)
BUILTIN_MEMBERS = {"alpha_t": ("alpha", _T, 0), "alpha_tm1": ("alpha", _T, -1),
                   "abar_t": ("abar", _T, 0), "abar_tm1": ("abar", _T, -1),
                   "beta_t": ("beta", _T, 0)}
BUILTIN_KEYS = {v: k for k, v in BUILTIN_MEMBERS.items()}
_INDEX = re.compile(r"[+-]?(\d{1,4}[A-Za-z]?|[A-Za-z])([+-](\d{1,4}[A-Za-z]?|[A-Za-z]))*")
_MEMBER_KEY = re.compile(r"(alpha|abar|beta)\[(.+)\]")


def parse_index(text: str | None) -> tuple[tuple[tuple[str, int], ...], int] | None:
    """``t-1`` -> ((("t", 1),), -1); ``T`` -> ((("T", 1),), 0); ``3`` -> ((), 3); ``2t+1``,
    ``t-k`` likewise; None for anything else (``\\min``, ``theta``, ``t^2``)."""
    if not text:
        return None
    text = text.replace(" ", "")
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if not _INDEX.fullmatch(text):
        return None
    coeffs: dict[str, int] = {}
    offset = 0
    for sign, digits, letter in re.findall(r"([+-]?)(\d*)([A-Za-z]?)", text):
        if not digits and not letter:
            continue
        value = (-1 if sign == "-" else 1) * (int(digits) if digits else 1)
        if letter:
            coeffs[letter] = coeffs.get(letter, 0) + value
        else:
            offset += value
    chain = tuple(sorted((k, v) for k, v in coeffs.items() if v != 0))
    return chain, offset


def index_text(chain: tuple, offset: int) -> str:
    """The canonical text of an index: ``t-1``, ``2t+1``, ``T``, ``0``."""
    terms = sorted(chain, key=lambda kv: (kv[1] < 0, kv[0]))
    out = ""
    for letter, coeff in terms:
        sign = "-" if coeff < 0 else ("+" if out else "")
        out += sign + (str(abs(coeff)) if abs(coeff) != 1 else "") + letter
    if offset or not out:
        out += (f"{offset:+d}" if out else str(offset))
    return out


def _chain_min(chain: tuple) -> int:
    """The least value the letters of a chain can take (t, T >= 1; others >= 0)."""
    if any(coeff < 0 for _, coeff in chain):
        return 0
    return sum(coeff * LETTER_MIN.get(letter, 0) for letter, coeff in chain)


def member_domain(family: str, chain: tuple, offset: int) -> Domain:
    """A member's built-in domain: an abar is free only as the lowest of its chain, in (0, 1]
    when its index may be 0; everything else in (0, 1)."""
    return UNIT_CLOSED if family == "abar" and _chain_min(chain) + offset < 1 else UNIT


def member_key(family: str, chain: tuple, offset: int) -> str:
    return BUILTIN_KEYS.get((family, chain, offset)) or f"{family}[{index_text(chain, offset)}]"


def member_of_key(key: str) -> tuple[str, tuple, int] | None:
    """(family, chain, offset) of a family member's spec key, None for other keys."""
    if key in BUILTIN_MEMBERS:
        return BUILTIN_MEMBERS[key]
    match = _MEMBER_KEY.fullmatch(key)
    if match is None:
        return None
    parsed = parse_index(match.group(2))
    return None if parsed is None else (match.group(1), *parsed)
