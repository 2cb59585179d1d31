"""Deciding symbolically whether an expression is identically zero on the symbols' domain.

Cheap normal forms first (cancel, together, radsimp, powsimp on a positive parametrization of the
bounded symbols), then ``simplify`` inside a time budget.  Returns True (proved zero), False (proved
non-zero: a constant non-zero value) or None (undecided).  Never hangs: the budget is enforced by
an interval timer when running on the main thread, and ``simplify`` is skipped elsewhere.
"""
from __future__ import annotations

import os
import select
import signal
import threading
from contextlib import contextmanager
from typing import Callable

import sympy as sp

from derive.symbols import TABLE, SymbolTable


class Timeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Raise Timeout in the body after ``seconds`` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield False
        return

    def _raise(signum, frame):
        raise Timeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_with_budget(func: Callable[[], bool | None], seconds: float) -> tuple[bool | None, bool]:
    """Run ``func`` in a forked child and return (its answer, finished in time).

    A child that overruns is killed, so nothing interrupts SymPy mid-operation in this process.
    Without fork (non-POSIX) the interval timer is used instead.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - POSIX machines take the other branch
        try:
            with time_limit(seconds):
                return func(), True
        except Timeout:
            return None, False
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, report one byte, exit without cleanup
        code = b"N"
        try:
            os.close(read_end)
            answer = func()
            code = {True: b"T", False: b"F"}.get(answer, b"N")
        except BaseException:  # noqa: BLE001 - the parent reads "no answer"
            code = b"N"
        finally:
            os.write(write_end, code)
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], max(seconds, 0.01))
        data = os.read(read_end, 1) if ready else b""
    finally:
        os.close(read_end)
        if not data:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    return {b"T": True, b"F": False}.get(data), bool(data)


def _split_radicals(expr: sp.Expr) -> sp.Expr:
    """Factor the base of every fractional power so SymPy splits it into positive factors."""
    def rewrite(node):
        if node.is_Pow and node.exp.is_Rational and not node.exp.is_Integer:
            return sp.Pow(sp.factor(sp.together(node.base)), node.exp)
        return node
    return expr.replace(lambda n: n.is_Pow and n.exp.is_Rational and not n.exp.is_Integer, rewrite)


def _cheap_forms(expr: sp.Expr):
    yield sp.cancel(sp.together(expr))
    yield sp.radsimp(sp.together(expr))
    yield sp.cancel(sp.together(sp.powsimp(sp.expand(_split_radicals(expr)))))
    logs = sp.expand_log(expr, force=False)
    yield sp.cancel(sp.together(sp.expand(_split_radicals(logs))))


def _is_zero_form(form: sp.Expr) -> bool | None:
    if form == 0:
        return True
    if form.is_number:
        value = form.evalf(30)
        if value.is_number and value != 0 and abs(value) > 1e-25:
            return False
    return None


def is_zero(expr: sp.Expr, table: SymbolTable = TABLE, budget: float = 2.0) -> tuple[bool | None, str]:
    """Decide expr == 0 for all admissible values. Returns (answer, how)."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True, "trivial"
    expr = table.expand_definitions(expr)
    if hasattr(expr, "doit"):
        expr = expr.doit()
    positive = expr.xreplace(table.positive_parametrization(expr.free_symbols))
    try:
        with time_limit(budget):
            for candidate in (expr, positive):
                for form in _cheap_forms(candidate):
                    answer = _is_zero_form(form)
                    if answer is not None:
                        return answer, "normal form"
    except Timeout:
        return None, f"the normal forms exceeded the {budget:g} s budget"
    except (TypeError, ValueError, NotImplementedError, RecursionError) as error:  # pragma: no cover
        return None, f"SymPy could not normalize the residual ({type(error).__name__})"
    answer, finished = run_with_budget(lambda: _is_zero_form(sp.simplify(positive)), budget)
    if answer is not None:
        return answer, "simplify"
    if not finished:
        return None, f"symbolic simplification exceeded its {budget:g} s budget"
    return None, "no normal form or simplify reduced the residual to 0"
