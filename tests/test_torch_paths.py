"""The torch Gaussian-path twins (numeric/torchdiff/paths.py) equal derive.paths in float64.

Every conversion (all 5 x 5 pairs of x, eps, score, v, velocity), the SDE coefficients f, g^2 and
the probability-flow velocity in each parametrization are compared with the SymPy expression of
derive.paths.GENERIC evaluated at 80 digits at the same float64 inputs (tests.test_torch_formulas'
``exact``), drawn by Hypothesis.  Tolerance: relative error <= 1e-12 of the size of the terms (the
sum of the absolute values of the expanded expression's terms, times the conditioning
(|alpha sigma'| + |alpha' sigma|)/|alpha sigma' - alpha' sigma| of a conversion from a velocity,
whose determinant the draws keep at least 1/10 of its terms).
"""
from __future__ import annotations

import functools

import pytest
import sympy as sp
import torch
from hypothesis import assume, given, settings, strategies as st

from diffproof.derive import paths as P
from diffproof.derive.symbols import sigma, z
from diffproof.numeric.torchdiff import paths as tp
from tests.test_torch_formulas import D, close, exact

pytestmark = pytest.mark.usefixtures("one_torch_thread")
EXAMPLES = settings(max_examples=40)
VALUE = sp.Symbol("value", real=True)
COEFFICIENTS = (P.alpha, sigma, P.alpha_dot, P.sigma_dot)

positive = st.floats(1e-3, 1e3)
reals = st.floats(-1e3, 1e3)
rates = st.floats(-1e2, 1e2)


@functools.lru_cache(maxsize=None)
def twin(source: str, target: str) -> sp.Expr:
    if source == target:
        return VALUE
    return P.GENERIC.convert(VALUE, source, target, z)


def size(expr: sp.Expr, values: dict) -> float:
    """Sum of |terms| of the expanded expression: the scale of its cancellations."""
    terms = sp.Add.make_args(sp.expand(expr))
    return exact(sp.Add(*[sp.Abs(term) for term in terms]), values)


def inputs(a, s, da, ds, value, zv):
    path = tp.Path(*(torch.tensor([c], dtype=D) for c in (a, s, da, ds)))
    values = dict(zip(COEFFICIENTS, (a, s, da, ds)))
    values.update({VALUE: value, z: zv})
    return path, values, torch.tensor([[value]], dtype=D), torch.tensor([[zv]], dtype=D)


def conditioning(a, s, da, ds) -> float:
    det = abs(a * ds - da * s)
    return (abs(a * ds) + abs(da * s)) / det if det > 0 else float("inf")


@EXAMPLES
@given(positive, positive, rates, rates, reals, reals,
       st.sampled_from(P.PREDICTIONS), st.sampled_from(P.PREDICTIONS))
def test_every_conversion_equals_its_twin(a, s, da, ds, value, zv, source, target):
    assume("velocity" not in (source, target) or conditioning(a, s, da, ds) <= 10)
    path, values, value_t, z_t = inputs(a, s, da, ds, value, zv)
    expr = twin(source, target)
    factor = conditioning(a, s, da, ds) if "velocity" in (source, target) else 1.0
    close(tp.convert(value_t, source, target, z_t, path), exact(expr, values),
          size(expr, values) * factor, what=(source, target))


@EXAMPLES
@given(positive, positive, rates, rates, reals, reals, st.sampled_from(P.PREDICTIONS))
def test_probability_flow_and_coefficients_equal_their_twins(a, s, da, ds, value, zv, kind):
    assume(kind != "velocity" or conditioning(a, s, da, ds) <= 10)
    path, values, value_t, z_t = inputs(a, s, da, ds, value, zv)
    f, g2 = tp.sde_coefficients(path)
    close(f, exact(P.GENERIC.f(), values), what="f")
    close(g2, exact(P.GENERIC.g2(), values), size(P.GENERIC.g2(), values), what="g2")
    expr = P.GENERIC.probability_flow(VALUE, kind, z)
    factor = conditioning(a, s, da, ds) if kind == "velocity" else 1.0
    # the scale of the two drift terms f z and g^2 score / 2 before they cancel (the expanded
    # expression may have cancelled them symbolically: ds = 0 makes the x-form exactly 0)
    drift_terms = sp.Abs(P.GENERIC.f() * z) + sp.Abs(P.GENERIC.g2() * twin(kind, "score")) / 2
    scale = max(size(expr, values), exact(drift_terms, values))
    close(tp.probability_flow(value_t, kind, z_t, path), exact(expr, values), scale * factor,
          what=kind)


@EXAMPLES
@given(st.floats(1e-3, 1 - 1e-3), reals, reals)
def test_flow_matching_velocity_is_eps_minus_x(time, x_value, noise):
    """alpha = 1 - t, sigma = t: the velocity of (x, eps) is eps - x, and the probability flow
    from the eps at z = (1 - t) x + t eps gives it back."""
    path = tp.flow_matching(torch.tensor([time], dtype=D))
    x, e = torch.tensor([[x_value]], dtype=D), torch.tensor([[noise]], dtype=D)
    close(tp.from_x_eps("velocity", x, e, path), noise - x_value, what="velocity")
    zt = (1 - time) * x + time * e
    close(tp.probability_flow(e, "eps", zt, path), noise - x_value,
          (abs(x_value) + abs(noise)) / (1 - time), what="flow")


def test_float32_follows_the_tensor():
    path = tp.flow_matching(torch.tensor([0.25, 0.5], dtype=D))
    value = torch.ones(2, 3, dtype=torch.float32)
    out = tp.convert(value, "v", "x", value, path)
    assert out.dtype == torch.float32 and out.shape == (2, 3)
    with pytest.raises(ValueError, match="unknown prediction"):
        tp.convert(value, "noise", "x", value, path)
