"""An expression's value at a point with 50, 100 and 200 digits (mpmath), for the probe and for
confirming refutations: negative only when the value is stable as the precision grows, zero only
when it vanishes to 50 and 100 digits and by simplification at the exact point.
"""
from __future__ import annotations

import mpmath
import sympy as sp

from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.domains import exact_number, mp_number

PROBE_DPS = 50


def symbols_of(expr) -> list[sp.Symbol]:
    return sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=lambda s: s.name)


def compile_mp(expr, symbols):
    try:
        return safe_lambdify(symbols, expr, modules="mpmath")
    except Exception:  # noqa: BLE001 - unknown functions, unsafe nodes: not evaluable
        return None


class TooLarge(Exception):
    """A value too large to evaluate (exp(exp(exp(100)))): the point is skipped, not undefined."""


def value_at(compiled, symbols, point: dict, dps: int = PROBE_DPS):
    """The real value at ``point`` with ``dps`` digits, or None where undefined or not real."""
    with mpmath.workdps(dps):
        try:
            value = mpmath.mpmathify(compiled(*[mp_number(point[s]) for s in symbols]))
        except (OverflowError, MemoryError, RecursionError) as error:
            raise TooLarge from error
        except Exception:  # noqa: BLE001 - a pole, log(0): undefined here
            return None
        if not mpmath.isfinite(value):
            return None
        if abs(mpmath.im(value)) > mpmath.mpf(10) ** (15 - dps) * (1 + abs(mpmath.re(value))):
            return None
        return mpmath.re(value)


def stably_negative(compiled, symbols, point) -> bool:
    """Negative at 50, 100 and 200 digits with a value that no longer moves (round-off moves)."""
    previous = None
    for dps in (PROBE_DPS, 2 * PROBE_DPS, 4 * PROBE_DPS):
        value = value_at(compiled, symbols, point, dps)
        if value is None or value >= 0:
            return False
        if previous is not None and abs(value - previous) <= abs(value) * mpmath.mpf("1e-6"):
            return True
        previous = value
    return False


def near_zero(compiled, symbols, point) -> bool:
    return all(value is not None and abs(value) < mpmath.mpf(10) ** (10 - dps)
               for dps in (PROBE_DPS, 2 * PROBE_DPS)
               for value in [value_at(compiled, symbols, point, dps)])


def exactly_zero(expr, point) -> bool:
    """``expr`` is 0 at the exact point (rational or SymPy coordinates), by simplification."""
    value = expr.xreplace({s: exact_number(v) for s, v in point.items()})
    return value == 0 or sp.simplify(value) == 0
