"""Atomic output files: a reader of PATH sees the old file or the complete new one, never a part.

``atomic_open(path)`` yields a handle on a temporary file in PATH's directory; on a clean exit the
data are flushed and fsynced and the file is renamed onto PATH (os.replace); on any failure the
temporary file is removed and an OSError becomes an ``OutputError`` ("cannot write PATH: No space
left on device").  ``check_writable(path)`` validates an output path before any work is done.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
from typing import IO, Callable, Iterator


class OutputError(OSError):
    """An output file could not be written; str() is 'cannot write PATH: REASON'."""

    def __init__(self, path: str, reason: str, code: int | None = None):
        super().__init__(code, reason, path)
        self.path, self.reason = path, reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"

    @classmethod
    def wrap(cls, path: str, error: OSError) -> "OutputError":
        if isinstance(error, cls):
            return error
        return cls(path, error.strerror or str(error), error.errno)


def _target(path) -> tuple[str, str]:
    """(path, its directory); OutputError when path names a directory or a special file."""
    path = os.fspath(path)
    if not path or path.endswith((os.sep, "/")) or os.path.isdir(path):
        raise OutputError(path, "is a directory, not a file path", errno.EISDIR)
    if os.path.exists(path) and not os.path.isfile(path):  # never replace a device or a FIFO
        raise OutputError(path, "exists and is not a regular file", errno.EEXIST)
    return path, os.path.dirname(os.path.abspath(path))


def _create_temp(path: str, directory: str, make_dirs: bool = True) -> tuple[int, str]:
    """A new file PATH.tmp-PID-RANDOM in directory, opened for writing (mode 0666 & ~umask);
    OutputError naming the directory when it cannot be created."""
    name = f"{os.path.basename(path)}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp = os.path.join(directory, name)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise OutputError(path, f"{directory} is not a directory", errno.ENOTDIR)
    try:
        if make_dirs:
            os.makedirs(directory, exist_ok=True)
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
    except OSError as error:
        reason = f"{error.strerror or error} (cannot create a file in {directory})"
        raise OutputError(path, reason, error.errno) from None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def check_writable(path, make_dirs: bool = True) -> None:
    """Raise OutputError unless a file can be created at path: not a directory, and a probe file
    can be created in its directory (created first when make_dirs; else it must exist)."""
    path, directory = _target(path)
    fd, tmp = _create_temp(path, directory, make_dirs)
    os.close(fd)
    _remove(tmp)


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """A handle whose contents replace path atomically when the block ends without error."""
    if not mode.startswith("w"):
        raise ValueError(f"atomic_open writes a new file: mode must start with 'w', got {mode!r}")
    path, directory = _target(path)
    if encoding is None and "b" not in mode:
        encoding = "utf-8"
    fd, tmp = _create_temp(path, directory)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        _remove(tmp)
        raise OutputError.wrap(path, error) from error
    except BaseException:
        _remove(tmp)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path, writer: Callable[[IO], object], mode: str = "wb",
                 encoding: str | None = None) -> None:
    """writer(handle) fills the new contents of path, which replace the old ones atomically."""
    with atomic_open(path, mode, encoding) as handle:
        writer(handle)


def atomic_write_text(path, text: str) -> None:
    """path gets exactly text (UTF-8), atomically."""
    atomic_write(path, lambda handle: handle.write(text), "w")
