"""Every torch formula equals its SymPy twin (derive/) in float64 on Hypothesis-drawn inputs.

The reference is the SymPy expression lambdified (derive.codegen.safe_lambdify) to mpmath at 80
digits (enough for the cancellations of the expanded SymPy forms at t = 1e-12) and evaluated at
the same float64 inputs, so it is the exact value of the formula there.  The torch SDE classes
carry derive.sde's member names: every public method is a derive.sde member, compared with it
here, or one of the few torch-only helpers of TORCH_ONLY.  Tolerance: relative error
<= 1e-12, relative to max(|exact|, size of the largest term) where a difference of terms can
cancel (stated per test).
"""
from __future__ import annotations

import functools
import inspect
import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given, settings, strategies as st

from diffproof.derive import formulas as F
from diffproof.derive import losses as L
from diffproof.derive import discrete
from diffproof.derive import sde as S
from diffproof.derive.codegen import safe_lambdify
from diffproof.derive.gaussian import Normal, marginalize
from diffproof.derive.symbols import (a, abar_t, abar_tm1, alpha_t, beta_max, beta_min, dt, eps, eps_0,
                            epshat, lam, m, mu_1, mu_2, s, s_theta, score, sigma_max, sigma_min,
                            t, v, v_1, v_2, x, x_0, x_t, xhat)
from diffproof.numeric.torchdiff import forward as fw
from diffproof.numeric.torchdiff import losses as tl
from diffproof.numeric.torchdiff import samplers as ts
from diffproof.numeric.torchdiff.oracle import DiagonalGaussianMixture
from diffproof.numeric.torchdiff.schedules import VE, VP, DiscreteSchedule, SubVP, cosine_alphabar

RTOL = 1e-12
D = torch.float64
EXAMPLES = settings(max_examples=25)


def _cached(fn):
    """The SymPy twins are recomputed by the algebra on each call: compute each once."""
    return functools.lru_cache(maxsize=None)(fn)


formulas_posterior_mean = _cached(F.posterior_mean)
formulas_posterior_variance = _cached(F.posterior_variance)
formulas_x0_from_noise = _cached(F.x0_from_noise)
formulas_conditional_score = _cached(F.conditional_score)
formulas_gaussian_data_score = _cached(F.gaussian_data_score)
formulas_model_mean_x0 = _cached(F.model_mean_x0)
losses_dsm_term = _cached(L.dsm_term)
losses_gaussian_kl = _cached(L.gaussian_kl)
losses_x0_kl_weight = _cached(L.x0_kl_weight)
losses_noise_kl_weight = _cached(L.noise_kl_weight)


@functools.lru_cache(maxsize=None)
def _compiled(expr: sp.Expr, keys: tuple):
    return safe_lambdify(list(keys), expr, modules="mpmath")


def _mpf(value) -> mpmath.mpf:
    return value if isinstance(value, mpmath.mpf) else mpmath.mpf(float(value))


def exact(expr: sp.Expr, values: dict) -> float:
    """expr at values (floats, or mpf for inputs not representable in float64) to 80 digits."""
    keys = tuple(values)
    fn = _compiled(expr, keys)
    with mpmath.workdps(80):
        return float(fn(*[_mpf(values[k]) for k in keys]))


def close(actual, expected: float, size: float = 0.0, what=None) -> None:
    actual = float(actual)
    bound = RTOL * max(abs(expected), size, 1e-300)
    assert abs(actual - expected) <= bound, (what, actual, expected, abs(actual - expected) / bound)


def T(value) -> torch.Tensor:
    return torch.tensor([float(value)], dtype=D)


times = st.floats(1e-4, 1.0)
reals = st.floats(-10, 10)
ve_params = st.tuples(st.floats(1e-3, 1.0), st.floats(1.5, 1e3)).map(lambda p: (p[0], p[0] * p[1]))
vp_params = st.tuples(st.floats(0.01, 1.0), st.floats(0.1, 30)).map(lambda p: (p[0], p[0] + p[1]))


def ve_values(params, time):
    return VE(*params), {sigma_min: params[0], sigma_max: params[1], t: time}


def vp_values(cls, params, time):
    return cls(*params), {beta_min: params[0], beta_max: params[1], t: time}


def sde_point(kind: str, data, time):
    """(torch SDE, its SymPy twin, symbol values) for kind in VE / VP / subVP."""
    if kind == "VE":
        sde, values = ve_values(data.draw(ve_params), time)
        return sde, S.VE, values
    cls, twin = (VP, S.VP) if kind == "VP" else (SubVP, S.SUBVP)
    sde, values = vp_values(cls, data.draw(vp_params), time)
    return sde, twin, values


