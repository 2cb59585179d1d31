"""Atomic outputs (numeric/files.py) and the commands that use them: on a full disk, a read-only
directory or a writer error, no partial file is left under the requested name, no temporary file
is left beside it, the old contents survive, and the CLI exits 2 with "cannot write PATH: ...".

Tests run as root, where chmod does not make a directory read-only: a read-only file system is
simulated by an os.open that refuses to create files in one directory (EROFS), a full disk by an
os.fsync or a writer raising ENOSPC, and a directory where nothing can be created by /proc.
"""
from __future__ import annotations

import errno
import os
import stat

import pytest
import torch

from diffproof.numeric import files
from diffproof.numeric.files import OutputError, atomic_open, atomic_write, atomic_write_text, check_writable
from diffproof.proofs.cli import main
from tests.test_torch_cli import TINY

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

NO_SPACE = "No space left on device"


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if ".tmp-" in name)


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def read_only(monkeypatch):
    """Make os.open refuse to create files in the directories added to the returned set."""
    folders: set[str] = set()
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        folder = os.path.dirname(os.path.abspath(os.fspath(path)))
        if flags & os.O_CREAT and folder in folders:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", fake_open)
    return folders


def test_a_clean_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first")
    atomic_write(target, lambda handle: handle.write(b"second"))
    assert target.read_bytes() == b"second" and leftovers(target.parent) == []
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@pytest.mark.parametrize("failure", ["writer", "fsync", "replace", "interrupt"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, failure):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def writer(handle):
        handle.write(b"partial new contents")
        if failure == "writer":
            full_disk()
        if failure == "interrupt":
            raise KeyboardInterrupt
    if failure == "fsync":
        monkeypatch.setattr(os, "fsync", full_disk)
    if failure == "replace":
        monkeypatch.setattr(os, "replace", full_disk)
    expected = KeyboardInterrupt if failure == "interrupt" else OutputError
    with pytest.raises(expected) as info:
        atomic_write(target, writer)
    if expected is OutputError:
        assert str(info.value) == f"cannot write {target}: {NO_SPACE}"
        assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_no_file_appears_when_the_first_write_fails(tmp_path):
    with pytest.raises(OutputError):
        with atomic_open(tmp_path / "new.txt", "w") as handle:
            handle.write("half")
            full_disk()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("path,reason", [
    ("{tmp}/", "is a directory"), ("{tmp}", "is a directory"),
    ("/proc/m.pt", "cannot create a file in /proc"), ("/dev/null", "not a regular file"),
    ("{tmp}/file.txt/x.pt", "file.txt is not a directory"),
    ("{tmp}/file.txt/sub/x.pt", "Not a directory"),
])
def test_unwritable_paths_are_refused_before_any_work(tmp_path, path, reason):
    (tmp_path / "file.txt").write_text("a file, not a directory")
    path = path.format(tmp=tmp_path)
    with pytest.raises(OutputError, match=reason):
        check_writable(path)
    with pytest.raises(OutputError, match=reason):
        atomic_write_text(path, "never written")
    assert leftovers(tmp_path) == []


def test_a_read_only_directory_is_refused(tmp_path, read_only):
    read_only.add(str(tmp_path))
    with pytest.raises(OutputError, match="Read-only file system"):
        check_writable(tmp_path / "x.pt")
    assert os.listdir(tmp_path) == []


def test_atomic_open_refuses_append_mode(tmp_path):
    with pytest.raises(ValueError):
        with atomic_open(tmp_path / "log.csv", "a"):
            pass


# --- the commands ---------------------------------------------------------------------------
def test_train_on_a_full_disk_exits_2_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run" / "model.pt"
    monkeypatch.setattr(os, "fsync", full_disk)
    assert main(["train", "--out", str(out)] + TINY) == 2
    assert f"cannot write {out}: {NO_SPACE}" in capsys.readouterr().err
    assert os.listdir(out.parent) == []


def test_train_and_sample_refuse_a_read_only_directory(tmp_path, read_only, capsys):
    read_only.add(str(tmp_path / "ro"))
    os.makedirs(tmp_path / "ro")
    assert main(["train", "--out", str(tmp_path / "ro" / "m.pt")] + TINY) == 2
    assert "cannot write" in capsys.readouterr().err and os.listdir(tmp_path / "ro") == []
    checkpoint = str(tmp_path / "m.pt")
    assert main(["train", "--out", checkpoint] + TINY) == 0
    capsys.readouterr()
    assert main(["sample", "--checkpoint", checkpoint, "-n", "100", "--steps", "2",
                 "--png", str(tmp_path / "ro" / "fig.png"), "--threads", "1"]) == 2
    assert "Read-only file system" in capsys.readouterr().err


def test_sample_on_a_full_disk_keeps_the_old_png(tmp_path, monkeypatch, capsys):
    checkpoint = str(tmp_path / "m.pt")
    assert main(["train", "--out", checkpoint] + TINY) == 0
    png = tmp_path / "fig.png"
    png.write_bytes(b"old figure")
    monkeypatch.setattr(os, "fsync", full_disk)
    capsys.readouterr()
    assert main(["sample", "--checkpoint", checkpoint, "-n", "100", "--steps", "2", "--png",
                 str(png), "--threads", "1"]) == 2
    assert f"cannot write {png}: {NO_SPACE}" in capsys.readouterr().err
    assert png.read_bytes() == b"old figure" and leftovers(tmp_path) == []


@pytest.fixture
def quick_build(monkeypatch):
    """The latex command with a fixed two-line document instead of the checked catalog."""
    text = "\\documentclass{article}\\begin{document}x\\end{document}\n"
    monkeypatch.setattr("diffproof.proofs.commands.latex.build", lambda *args, **kwargs: text)
    return text


@pytest.mark.parametrize("suffix,flags", [(".tex", []), (".md", ["--markdown"])])
def test_latex_output_on_a_full_disk(tmp_path, monkeypatch, capsys, quick_build, suffix, flags):
    out = tmp_path / f"doc{suffix}"
    assert main(["latex", "-o", str(out)] + flags) == 0 and out.read_text() == quick_build
    out.write_text("old")
    monkeypatch.setattr(os, "fsync", full_disk)
    assert main(["latex", "-o", str(out)] + flags) == 2
    assert f"cannot write {out}: {NO_SPACE}" in capsys.readouterr().err
    assert out.read_text() == "old" and leftovers(tmp_path) == []
    assert main(["latex", "-o", str(tmp_path) + "/"] + flags) == 2


FAKE_PDFLATEX = """#!/bin/sh
echo "$@" >> "{record}"
case " $* " in *" -no-shell-escape "*) ;; *) exit 3 ;; esac
printf '%%PDF-1.5 fake' > document.pdf
echo "no errors" > document.log
"""


@pytest.fixture
def fake_pdflatex(tmp_path, monkeypatch):
    """A pdflatex on PATH that records its arguments and writes a tiny 'PDF'."""
    bin_dir, record = tmp_path / "bin", tmp_path / "pdflatex-args"
    bin_dir.mkdir()
    script = bin_dir / "pdflatex"
    script.write_text(FAKE_PDFLATEX.format(record=record))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_pdf_is_compiled_without_shell_escape_and_moved_atomically(
        tmp_path, monkeypatch, capsys, quick_build, fake_pdflatex):
    out = tmp_path / "doc.pdf"
    assert main(["latex", "--pdf", "-o", str(out)]) == 0
    assert out.read_bytes() == b"%PDF-1.5 fake" and (tmp_path / "doc.tex").read_text() == quick_build
    runs = fake_pdflatex.read_text().splitlines()
    assert len(runs) == 2
    for run in runs:
        flags = run.split()
        assert {"-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"} <= set(flags)
        assert not {"-shell-escape", "--shell-escape", "-enable-write18"} & set(flags)
    real_replace = os.replace

    def replace(src, dst):  # the .tex goes through; the PDF finds the disk full
        if str(dst).endswith(".pdf"):
            full_disk()
        real_replace(src, dst)
    out.write_bytes(b"old pdf")
    monkeypatch.setattr(os, "replace", replace)
    assert main(["latex", "--pdf", "-o", str(out)]) == 2
    assert f"cannot write {out}: {NO_SPACE}" in capsys.readouterr().err
    assert out.read_bytes() == b"old pdf" and leftovers(tmp_path) == []


def test_a_checkpoint_write_error_is_an_output_error(tmp_path, monkeypatch):
    """train's checkpoint goes through atomic_write: a torch.save failure leaves nothing."""
    from diffproof.numeric.torchdiff.train import save_atomic

    def broken_save(state, handle):
        handle.write(b"half a checkpoint")
        full_disk()
    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OutputError, match=NO_SPACE):
        save_atomic({"a": 1}, str(tmp_path / "m.pt"))
    assert os.listdir(tmp_path) == []
    assert files.OutputError.wrap("p", OSError(errno.ENOSPC, NO_SPACE)).path == "p"
