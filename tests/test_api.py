"""The public face, ``import diffproof`` (issue 14): ``diffproof.check`` and ``diffproof.claim``
give the same verdicts as the command line, and importing the package costs nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

import diffproof
from diffproof.derive import Derivation, Step
from diffproof.derive import symbols as S


def test_check_one_catalog_derivation_by_id():
    result = diffproof.check("ddpm-posterior")
    assert result.derivation.id == "ddpm-posterior" and result.status == "holds"
    assert [r.verdict.method for r in result.steps] == ["symbolic", "symbolic"]
    assert "| 1 |" in result._repr_markdown_()


def test_check_several_gives_a_list_in_order():
    results = diffproof.check("gaussian-kl", "ddpm-posterior", numeric=False)
    assert [r.derivation.id for r in results] == ["gaussian-kl", "ddpm-posterior"]


def test_check_a_derivation_object_finds_its_wrong_step():
    mine = Derivation("mine", "a wrong step", start=S.alpha_t * (1 - S.beta_t),
                      steps=[Step(S.alpha_t - S.beta_t, "expand (wrong)")])
    result = diffproof.check(mine)
    assert result.status == "fails" and result.first_failure().index == 1


def test_a_mistyped_id_names_the_closest_one():
    with pytest.raises(KeyError, match="did you mean ddpm-posterior"):
        diffproof.check("ddpm-posteror")
    with pytest.raises(TypeError, match="catalog ids or Derivations"):
        diffproof.check(3)


def test_claim_fails_with_a_point_and_holds_under_its_assumptions():
    wrong = diffproof.claim(r"\bar\alpha_t \ge \bar\alpha_{t-1}")
    assert wrong.status == "fails" and wrong.first_failure().verdict.counterexample
    assert diffproof.claim(r"\beta_t \le 1", r"0 < \beta_t < 1").status == "holds"
    assert diffproof.claim(r"\frac{1}{ = 2").status == "unparsable"


def test_claims_keeps_the_order_and_refuses_a_bare_string():
    found = diffproof.claims([r"\alpha_t = 1 - \beta_t", r"\alpha_t = \beta_t"])
    assert [c.status for c in found] == ["holds", "fails"]
    with pytest.raises(TypeError, match="claim\\(\\)"):
        diffproof.claims(r"\alpha_t = 1 - \beta_t")


def test_ids_lists_the_catalog_without_building_it():
    assert "ddpm-posterior" in diffproof.ids() and len(diffproof.ids()) == len(set(diffproof.ids()))


def test_importing_diffproof_imports_neither_sympy_nor_torch():
    code = "import sys, diffproof; print(sorted(m for m in ('sympy', 'torch', 'numpy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert diffproof.__version__ != "unknown"