# --- the torch SDE classes against derive.sde, member by member ----------------------------------
# Public torch methods without a derive.sde member of that name, with the reason each exists.
TORCH_ONLY = {
    "kernel_std": "sqrt(kernel_variance), formed without the root of a square that may underflow",
    "step_alphas": "the corrector's Langevin scale s(t_k)^2 / s(t_{k+1})^2 on a time grid",
    "check_time": "validation of a sampler's end time (no formula)",
}
TWIN_CLASSES = [(VE, S.VESDE), (VP, S.VPSDE), (SubVP, S.SubVPSDE)]
DATA_VARIANCE = sp.Symbol("data_variance", positive=True)


def public_methods(cls) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")}


def schedule_expression(twin, name: str) -> sp.Expr:
    """The SymPy expression in t of a schedule member (a method of t or a property)."""
    if name == "kernel_std":
        return sp.sqrt(twin.kernel_variance)
    member = getattr(twin, name)
    return member(t) if callable(member) else member


def _marginal_variance(sde, twin, values):
    return (sde.marginal_variance(T(values[t]), values[DATA_VARIANCE]),
            exact(twin.marginal_variance(DATA_VARIANCE), values), 0.0)


def _probability_flow_drift(sde, twin, values):
    f, g2 = float(sde.f(T(values[t]))), float(sde.g2(T(values[t])))
    return (sde.probability_flow_drift(T(values[x]), T(values[score]), T(values[t])),
            exact(twin.probability_flow_drift(x, score, t), values),
            abs(f * values[x]) + g2 * abs(values[score]))


def _reverse_euler_maruyama(sde, twin, values):
    f, g2 = float(sde.f(T(values[t]))), float(sde.g2(T(values[t])))
    step = values[dt]
    size = abs(values[x]) * (1 + abs(f) * step) + g2 * abs(values[score]) * step \
        + math.sqrt(g2 * step) * abs(values[eps])
    return (sde.reverse_euler_maruyama(T(values[x]), T(values[score]), T(values[t]), T(step),
                                       T(values[eps])),
            exact(twin.reverse_euler_maruyama(x, score, t, dt, eps), values), size)


def _step_alphas(sde, twin, values):
    grid = [values[t], values[t] / 2]
    low, high = (exact(twin.scale, {**values, t: time}) for time in grid)
    return sde.step_alphas(grid)[0], (low / high) ** 2, 0.0


# members that take more than t: (torch value, exact value, size of the terms) at values
CALLS = {"marginal_variance": _marginal_variance, "probability_flow_drift": _probability_flow_drift,
         "reverse_euler_maruyama": _reverse_euler_maruyama, "step_alphas": _step_alphas}


def member_value(name: str, sde, twin, values) -> tuple:
    if name in CALLS:
        return CALLS[name](sde, twin, values)
    return getattr(sde, name)(T(values[t])), exact(schedule_expression(twin, name), values), 0.0


@pytest.mark.parametrize("cls,twin", TWIN_CLASSES, ids=[c.__name__ for c, _ in TWIN_CLASSES])
def test_torch_sde_members_are_sympy_members_or_torch_only(cls, twin):
    """One name per quantity: a torch method is named as its derive.sde member, or is one of the
    documented torch-only helpers (which SymPy must not have under another meaning)."""
    methods = public_methods(cls)
    unknown = {name for name in methods if not hasattr(twin, name)} - set(TORCH_ONLY)
    assert not unknown, f"torch-only members missing from TORCH_ONLY: {sorted(unknown)}"
    assert not any(hasattr(twin, name) for name in TORCH_ONLY)
    assert methods >= set(TORCH_ONLY)


@EXAMPLES
@given(st.sampled_from(["VE", "VP", "subVP"]), st.data(), times, reals, reals, reals,
       st.floats(1e-4, 0.1), st.floats(1e-3, 10.0))
def test_torch_sde_members_equal_sympy(kind, data, time, x_value, score_value, noise_value, step,
                                       data_variance):
    """Every public method but check_time, at the drawn time, parameters and inputs."""
    sde, twin, values = sde_point(kind, data, time)
    values.update({x: x_value, score: score_value, eps: noise_value, dt: step,
                   DATA_VARIANCE: data_variance})
    for name in sorted(public_methods(type(sde)) - {"check_time"}):
        close(*member_value(name, sde, twin, values), what=name)


