"""The catalog is lazy: listing and looking up ids read the index only, nothing is built (nor
SymPy imported) until a derivation is used; a mistyped id names the closest ids, exit 2."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import pytest

from diffproof.proofs import catalog
from diffproof.proofs.catalog import registry
from diffproof.proofs.cli import main


@pytest.fixture
def nothing_built(monkeypatch):
    """Any attempt to build a derivation fails the test."""
    def refuse(entry):
        raise AssertionError(f"built {entry.id}")
    monkeypatch.setattr(registry, "build", refuse)


def test_listing_and_lookups_build_nothing(nothing_built, capsys):
    assert main(["list"]) == 0
    assert main(["list", "--json"]) == 0
    assert main(["check", "elbo-evidnce"]) == 2
    assert len(catalog.entries()) == 84 and len(catalog.erratum_entries()) == 19
    assert {e.topic for e in catalog.entries()} >= {"elbo", "sde_ve", "vdm_gaussian"}
    assert catalog.closest("vdm-posterior-x")[0] == "vdm-posterior"
    with pytest.raises(AssertionError, match="built elbo-evidence"):
        catalog.get("elbo-evidence")


def test_a_mistyped_id_names_the_closest_ids_and_exits_2(capsys):
    assert main(["check", "elbo-evidnce"]) == 2
    err = capsys.readouterr().err
    assert "unknown derivation id 'elbo-evidnce'; closest: elbo-evidence" in err
    assert "diffproof list shows all 84" in err
    assert main(["check", "zzzz"]) == 2
    assert "closest" not in capsys.readouterr().err


def test_list_and_an_unknown_id_do_not_import_sympy():
    code = textwrap.dedent("""
        import sys
        from diffproof.proofs.cli import main
        codes = main(["list"]), main(["check", "no-such-id"])
        print(codes, "sympy" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "(0, 2) False"


def test_importing_the_topic_modules_builds_nothing_and_does_no_algebra():
    """Steps, derivations and the expensive SymPy and Gaussian operations are counted while every
    topic module is imported (in a fresh process): none may run."""
    code = textwrap.dedent("""
        import importlib, json, sympy
        import diffproof.derive.derivation as D, diffproof.derive.gaussian as G
        from diffproof.proofs import catalog
        calls = []
        def spy(owner, name):
            original = getattr(owner, name)
            def counted(*args, **kwargs):
                calls.append(name)
                return original(*args, **kwargs)
            setattr(owner, name, counted)
        for name in ("integrate", "solve", "limit", "simplify", "summation", "factor"):
            spy(sympy, name)
        for name in ("marginalize", "condition", "kl_divergence", "sum_of_independent"):
            spy(G, name)
        spy(G.Normal, "expect")
        spy(D.Step, "__post_init__")
        spy(D.Derivation, "__post_init__")
        for topic in sorted({e.topic for e in catalog.entries() + catalog.erratum_entries()}):
            importlib.import_module(f"diffproof.proofs.catalog.{topic}")
        print(json.dumps(calls))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_every_entry_has_one_builder_and_every_builder_an_entry():
    entries = catalog.entries() + catalog.erratum_entries()
    for topic in {e.topic for e in entries}:
        importlib.import_module(f"diffproof.proofs.catalog.{topic}")
    assert registry.registered() == {e.id for e in entries}


def test_a_built_derivation_carries_its_entry_and_is_built_once():
    entry = next(e for e in catalog.entries() if e.id == "gaussian-kl")
    derivation = catalog.get("gaussian-kl")
    assert (derivation.id, derivation.title, derivation.sources, derivation.topic) == \
        (entry.id, entry.title, entry.sources, "vdm_gaussian")
    assert catalog.get("gaussian-kl") is derivation
    assert derivation in catalog.derivations("vdm_gaussian")


def test_an_erratum_resolves_by_its_id_and_its_claim_id():
    claim = catalog.get("E000-kl-sign")
    assert claim is catalog.get("E000-kl-sign-claim") and claim.expect_fail
    erratum = next(e for e in catalog.errata("likelihood_basics") if e.id == "E000-kl-sign")
    assert erratum.claim is claim and erratum.correct == "empirical-gaussian-kl"


def test_the_parser_defaults_are_the_checkers():
    from diffproof.proofs.checker import Options
    from diffproof.proofs.cli import build_parser
    from diffproof.proofs.options import options_from

    from dataclasses import replace

    from diffproof.proofs.options import DEFAULT_MAX_JOBS, default_jobs

    args = build_parser().parse_args(["check"])
    # the number of workers is the machine's (the usable cores, up to 4); the rest is fixed
    assert options_from(args) == replace(Options(), jobs=default_jobs())
    assert 1 <= default_jobs() <= DEFAULT_MAX_JOBS
    assert options_from(build_parser().parse_args(["check", "--jobs", "3"])).jobs == 3


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", "65"])
def test_a_bad_number_of_workers_is_a_usage_error(bad, capsys):
    from diffproof.proofs.cli import main

    assert main(["check", "--jobs", bad]) == 2
    assert "--jobs" in capsys.readouterr().err
