"""The package as a user installs it (issue 14): a light core without torch, a true
``requires-python``, ``--version``, a licence and type markers, one JSON shape across commands,
``--no-numeric`` that never reports numeric evidence, and CI running the README's own command."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from diffproof.proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower()


def _minimum(specifier: str | None) -> tuple[int, ...]:
    found = re.search(r">=\s*(\d+(?:\.\d+)*)", specifier or "")
    return tuple(int(p) for p in found.group(1).split(".")) if found else (0,)


def test_the_core_install_has_no_torch_and_the_extra_has_it():
    core = {_name(r) for r in PROJECT["dependencies"]}
    assert core == {"sympy", "mpmath", "numpy", "hypothesis"}
    extras = PROJECT["optional-dependencies"]
    assert {_name(r) for r in extras["torch"]} == {"torch", "matplotlib"}
    assert "diffproof[torch]" in extras["test"]
    assert not any("==" in r for group in [PROJECT["dependencies"], *extras.values()] for r in group)


def test_requires_python_is_what_the_dependencies_need():
    """The declared minimum is the highest minimum among the installed dependencies (numpy 2.4
    needs 3.11; the README said 3.10)."""
    needed = max(_minimum(metadata.metadata(_name(r)).get("Requires-Python"))
                 for group in [PROJECT["dependencies"], *PROJECT["optional-dependencies"].values()]
                 for r in group if not r.startswith("diffproof"))
    assert _minimum(PROJECT["requires-python"]) == needed[:2]
    assert f"Python ≥ {needed[0]}.{needed[1]}" in (ROOT / "README.md").read_text()


def test_the_constraints_pin_the_lower_end_of_every_range():
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    for requirement in [r for group in PROJECT["optional-dependencies"].values() for r in group
                        if not r.startswith("diffproof")] + PROJECT["dependencies"]:
        low = _minimum(requirement)
        pinned = tuple(int(p) for p in pins[_name(requirement)].split("+")[0].split("."))
        assert pinned == low + (0,) * (len(pinned) - len(low)), requirement   # the lowest exactly


def test_the_package_imports_only_its_declared_dependencies():
    """Every third-party module imported under derive/, numeric/, proofs/ and diffproof/ is a core
    dependency, or torch/matplotlib (the extra, imported only by train and sample).  SciPy was
    imported by the exact binomial test while no install declared it."""
    import ast
    allowed = {"sympy", "mpmath", "numpy", "hypothesis", "torch", "matplotlib", "diffproof",
               "diffusers",   # the extra diffproof[diffusers]: the conformance adapters only
               "pytest"}      # diffproof/pytest_plugin.py, loaded by pytest itself
    found = set()
    for top in ("derive", "numeric", "proofs", "diffproof"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
                found |= {(name.split(".")[0], path.relative_to(ROOT).as_posix()) for name in names}
    foreign = sorted((name, where) for name, where in found
                     if name not in allowed and name not in sys.stdlib_module_names)
    assert not foreign, foreign


def test_checking_never_imports_torch():
    code = ("import sys; from diffproof.proofs.cli import main; code = main(['check', 'ddpm-posterior']); "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules, code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "False False 0", done.stderr


@pytest.mark.parametrize("command", [["train", "--steps", "1"], ["sample", "-n", "10"]])
def test_train_and_sample_without_torch_say_what_to_install(monkeypatch, capsys, command):
    monkeypatch.setitem(sys.modules, "torch", None)          # import torch raises ImportError
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "pip install 'diffproof[torch]'" in err and "download.pytorch.org/whl/cpu" in err


def test_version_is_the_distribution_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"diffproof {metadata.version('diffproof')}"


def test_licence_and_type_markers_ship():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PROJECT["license-files"] == ["LICENSE"]
    assert PYPROJECT["tool"]["setuptools"]["package-data"]["*"] == ["py.typed"]
    assert all((ROOT / package / "py.typed").is_file()
               for package in ("diffproof", "derive", "numeric", "proofs"))


def test_the_installed_packages_are_the_source_folders_inside_diffproof():
    """pyproject.toml lists the packages by hand (the folders are mapped into the namespace):
    the list must name every folder with an __init__.py, and nothing else."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"diffproof": "diffproof", "diffproof.derive": "derive",
                                         "diffproof.numeric": "numeric", "diffproof.proofs": "proofs"}
    folders = {"diffproof." + ".".join(path.parent.relative_to(ROOT).parts)
               for top in ("derive", "numeric", "proofs") for path in (ROOT / top).rglob("__init__.py")}
    assert set(setuptools["packages"]) == folders | {"diffproof"}
    assert PROJECT["scripts"] == {"diffproof": "diffproof.proofs.cli:main"}