@EXAMPLES
@given(st.integers(2, 1000), st.floats(1e-5, 1e-3), st.floats(1.1, 100), st.data())
def test_ddpm_linear_and_cosine(n, beta_1, ratio, data):
    beta_n = min(beta_1 * ratio, 0.5)
    i = data.draw(st.integers(1, n))
    sched = DiscreteSchedule.linear(n, beta_1, beta_n)
    ii, nn_, b1, bn = sp.symbols("i n b1 bn")
    close(sched.betas[i], exact(discrete.ddpm_linear_beta(ii, nn_, b1, bn),
                                {ii: i, nn_: n, b1: beta_1, bn: beta_n}))
    # cos^2 near its zero at i = n: the rounding of the angle gives an absolute error ~1e-32
    close(cosine_alphabar(torch.tensor(float(i), dtype=D), n),
          exact(discrete.cosine_alphabar(ii, nn_), {ii: i, nn_: n}), size=1e-4)
    cos = DiscreteSchedule.cosine(n)
    if i < n:  # the last beta is clipped at 0.999 (Nichol & Dhariwal), so abar_n differs
        close(cos.alphabar[i], exact(discrete.cosine_alphabar(ii, nn_), {ii: i, nn_: n}), size=1e-3)
    # the cumulative quantities agree with their definitions in derive.symbols
    close(sched.alphabar[i], float(sched.alphabar_prev[i] * sched.alphas[i]))


# beta_1 down to 1e-8, where 1 - abar_1 = beta_1 is not representable as 1 - (a float64 abar)
beta_firsts = st.sampled_from([1e-8, 1e-7, 1e-6]) | st.floats(1e-8, 1e-3)


def _abar(abar: torch.Tensor, one_minus: torch.Tensor) -> mpmath.mpf:
    """abar as an exact number from whichever of the schedule's abar and 1 - abar holds its
    digits: near 1 no float64 abar keeps 1 - abar, near 0 no float64 1 - abar keeps abar."""
    return _mpf(abar) if abar < 0.5 else 1 - _mpf(one_minus)


def schedule_values(sched: DiscreteSchedule, i: int) -> dict:
    """The schedule's alpha_i = 1 - beta_i, abar_{i-1} and abar_i as exact numbers."""
    with mpmath.workdps(80):
        return {alpha_t: 1 - _mpf(sched.betas[i]),
                abar_tm1: _abar(sched.alphabar_prev[i], sched.one_minus_alphabar_prev[i]),
                abar_t: _abar(sched.alphabar[i], sched.one_minus_alphabar[i])}


def _ddpm_point(data, i_min: int = 2):
    n = data.draw(st.integers(2, 1000))
    sched = DiscreteSchedule.linear(n, data.draw(beta_firsts), data.draw(st.floats(0.01, 0.05)))
    i = data.draw(st.sampled_from([i_min, n]) | st.integers(i_min, n))
    return sched, i, schedule_values(sched, i)


@EXAMPLES
@given(st.data(), reals, reals, reals)
def test_posterior_and_predictions(data, xt_value, x0_value, noise_value):
    sched, i, values = _ddpm_point(data, i_min=1)
    values.update({x_t: xt_value, x_0: x0_value, eps_0: noise_value})
    idx = torch.tensor([i])
    size = abs(xt_value) + abs(x0_value)
    close(fw.posterior_mean(sched, T(xt_value), T(x0_value), idx),
          exact(formulas_posterior_mean(), values), size)
    close(fw.posterior_variance(sched, idx), exact(formulas_posterior_variance(), values))
    scale_, std_ = sched.kernel(idx)
    one_minus = sched.one_minus_alphabar[idx]
    close(fw.x0_from_noise(T(xt_value), T(noise_value), scale_, std_),
          exact(formulas_x0_from_noise(), values), (abs(xt_value) + abs(noise_value)) / float(scale_))
    close(fw.conditional_score(T(xt_value), T(x0_value), scale_, one_minus),
          exact(formulas_conditional_score(), values), size / float(one_minus))
    # model mean from a noise prediction = Luo Eq. 95 with xhat = x0_from_noise(epshat)
    mean_eps = formulas_model_mean_x0().subs(xhat, formulas_x0_from_noise().subs(eps_0, epshat))
    values[epshat] = noise_value
    close(ts.ddpm_mean(sched, T(xt_value), T(noise_value), i), exact(mean_eps, values),
          (abs(xt_value) + abs(noise_value)) / float(scale_))
    # round trips: noise <-> x0 <-> score
    x0_back = fw.x0_from_noise(T(xt_value), T(noise_value), scale_, std_)
    close(fw.noise_from_x0(T(xt_value), x0_back, scale_, std_), noise_value,
          (abs(xt_value) + abs(noise_value)) / float(std_))
    sc = fw.score_from_noise(T(noise_value), std_)
    close(fw.noise_from_score(sc, std_), noise_value)
    close(fw.x0_from_score(T(xt_value), sc, scale_, one_minus), float(x0_back),
          (abs(xt_value) + abs(noise_value)) / float(scale_))


