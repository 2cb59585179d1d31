"""The checker's speed-ups change no verdict: stages checked side by side give the verdicts of one
worker, the lazy simple-point order is the sorted one, the symbol index answers like a scan, and
a compiled expression is reused only for the same expression."""
from __future__ import annotations

import itertools

import sympy as sp
from hypothesis import given, settings, strategies as st

from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.symbols import TABLE, SymbolSpec
from diffproof.derive.domains import POSITIVE, REAL
from diffproof.numeric.points.draws import simplest_first
from diffproof.proofs import catalog
from diffproof.proofs.checker import Options, check_derivations


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 9), max_size=6), st.sampled_from([1, 3, 7, 50, 1000, 20000]))
def test_simple_points_come_in_the_sorted_order_of_the_first_combinations(sizes, cap):
    product = itertools.product(*[range(size) for size in sizes])
    expected = sorted(itertools.islice(product, cap), key=lambda idx: (sum(idx), idx))
    assert list(simplest_first(sizes, cap)) == expected


def test_the_symbol_index_answers_like_a_scan_and_follows_every_change():
    table = TABLE.copy()
    some = next(iter(table.specs.values()))
    scan = {spec.symbol: spec for spec in reversed(list(table.specs.values()))}
    assert all(table.spec(symbol) is spec for symbol, spec in scan.items())
    fresh = sp.Symbol("fresh_index_test")
    assert table.spec(fresh) is None and table.domain(fresh) == REAL
    table.specs["fresh"] = SymbolSpec("fresh", fresh, "f", "a test symbol", POSITIVE)
    assert table.spec(fresh).key == "fresh" and table.domain(fresh) == POSITIVE
    del table.specs["fresh"]
    assert table.spec(fresh) is None
    table.specs[some.key] = SymbolSpec(some.key, fresh, "f", "replaced", POSITIVE)
    assert table.spec(fresh).meaning == "replaced" and table.spec(some.symbol) is None
    assert TABLE.spec(some.symbol) is some                      # the copy's changes stay there


def test_a_compiled_expression_is_reused_only_for_the_same_expression():
    x, y = sp.symbols("x y", positive=True)
    first = safe_lambdify([x, y], x ** 2 + y, modules="mpmath")
    assert safe_lambdify([x, y], x ** 2 + y, modules="mpmath") is first
    assert safe_lambdify([y, x], x ** 2 + y, modules="mpmath") is not first
    assert safe_lambdify([y, x], x ** 2 + y, modules="mpmath")(2, 3) == 11
    assert safe_lambdify([x, y], x ** 2 + y, modules="numpy") is not first
    # Floats of other precisions may compare equal: never served from the cache
    low, high = sp.Float("0.1", 15), sp.Float("0.1", 60)
    assert safe_lambdify([x], x + low, modules="mpmath") is not safe_lambdify([x], x + low,
                                                                             modules="mpmath")
    assert safe_lambdify([x], x + high, modules="mpmath") is not safe_lambdify([x], x + low,
                                                                              modules="mpmath")


def _verdicts(results):
    return [(r.derivation.id, s.index, s.verdict.status, s.verdict.method, s.verdict.how)
            for r in results for s in r.steps]


def test_topics_checked_side_by_side_give_the_verdicts_of_one_worker():
    """Entries built while the workers check (jobs = 2) against built derivations in one worker;
    three topics, one with a derivation failing by design (an erratum's claim)."""
    ids = ["ddim-update", "ddim-sigma-eta", "path-log-snr", "guidance-cfg"]
    entries = [catalog.lookup(i) for i in ids] + [catalog.erratum_entries()[0]]
    progress = []
    parallel = check_derivations(entries, options=Options(jobs=2),
                                 progress=lambda done, total: progress.append((done, total)))
    serial = check_derivations([e.build() for e in entries], options=Options(jobs=1))
    assert _verdicts(parallel) == _verdicts(serial)
    assert [r.derivation.id for r in parallel] == ids + [entries[-1].claim_id]
    assert any(s.verdict.status == "fails" for s in parallel[-1].steps)
    steps = sum(len(r.steps) for r in parallel)
    assert [done for done, _ in progress] == list(range(1, steps + 1))
    assert progress[-1] == (steps, steps) and all(done <= total for done, total in progress)
    assert all(total > done for done, total in progress[:-1] if total != steps)
