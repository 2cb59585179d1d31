"""The command line: exit codes, the table, the JSON schema, user files."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from diffproof.proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "my_derivation.py")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_derivation_with_its_source(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "vdm-posterior" in out and "Luo 2022 Eq. 71-84" in out


def test_check_named_derivations_exit_0_and_json_schema(capsys):
    code, out, _ = run(capsys, "check", "vdm-posterior", "gaussian-kl", "--json")
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"derivations", "summary"}
    assert set(report["summary"]) == {"derivations", "steps", "holds", "fails", "undecided", "seconds"}
    first = report["derivations"][0]
    assert {"id", "title", "sources", "status", "steps"} <= set(first)
    assert {"index", "status", "method", "latex", "justification", "counterexample",
            "seconds"} <= set(first["steps"][0])
    assert report["summary"]["holds"] == report["summary"]["steps"] > 0
    assert all(s["status"] == "holds" for d in report["derivations"] for s in d["steps"])


def test_user_file_with_a_wrong_step_exits_1_with_counterexample(capsys):
    code, out, _ = run(capsys, "check", EXAMPLE, "--json")
    assert code == 1
    report = json.loads(out)
    status = {d["id"]: d["status"] for d in report["derivations"]}
    assert status == {"my-posterior-variance": "holds", "my-slip": "fails"}
    failing = report["derivations"][1]["steps"][0]
    example = failing["counterexample"]
    assert example["lhs"] != example["rhs"] and {"alpha_t", "abar_tm1"} <= set(example)


def test_table_shows_the_failing_step_and_its_counterexample(capsys):
    code, out, _ = run(capsys, "check", EXAMPLE)
    assert code == 1
    assert "step 1 [FAIL]" in out and "counterexample: abar_tm1 = 1/2, alpha_t = 1/2" in out


@pytest.mark.parametrize("argv,message", [
    (["check", "no-such-id"], "unknown derivation id"),
    (["check", "missing/file.py"], "no such file"),
])
def test_usage_errors_exit_2_with_a_message(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err


def test_bad_option_exits_2(capsys):
    assert main(["check", "--seed", "not-a-number"]) == 2
    assert "argument --seed: expected a whole number" in capsys.readouterr().err


def test_user_file_with_bad_derivations_or_sys_exit_is_a_usage_error(tmp_path, capsys):
    """DERIVATIONS = 5 is named, not a traceback; a file calling sys.exit does not set our exit."""
    bad = tmp_path / "bad.py"
    bad.write_text("DERIVATIONS = 5\n")
    assert main(["check", str(bad)]) == 2
    assert "DERIVATIONS must be a list of Derivation objects, got int" in capsys.readouterr().err
    leaving = tmp_path / "leaving.py"
    leaving.write_text("import sys\nsys.exit(0)\n")
    assert main(["check", str(leaving)]) == 2
    assert "called sys.exit(0)" in capsys.readouterr().err


def test_user_file_that_raises_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    code, _, err = run(capsys, "check", str(bad))
    assert code == 2 and "RuntimeError" in err and "Traceback" not in err


def test_numeric_evidence_is_labelled_and_disabled_by_no_numeric(tmp_path, capsys):
    # cos(pi/7) + cos(3pi/7) + cos(5pi/7) = 1/2: true, but beyond SymPy's simplify
    user = tmp_path / "trig.py"
    user.write_text(textwrap.dedent("""
        import sympy as sp
        from diffproof.derive import Derivation, Step
        DERIVATIONS = [Derivation("trig", "a true identity SymPy cannot simplify",
            start=sp.cos(sp.pi/7) + sp.cos(3*sp.pi/7) + sp.cos(5*sp.pi/7),
            steps=[Step(sp.Rational(1, 2), "a classical identity")])]
    """))
    code, out, _ = run(capsys, "check", str(user), "--json", "--budget", "0.5")
    step = json.loads(out)["derivations"][0]["steps"][0]
    assert code == 0 and step["status"] == "holds" and step["method"] == "numeric"
    assert "evidence, not proof" in step["reason"]
    code, out, _ = run(capsys, "check", str(user), "--json", "--budget", "0.5", "--no-numeric")
    step = json.loads(out)["derivations"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided" and step["reason"]


def test_python_dash_m_proofs_runs():
    done = subprocess.run([sys.executable, "-m", "diffproof", "check", "ddpm-posterior"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ddpm-posterior" in done.stdout and "2/2" in done.stdout


def test_an_unevaluable_step_is_undecided_not_numerically_held(tmp_path, capsys):
    user = tmp_path / "opaque.py"
    user.write_text(textwrap.dedent("""
        import sympy as sp
        from diffproof.derive import Derivation, Step
        from diffproof.derive.symbols import x
        p = sp.Function("p")
        DERIVATIONS = [Derivation("opaque", "an undefined function cannot be evaluated",
            start=p(x), steps=[Step(p(x) + 0 * x + sp.Integer(0) + p(x) - p(x), "same")])]
    """))
    code, out, _ = run(capsys, "check", str(user), "--json")
    step = json.loads(out)["derivations"][0]["steps"][0]
    assert step["status"] == "holds" and step["method"] == "symbolic"
    user.write_text(textwrap.dedent("""
        import sympy as sp
        from diffproof.derive import Derivation, Step
        from diffproof.derive.symbols import x
        p, q = sp.Function("p"), sp.Function("q")
        DERIVATIONS = [Derivation("opaque", "an undefined function cannot be evaluated",
            start=p(x), steps=[Step(q(x), "unknown")])]
    """))
    code, out, _ = run(capsys, "check", str(user), "--json")
    step = json.loads(out)["derivations"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided" and "could not be evaluated" in step["reason"]


@pytest.mark.parametrize("argv,message", [
    (["check", "ddpm-posterior", "--seed", "-3"], "argument --seed: must be between 0 and"),
    (["check", "ddpm-posterior", "--budget", "0"], "argument --budget: must be a positive number"),
    (["check", "--budget", "inf", "gaussian-kl"], "argument --budget: must be a positive number"),
    (["errata", "--budget", "-1"], "argument --budget: must be a positive number"),
    (["claim", "--budget", "-1", "a = a"], "argument --budget: must be a positive number"),
    (["claim", "--budget", "0", "a = a"], "argument --budget: must be a positive number"),
    (["claim", "--budget", "nan", "a = a"], "argument --budget: must be a positive number"),
    (["claim", "--seed", "-1", "a = a"], "argument --seed: must be between 0 and"),
    (["claim", "--seed", "100000000000000000000000", "a = a"], "argument --seed: must be between"),
    (["claim", "--limit", "0", "a = a"], "argument --limit: must be a positive number"),
])
def test_bad_seed_or_budget_is_a_usage_error(capsys, argv, message):
    """check, errata and claim share one validation of their options (exit 2, option named)."""
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err