def test_nothing_but_diffproof_is_importable_at_the_top_level(tmp_path):
    """`derive` and `proofs` are other projects' names on the package index: once diffproof is
    installed, `import derive` must still fail (run outside the source tree)."""
    code = ("import importlib, diffproof.derive, diffproof.proofs.cli\n"
            "for name in ('derive', 'numeric', 'proofs'):\n"
            "    try:\n"
            "        importlib.import_module(name); print(name, 'imported')\n"
            "    except ImportError:\n"
            "        print(name, 'absent')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["derive", "absent", "numeric", "absent", "proofs", "absent"], \
        done.stdout + done.stderr


def test_python_dash_m_diffproof_is_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "diffproof", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"diffproof {metadata.version('diffproof')}"


def test_every_json_output_is_one_object_with_its_records_and_a_summary(capsys):
    shapes = {("list", "--json"): "derivations",
              ("check", "--json", "ddpm-posterior"): "derivations",
              ("claim", "--json", r"\alpha_t = 1 - \beta_t"): "claims"}
    for argv, noun in shapes.items():
        main(list(argv))
        out = json.loads(capsys.readouterr().out)
        assert set(out) == {noun, "summary"} and isinstance(out[noun], list), argv
        assert isinstance(out["summary"], dict) and out[noun], argv


def test_no_numeric_never_reports_numeric_evidence(capsys):
    """diffproof check --no-numeric ve-euler-maruyama-simulation reported holds (numeric), exit 0:
    its discretization checks are numeric and now are not run."""
    assert main(["check", "--json", "--no-numeric", "ve-euler-maruyama-simulation"]) == 1
    steps = json.loads(capsys.readouterr().out)["derivations"][0]["steps"]
    assert not any(s["status"] == "holds" and s["method"] == "numeric" for s in steps)
    assert any("--no-numeric" in (s["reason"] or "") for s in steps)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^pip install [^\n]*python -m pytest[^\n]*$", readme, re.M).group(0)
    ci = (ROOT / ".ci" / "run").read_text()
    assert command.replace("pip install -c", "pip install -q -c") in ci or command in ci


def test_ci_tests_both_ends_of_the_dependency_ranges():
    """The main job installs the lower ends (constraints.txt); .ci/newest installs the newest
    releases the ranges allow, pinning nothing but the CPU build of torch, and runs the suite."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash .ci/newest" in ci and "bash .ci/wheel-smoke" in ci
    newest = (ROOT / ".ci" / "newest").read_text()
    assert "--upgrade --upgrade-strategy eager" in newest and "grep '^torch==' constraints.txt" in newest
    assert "-c constraints.txt" not in newest and "-m pytest -n 2" in newest


def test_no_hypothesis_folder_is_left_in_the_working_directory(tmp_path):
    """The counterexample search runs Hypothesis with no example database."""
    code = "import sys; from diffproof.proofs.cli import main; sys.exit(main(sys.argv[1:]))"
    # not proved symbolically: the Hypothesis search runs (holds, numeric)
    for claim in (r"(\bar\alpha_t^3 - \frac{1}{3})^2 + (\beta_t - \frac12)^2 > 0",):
        done = subprocess.run([sys.executable, "-c", code, "claim", claim], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300,
                              env={"PYTHONPATH": str(ROOT), "PATH": ""})
        assert "holds (numeric)" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / ".hypothesis").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("claim, suggestion", [(r"\alhpa_t = 1", r"did you mean '\alpha'?"),
                                               (r"\sqtr{2} = 1", r"did you mean '\sqrt'?")])
def test_a_mistyped_macro_gets_the_closest_one_with_single_backslashes(capsys, claim, suggestion):
    assert main(["claim", claim]) == 2
    out = capsys.readouterr().out
    assert suggestion in out and "\\\\" not in out


def test_an_unknown_macro_with_no_close_match_gets_no_guess(capsys):
    assert main(["claim", r"\foo_t = 1"]) == 2
    out = capsys.readouterr().out
    assert "unknown command '\\foo'" in out and "did you mean" not in out


class _Terminal:
    """A stand-in stdout that says it is a terminal."""

    def __init__(self):
        self.parts = []

    def isatty(self):
        return True

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass


def test_verdicts_are_coloured_on_a_terminal_only_and_never_with_no_color(monkeypatch, capsys):
    claim = r"\frac{1}{\frac{99}{100} - \bar\alpha_{t-1}} \ge 0"
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    main(["claim", claim])
    shown = "".join(terminal.parts)
    assert "claim 1: \x1b[31mfails\x1b[0m" in shown and "[\x1b[31mfails\x1b[0m (" in shown
    monkeypatch.setenv("NO_COLOR", "1")
    terminal.parts.clear()
    main(["claim", claim])
    assert "\x1b[" not in "".join(terminal.parts) and "claim 1: fails" in "".join(terminal.parts)
    monkeypatch.undo()
    main(["claim", claim])                    # piped (pytest's capture): plain text
    assert "\x1b[" not in capsys.readouterr().out


def test_a_claim_cannot_colour_the_terminal(monkeypatch):
    """Colour is added after user text is escaped: an escape sequence in a claim stays visible."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    main(["claim", "x_t = \x1b[31m1"])
    shown = "".join(terminal.parts)
    assert "\\x1b[31m1" in shown and "\x1b[31m1" not in shown


def test_progress_is_drawn_on_a_terminal_and_absent_from_logs(monkeypatch, tmp_path, capsys):
    notes = tmp_path / "notes.tex"
    notes.write_text("$$ \\alpha_t = 1 - \\beta_t $$\n$$ \\bar\\alpha_t \\le \\bar\\alpha_{t-1} $$\n")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["claim", "--file", str(notes)]) == 0
    assert "".join(terminal.parts).endswith("\rchecking claim 2/2\n")
    monkeypatch.undo()
    assert main(["claim", "--file", str(notes)]) == 0      # piped: results only
    captured = capsys.readouterr()
    assert "\r" not in captured.out + captured.err and "checking claim" not in captured.err
