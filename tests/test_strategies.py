"""The public Hypothesis strategies draw valid objects and reach the hard edges of their ranges."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings, strategies as st

from diffproof.numeric import strategies as ds
from diffproof.numeric.simulate import GaussianMixture

FIND = settings(max_examples=2000, database=None)


@settings(max_examples=60)
@given(ds.schedules())
def test_schedules_are_valid(schedule):
    alphas = np.asarray(schedule.alphas)
    assert schedule.T == alphas.size >= 1
    assert np.all((alphas > 0) & (alphas < 1))
    abars = schedule.abars
    assert np.all(np.diff(abars) < 0) and abars[-1] >= ds.ABAR_T_MIN * (1 - 1e-9)
    assert np.allclose(schedule.betas, 1 - alphas)


def test_schedules_reach_both_ends_of_alphabar():
    assert find(ds.schedules(max_T=50), lambda s: s.abars[-1] > 1 - 1e-4, settings=FIND)
    assert find(ds.schedules(), lambda s: s.abars[-1] < 1e-6, settings=FIND)


def test_abars_reach_both_edges_and_stay_inside():
    assert find(ds.abars(), lambda a: a < 1e-5, settings=FIND) >= ds.ABAR_EDGE
    assert find(ds.abars(), lambda a: a > 1 - 1e-5, settings=FIND) <= 1 - ds.ABAR_EDGE
    with pytest.raises(ValueError, match="edge"):
        ds.abars(edge=0.7)


@settings(max_examples=60)
@given(ds.abars(), ds.alphas(), ds.times(), ds.dimensions(5))
def test_scalars_are_in_range(abar, alpha, t, d):
    assert 0 < abar < 1 and 0 < alpha < 1 and 0 < t <= 1 and 1 <= d <= 5


def test_times_reach_t_min_and_one():
    assert find(ds.times(), lambda t: t == 1.0, settings=FIND) == 1.0
    assert find(ds.times(), lambda t: t < 2e-3, settings=FIND) >= 1e-3


@settings(max_examples=60)
@given(ds.ve_params(), ds.vp_params())
def test_sde_parameters_are_ordered(ve, vp):
    assert 0 < ve.sigma_min < ve.sigma_max <= ve.sigma_min * 1e4 * (1 + 1e-9)
    assert 0 < vp.beta_min < vp.beta_max <= 50


def test_ve_ratio_reaches_1e4():
    big = find(ds.ve_params(), lambda p: p.sigma_max / p.sigma_min > 5e3, settings=FIND)
    assert big.sigma_max / big.sigma_min <= 1e4 * (1 + 1e-9)


@settings(max_examples=40)
@given(ds.gaussian_mixtures(max_dim=3), st.integers(0, 2 ** 32 - 1))
def test_mixtures_are_valid_and_sample(data, seed):
    w, mu, sd = data.arrays
    assert abs(w.sum() - 1) < 1e-12 and np.all(w > 0) and np.all(sd > 0)
    x = data.sample(np.random.default_rng(seed), 50)
    assert x.shape == (50, data.dim) and np.all(np.isfinite(data.log_density(x)))


@settings(max_examples=20)
@given(ds.gaussians(dim=2))
def test_gaussians_have_one_component(data):
    assert len(data.weights) == 1 and data.dim == 2


def test_mixture_rejects_bad_parameters():
    with pytest.raises(ValueError, match="weights"):
        GaussianMixture((0.5, 0.6), ((0.0,), (1.0,)), (1.0, 1.0))
    with pytest.raises(ValueError, match="standard deviations"):
        GaussianMixture((1.0,), ((0.0,),), (0.0,))
    with pytest.raises(ValueError, match="rows"):
        GaussianMixture((0.5, 0.5), ((0.0,),), (1.0, 1.0))
    with pytest.raises(ValueError, match="min_T"):
        find(ds.schedules(min_T=0), lambda s: True)
