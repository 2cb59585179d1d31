"""Hard limits on work: run a function in a child process whose CPU time and memory are bounded.

Every piece of symbolic or numeric work whose cost depends on user input (reading a claim,
checking a step, ``simplify``, the inequality prover) runs through :func:`run_limited`.  The
child is killed when it overruns, so nothing interrupts SymPy inside this process and nothing
can hang it; the caller gets an :class:`Outcome` and turns an overrun into an ``undecided``
verdict that names the limit.

The limit is **CPU time** of the child (``ITIMER_PROF``, which counts user and system time of
that process only), not wall time: a step takes the same CPU time on an idle machine and on one
whose cores are saturated by other work, so the same input gets the same verdict under load.  A
wall-clock backstop (``WALL_FACTOR`` times the CPU limit, at least ``WALL_MIN`` seconds) only
catches a child that blocks without computing; it is never reached by computation.

The memory limit (``RLIMIT_AS``) is the child's address space at the start plus ``memory``
bytes: a claim such as ``((1000^{1000})^{1000})^{1000}`` fails with MemoryError in the child
instead of exhausting the machine.
"""
from __future__ import annotations

import gc
import math
import os
import pickle
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from diffproof.derive.decide import portable
from diffproof.derive.decide.task import (CPU, CRASH, ERROR, MEMORY, OK, in_library, library_failure,
                                limit_memory, run_task)

__all__ = ["CPU", "CRASH", "ERROR", "MEMORY", "OK", "InternalError", "LimitExceeded", "Outcome",
           "library_failure", "library_site", "run_each", "run_limited", "run_stages",
           "worker_method"]
WALL_FACTOR = 20.0
WALL_MIN = 120.0
DEFAULT_MEMORY = 4 << 30          # bytes the child may add to its address space

_FORK = hasattr(os, "fork") and hasattr(signal, "ITIMER_PROF")


class LimitExceeded(Exception):
    """Raised by :meth:`Outcome.get` when the child overran a limit or died."""

    def __init__(self, outcome: "Outcome"):
        super().__init__(outcome.describe())
        self.outcome = outcome


class InternalError(Exception):
    """The work raised an exception: a bug to report, not a verdict."""

    def __init__(self, message: str, trace: str):
        super().__init__(message)
        self.trace = trace


@dataclass(frozen=True)
class Outcome:
    """What a limited run produced: ``kind`` is ok, cpu, memory, error or crash."""

    kind: str
    value: Any = None
    cpu_seconds: float = 0.0
    message: str = ""
    trace: str = ""
    library: bool = False            # the exception was raised inside SymPy or mpmath

    @property
    def ok(self) -> bool:
        return self.kind == OK

    def describe(self) -> str:
        if self.kind == CPU and self.message:
            return f"was stopped: {self.message}"
        if self.kind == CPU:
            return f"exceeded its limit of {self.cpu_seconds:g} s of CPU time"
        if self.kind == MEMORY:
            return "exceeded its memory limit"
        if self.kind == CRASH:
            return f"the worker process died ({self.message})"
        if self.kind == ERROR:
            return f"internal error: {self.message}"
        return "finished"

    def get(self):
        """The value; raises InternalError for an exception, LimitExceeded for an overrun."""
        if self.kind == OK:
            return self.value
        if self.kind == ERROR:
            raise InternalError(self.message, self.trace)
        raise LimitExceeded(self)


