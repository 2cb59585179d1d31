"""Issue 11 regressions on the claim path: nothing hangs, bad input gets a clear error (exit 2),
internal errors are errors (exit 3) and never verdicts, output is escaped.

The hard limit is CPU time of the worker (derive.decide.budget), so these outcomes do not depend
on machine load; ``--limit 2`` keeps each pathological claim to about 2 s of CPU.
"""
from __future__ import annotations

import json

import pytest

from diffproof.proofs.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("claim", [
    r"\int_0^1 e^{u^3}\sin(u^7)\log(1+u^5) \, du = 0",
    r"\exp(\exp(\exp(\exp(100)))) = 1",
    r"\prod_{i=1}^{1000}\prod_{j=1}^{1000}\prod_{k=1}^{1000} (i+j+k) = 1",
    r"\alpha_t < \frac{1}{\binom{10^{9}}{\sqrt[t]{10^{9}}}}",
])
def test_expensive_claims_stop_at_the_hard_limit(capsys, claim):
    code, out, _ = run(capsys, "claim", "--limit", "2", "--json", claim)
    step = json.loads(out)["claims"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided"
    assert "limit of 2 s of CPU time" in step["reason"] or "could not" in step["reason"]


def test_huge_numbers_are_refused_while_reading(capsys):
    code, out, _ = run(capsys, "claim", "--json", "((1000^{1000})^{1000})^{1000} = 1")
    step = json.loads(out)["claims"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided" and "more than 300 digits" in step["reason"]
    code, out, _ = run(capsys, "claim", "--json", "1000^{1000} 1000^{500} = 1")
    assert code == 1 and json.loads(out)["claims"][0]["status"] == "undecided"


@pytest.mark.parametrize("argv,message", [
    (["x_t = 1 \\\\ ²"], "unexpected character '²'"),
    (["--assume", "0 < y < 10^{400}", "y = y"], "more than 300 digits"),
    (["--assume", "0 < y < 10^{299} \\cdot 10^{299}", "y = y"],
     "bounds must lie between -10^300 and 10^300"),
    (["\\foo = 1"], "unknown command '\\foo'"),
])
def test_bad_input_is_a_clear_error_with_exit_2(capsys, argv, message):
    code, out, _ = run(capsys, "claim", *argv)
    assert code == 2 and message in out and "\\\\foo" not in out


def test_a_sympy_failure_inside_the_library_is_undecided_not_an_error(capsys):
    code, out, _ = run(capsys, "claim", "--json", r"\int_{\infty}^{-\infty} u \, du = 0")
    step = json.loads(out)["claims"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided" and "SymPy could not" in step["reason"]


def test_unknown_function_values_do_not_crash_the_marginal_score_reading(capsys):
    code, out, _ = run(capsys, "claim", r"f(\alpha_t) + \nabla\log p(x_t) = x_0")
    assert code == 1 and "internal error" not in out


def test_an_internal_error_is_reported_as_an_error_with_exit_3(capsys, monkeypatch):
    import diffproof.proofs.claims.pipeline as pipeline

    def broken(*args, **kwargs):
        raise KeyError("planted bug")

    monkeypatch.setattr(pipeline, "_check_step", broken)
    code, out, _ = run(capsys, "claim", "--json", r"\alpha_t = \alpha_t")
    result = json.loads(out)
    assert code == 3 and result["claims"][0]["status"] == "error"
    assert result["claims"][0]["steps"][0]["reason"].startswith("internal error: KeyError")
    assert result["summary"]["errors"] == 1
    code, out, _ = run(capsys, "claim", r"\alpha_t = \alpha_t")
    assert code == 3 and "internal error" in out


def test_a_crash_outside_any_claim_is_exit_3_with_a_report_file(capsys, monkeypatch):
    import diffproof.proofs.commands.check as check_command

    monkeypatch.setattr(check_command, "select",
                        lambda targets, **_: (_ for _ in ()).throw(KeyError("bug")))
    code, _, err = run(capsys, "check", "gaussian-kl")
    assert code == 3 and "internal error: KeyError" in err and "diffproof-crash-" in err


def test_terminal_escape_sequences_are_shown_escaped(capsys):
    code, out, _ = run(capsys, "claim", "x_t = \x1b]0;owned\x071")
    assert code == 2 and "\x1b" not in out and "\x07" not in out and "\\x1b" in out


def test_long_inputs_are_refused_up_front(capsys, tmp_path):
    code, _, err = run(capsys, "claim", "a" * 20000 + " = a")
    assert code == 2 and "at most 10000" in err
    big = tmp_path / "big.tex"
    big.write_text(" " * (2 << 20))
    code, _, err = run(capsys, "claim", "--file", str(big))
    assert code == 2 and "a document may have at most 1.0 MiB" in err


def test_markdown_code_fences_are_not_checked(capsys, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("```\n$$ a = b $$\n```\n\n$$ x = x $$\n", encoding="utf-8")
    code, out, _ = run(capsys, "claim", "--json", "--file", str(notes))
    claims = json.loads(out)["claims"]
    assert code == 0 and [c["latex"] for c in claims] == ["x = x"]


@pytest.mark.parametrize("text,message", [
    ("1" * 5001 + " = 1", "more than 300 digits"),
    ("1" + "0" * 400 + " = 1", "more than 300 digits"),
    ("0." + "0" * 400 + "1 = 0", "more than 300 digits"),
    (r"\binom{10^{300}}{50000} = 1", "too large to evaluate"),
    (r"\sqrt{\binom{20000}{10000}} = 1", "too large to evaluate"),
])
def test_numbers_beyond_the_claim_range_are_refused_while_reading(capsys, text, message):
    """Found by benchmarks/bench_fuzz.py: literals and binomials had no size limit."""
    code, out, _ = run(capsys, "claim", "--json", text)
    step = json.loads(out)["claims"][0]["steps"][0]
    assert code == 1 and step["status"] == "undecided" and message in step["reason"]


def test_a_huge_sum_bound_is_no_crash(capsys):
    code, out, _ = run(capsys, "claim", r"\sum_{i=\exp(\exp(\exp(1000)))}^{n} i = 1")
    assert code in (1, 2) and "internal error" not in out


def test_an_unevaluated_constant_is_undecided_not_an_internal_error(capsys):
    code, out, _ = run(capsys, "claim", "--json", r"\binom{100}{\frac{1}{0}} = 1")
    claim = json.loads(out)["claims"][0]
    assert code == 1 and claim["status"] == "undecided"
    assert "internal error" not in claim["steps"][0]["reason"]


def test_a_long_chain_of_slow_steps_is_not_cut_by_the_claims_wall_clock(tmp_path, capsys):
    """Each step has its own limit; the claim waiting for them is not stopped (found by
    benchmarks/bench_fuzz.py: a 130-link chain was reported as 'reading exceeded its limit')."""
    chain = " \\\\\n".join(r"&= (\alpha_t + \beta_t)^{%d}" % k for k in range(2, 6))
    notes = tmp_path / "chain.tex"
    notes.write_text("$$\n(\\alpha_t + \\beta_t)^{1} " + chain + "\n$$\n", encoding="utf-8")
    code, out, _ = run(capsys, "claim", "--json", "--limit", "5", "--file", str(notes))
    claim = json.loads(out)["claims"][0]
    assert len(claim["steps"]) == 4 and "reason" not in claim


def test_a_claim_whose_text_form_overflows_is_reported_not_crashed(capsys):
    """Full fuzz run at 7068400, input 57600: printing exp(exp(exp(1000))) as text makes SymPy
    evaluate it to order the terms, which overflows inside mpmath; the JSON report crashed.  The
    display falls back to the expression's structure."""
    text = (r"\frac{1}{2}\left(\frac{\sigma^2 + (\mu_1-\mu_2)^2}{\sigma^2} - \exp(\exp(\exp(1000)))"
            r"\right) = \frac{(\mu_1 - \mu_2)^2}{2\sigma^2}")
    code = main(["claim", "--json", "--limit", "10", text])
    out, err = capsys.readouterr()
    claim = json.loads(out)["claims"][0]
    assert code == 1 and claim["status"] == "undecided" and "Traceback" not in err
    assert "exp(exp(exp(1000)))" in claim["steps"][0]["lhs"] or "1000" in claim["steps"][0]["lhs"]


def test_a_bound_that_is_not_an_evaluable_number_is_a_usage_error(capsys):
    """Full fuzz run at 7068400, input 72131: a bound given as nested sums reached float() and
    raised TypeError inside the assumption reader."""
    bound = r"\sum_{i=1}^{2} \sum_{i=1}^{2} \sum_{i=1}^{2} 0"
    code = main(["claim", "--assume", f"u > {bound}", r"\ln u \ge u - 1"])
    out, err = capsys.readouterr()
    assert code == 2 and "is neither a number nor a single symbol" in out and "Traceback" not in out + err


@pytest.mark.parametrize("claim", [r"\max(\alpha_t, \log(-1)) = 1",
                                   r"\min(\alpha_t, 0 \times \infty) = 1"])
def test_max_and_min_of_a_value_that_is_not_real_say_so(capsys, claim):
    """The full fuzz run: 172 inputs ended in SymPy's 'The argument ... is not comparable' as a
    parse error.  The reader now names the problem in its own words."""
    code, out, _ = run(capsys, "claim", claim)
    assert code == 1 and "needs real arguments that can be ordered" in out
    assert "not comparable" not in out
