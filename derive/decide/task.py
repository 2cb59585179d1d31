"""One limited task as a worker runs it, shared by the fork path (:mod:`.budget`) and the portable
spawn path (:mod:`.portable`): the outcome kinds, the length-prefixed frame a result travels in,
the memory cap, and which exceptions are the mathematics library's rather than diffproof's."""
from __future__ import annotations

import os
import pickle
import signal
import traceback
from typing import Any, Callable

OK, CPU, MEMORY, ERROR, CRASH = "ok", "cpu", "memory", "error", "crash"
_LIBRARIES = (f"{os.sep}sympy{os.sep}", f"{os.sep}mpmath{os.sep}")


def frame(kind: str, value: Any = None, message: str = "", trace: str = "",
          library: bool = False) -> bytes:
    """A result as 8 length bytes and a pickle of (kind, value, message, trace, library)."""
    try:
        body = pickle.dumps((kind, value, message, trace, library),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - an unpicklable value is a bug in the caller
        body = pickle.dumps((ERROR, None, f"the result could not be sent back: {error}"[:2000],
                             "", False))
    return len(body).to_bytes(8, "little") + body


def run_task(func: Callable[[], Any], cpu_seconds: float, itimer: bool = True) -> bytes:
    """``func()`` as a frame.  ``itimer``: SIGPROF after ``cpu_seconds`` of this process's CPU
    time (the fork path; the spawn path's watchdog thread does the same where there is none)."""
    try:
        if itimer:
            signal.setitimer(signal.ITIMER_PROF, cpu_seconds)   # this process's CPU time
        try:
            value = func()
        finally:
            if itimer:
                signal.setitimer(signal.ITIMER_PROF, 0)
        return frame(OK, value)
    except MemoryError:
        return frame(MEMORY, message="MemoryError")
    except BaseException as error:  # noqa: BLE001 - everything is reported to the parent
        return frame(ERROR, None, f"{type(error).__name__}: {error}"[:2000],
                     traceback.format_exc()[-20000:], library_failure(error))


def address_space() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def limit_memory(memory: int | None) -> None:
    """Cap the address space at its current size plus ``memory`` bytes (RLIMIT_AS, where the
    platform has it)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only, and only in a worker
    except ImportError:
        return
    size = address_space()
    if memory is None or size is None:
        return
    cap = size + memory
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or cap < hard:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap if hard == resource.RLIM_INFINITY
                                                 else hard))


def library_failure(error: BaseException) -> bool:
    """True for SymPy's "cannot" errors and for any exception raised inside SymPy or mpmath
    (e.g. a TypeError deep in meijerint): the mathematics library could not do it.  An
    exception raised in diffproof's own code is a bug."""
    import sympy as sp  # noqa: PLC0415 - only when an exception is being classified

    if isinstance(error, (NotImplementedError, RecursionError, sp.PolynomialError,
                          sp.CoercionFailed)):
        return True
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and in_library(frames[-1].filename)


def in_library(filename: str) -> bool:
    return any(part in filename for part in _LIBRARIES)