@EXAMPLES
@given(st.sampled_from(["VE", "VP", "subVP"]), st.data(), times, reals, reals)
def test_autograd_score_of_kernel_equals_sympy_derivative(kind, data, time, xt_value, x0_value):
    sde, twin, values = sde_point(kind, data, time)
    log_q = Normal(x_t, twin.scale * x_0, twin.kernel_variance).log_density()
    values.update({x_t: xt_value, x_0: x0_value})
    xt = T(xt_value).reshape(1, 1).requires_grad_(True)
    tt = T(time)
    logp = fw.log_q(xt, T(x0_value).reshape(1, 1), sde.scale(tt), sde.kernel_variance(tt))
    (grad,) = torch.autograd.grad(logp.sum(), xt)
    size = (abs(xt_value) + abs(x0_value)) / float(sde.kernel_variance(tt))
    close(grad, exact(sp.diff(log_q, x_t), values), size)
    close(fw.conditional_score(xt.detach(), T(x0_value).reshape(1, 1), sde.scale(tt),
                               sde.kernel_variance(tt)),
          exact(sp.diff(log_q, x_t), values), size)


@EXAMPLES
@given(st.sampled_from(["VE", "VP"]), st.data(), times, reals, reals, st.sampled_from(["sigma2", "g2"]))
def test_dsm_terms(kind, data, time, pred, noise_value, weighting):
    sde, twin, values = sde_point(kind, data, time)
    tt = T(time)
    weight = tl.dsm_weight(sde, tt, weighting)
    lam_expr = twin.kernel_variance if weighting == "sigma2" else twin.g2(t)
    close(weight, exact(lam_expr, values))
    expr = losses_dsm_term().subs({lam: lam_expr, v: twin.kernel_variance, a: twin.scale})
    values.update({s_theta: pred, eps: noise_value})
    size = float(weight) * (abs(pred) + abs(noise_value) / float(sde.kernel_std(tt))) ** 2
    close(tl.dsm_terms(T(pred).reshape(1, 1), T(noise_value).reshape(1, 1), sde.kernel_std(tt),
                       weight),
          exact(expr, values), size)


@EXAMPLES
@given(reals, st.floats(1e-3, 1e3), reals, st.floats(1e-3, 1e3))
def test_gaussian_kl(mean_q, var_q, mean_p, var_p):
    values = {mu_1: mean_q, v_1: var_q, mu_2: mean_p, v_2: var_p}
    size = var_q / var_p + 1 + abs(math.log(var_q / var_p)) + (mean_q - mean_p) ** 2 / var_p
    close(tl.gaussian_kl(T(mean_q).reshape(1, 1), T(var_q).reshape(1, 1),
                         T(mean_p).reshape(1, 1), T(var_p).reshape(1, 1)),
          exact(losses_gaussian_kl(), values), size)


@EXAMPLES
@given(st.data())
def test_elbo_term_weights(data):
    sched, i, values = _ddpm_point(data)
    idx = torch.tensor([i])
    close(tl.x0_kl_weight(sched, idx), exact(losses_x0_kl_weight(), values))
    close(tl.noise_kl_weight(sched, idx), exact(losses_noise_kl_weight(), values))


