"""``diffproof conform [SCHEDULER ...]``: check real scheduler implementations against the derived
formulas (numeric/conform/).

For every scheduler (all known ones by default), family of configs and property, Hypothesis draws
configs (seeded by --seed, shrunk on a failure) and the row says holds, fails (with the short
report: shrunk config, timestep, contract, formula and source, the two values at the worst element,
the budget, the seed) or undecided (e.g. a formula singular at the config, named).

Exit codes as ``check``: 0 every row holds, 1 a row fails or is undecided, 2 bad usage (an unknown
scheduler, listing the known ones; diffusers or torch missing), 3 an internal error.
"""
from __future__ import annotations

import importlib
import json

from diffproof.proofs.loader import UsageError
from diffproof.proofs.output import say

MISSING = ("diffproof conform needs torch and diffusers: pip install 'diffproof[diffusers]' "
           "(torch's CPU build: see README 'Set-up')")
PROPERTY_NAMES = ("step", "invariance", "grid", "endpoints", "float32", "schedule", "add_noise",
                  "sampling")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "conform", help="check diffusers' schedulers against the derived formulas",
        description="Property-based conformance of scheduler implementations: one step against "
                    "the derived update, parametrization invariance, the timestep grid, "
                    "endpoints, the float32 budget and the sampling loop.")
    p.add_argument("schedulers", nargs="*", metavar="SCHEDULER",
                   help="scheduler class names (default: every adapter)")
    p.add_argument("--json", action="store_true", help="one JSON object: rows and summary")
    p.add_argument("--dtype", choices=["float32", "float64"], default=None,
                   help="check the step in this precision only (default: both)")
    p.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    p.add_argument("--examples", type=int, default=25,
                   help="configs drawn per row (default 25, 1 to 10000)")
    p.add_argument("--property", dest="properties", action="append", choices=PROPERTY_NAMES,
                   help="only this property (repeatable)")
    p.set_defaults(func=run)


def _adapters(names: list[str]):
    for module in ("torch", "diffusers"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise UsageError(MISSING) from None
    from diffproof.numeric.conform.adapters import ADAPTERS, get
    unknown = [n for n in names if n not in ADAPTERS]
    if unknown:
        raise UsageError(f"no adapter for {', '.join(unknown)}; known schedulers: "
                         f"{', '.join(ADAPTERS)}")
    return [get(n) for n in (names or ADAPTERS)]


def run(args) -> int:
    if not 1 <= args.examples <= 10_000:
        raise UsageError(f"--examples must lie in [1, 10000], got {args.examples}")
    if not 0 <= args.seed < 2 ** 63:
        raise UsageError(f"--seed must lie in [0, 2^63 - 1], got {args.seed}")
    adapters = _adapters(args.schedulers)
    from diffproof.numeric.conform.run import FAILS, HOLDS, conform
    rows = []
    for adapter in adapters:
        known = (*adapter.properties, "sampling")
        props = [p for p in (args.properties or adapter.properties) if p in known]
        if args.dtype == "float32":
            props = [p for p in props if p != "step"]
        elif args.dtype == "float64":
            props = [p for p in props if p != "float32"]
        rows += conform(adapter, seed=args.seed, max_examples=args.examples, properties=props)
    summary = {s: sum(r.status == s for r in rows) for s in ("holds", "fails", "undecided")}
    summary["rows"] = len(rows)
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows], "summary": summary}, indent=2,
                         default=str))
    else:
        say(table(rows))
        details = [r.report() for r in rows if r.status != HOLDS or r.notes]
        if details:
            say("\n\n".join(details))
        say(f"\n{summary['rows']} rows: {summary['holds']} hold, {summary['fails']} fail, "
            f"{summary['undecided']} undecided (seed {args.seed}, {args.examples} configs a row)")
    return 0 if all(r.status == HOLDS for r in rows) else 1 if rows else 0


def table(rows) -> str:
    """One line per scheduler and family: the status of each property."""
    from diffproof.numeric.conform.properties import PROPERTIES
    props = [p for p in PROPERTIES if any(r.property == p for r in rows)]
    groups: dict = {}
    for r in rows:
        groups.setdefault((r.scheduler, _family(r.family)), {})[r.property] = r.status
    width = max([len(f"{s} {f}") for s, f in groups] + [10])
    lines = [f"{'scheduler / configs':<{width}}  " + "  ".join(f"{p:<10}" for p in props)]
    for (s, f), statuses in groups.items():
        lines.append(f"{s + ' ' + f:<{width}}  " +
                     "  ".join(f"{statuses.get(p, '-'):<10}" for p in props))
    return "\n".join(lines)


def _family(family: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in family.items())
