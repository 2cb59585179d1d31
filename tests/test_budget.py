"""derive.decide.budget: hard CPU-time and memory limits on work, in a worker process.

No test here depends on wall-clock time: the limits are CPU time of the worker, so the outcomes
are the same with both cores saturated by other processes.
"""
from __future__ import annotations

import os

import pytest
import sympy as sp

from diffproof.derive.decide.budget import (CPU, ERROR, MEMORY, OK, InternalError, LimitExceeded, run_each,
                                  run_limited, run_stages)


def spin():
    while True:
        pass


def test_a_value_comes_back():
    outcome = run_limited(lambda: sp.Rational(1, 3) + 1, 5)
    assert outcome.kind == OK and outcome.value == sp.Rational(4, 3) and outcome.get() == sp.Rational(4, 3)


def test_an_overrun_is_killed_and_named():
    outcome = run_limited(spin, 0.2)
    assert outcome.kind == CPU and "0.2 s of CPU time" in outcome.describe()
    with pytest.raises(LimitExceeded):
        outcome.get()


def test_an_exception_is_an_internal_error_with_its_traceback():
    outcome = run_limited(lambda: 1 / 0, 5)
    assert outcome.kind == ERROR and outcome.message.startswith("ZeroDivisionError")
    assert "ZeroDivisionError" in outcome.trace
    with pytest.raises(InternalError):
        outcome.get()


def test_memory_is_bounded_before_the_machine_runs_out():
    assert run_limited(lambda: bytearray(64 << 30), 5, memory=1 << 30).kind == MEMORY


def test_huge_integer_arithmetic_is_stopped():
    assert run_limited(lambda: sp.Integer(1000) ** (1000 ** 1000), 0.5).kind in (CPU, MEMORY)


def test_the_batch_goes_on_after_a_death_and_keeps_order():
    tasks = [lambda: 1, spin, lambda: 1 / 0, lambda: 4, spin, lambda: 6]
    seen = []
    outcomes = run_each(tasks, 0.2, on_outcome=lambda i, o: seen.append(i))
    assert [o.kind for o in outcomes] == [OK, CPU, ERROR, OK, CPU, OK]
    assert [o.value for o in outcomes if o.kind == OK] == [1, 4, 6]
    assert seen == list(range(6))


def test_the_worker_never_changes_this_process():
    state = {"n": 0}

    def bump():
        state["n"] += 1
        return os.getpid()

    pid = run_limited(bump, 5).value
    assert pid != os.getpid() and state["n"] == 0


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_a_limit_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError):
        run_limited(lambda: 1, bad)


def test_the_wall_clock_backstop_stops_a_blocked_worker_unless_it_waits_on_others(monkeypatch):
    """A worker that blocks without computing is stopped by the backstop (named as such); a task
    that waits on limited workers of its own (a claim on its steps) runs with backstop=False."""
    import time

    import diffproof.derive.decide.budget as budget

    monkeypatch.setattr(budget, "WALL_MIN", 0.3)
    monkeypatch.setattr(budget, "WALL_FACTOR", 1.0)
    blocked = run_each([lambda: time.sleep(3)], 0.1)[0]
    assert blocked.kind == CPU and "wall-clock backstop" in blocked.describe()
    assert run_each([lambda: time.sleep(1) or 5], 0.1, backstop=False)[0].value == 5


def test_exceptions_raised_inside_sympy_are_marked_as_library_failures():
    inside = run_limited(lambda: sp.Symbol("x") < sp.I, 5)        # TypeError raised in SymPy
    ours = run_limited(lambda: {}["missing"], 5)
    assert inside.kind == ERROR and inside.library
    assert ours.kind == ERROR and not ours.library


def test_a_library_failure_names_the_library_line_and_our_call_site():
    from diffproof.derive.decide.budget import library_site

    def compare():
        return sp.Symbol("x") < sp.I          # raises TypeError inside sympy/core

    try:
        compare()
    except TypeError as error:
        site = library_site(error)
    assert site.startswith("TypeError in sympy/core/") and "called from" in site
    assert "test_budget.py" in site


def _stage(tasks, prepared):
    def prepare():
        prepared.append(os.getpid())            # stages are prepared in this process
        return tasks
    return prepare


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_stages_run_side_by_side_with_the_limits_of_one_worker(jobs):
    """run_stages: each stage's outcomes in task order, an overrun or an exception ends only its
    task (the stage's worker is forked again for the rest), and each result is reported once."""
    prepared, seen = [], []
    stages = [_stage([lambda: 1, spin, lambda: 3], prepared), _stage([], prepared),
              _stage([lambda: 1 / 0, lambda: 5], prepared), _stage([spin, spin, lambda: 8], prepared)]
    results = run_stages(stages, jobs, 0.2, on_outcome=lambda n, o: seen.append(n))
    assert [[o.kind for o in stage] for stage in results] == [[OK, CPU, OK], [], [ERROR, OK],
                                                              [CPU, CPU, OK]]
    assert [o.value for stage in results for o in stage if o.kind == OK] == [1, 3, 5, 8]
    assert prepared == [os.getpid()] * 4 and seen == list(range(8))


def test_stages_never_change_this_process_and_need_a_positive_limit():
    state = {"n": 0}

    def bump():
        state["n"] += 1
        return os.getpid()

    results = run_stages([lambda: [bump], lambda: [bump]], 2, 5)
    assert {r[0].value for r in results} - {os.getpid()} and state["n"] == 0
    with pytest.raises(ValueError):
        run_stages([lambda: [bump]], 2, float("inf"))


def _pid():
    return os.getpid()


def _spin_forever():
    while True:
        pass


def _fail():
    raise ZeroDivisionError("in the server")


def test_the_persistent_worker_is_reused_only_while_every_task_finishes_cleanly():
    """run_limited(persistent=True): one forked server answers call after call (no fork each);
    an overrun kills it and an exception retires it, and the next call gets a new one; a task
    that cannot be pickled runs in a child forked for it."""
    first = run_limited(_pid, 5, persistent=True)
    again = run_limited(_pid, 5, persistent=True)
    assert first.kind == OK and first.value == again.value != os.getpid()
    overrun = run_limited(_spin_forever, 0.2, persistent=True)
    assert overrun.kind == CPU and "0.2 s of CPU time" in overrun.describe()
    fresh = run_limited(_pid, 5, persistent=True).value
    assert fresh not in (first.value, os.getpid())
    failed = run_limited(_fail, 5, persistent=True)
    assert failed.kind == ERROR and failed.message.startswith("ZeroDivisionError")
    assert run_limited(_pid, 5, persistent=True).value not in (fresh, os.getpid())
    state = {"n": 0}
    unpicklable = run_limited(lambda: state.update(n=1) or os.getpid(), 5, persistent=True)
    assert unpicklable.kind == OK and unpicklable.value != os.getpid() and state["n"] == 0


def test_the_zero_test_gives_the_same_answers_in_the_persistent_worker():
    from diffproof.derive.decide.zero import is_zero

    x = sp.Symbol("x", positive=True)
    assert is_zero(sp.sqrt(x ** 2) - x)[0] is True
    assert is_zero((x + 1) ** 2 - x ** 2 - 2 * x - 1)[0] is True
    assert is_zero(sp.Integer(3) / 7 - sp.Rational(2, 5))[0] is False
    assert is_zero(sp.sin(x) - x)[0] is None