@EXAMPLES
@given(st.data(), reals, reals, st.floats(0.01, 5))
def test_gaussian_oracle_score(data, xt_value, mean, std):
    """Continuous kernels N(a x_0, v) and DDPM's (sqrt(abar), 1 - abar)."""
    sched, i, values = _ddpm_point(data)
    values.update({x_t: xt_value, m: mean, s: std})
    oracle = DiagonalGaussianMixture.gaussian([mean], [std ** 2])
    abar, one_minus = sched.alphabar[i], sched.one_minus_alphabar[i]
    close(oracle.score(T(xt_value).reshape(1, 1), abar.sqrt(), one_minus),
          exact(formulas_gaussian_data_score(), values),
          (abs(xt_value) + abs(mean)) / float(abar * std ** 2 + one_minus))
    noise_fn = oracle.noise_fn(sched)
    close(noise_fn(T(xt_value).reshape(1, 1), i),
          -math.sqrt(float(one_minus)) * exact(formulas_gaussian_data_score(), values),
          (abs(xt_value) + abs(mean)) / math.sqrt(float(abar * std ** 2 + one_minus)))
    sde, sv = ve_values(data.draw(ve_params), data.draw(times))
    marginal = marginalize(Normal(x_0, m, s ** 2), Normal(x_t, S.VE.scale * x_0, S.VE.kernel_variance))
    sv.update({x_t: xt_value, m: mean, s: std})
    tt = T(sv[t])
    close(oracle.score_fn(sde)(T(xt_value).reshape(1, 1), tt[0]),
          exact(sp.diff(marginal.rename(x_t).log_density(), x_t), sv),
          (abs(xt_value) + abs(mean)) / float(sde.marginal_variance(tt, std ** 2)))


