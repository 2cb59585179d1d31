"""The portable worker of :mod:`derive.decide.budget`, for machines without ``fork`` and
``ITIMER_PROF`` (Windows), and forced on any machine with ``DIFFPROOF_WORKER=spawn`` (one CI test
does, so the path stays working).

One persistent worker process per parent, started with the ``spawn`` method: the parent sends it
each task pickled, the worker runs it and sends back the same length-prefixed frame as the fork
path.  The limit is still the worker's **CPU time**: a watchdog thread in the worker reads
``time.process_time()`` (CPU time of that process, not wall time) and ends the process with
exit status :data:`CPU_EXIT` when a task overruns; the parent then starts a new worker for the
next task; where the platform has ``ITIMER_PROF`` (POSIX) the worker also arms it, as the fork
path does, so a task stuck in one long C call (which holds the GIL, so the watchdog cannot run)
is stopped too.  On Windows such a call is stopped by the parent's wall-clock backstop
(``WALL_FACTOR`` times the limit), which otherwise only catches a worker that blocks without
computing.  The memory limit (``RLIMIT_AS``) is applied where the platform has it.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import signal
import threading
import time
from typing import Any, Callable

from diffproof.derive.decide.task import limit_memory, run_task

CPU_EXIT = 86                  # the worker's exit status when the watchdog ends it
# where the platform has a CPU-time timer (POSIX), SIGPROF also stops a task stuck in one long C
# call, which holds the GIL and so keeps the watchdog thread from running
_ITIMER = hasattr(signal, "ITIMER_PROF")
_CPU_SIGNALS = {-getattr(signal, name) for name in ("SIGPROF", "SIGXCPU") if hasattr(signal, name)}
_TICK = 0.02                   # seconds between the watchdog's readings of the CPU clock


def _watchdog(deadline: list) -> None:
    while True:
        limit = deadline[0]
        if limit is not None and time.process_time() > limit:
            os._exit(CPU_EXIT)
        time.sleep(_TICK)


def serve(conn, memory: int | None) -> None:
    """The worker: tasks in, frames out, until the parent closes the pipe."""
    try:
        limit_memory(memory)
    except (OSError, ValueError):
        pass                                   # RLIMIT_AS not enforceable here
    deadline: list = [None]
    threading.Thread(target=_watchdog, args=(deadline,), daemon=True).start()
    while True:
        try:
            body = conn.recv_bytes()
        except (EOFError, OSError):
            return
        func, cpu_seconds = pickle.loads(body)
        deadline[0] = time.process_time() + cpu_seconds
        try:
            frame = run_task(func, cpu_seconds, itimer=_ITIMER)
        finally:
            deadline[0] = None
        conn.send_bytes(frame)


class Worker:
    """A spawned worker process kept for the next task while it lives."""

    def __init__(self, memory: int | None):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.memory = memory
        self.process = context.Process(target=serve, args=(child, memory))
        self.process.start()
        child.close()
        # registered after multiprocessing's own exit handler (imported by start() at the
        # latest), so it runs first: that handler joins live children, and this worker only
        # ends when told to
        if not _EXIT_HOOK:
            _EXIT_HOOK.append(atexit.register(discard))

    def run(self, func: Callable[[], Any], cpu_seconds: float, wall: float):
        """(frame bytes or None, why the worker died or None)."""
        try:
            payload = pickle.dumps((func, cpu_seconds), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - an unpicklable task is a bug in the caller
            return None, ("unpicklable", f"the task cannot be sent to a worker: {error}")
        self.conn.send_bytes(payload)
        deadline = time.monotonic() + wall
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                return None, ("stalled", "")
            try:
                if self.conn.poll(min(remaining, 1.0)):
                    return self.conn.recv_bytes(), None
            except (EOFError, OSError):
                pass
            if not self.process.is_alive():
                self.process.join()
                return None, ("exit", self.process.exitcode)

    @staticmethod
    def overran(exitcode) -> bool:
        """Whether a worker's exit status is the CPU limit (watchdog or SIGPROF)."""
        return exitcode == CPU_EXIT or exitcode in _CPU_SIGNALS

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


_EXIT_HOOK: list = []
_WORKERS: dict[int, Worker] = {}      # one per parent process (keyed by pid: a fork gets its own)


def worker(memory: int | None) -> Worker:
    """This process's worker, started (again) when there is none or it died."""
    current = _WORKERS.get(os.getpid())
    if current is None or not current.alive() or current.memory != memory:
        if current is not None:
            current.stop()
        current = _WORKERS[os.getpid()] = Worker(memory)
    return current


def discard() -> None:
    """Stop this process's worker (after an overrun, or at exit)."""
    current = _WORKERS.pop(os.getpid(), None)
    if current is not None:
        current.stop()

