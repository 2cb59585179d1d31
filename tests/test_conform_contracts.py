"""The conformance contracts (numeric/conform/contracts.py) against independent evaluations, their
error budgets, and the public API diffproof.conform with the pytest plugin's fixture."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffproof import conform
from diffproof.numeric.conform import contracts as C

mp = mpmath.mp


def _ddim_by_hand(a, ap, eta, x, e, z):
    """DDIM Eqs. 9, 12, 16 typed from the paper in mpmath (60 digits): an independent oracle."""
    with mpmath.workdps(60):
        a, ap, eta, x, e, z = map(mpmath.mpf, (a, ap, eta, x, e, z))
        x0 = (x - mpmath.sqrt(1 - a) * e) / mpmath.sqrt(a)
        sigma = eta * mpmath.sqrt((1 - ap) / (1 - a)) * mpmath.sqrt(1 - a / ap)
        return mpmath.sqrt(ap) * x0 + mpmath.sqrt(1 - ap - sigma ** 2) * e + sigma * z


def _ddpm_by_hand(a, ap, x, x0, small):
    """Ho et al. 2020 Eq. 7 typed in mpmath: the posterior mean and variance for a step t -> s."""
    with mpmath.workdps(60):
        a, ap, x, x0 = map(mpmath.mpf, (a, ap, x, x0))
        alpha, beta = a / ap, 1 - a / ap
        mean = mpmath.sqrt(ap) * beta / (1 - a) * x0 + mpmath.sqrt(alpha) * (1 - ap) / (1 - a) * x
        return mean, ((1 - ap) / (1 - a) * beta if small else beta)


levels = st.tuples(st.floats(1e-4, 0.999), st.floats(0.0, 1.0)).map(
    lambda p: (p[0], p[0] + (1 - p[0]) * p[1])).filter(lambda p: p[1] > p[0])
reals = st.floats(-5, 5)


@settings(max_examples=60)
@given(levels, st.sampled_from([0.0, 0.5, 1.0]), reals, reals, reals)
def test_the_ddim_contract_is_eq_12_with_eq_16(ab, eta, x, e, z):
    a, ap = ab
    got = C.get("ddim-step-epsilon").evaluate(abar_t=a, abar_prev=ap, eta=eta, x_t=x,
                                              model_output=e, noise=z)
    want = float(_ddim_by_hand(a, ap, eta, x, e, z))
    assert abs(float(got) - want) <= 1e-9 * (1 + abs(want) + abs(x) / np.sqrt(a))


@settings(max_examples=40)
@given(levels, reals, reals, st.booleans())
def test_the_ddpm_contracts_are_ho_eq_7(ab, x, x0, small):
    a, ap = ab
    mean, var = _ddpm_by_hand(a, ap, x, x0, small)
    got_mean = C.get("ddpm-posterior-mean").evaluate(abar_t=a, abar_prev=ap, x_t=x, x_0=x0)
    got_var = C.get("ddpm-variance-" + ("fixed_small" if small else "fixed_large")).evaluate(
        abar_t=a, abar_prev=ap)
    assert abs(float(got_mean) - float(mean)) <= 1e-9 * (1 + abs(x) + abs(x0))
    assert abs(float(got_var) - float(var)) <= 1e-12


@pytest.mark.parametrize("kind", ["epsilon", "sample", "v_prediction"])
def test_the_conversions_invert_the_forward_relation(kind):
    rng = np.random.default_rng(0)
    a, x0, eps = 0.3, rng.standard_normal(5), rng.standard_normal(5)
    x_t = C.get("forward-noising").evaluate(abar_t=a, x_0=x0, eps=eps)
    v = C.get("v-target").evaluate(abar_t=a, x_0=x0, eps=eps)
    output = {"epsilon": eps, "sample": x0, "v_prediction": v}[kind]
    np.testing.assert_allclose(C.get(f"x0-from-{kind}").evaluate(abar_t=a, x_t=x_t,
                                                                 model_output=output), x0, atol=1e-12)
    np.testing.assert_allclose(C.get(f"eps-from-{kind}").evaluate(abar_t=a, x_t=x_t,
                                                                  model_output=output), eps, atol=1e-12)


def test_the_cosine_schedule_is_nichol_and_dhariwal_eq_17_with_the_clip():
    T = 50
    with mpmath.workdps(40):
        def f(k):
            return mpmath.cos((mpmath.mpf(k) / T + mpmath.mpf("0.008")) / mpmath.mpf("1.008")
                              * mpmath.pi / 2) ** 2
        want = [min(1 - f(i) / f(i - 1), mpmath.mpf("0.999")) for i in range(1, T + 1)]
    got = C.get("beta-cosine").evaluate(i=np.arange(1, T + 1), n=T)
    np.testing.assert_allclose(got, np.array(want, dtype=float), rtol=1e-12)
    assert got[-1] == 0.999                                   # the clip binds at i = T


def test_the_budget_is_the_condition_times_the_op_count_and_the_precision():
    c = C.get("ddim-step-epsilon")
    point = dict(abar_t=0.25, abar_prev=0.64, eta=0.0, x_t=1.0, model_output=0.5, noise=0.0)
    b64, b32 = c.budget("float64", **point), c.budget("float32", **point)
    assert b32 / b64 == pytest.approx(2.0 ** 29)                   # u32 / u64
    # by hand: f = sqrt(ap) (x - sqrt(1-a) e)/sqrt(a) + sqrt(1-ap) e; |f| + sum |x_i f_i|
    a, ap, x, e = 0.25, 0.64, 1.0, 0.5
    f = np.sqrt(ap) * (x - np.sqrt(1 - a) * e) / np.sqrt(a) + np.sqrt(1 - ap) * e
    h = 1e-7
    def fd(name):
        up, dn = dict(point), dict(point)
        up[name] += h; dn[name] -= h
        return (c.evaluate(**up) - c.evaluate(**dn)) / (2 * h)
    condition = abs(f) + sum(abs(point[k] * fd(k)) for k in ("abar_t", "abar_prev", "x_t",
                                                            "model_output"))
    assert float(b64) == pytest.approx(c.n_ops * 2.0 ** -53 * condition, rel=1e-5)


def test_an_infinite_partial_is_replaced_by_the_evaluated_perturbation():
    """sqrt(1 - abar_prev - sigma^2) at abar_prev = 1 has an infinite derivative: the budget
    stays finite (and small)."""
    c = C.get("ddim-step-epsilon")
    b = c.budget("float64", abar_t=0.5, abar_prev=1.0, eta=0.0, x_t=1.0, model_output=1.0,
                 noise=0.0)
    assert np.isfinite(b) and 0 < float(b) < 1e-12


def test_an_unknown_contract_lists_the_known_ones():
    with pytest.raises(KeyError, match="ddim-step-epsilon"):
        C.get("ddim-step")


# -- the public API and the plugin --------------------------------------------------------------
def my_ddim_step(x, eps, a_t, a_prev, eta, z):
    x0 = (x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma ** 2) * eps + sigma * z


def sigma_forgotten(x, eps, a_t, a_prev, eta, z):     # the direction term without -sigma^2
    x0 = (x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps + sigma * z


NAMES = dict(x_t="x", model_output="eps", abar_t="a_t", abar_prev="a_prev", eta="eta", noise="z")

test_my_ddim_step_implements_ddim = conform.implements("ddim-step-epsilon", my_ddim_step,
                                                       max_examples=30, **NAMES)


def test_a_correct_step_holds_in_float32_too():
    assert conform.check("ddim-step-epsilon", my_ddim_step, dtype="float32", max_examples=30,
                         **NAMES) is None


def test_a_wrong_step_is_caught_with_a_short_shrunk_report():
    report = conform.check("ddim-step-epsilon", sigma_forgotten, max_examples=30, **NAMES)
    assert report is not None
    lines = report.splitlines()
    assert lines[0] == "ddim-step-epsilon does not hold" and len(lines) <= 8
    assert "Song, Meng & Ermon 2021, Eqs. 12 and 16" in report
    assert "eta=1" in report                    # shrunk: eta = 0 cannot show the slip
    assert "replay:  seed=0" in report and "budget (float64)" in report


def test_a_mapping_to_no_input_is_refused():
    with pytest.raises(TypeError, match="its inputs: abar_t"):
        conform.implements("ddim-step-epsilon", my_ddim_step, sample="x")


def test_the_fixture_fails_a_test_with_the_report():
    from diffproof.pytest_plugin import Conformance
    fixture = Conformance(seed=0, examples=20)
    fixture.check("ddim-step-epsilon", my_ddim_step, **NAMES)
    with pytest.raises(pytest.fail.Exception, match="ddim-step-epsilon does not hold"):
        fixture.check("ddim-step-epsilon", sigma_forgotten, **NAMES)


def test_the_plugin_gives_the_fixture_in_a_user_test_file(tmp_path):
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        import numpy as np
        def step(x, eps, a_t, a_prev, eta, z):
            x0 = (x - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
            return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps
        NAMES = dict(x_t="x", model_output="eps", abar_t="a_t", abar_prev="a_prev", eta="eta",
                     noise="z")
        def test_step(conformance):
            conformance.check("ddim-step-epsilon", step, **NAMES)
    """))
    # the plugin named explicitly, nothing auto-loaded: the same run whether or not this
    # environment's metadata already lists the entry point (pyproject.toml declares it)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "diffproof.pytest_plugin", "-q",
                           "-p", "no:cacheprovider", "--conform-examples", "20", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ddim-step-epsilon does not hold" in done.stdout
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {
        "diffproof": "diffproof.pytest_plugin"}            # installed, pytest loads it itself
    assert "Traceback" not in done.stdout


@pytest.mark.parametrize("missing", ["torch", "diffusers"])
def test_conform_without_the_extra_says_what_to_install(monkeypatch, capsys, missing):
    from diffproof.proofs.cli import main
    monkeypatch.setitem(sys.modules, missing, None)          # import raises ImportError
    assert main(["conform"]) == 2
    assert "pip install 'diffproof[diffusers]'" in capsys.readouterr().err


def test_an_exception_of_diffproofs_own_code_is_an_internal_error_not_a_failure():
    """properties._guard: the implementation under test raising is its failure (a report); an
    adapter or contract of diffproof raising is a bug, raised again (exit 3 from the command)."""
    from diffproof.numeric.conform import properties as P

    def implementation():                 # user code (this file is not diffproof's source)
        return {}["beta_schedule"]

    value, failure = P._guard(implementation, "step")
    assert value is None and failure.message.startswith("raised KeyError")
    with pytest.raises(KeyError, match="no contract"):
        P._guard(lambda: C.get("no-such-contract"), "step")
