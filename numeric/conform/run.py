"""The search: Hypothesis draws configs for one (adapter, family, property), a failing config is
shrunk to the simplest one, and the result is one :class:`Row` of the report.

Reproducible: every search runs under ``hypothesis.seed(seed)`` with no example database, so the
same seed draws the same configs and shrinks to the same one; a failure's report carries the seed
and the shrunk config, which replays it directly (:func:`replay`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from diffproof.numeric.conform import properties as P
from diffproof.numeric.conform import sampling

HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"


@dataclass
class Row:
    scheduler: str
    family: dict
    property: str
    status: str
    examples: int
    seed: int
    config: dict | None = None
    failure: P.Failure | None = None
    notes: list[str] = field(default_factory=list)
    defaults: dict = field(default_factory=dict, repr=False)

    def report(self) -> str:
        """The short failure report (or the notes of a row that holds or is undecided)."""
        head = f"{self.scheduler} {_family(self.family)}: property {P.PROPERTIES[self.property]}: " \
               f"{self.status}"
        if self.failure is None:
            return "\n".join([head] + [f"  note: {n}" for n in self.notes])
        f = self.failure
        shown = {k: v for k, v in (self.config or {}).items()
                 if k not in self.family and (k not in self.defaults or self.defaults[k] != v)}
        lines = [head, f"  config:   {_config(shown)} (the rest at the scheduler's defaults)"]
        if f.timestep is not None:
            lines.append(f"  timestep: {f.timestep}")
        lines.append(f"  {f.message}")
        if f.contract and f.formula:
            lines += [f"  contract: {f.contract}: {f.formula}", f"  source:   {f.source}"]
        elif f.contract:
            lines.append(f"  contract: {f.contract}")
        if f.expected is not None:
            lines.append(f"  derived {f.expected:.17g}  got {f.got:.17g}  at element {f.where}")
            lines.append(f"  |diff| {f.diff:.3g}  budget {f.budget:.3g}  ({f.diff / f.budget:.3g}x)"
                         if f.budget else f"  |diff| {f.diff:.3g}")
        lines += [f"  also: {n}" for n in f.notes[:3]]
        lines.append(f"  replay:   diffproof conform {self.scheduler} --property {self.property} "
                     f"--seed {self.seed}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("failure", "defaults")}
        out["failure"] = None if self.failure is None else asdict(self.failure)
        return out


class _Found(Exception):
    def __init__(self, failure: P.Failure, config: dict):
        super().__init__(failure.message)
        self.failure, self.config = failure, config


def search(adapter, prop: str, family: dict | None = None, seed: int = 0,
           max_examples: int = 20) -> Row:
    """Search configs of ``family`` for a failure of property ``prop``; shrink it."""
    family = dict(family or {})
    check, counted, notes = P.CHECKS[prop], [0], []

    @hypothesis.seed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
              verbosity=Verbosity.quiet, print_blob=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def probe(data):
        config = data.draw(st.composite(lambda draw: adapter.draw_config(draw, family))())
        counted[0] += 1
        failure = check(adapter, config, notes) if prop == "endpoints" else check(adapter, config)
        if failure is not None:
            raise _Found(failure, config)

    try:
        probe()
    except _Found as found:
        return Row(adapter.label, family, prop, FAILS, counted[0], seed, found.config,
                   found.failure, defaults=defaults_of(adapter))
    notes = sorted(set(notes))
    return Row(adapter.label, family, prop, UNDECIDED if notes else HOLDS, counted[0], seed,
               notes=notes)


def defaults_of(adapter) -> dict:
    """The keyword defaults of the implementation's constructor (a report shows what differs)."""
    import inspect
    try:
        parameters = inspect.signature(adapter.scheduler_class().__init__).parameters.values()
    except (TypeError, ValueError):                 # pragma: no cover - a builtin
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def sampling_row(adapter, seed: int = 0, config: dict | None = None) -> Row:
    """Property 3 for one config (by default sampling.default_config): two Monte Carlo
    decisions; the row fails when one fails, is undecided when one is undecided."""
    config = config or sampling.default_config(adapter)
    try:
        verdicts = sampling.check(adapter, config, seed=seed)
    except Exception as error:  # noqa: BLE001 - the implementation's error is the finding
        return Row(adapter.label, {}, "sampling", FAILS, 0, seed, config,
                   P.Failure("sampling", f"raised {type(error).__name__}: {str(error)[:200]}"),
                   defaults=defaults_of(adapter))
    statuses = [_status(v) for v in verdicts]
    notes = [_mc_note(v) for v in verdicts]
    status = FAILS if FAILS in statuses else UNDECIDED if UNDECIDED in statuses else HOLDS
    failure = None
    if status == FAILS:
        failure = P.Failure("sampling", "the sampling loop with the exact denoiser does not "
                            "reach the data law", notes=notes)
    family = {k: config[k] for k in ("timestep_spacing", "num_inference_steps") if k in config}
    return Row(adapter.label, family, "sampling", status,
               sum(getattr(v.evidence, "n", 0) or 0 for v in verdicts), seed, config, failure,
               notes=[] if failure else notes, defaults=defaults_of(adapter))


def _status(verdict) -> str:
    return getattr(verdict.status, "value", str(verdict.status))


def _mc_note(verdict) -> str:
    e = verdict.evidence
    if e is None:
        return f"{_status(verdict)}: {verdict.reason or verdict.how}"
    def short(v):
        return np.array2string(np.asarray(v, dtype=float), precision=4) if v is not None else "-"
    return (f"{e.what}: {_status(verdict)} (n = {e.n}, estimate {short(e.estimate)}, target "
            f"{short(e.target)}, delta {e.delta:g}, false-fail {e.false_fail:g}, power "
            f"{e.power if e.power is None else round(e.power, 4)})")


def replay(adapter, prop: str, config: dict) -> P.Failure | None:
    """Run property ``prop`` on one config (a report's shrunk config)."""
    check = P.CHECKS[prop]
    return check(adapter, config, []) if prop == "endpoints" else check(adapter, config)


def conform(adapter, seed: int = 0, max_examples: int = 20, properties=None,
            families=None) -> list[Row]:
    """Every family x property of an adapter."""
    rows = []
    wanted = list(adapter.properties if properties is None else properties)
    for family in families or adapter.families:
        for prop in wanted:
            if prop != "sampling":
                rows.append(search(adapter, prop, family, seed, max_examples))
    if "sampling" in wanted:
        rows.append(sampling_row(adapter, seed))
    return rows


def _family(family: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in family.items()) or "(all configs)"


def _config(config: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (config or {}).items())
