"""The one formatter of counterexamples, for every report: ``diffproof check`` and ``errata`` (the
terminal), ``diffproof claim`` (the terminal, and the reasons of a reading that quote a point),
and the LaTeX and Markdown documents.

A counterexample is a dict: the symbols' values (``"1/2"`` for a rational, a float otherwise), the
two sides' values and the residual (:data:`SIDES`), for a simulation its seed and parameters, and
under ``"where"`` the values the point implies for the defined symbols the claim mentions.
"""
from __future__ import annotations

SIDES = ("lhs", "rhs", "residual")
WHERE = "where"
NO_POINT = "(no free symbol)"


def format_point(point: dict, rounded: bool = False, skip=(), only=None) -> str:
    """``a = 1/2, b = 2 (so c = 1/4), lhs = 0.75, rhs = 1.0``: the entries in the point's order,
    the implied values (``where``) after the entry before them; ``skip`` leaves keys out, ``only``
    shows just these keys, in this order (a missing one as None); ``rounded`` prints floats to 6
    significant digits.  :data:`NO_POINT` when nothing is left to show."""
    items = [(key, point.get(key)) for key in only] if only is not None else \
        [(key, value) for key, value in point.items() if key not in skip]
    parts: list[str] = []
    for key, value in items:
        if key == WHERE and isinstance(value, dict):
            if value:
                implied = f"(so {format_point(value, rounded)})"
                parts[-1:] = [f"{parts[-1]} {implied}" if parts else f" {implied}"]
            continue
        shown = f"{value:.6g}" if rounded and isinstance(value, float) else str(value)
        parts.append(f"{key} = {shown}")
    return ", ".join(parts) or NO_POINT
