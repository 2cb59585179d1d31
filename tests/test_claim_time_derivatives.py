"""Time derivatives of subscripted schedule letters (docs/claims.md 'Functions and their
arguments'): a d/dt, a dot or a prime on alpha_t makes t continuous, so alpha_t there is alpha(t)
when the claim writes alpha only at times; Lipman et al. 2023's alpha'_{1-t} is alpha' at 1 - t.
Before, every spelling but \\alpha(t) was refused (or a dot made a new symbol)."""
from __future__ import annotations

import pytest

from diffproof.proofs.checker import Options
from diffproof.proofs.claims.run import check_text

OPTIONS = Options(budget=1.0, max_examples=60)


def _claim(latex: str, *assumptions: str):
    return check_text([(latex, None)], list(assumptions), OPTIONS)[0]


@pytest.mark.parametrize("derivative", [
    r"\frac{d}{dt}\alpha_t", r"\frac{d\alpha_t}{dt}", r"\dot{\alpha}_t", r"\dot\alpha_t",
    r"\alpha_t'", r"\alpha'_t"])
def test_every_spelling_is_the_time_derivative(derivative):
    claim = _claim(rf"\frac{{d}}{{dt}}\alpha_t^2 = 2\alpha_t {derivative}")
    assert claim.status == "holds", (claim.error, [s.verdict for s in claim.steps])
    slip = _claim(rf"\frac{{d}}{{dt}}\alpha_t^2 = \alpha_t {derivative}")
    assert slip.status == "fails", (slip.error, [s.verdict for s in slip.steps])


def test_a_declared_function_and_a_definition_through_the_time():
    assert _claim(r"\frac{d}{dt}\log\sigma_t = \frac{\dot\sigma_t}{\sigma_t}",
                  r"\sigma(t) > 0").status == "holds"
    assert _claim(r"\dot\alpha_t + \alpha_t = 1 + t", r"\alpha_t = t").status == "holds"
    assert _claim(r"\dot\alpha_t + \alpha_t = 2t", r"\alpha_t = t").status == "fails"


@pytest.mark.parametrize("latex, assumptions, shown", [
    (r"\frac{d}{dt}\alpha_t = \alpha_t - \alpha_{t-1}", (), r"\alpha_{t-1}"),
    (r"\dot\alpha_t = \bar\alpha_t", (), r"\bar{\alpha}"),
    (r"\frac{d}{dt}\bar\alpha_t = 1", (), "discrete schedule"),
    (r"\dot\sigma_t = 1", (r"\sigma_t^2 = 1 - \bar\alpha_t",), "without the time"),
])
def test_a_discrete_reading_is_refused_naming_the_spelling_that_works(latex, assumptions, shown):
    claim = _claim(latex, *assumptions)
    message = str(claim.error) if claim.error is not None else \
        " ".join(s.verdict.reason or "" for s in claim.steps)
    assert claim.status in ("unparsable", "undecided"), claim
    assert shown in message and "(t) > 0" in message, message


def test_a_variable_with_a_prime_is_no_derivative():
    claim = _claim(r"x_t' = \dot x_t")
    assert claim.status != "holds"


def test_lipman_prime_before_the_subscript_is_the_derivative_at_the_subscript():
    assert _claim(r"\frac{d}{dt}\alpha_{1-t} = -\alpha'_{1-t}").status == "holds"
    assert _claim(r"\frac{d}{dt}\sigma_{1-t}^2 = -2\sigma_{1-t}\sigma'_{1-t}").status == "holds"
    # alpha_t = t: alpha_{1-t} = 1 - t and alpha'_{1-t} = 1 (the value read through the definition;
    # a free alpha_{1-t} beside alpha' = 1 refuted this true claim)
    assert _claim(r"\alpha_{1-t} + \alpha'_{1-t} = 2 - t", r"\alpha_t = t").status == "holds"
    assert _claim(r"\alpha_{1-t} + \alpha'_{1-t} = 2 + t", r"\alpha_t = t").status == "fails"
    # the chain rule's sign lost: not proved (generic alpha), refuted for alpha_t = t
    slip = r"\frac{d}{dt}\alpha_{1-t}^2 = 2\alpha_{1-t}\alpha'_{1-t}"
    assert _claim(slip).status != "holds"
    assert _claim(slip, r"\alpha_t = t").status == "fails"
