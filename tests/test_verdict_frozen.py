"""A verdict is made once and never changed (issue 13, "typed results"): typed fields, frozen
mappings, new verdicts through ``but``; it still pickles (verdicts cross worker pipes) and
serializes to JSON with the keys the reports write."""
from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from diffproof.derive.verdict import (BoundEvidence, FrozenMap, Method, ProbeEvidence, ReadingVerdict, Status,
                            Verdict)
from diffproof.numeric.montecarlo import MCSettings, MonteCarloCheck
from diffproof.numeric.montecarlo.evidence import MonteCarloEvidence


def sample() -> Verdict:
    return Verdict("fails", "numeric", counterexample={"x": 1.5, "lhs": 2.0, "rhs": 1.0},
                   reason="at x = 1.5", how="by the bound", relations=["abar_t = alpha_t abar_{t-1}"],
                   evidence=BoundEvidence(exact=False, exact_point="3/2"),
                   readings=[ReadingVerdict("pointwise", "fails", "numeric", {"x": 1.5})])


def test_fields_are_typed_and_frozen():
    v = sample()
    assert v.status is Status.FAILS and v.method is Method.NUMERIC
    assert isinstance(v.relations, tuple) and isinstance(v.readings, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.reason = "changed"
    with pytest.raises(TypeError, match="immutable"):
        v.counterexample["x"] = 0.0
    with pytest.raises(TypeError, match="immutable"):
        v.details["how"] = "changed"
    with pytest.raises(TypeError, match="immutable"):
        v.readings[0].counterexample.update(x=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.evidence.exact = True


def test_but_and_noted_make_new_verdicts():
    v = sample()
    w = v.but(status="undecided").noted("the domain is guessed")
    assert (v.status, w.status) == ("fails", "undecided")
    assert v.reason == "at x = 1.5" and w.reason == "at x = 1.5; the domain is guessed"
    u = v.using(["abar_t = alpha_t abar_{t-1}", "beta_t = 1 - alpha_t"])
    assert u.relations == ("abar_t = alpha_t abar_{t-1}", "beta_t = 1 - alpha_t")
    assert v.relations == ("abar_t = alpha_t abar_{t-1}",)


def test_details_is_the_json_view_of_every_typed_field():
    details = sample().details
    assert details == {"exact": False, "exact_point": "3/2", "how": "by the bound",
                       "readings": [{"reading": "pointwise", "status": "fails",
                                     "method": "numeric", "counterexample": {"x": 1.5}}],
                       "relations": ["abar_t = alpha_t abar_{t-1}"]}
    assert json.loads(json.dumps(sample().as_dict()))["details"]["how"] == "by the bound"


def test_a_verdict_pickles_with_its_frozen_parts():
    v = sample()
    back = pickle.loads(pickle.dumps(v))
    assert back == v and isinstance(back.counterexample, FrozenMap)


def test_evidence_must_be_typed():
    with pytest.raises(TypeError, match="Evidence"):
        Verdict("holds", "numeric", evidence={"points": 3})
    assert Verdict("holds", "numeric", evidence=ProbeEvidence(points=3)).details == {"points": 3}


def test_monte_carlo_evidence_names_its_test_and_power():
    """A real decision's evidence is a MonteCarloEvidence with the fields the reports read."""
    check = MonteCarloCheck("E[Z] = 0", lambda rng, n: rng.standard_normal(n), 0.0,
                            settings=MCSettings(max_n=200_000))
    v = check.run(1)
    assert isinstance(v.evidence, MonteCarloEvidence)
    assert v.evidence.n == v.details["n"] > 0 and v.details["test"] == v.evidence.test
    assert 0 < v.evidence.power <= 1 and v.details["false_fail"] == MCSettings().false_fail
