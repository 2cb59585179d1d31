"""The counterexample search: simple points first, then Hypothesis draws shrunk to a simple
failing point; every point satisfies every assumption, and a report names the values of the
symbols the assumptions tie to the target's.
"""
from __future__ import annotations

import random
from contextlib import contextmanager

import sympy as sp
from hypothesis import HealthCheck, currently_in_test_context, find, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable

from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.numeric.points.draws import point_strategy, simple_points
from diffproof.numeric.points.evaluate import Evaluator
from diffproof.numeric.points.residual import Residual

INNER_PROFILE = "diffproof-inner-search"
settings.register_profile(INNER_PROFILE, database=None, deadline=None,
                          suppress_health_check=list(HealthCheck))
SUM_CAP = 60         # integer symbols bounding a Sum/Product stay below this (evaluation cost)


def sum_caps(target: Residual) -> dict:
    """Integer symbols bounding a Sum or Product: evaluating it costs one term per unit."""
    caps = {}
    for expr in (target.residual, target.lhs, target.rhs):
        for node in sp.preorder_traversal(expr):
            if isinstance(node, (sp.Sum, sp.Product)):
                for limit in node.limits:
                    for bound in limit[1:]:
                        for symbol in getattr(bound, "free_symbols", ()):
                            caps[symbol] = SUM_CAP
    return caps


def search(target: Residual, table: SymbolTable = TABLE, seed: int = 0,
           max_examples: int = 100, simple_limit: int = 60) -> tuple[dict | None, int]:
    """Look for a point violating the target.

    Returns (counterexample report or None, number of points at which the residual could be
    evaluated).  Points where it is undefined (a pole, an unevaluable term) do not count, so a
    caller can tell "vanished at n points" from "could not be evaluated".  Every point satisfies
    all the assumptions of ``table`` (bounds on defined symbols included, also on the target's
    own ``definitions``); the report names the values of the other symbols the assumptions tie
    to the target's.
    """
    evaluator = Evaluator(target)
    symbols = evaluator.symbols
    caps = sum_caps(target)
    evaluated = 0
    for point in simple_points(symbols, table, simple_limit, caps, target.definitions):
        if not evaluator.defined(point):
            continue
        evaluated += 1
        if evaluator.violated(point):
            return evaluator.report(point), evaluated
    if not symbols or max_examples <= 0:
        return None, evaluated
    counter = {"n": 0}

    def violated(point):
        if not evaluator.defined(point):
            return False
        counter["n"] += 1
        return evaluator.violated(point)

    try:
        with _nested_given_allowed():
            found = find(point_strategy(symbols, table, caps, target.definitions), violated,
                         settings=settings(max_examples=max_examples, database=None,
                                           deadline=None, suppress_health_check=list(HealthCheck)),
                         random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return None, evaluated + counter["n"]
    return evaluator.report(found), evaluated + counter["n"]


@contextmanager
def _nested_given_allowed():
    """Run ``find`` inside a user's own Hypothesis test (a claim checked from their property test,
    or a worker forked from one) as outside it.  Hypothesis's nested-@given health check reads
    the *current default* settings, not find's, and fails the search there; for the search's
    duration a profile suppressing health checks (registered at import) is loaded, then the
    user's profile again.  find's own settings are explicit, so nothing else changes."""
    if not currently_in_test_context():
        yield
        return
    previous = settings.get_current_profile_name()
    settings.load_profile(INNER_PROFILE)
    try:
        yield
    finally:
        settings.load_profile(previous)
