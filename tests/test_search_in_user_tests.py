"""The counterexample search inside a user's own Hypothesis test gives what it gives outside.

Found by benchmarks/suite_under_load.py: ``check_text`` called from a @given test (as
tests/test_claim_fuzz.py does, and as a user's property test would) turned a claim into an
internal error, because Hypothesis's nested-@given health check fired on the search's ``find``.
The search's result must not depend on where it is called from.
"""
import sympy as sp
from hypothesis import HealthCheck, given, settings, strategies as st

from diffproof.derive.symbols import TABLE
from diffproof.numeric.points.search import search
from diffproof.numeric.points.residual import Residual

x = TABLE["x"]
TRUE_IDENTITY = Residual(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, sp.sin(x) ** 2 + sp.cos(x) ** 2,
                         sp.Integer(1))


def _search():
    return search(TRUE_IDENTITY, TABLE, seed=0, max_examples=8)


OUTSIDE = _search()


@settings(max_examples=2, database=None, deadline=None)
@given(st.integers())
def _inside_a_user_test(_):
    assert _search() == OUTSIDE


def test_the_search_runs_the_same_inside_a_users_given_test():
    assert OUTSIDE[0] is None and OUTSIDE[1] > 0          # Hypothesis's draws were evaluated
    _inside_a_user_test()


def test_the_users_profile_is_restored_after_the_search():
    before = settings.get_current_profile_name()

    @settings(max_examples=1, database=None, deadline=None)
    @given(st.integers())
    def inner(_):
        _search()
        assert settings.get_current_profile_name() == before
        assert HealthCheck.nested_given not in settings.default.suppress_health_check

    inner()
    assert settings.get_current_profile_name() == before