def library_site(error: BaseException) -> str:
    """Where a library failure happened: the library file and line that raised, and the call in
    diffproof's own code that led there, so a bug of ours passing a bad argument is visible."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    raised = frames[-1]
    ours = next((f for f in reversed(frames) if not in_library(f.filename)), None)
    where = f"{type(error).__name__} in {_short(raised.filename)}:{raised.lineno}"
    return where + (f", called from {_short(ours.filename)}:{ours.lineno}" if ours else "")


def _short(filename: str) -> str:
    parts = filename.replace(os.sep, "/").split("/")
    for anchor in ("sympy", "mpmath", "derive", "numeric", "proofs"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
    return parts[-1]


def _worker(tasks: Sequence[Callable[[], Any]], write_end: int, cpu_seconds: float,
            memory: int | None) -> None:
    """The child: run the tasks in order, one framed result each; SIGPROF kills it on overrun."""
    try:
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        limit_memory(memory)
        for func in tasks:
            view = memoryview(run_task(func, cpu_seconds))
            while view:
                view = view[os.write(write_end, view):]
    finally:
        os._exit(0)


def run_each(tasks: Sequence[Callable[[], Any]], cpu_seconds: float,
             memory: int | None = DEFAULT_MEMORY,
             on_outcome: Callable[[int, "Outcome"], None] | None = None,
             backstop: bool = True) -> list[Outcome]:
    """Run every task under a limit of ``cpu_seconds`` each, in order, in one worker process.

    The worker keeps SymPy's caches from task to task; a task that overruns kills it, and a
    new worker (forked from this process) goes on with the next task.  ``on_outcome(i, outcome)``
    is called as each result arrives (for progress displays).  Values must be picklable.
    ``backstop=False`` drops the wall-clock backstop, for tasks that wait on limited workers of
    their own (a claim waits on its steps' workers): their waiting is not computing.
    """
    if not cpu_seconds > 0 or not math.isfinite(cpu_seconds):
        raise ValueError(f"a CPU limit must be a positive finite number of seconds, "
                         f"got {cpu_seconds!r}")
    outcomes: list[Outcome] = []
    while len(outcomes) < len(tasks):
        start = len(outcomes)
        if worker_method() == "fork":
            batch = _run_batch(tasks[start:], cpu_seconds, memory, backstop)
        else:
            batch = _run_spawned(tasks[start:], cpu_seconds, memory, backstop)
        for outcome in batch:
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(len(outcomes) - 1, outcome)
    return outcomes


def run_stages(stages: Sequence[Callable[[], Sequence[Callable[[], Any]]]], jobs: int,
               cpu_seconds: float, memory: int | None = DEFAULT_MEMORY,
               on_outcome: Callable[[int, "Outcome"], None] | None = None) -> list[list[Outcome]]:
    """Run the tasks of several stages side by side, up to ``jobs`` forked workers at a time.

    A stage is a function, called in this process, that prepares its tasks (building what they
    check); as soon as it returns, a worker forked for the stage runs its tasks in order, each
    under the limits of :func:`run_each`, while this process prepares the next stage.  The
    stages and their order are the caller's and fixed, and a stage is prepared only once the
    stage before it has its worker, so the worker of stage k is forked after stages 0..k are
    prepared, for any ``jobs``: which tasks share a worker, and the state (SymPy's caches) it
    starts from, never depend on ``jobs`` or on timing (a worker forked again after a death
    starts from a later state).  ``on_outcome(n, outcome)`` is called as the n-th
    result (from 0) arrives.  Returns each stage's outcomes in task order.  Without fork (the
    portable worker), or with ``jobs`` = 1, the stages run one after the other."""
    if not cpu_seconds > 0 or not math.isfinite(cpu_seconds):
        raise ValueError(f"a CPU limit must be a positive finite number of seconds, "
                         f"got {cpu_seconds!r}")
    results: list[list[Outcome]] = [[] for _ in stages]
    arrived = 0

    def record(outcomes: list, outcome: Outcome) -> None:
        nonlocal arrived
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(arrived, outcome)
        arrived += 1

    if jobs < 2 or worker_method() != "fork":
        for stage, outcomes in zip(stages, results):
            tasks = list(stage())
            if tasks:
                run_each(tasks, cpu_seconds, memory,
                         on_outcome=lambda _, outcome, out=outcomes: record(out, outcome))
        return results
    wall = max(WALL_MIN, WALL_FACTOR * cpu_seconds)
    running: dict[int, _StageWorker] = {}                          # read fd -> its worker
    ready: list[_StageWorker] = []                                 # prepared, not started
    following = 0                                                  # the next stage to prepare
    try:
        while following < len(stages) or ready or running:
            if ready and len(running) < jobs:
                worker = ready.pop(0)
                worker.start(cpu_seconds, memory, wall)
                running[worker.fd] = worker
                continue
            if following < len(stages) and not ready:
                tasks = list(stages[following]())                  # workers go on meanwhile
                if tasks:
                    ready.append(_StageWorker(tasks, results[following]))
                following += 1
                continue
            timeout = max(0.0, min(w.deadline for w in running.values()) - time.monotonic())
            readable, _, _ = select.select(list(running), [], [], min(timeout, 1.0))
            for fd in readable:
                worker = running[fd]
                for outcome in worker.read(cpu_seconds):
                    record(worker.outcomes, outcome)
                if worker.finished:
                    del running[fd]
                    if worker.rest:
                        ready.insert(0, _StageWorker(worker.rest, worker.outcomes))
            now = time.monotonic()
            for fd, worker in list(running.items()):
                if now >= worker.deadline:                         # blocked, not computing
                    worker.stalled = True
                    _kill(worker.pid)
                    for outcome in worker.read(cpu_seconds, closing=True):
                        record(worker.outcomes, outcome)
                    del running[fd]
                    if worker.rest:
                        ready.insert(0, _StageWorker(worker.rest, worker.outcomes))
    finally:
        for worker in running.values():
            _kill(worker.pid)
            worker.close()
    return results


class _StageWorker:
    """A forked worker running a stage's remaining tasks (see :func:`run_stages`); its outcomes
    go to ``outcomes``, the stage's list."""

    def __init__(self, tasks: list, outcomes: list):
        self.tasks, self.outcomes, self.done = tasks, outcomes, 0
        self.buffer = bytearray()
        self.stalled = self.finished = False
        self.pid = self.fd = -1
        self.deadline = self.wall = math.inf

    @property
    def rest(self) -> list:
        return self.tasks[self.done:]

    def start(self, cpu_seconds: float, memory: int | None, wall: float) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _worker(self.tasks, write_end, cpu_seconds, memory)
        gc.unfreeze()
        os.close(write_end)
        self.pid, self.fd, self.wall = pid, read_end, wall
        self.deadline = time.monotonic() + wall

    def read(self, cpu_seconds: float, closing: bool = False) -> list[Outcome]:
        """The outcomes of the frames that arrived; at EOF (or when ``closing``) the worker is
        reaped, and the task it died in gets the reason as its outcome."""
        data = b"" if closing else os.read(self.fd, 1 << 20)
        self.buffer += data
        results = []
        for kind, value, message, trace, library in _frames(self.buffer):
            results.append(Outcome(kind, value, cpu_seconds, message, trace, library))
            self.done += 1
            self.deadline = time.monotonic() + self.wall
        if data and not closing:
            return results
        self.close()
        _, status = _wait(self.pid)
        self.finished = True
        if self.done < len(self.tasks):
            results.append(_death(status, self.stalled, cpu_seconds))
            self.done += 1
        return results

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def run_limited(func: Callable[[], Any], cpu_seconds: float,
                memory: int | None = DEFAULT_MEMORY, persistent: bool = False) -> Outcome:
    """Run ``func()`` in a worker with ``cpu_seconds`` of CPU time and ``memory`` extra bytes.

    ``persistent``: in this process's persistent worker (:class:`_Server`, forked once and kept
    for the next calls, with its SymPy caches) rather than a child forked for this call alone:
    the same limits, without a fork per call (a fork of a large process costs more than most
    normal forms).  ``func`` must then be picklable (a module-level function and its
    arguments); one that is not runs in a forked child as without ``persistent``."""
    if persistent and worker_method() == "fork":
        outcome = _Server.run(func, cpu_seconds, memory)
        if outcome is not None:
            return outcome
    return run_each([func], cpu_seconds, memory)[0]


class _Server:
    """A process's persistent limited worker (see :func:`run_limited`): forked on first use,
    it reads pickled tasks from a pipe and answers each with a frame, each task under its own
    CPU limit (ITIMER_PROF kills it on overrun).  A worker whose task overran, died, failed or
    raised is discarded, and the next call forks a new one: only a worker whose every task
    finished cleanly is reused.  It exits when this process closes its pipe (or exits)."""

    _current: dict = {}                # (owner pid, memory) -> server

    def __init__(self, memory: int | None):
        sys.stdout.flush()
        sys.stderr.flush()
        task_read, self.task_write = os.pipe()
        self.result_read, result_write = os.pipe()
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.close(self.task_write)
            os.close(self.result_read)
            _serve(task_read, result_write, memory)
        gc.unfreeze()
        os.close(task_read)
        os.close(result_write)
        self.pid = pid

    @classmethod
    def run(cls, func, cpu_seconds: float, memory: int | None) -> Outcome | None:
        """The outcome of ``func()`` in the server; None when ``func`` cannot be pickled."""
        try:
            request = pickle.dumps((func, cpu_seconds), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - not picklable: the caller forks for it instead
            return None
        key = (os.getpid(), memory)
        server = cls._current.get(key)
        if server is None:
            server = cls._current[key] = cls(memory)
        try:
            view = memoryview(len(request).to_bytes(8, "little") + request)
            while view:
                view = view[os.write(server.task_write, view):]
        except OSError:                                  # the server is gone: a fresh one
            server.discard()
            server = cls._current[key] = cls(memory)
            return cls.run(func, cpu_seconds, memory)
        reader = _FrameReader(server.result_read, max(WALL_MIN, WALL_FACTOR * cpu_seconds))
        frame = next(iter(reader), None)
        if frame is not None:
            kind, value, message, trace, library = frame
            outcome = Outcome(kind, value, cpu_seconds, message, trace, library)
            if outcome.kind != OK:                       # SymPy may be left half-way: not reused
                server.discard()
            return outcome
        if reader.stalled:
            _kill(server.pid)
        server.close()
        _, status = _wait(server.pid)
        cls._current.pop(key, None)
        return _death(status, reader.stalled, cpu_seconds)

    def close(self) -> None:
        for fd in (self.task_write, self.result_read):
            try:
                os.close(fd)
            except OSError:
                pass

    def discard(self) -> None:
        self.close()
        _kill(self.pid)
        _wait(self.pid)
        for key, server in list(self._current.items()):
            if server is self:
                del self._current[key]


def _serve(task_read: int, result_write: int, memory: int | None) -> None:
    """The persistent worker's loop: a task (8 length bytes, a pickle of (func, cpu_seconds)) in,
    its frame out, until the owner closes the pipe."""
    try:
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        limit_memory(memory)
        _Server._current.clear()                       # the owner's servers are not this one's
        buffer = bytearray()
        while True:
            while len(buffer) < 8 or len(buffer) < 8 + int.from_bytes(buffer[:8], "little"):
                data = os.read(task_read, 1 << 20)
                if not data:
                    return
                buffer += data
            size = int.from_bytes(buffer[:8], "little")
            func, cpu_seconds = pickle.loads(bytes(buffer[8:8 + size]))
            del buffer[:8 + size]
            view = memoryview(run_task(func, cpu_seconds))
            while view:
                view = view[os.write(result_write, view):]
    finally:
        os._exit(0)


def _run_batch(tasks: Sequence[Callable[[], Any]], cpu_seconds: float,
               memory: int | None, backstop: bool = True) -> list[Outcome]:
    """Fork one worker for ``tasks``; return the outcomes up to and including the first death."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    gc.freeze()          # the child's collections then skip the parent's objects (fewer copied pages)
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _worker(tasks, write_end, cpu_seconds, memory)
    gc.unfreeze()
    os.close(write_end)
    reader = _FrameReader(read_end, max(WALL_MIN, WALL_FACTOR * cpu_seconds) if backstop
                          else math.inf)
    outcomes: list[Outcome] = []
    try:
        for kind, value, message, trace, library in reader:
            outcomes.append(Outcome(kind, value, cpu_seconds, message, trace, library))
    finally:
        os.close(read_end)
        if reader.stalled:
            _kill(pid)
        _, status = _wait(pid)
    if len(outcomes) < len(tasks):
        outcomes.append(_death(status, reader.stalled, cpu_seconds))
    return outcomes


def _frames(buffer: bytearray):
    """The complete length-prefixed pickles at the start of ``buffer``, unpickled, each removed
    from it as it is taken (a partial frame stays for the next read)."""
    while len(buffer) >= 8:
        size = int.from_bytes(buffer[:8], "little")
        if len(buffer) < 8 + size:
            return
        body = bytes(buffer[8:8 + size])
        del buffer[:8 + size]
        yield pickle.loads(body)


class _FrameReader:
    """Length-prefixed pickles from a pipe; stops at EOF or when no frame arrives within
    ``wall`` seconds (``stalled``)."""

    def __init__(self, fd: int, wall: float):
        self.fd, self.wall = fd, wall
        self.buffer = bytearray()
        self.stalled = self.truncated = False

    def __iter__(self):
        deadline = time.monotonic() + self.wall
        while True:
            for result in _frames(self.buffer):
                deadline = time.monotonic() + self.wall
                yield result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stalled = True
                return
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 1.0))
            if not ready:
                continue
            data = os.read(self.fd, 1 << 20)
            if not data:
                self.truncated = bool(self.buffer)
                return
            self.buffer += data


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wait(pid: int):
    while True:
        try:
            return os.waitpid(pid, 0)
        except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
            continue
        except KeyboardInterrupt:
            _kill(pid)
            os.waitpid(pid, 0)
            raise


def _death(status: int, stalled: bool, cpu_seconds: float) -> Outcome:
    """Why the worker died during a task."""
    if stalled:
        return Outcome(CPU, cpu_seconds=cpu_seconds, message=(
            f"no result within the wall-clock backstop of "
            f"{max(WALL_MIN, WALL_FACTOR * cpu_seconds):g} s (the worker was blocked, not "
            "computing)"))
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGPROF, signal.SIGXCPU):
        return Outcome(CPU, cpu_seconds=cpu_seconds)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return Outcome(MEMORY, cpu_seconds=cpu_seconds, message="killed (out of memory)")
    if os.WIFSIGNALED(status):
        return Outcome(CRASH, cpu_seconds=cpu_seconds,
                       message=f"signal {signal.Signals(os.WTERMSIG(status)).name}")
    return Outcome(CRASH, cpu_seconds=cpu_seconds, message=f"exit status {os.WEXITSTATUS(status)}")


def worker_method() -> str:
    """"fork" (POSIX: a forked child per batch, ITIMER_PROF) or "spawn" (the portable persistent
    worker of :mod:`.portable`; Windows, or forced with ``DIFFPROOF_WORKER=spawn``)."""
    forced = os.environ.get("DIFFPROOF_WORKER", "")
    if forced in ("fork", "spawn"):
        return forced if forced == "spawn" or _FORK else "spawn"
    return "fork" if _FORK else "spawn"


def _run_spawned(tasks: Sequence[Callable[[], Any]], cpu_seconds: float, memory: int | None,
                 backstop: bool = True) -> list[Outcome]:
    """The tasks in this process's persistent spawned worker; the outcomes up to and including
    the first overrun or death (the worker is then discarded and the next batch starts anew)."""
    wall = max(WALL_MIN, WALL_FACTOR * cpu_seconds) if backstop else math.inf
    outcomes: list[Outcome] = []
    for func in tasks:
        worker = portable.worker(memory)
        try:
            body, died = worker.run(func, cpu_seconds, wall)
        except KeyboardInterrupt:
            portable.discard()
            raise
        if body is not None:
            kind, value, message, trace, library = pickle.loads(body[8:])
            outcomes.append(Outcome(kind, value, cpu_seconds, message, trace, library))
            continue
        if died[0] == "unpicklable":            # the worker never saw it: keep the worker
            outcomes.append(_spawned_death(died, cpu_seconds, wall))
            continue
        portable.discard()
        outcomes.append(_spawned_death(died, cpu_seconds, wall))
        break
    return outcomes


def _spawned_death(died: tuple, cpu_seconds: float, wall: float) -> Outcome:
    why, detail = died
    if why == "unpicklable":
        return Outcome(ERROR, cpu_seconds=cpu_seconds, message=detail)
    if why == "stalled":
        return Outcome(CPU, cpu_seconds=cpu_seconds, message=(
            f"no result within the wall-clock backstop of {wall:g} s (the worker was blocked, "
            "not computing)"))
    if portable.Worker.overran(detail):
        return Outcome(CPU, cpu_seconds=cpu_seconds)
    return Outcome(CRASH, cpu_seconds=cpu_seconds, message=f"exit status {detail}")
