"""The fuzz generators of benchmarks/bench_fuzz.py at CI size, with fixed seeds.

Grammar claims and mutated corpus claims (token edits, random bytes, control characters, Unicode
look-alikes, Python payloads that would create a marker file, huge numbers, deep nesting, very long
inputs) are read by the pipeline in limited workers, a few are checked in full, and a sample goes
through the command line.  Nothing may crash (an exception other than the documented parse
errors, an internal error, a worker that dies), run as code (a marker file in the sentinel
directory), or print a traceback or a raw control character.  The full run is
``python benchmarks/bench_fuzz.py`` (10^5 inputs).
"""
from __future__ import annotations

import importlib.util
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from diffproof.proofs.checker import Options
from diffproof.proofs.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_fuzz", ROOT / "benchmarks" / "bench_fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_fuzz"] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = sys.modules.get("bench_fuzz") or _load_bench()
CHECK = Options(max_examples=5, limit=10, budget=1)
NEVER = 10 ** 9                                  # check_every that checks nothing


@pytest.fixture
def sentinel(tmp_path):
    directory = tmp_path / "sentinel"
    directory.mkdir()
    yield str(directory)
    assert not any(directory.iterdir()), "an input ran as code (a marker file was created)"


def _no_failures(report):
    crashes = [(c["tier"], c["index"], c["generator"], c["message"], c["trace"][-1500:])
               for c in report.crashes]
    assert not crashes, crashes
    assert not report.executions, report.executions


def test_generators_are_seeded_and_cover_every_mutation(tmp_path):
    first = [bench.make_input(5, i, str(tmp_path)) for i in range(400)]
    again = [bench.make_input(5, i, str(tmp_path)) for i in range(400)]
    assert first == again
    assert first != [bench.make_input(6, i, str(tmp_path)) for i in range(400)]
    names = {how.removeprefix("assume:") for item in first if item.generator.startswith("mutated:")
             for how in item.generator.split(":", 1)[1].split("+")}
    assert names == {"delete", "duplicate", "swap", "bytes", "control", "lookalike", "python",
                     "huge", "nest", "long", "truncate", "fragment", "splice", "unicode"}
    assert {item.kind for item in first} == {"claim", "tex", "md"}
    assert any(item.generator == "grammar" for item in first)
    assert any(str(tmp_path) in item.text or any(str(tmp_path) in a for a in item.assume)
               for item in first)   # payloads aimed at the sentinel directory


@pytest.mark.parametrize("seed", [1, 2])
def test_read_tier_never_crashes(sentinel, seed):
    """150 inputs a seed, each read (document, assumptions, schedule, every line) in a worker
    under 2 CPU s; parse errors and limit hits are allowed, nothing else."""
    report = bench.run_chunk(list(range(150)), seed=seed, sentinel=sentinel, check_every=NEVER,
                             read_limit=2.0, options=CHECK, keep=50)
    _no_failures(report)
    assert report.read == 150
    assert report.read_outcomes["ok"] >= 140          # a few may hit the limit, not more
    assert report.steps > 0 and report.read_found     # some inputs parse, some are refused


def test_check_tier_never_reports_an_internal_error(sentinel):
    """Ten inputs checked in full (check_text, then the terminal and JSON reports)."""
    report = bench.run_chunk(list(range(30)), seed=7, sentinel=sentinel, check_every=3,
                             read_limit=2.0, options=CHECK, keep=50)
    _no_failures(report)
    assert report.checked == 10
    assert report.check_statuses["error"] == 0
    assert set(report.check_statuses) - {"unparsable"}, report.check_statuses  # some verdicts


def _printable(text: str) -> bool:
    return all(ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
               for ch in text)


def _argv(item, tmp_path) -> list[str]:
    options = ["claim", "--limit", "5", "--budget", "0.5"]
    options += [f"--assume={line}" for line in item.assume]
    if item.kind == "claim":
        return options + ["--", item.text]
    path = tmp_path / f"input{item.index}.{item.kind}"
    path.write_text(item.text, encoding="utf-8", errors="surrogateescape")
    return options + ["--file", str(path)]


def test_command_never_prints_a_traceback(capsys, sentinel, tmp_path):
    """Mutated inputs through ``diffproof claim`` (argument or --file): exit 0, 1 or 2, no
    traceback, no raw control character on the terminal."""
    items = [item for item in (bench.make_input(3, i, sentinel) for i in range(60))
             if item.generator.startswith("mutated:")][:12]
    assert len(items) == 12
    for item in items:
        code = main(_argv(item, tmp_path))
        out, err = capsys.readouterr()
        assert code in (0, 1, 2), (item.index, item.generator, code, err)
        assert "Traceback" not in out + err, (item.index, err)
        assert _printable(out) and _printable(err), (item.index, item.generator)


def test_driver_writes_a_replayable_failures_file(tmp_path, capsys):
    out = tmp_path / "failures.json"
    code = bench.main(["--count", "20", "--check-every", "1000", "--seed", "4", "--out", str(out),
                       "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "20 inputs" in text and "inputs per CPU-second" in text
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["crashes"] == [] and data["executions"] == [] and data["seed"] == 4
    assert not list(tmp_path.glob("*.tmp*"))           # written atomically, nothing left over
    assert bench.replay(str(out), 2.0, CHECK) == 0