def test_mixture_score_is_gradient_of_log_density():
    mix = DiagonalGaussianMixture([0.3, 0.7], [[-1.0, 0.5], [1.0, -0.2]], [[0.1, 0.2], [0.3, 0.05]])
    xs = torch.randn(64, 2, dtype=D, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    for scale_, var_ in [(1.0, 0.01), (0.7, 0.5), (torch.rand(64, dtype=D) + 0.1, torch.rand(64, dtype=D))]:
        (grad,) = torch.autograd.grad(mix.log_prob(xs, scale_, var_).sum(), xs)
        torch.testing.assert_close(mix.score(xs.detach(), scale_, var_), grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_generic(dtype):
    sde = VE()
    tt = torch.tensor([0.1, 0.9], dtype=dtype)
    x0 = torch.zeros(2, 3, dtype=dtype)
    xt = fw.q_sample(sde, x0, tt, torch.ones(2, 3, dtype=dtype))
    assert xt.dtype == dtype and sde.kernel_variance(tt).dtype == dtype
    assert sde.marginal_variance(tt, 0.5).dtype == dtype
    assert torch.allclose(xt[:, 0].double(), sde.kernel_std(tt.double()), rtol=1e-6)


# --- edges: t near 0 and 1, sigma tiny and huge, abar near 0 and 1 ------------------------------
EDGE_TIMES = [0.0, 1e-12, 1e-6, 0.5, 1 - 1e-12, 1.0]
FLOAT64_MAX = 1.7e308


def close_or_out_of_range(actual, expected: float, what) -> None:
    """Finite and within RTOL of exact wherever exact is a normal float64; else just not NaN."""
    actual = float(actual)
    if 1e-300 < abs(expected) < FLOAT64_MAX or expected == 0:
        assert math.isfinite(actual), (what, actual, expected)
        assert abs(actual - expected) <= RTOL * abs(expected), (what, actual, expected)
    else:
        assert not math.isnan(actual), (what, actual, expected)


def _schedule_twins(kind: str) -> list:
    """(torch method name, SymPy expression) of each schedule function of t of kind."""
    cls = {"VE": VE, "VP": VP, "subVP": SubVP}[kind]
    twin = {"VE": S.VE, "VP": S.VP, "subVP": S.SUBVP}[kind]
    names = sorted(public_methods(cls) - set(CALLS) - {"check_time"})
    return [(name, schedule_expression(twin, name)) for name in names]


EDGE_SDES = [("VE", VE, sigma_min, sigma_max, p) for p in
             [(1e-200, 1e-199), (1e-200, 1e150), (1e-20, 1e20), (1e-3, 1e3), (1.0, 1.0 + 1e-9)]] + \
            [(kind, cls, beta_min, beta_max, p) for kind, cls in [("VP", VP), ("subVP", SubVP)]
             for p in [(1e-8, 1e-7), (0.1, 20.0), (10.0, 1e4)]]


@pytest.mark.parametrize("kind,cls,low,high,params", EDGE_SDES,
                         ids=[f"{e[0]}-{e[4][0]:g}-{e[4][1]:g}" for e in EDGE_SDES])
def test_schedules_at_the_edges(kind, cls, low, high, params):
    """Every schedule function equals its SymPy twin at t in {0, 1e-12, ..., 1}, for tiny and
    huge sigma and beta, and is finite wherever the exact value is (VE at sigma_min = 1e-200 once
    gave 0 * inf = NaN, and sigma_max/sigma_min overflowed)."""
    sde = cls(*params)
    for name, expr in _schedule_twins(kind):
        for time in EDGE_TIMES:
            values = {low: params[0], high: params[1], t: time}
            close_or_out_of_range(getattr(sde, name)(T(time)), exact(expr, values), (name, time))


@pytest.mark.parametrize("beta_1,n", [(1e-8, 1000), (1e-8, 2), (1e-12, 10), (0.5, 60)])
def test_ddpm_formulas_at_the_edges(beta_1, n):
    """abar near 1 (beta_1 down to 1e-12) and near 0 (beta 0.5 for 60 steps: abar_n ~ 1e-18):
    the posterior, the ELBO weights and the model mean equal their twins at the first, second
    and last steps."""
    sched = DiscreteSchedule.linear(n, beta_1, max(beta_1, 0.5 if beta_1 == 0.5 else 0.02))
    mean_eps = formulas_model_mean_x0().subs(xhat, formulas_x0_from_noise().subs(eps_0, epshat))
    for i in sorted({1, 2, n}):
        values = schedule_values(sched, i)
        values.update({x_t: 0.75, x_0: -1.25, eps_0: 0.5, epshat: 0.5})
        idx = torch.tensor([i])
        close_or_out_of_range(fw.posterior_mean(sched, T(0.75), T(-1.25), idx),
                              exact(formulas_posterior_mean(), values), ("mean", i))
        close_or_out_of_range(fw.posterior_variance(sched, idx),
                              exact(formulas_posterior_variance(), values), ("variance", i))
        close_or_out_of_range(ts.ddpm_mean(sched, T(0.75), T(0.5), i), exact(mean_eps, values),
                              ("ddpm_mean", i))
        scale_, std_ = sched.kernel(idx)
        close_or_out_of_range(fw.x0_from_noise(T(0.75), T(0.5), scale_, std_),
                              exact(formulas_x0_from_noise(), values), ("x0", i))
        if i >= 2:
            close_or_out_of_range(tl.x0_kl_weight(sched, idx), exact(losses_x0_kl_weight(), values),
                                  ("x0 weight", i))
            close_or_out_of_range(tl.noise_kl_weight(sched, idx),
                                  exact(losses_noise_kl_weight(), values), ("noise weight", i))


@pytest.mark.parametrize("var_q,var_p", [(1e-300, 1e300), (1e300, 1e-5), (1e-200, 1e-200),
                                         (5e-324, 1.0)])
def test_gaussian_kl_at_extreme_variances(var_q, var_p):
    """KL is finite when var_q/var_p under- or overflows (log of the ratio formed from logs)."""
    values = {mu_1: 0.5, v_1: var_q, mu_2: -0.5, v_2: var_p}
    close_or_out_of_range(tl.gaussian_kl(T(0.5).reshape(1, 1), T(var_q).reshape(1, 1),
                                         T(-0.5).reshape(1, 1), T(var_p).reshape(1, 1)),
                          exact(losses_gaussian_kl(), values), (var_q, var_p))


@pytest.mark.parametrize("kind", ["VE", "VP", "subVP"])
def test_dsm_terms_and_tweedie_near_t_0(kind):
    """At t = 1e-12 the kernel std is ~1e-6 (VE ~1e-8): the DSM term and Tweedie's x_0 stay
    finite and equal their twins."""
    sde = {"VE": VE(1e-3, 1e3), "VP": VP(), "subVP": SubVP()}[kind]
    twin = {"VE": S.VE, "VP": S.VP, "subVP": S.SUBVP}[kind]
    params = {"VE": {sigma_min: 1e-3, sigma_max: 1e3}}.get(kind, {beta_min: 0.1, beta_max: 20.0})
    for time in (1e-12, 1e-9):
        tt = T(time)
        values = {**params, t: time, s_theta: 0.25, eps: -0.5}
        weight = tl.dsm_weight(sde, tt, "g2")
        expr = losses_dsm_term().subs({lam: twin.g2(t), v: twin.kernel_variance, a: twin.scale})
        got = tl.dsm_terms(T(0.25).reshape(1, 1), T(-0.5).reshape(1, 1), sde.kernel_std(tt), weight)
        size = float(weight) * (0.25 + 0.5 / float(sde.kernel_std(tt))) ** 2
        assert math.isfinite(float(got))
        close(got, exact(expr, values), size)
        x = T(0.3).reshape(1, 1)
        got = ts.tweedie(sde, x, -x / float(sde.kernel_variance(tt)), time)
        assert torch.isfinite(got).all()
