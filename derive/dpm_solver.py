"""DPM-Solver (Lu et al. 2022) and DPM-Solver++ (Lu et al. 2022b) on a Gaussian path.

The probability-flow ODE of :mod:`derive.paths` is semi-linear: in noise-prediction form
dz/dt = f z + g^2/(2 sigma) eps_hat, in data-prediction form dz/dt = (sigma'/sigma) z + (alpha' -
alpha sigma'/sigma) x_hat.  Variation of constants with lambda = log(alpha/sigma) as the variable
solves the linear part exactly (Lu et al. 2022, Prop. 3.1; Lu et al. 2022b, Sec. 3):

    eps:  x_t = (alpha_t/alpha_s) x_s - alpha_t int_{lambda_s}^{lambda_t} e^{-lambda} eps_hat dlambda
    x:    x_t = (sigma_t/sigma_s) x_s + sigma_t int_{lambda_s}^{lambda_t} e^{lambda} x_hat dlambda

:func:`exact_solution` writes these along a path of functions alpha(t), sigma(t) with the
prediction a free function of lambda; :func:`solution_rate` differentiates them in t (SymPy's
Leibniz rule) and reads the result at one instant, where it can be compared with
``paths.GENERIC.probability_flow``.  The one-step solvers integrate the same integrals with the
prediction frozen at the start (:func:`first_order`), or, for DPM-Solver++(2M), extrapolated
linearly in lambda from the last two predictions (:func:`multistep_2m`).  A step goes between two
instants of a path (``paths.GaussianPath`` objects of one instant each, such as :data:`START` and
:data:`END`); its h = lambda_end - lambda_start comes from their ``log_snr_half``.

The torch twin (numeric/torchdiff/dpm_solver.py) is tested against :func:`coefficients`.
"""
from __future__ import annotations

from functools import cache

import sympy as sp

from diffproof.derive.paths import DDPM, GENERIC, GaussianPath, alpha, alpha_dot, sigma_dot
from diffproof.derive.symbols import abar_t, abar_tm1, epshat, sigma, t, xhat

KINDS = ("eps", "x")

# the start and the end of one step, and the instant before the start (DPM-Solver's t_{i-1},
# t_i and t_{i-2}); each a path of one instant, without time derivatives
alpha_s, sigma_s = sp.Symbol("alpha_s", positive=True), sp.Symbol("sigma_s", positive=True)
alpha_e, sigma_e = sp.Symbol("alpha_e", positive=True), sp.Symbol("sigma_e", positive=True)
alpha_p, sigma_p = sp.Symbol("alpha_p", positive=True), sp.Symbol("sigma_p", positive=True)
START = GaussianPath("start", alpha_s, sigma_s, time=None)
END = GaussianPath("end", alpha_e, sigma_e, time=None)
PREVIOUS = GaussianPath("previous", alpha_p, sigma_p, time=None)
# the same three instants given by (alpha, lambda): sigma = alpha e^{-lambda}, so h and r are
# differences of symbols (the multistep formulas' natural variables)
lam_s, lam_e, lam_p = (sp.Symbol(n, real=True) for n in ("lambda_s", "lambda_e", "lambda_p"))
START_L = GaussianPath("start", alpha_s, alpha_s * sp.exp(-lam_s), time=None)
END_L = GaussianPath("end", alpha_e, alpha_e * sp.exp(-lam_e), time=None)
PREVIOUS_L = GaussianPath("previous", alpha_p, alpha_p * sp.exp(-lam_p), time=None)
# DDPM one index earlier: the end of a DDIM step from abar_t to abar_{t-1}
DDPM_PREVIOUS = GaussianPath("DDPM t-1", sp.sqrt(abar_tm1), sp.sqrt(1 - abar_tm1), time=None)

x_s = sp.Symbol("x_s", real=True)                    # the state at the start
x0_now = sp.Symbol("hat_x_i-1", real=True)              # x_hat at the start (t_{i-1})
x0_prev = sp.Symbol("hat_x_i-2", real=True)            # x_hat one step earlier (t_{i-2})
integral = sp.Symbol("J", real=True)                 # the value of the integral up to t
h = sp.Symbol("h", positive=True)                    # a step in lambda
slope = sp.Symbol("d", real=True)                    # d x_hat / d lambda

_lam = sp.Dummy("lambda", real=True)                 # the integration variable
_prediction = sp.Function("prediction")             # eps_hat or x_hat along the trajectory
_alpha_fn, _sigma_fn = sp.Function("alpha")(t), sp.Function("sigma")(t)
_TRAJECTORY = GaussianPath("trajectory", _alpha_fn, _sigma_fn)


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown prediction {kind!r}; one of {KINDS}")


def _weighted_integral(kind: str, integrand: sp.Expr, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
    """The solution's integral term: -alpha int e^{-lambda} eps dlambda or
    +sigma int e^{lambda} x dlambda, without its alpha or sigma factor."""
    weight = sp.exp(-_lam) if kind == "eps" else sp.exp(_lam)
    sign = -1 if kind == "eps" else 1
    return sign * sp.Integral(weight * integrand, (_lam, lower, upper))


def _linear_factor(kind: str, path: GaussianPath) -> sp.Expr:
    """alpha for the noise form, sigma for the data form: the factor of the linear part."""
    return path.alpha if kind == "eps" else path.sigma


def exact_solution(kind: str) -> sp.Expr:
    """x(t) from x_s at the start by variation of constants (Lu et al. 2022, Prop. 3.1; 2022b,
    Sec. 3), along alpha(t), sigma(t), with the prediction a function of lambda."""
    _check(kind)
    factor, start = _linear_factor(kind, _TRAJECTORY), _linear_factor(kind, START)
    return factor * (x_s / start + _weighted_integral(kind, _prediction(_lam), START.log_snr_half,
                                                     _TRAJECTORY.log_snr_half))


def _at_instant(expr: sp.Expr, value: sp.Symbol) -> sp.Expr:
    """An expression in alpha(t), sigma(t) and the prediction read at one instant: GENERIC's
    symbols, the prediction's value ``value`` and the integral's value J."""
    derivatives = {sp.Derivative(_alpha_fn, t): alpha_dot, sp.Derivative(_sigma_fn, t): sigma_dot}
    expr = expr.replace(lambda e: isinstance(e, sp.Integral), lambda e: integral)
    expr = expr.xreplace(derivatives).xreplace({_alpha_fn: alpha, _sigma_fn: sigma})
    return expr.replace(_prediction, lambda *_: value)


@cache
def solution_rate(kind: str, value: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(d/dt of :func:`exact_solution`, the solution's value), both at one instant where the
    prediction equals ``value`` and the integral from lambda_s is J."""
    solution = exact_solution(kind)
    return _at_instant(sp.diff(solution, t), value), _at_instant(solution, value)


def solution_at_start(kind: str) -> sp.Expr:
    """:func:`exact_solution` at t = s: the integral from lambda_s to lambda_s vanishes."""
    solution = exact_solution(kind).xreplace({_alpha_fn: alpha_s, _sigma_fn: sigma_s})
    return solution.doit()


def step(start: GaussianPath = START, end: GaussianPath = END) -> sp.Expr:
    """h = lambda_end - lambda_start."""
    return end.log_snr_half - start.log_snr_half


def first_order(kind: str, x: sp.Expr = x_s, prediction: sp.Expr | None = None,
                start: GaussianPath = START, end: GaussianPath = END) -> sp.Expr:
    """The exact solution from start to end with the prediction frozen at its start value,
    integrated: DPM-Solver-1 (kind "eps") and DPM-Solver++(1) (kind "x")."""
    _check(kind)
    if prediction is None:
        prediction = epshat if kind == "eps" else xhat
    # the prediction is constant over the step: integrate the weight alone
    term = _weighted_integral(kind, sp.Integer(1), start.log_snr_half, end.log_snr_half).doit()
    term *= prediction
    return _linear_factor(kind, end) * (x / _linear_factor(kind, start) + term)


def multistep_2m(x: sp.Expr = x_s, now: sp.Expr = x0_now, before: sp.Expr = x0_prev,
                 start: GaussianPath = START_L, end: GaussianPath = END_L,
                 previous: GaussianPath = PREVIOUS_L) -> sp.Expr:
    """DPM-Solver++(2M) (Lu et al. 2022b, Algorithm 2): the data-form first-order update with
    x_hat replaced by D = (1 + 1/(2r)) x0_now - 1/(2r) x0_prev, r = h_prev / h."""
    r = step(previous, start) / step(start, end)
    return first_order("x", x, multistep_estimate(now, before, r), start, end)


def multistep_estimate(now: sp.Expr, before: sp.Expr, r: sp.Expr) -> sp.Expr:
    """D = (1 + 1/(2r)) now - 1/(2r) before (Lu et al. 2022b, Algorithm 2)."""
    return (1 + 1 / (2 * r)) * now - before / (2 * r)


def local_error_2m() -> sp.Expr:
    """The 2M update minus the exact solution over one step of size h in lambda, for an x_hat that
    is linear in lambda (x_hat = x0_now + (lambda - lambda_s) d, so x0_prev = x0_now - h_prev d):
    computed by integrating, in units of alpha_end."""
    lam_s = START.log_snr_half
    lam_e = lam_s + h
    linear = x0_now + (_lam - lam_s) * slope
    exact = sigma_e * (x_s / sigma_s + _weighted_integral("x", linear, lam_s, lam_e).doit())
    h_prev = sp.Symbol("h_prev", positive=True)
    update = sigma_e * (x_s / sigma_s + _weighted_integral(
        "x", multistep_estimate(x0_now, x0_now - h_prev * slope, h_prev / h), lam_s, lam_e).doit())
    return (update - exact).xreplace({sigma_e: alpha_e * sp.exp(-lam_e)})


def local_error_2m_leading() -> sp.Expr:
    """The Taylor polynomial of :func:`local_error_2m` in h up to h^3 (computed by SymPy)."""
    error = sp.expand(sp.simplify(local_error_2m()))
    return sp.expand(sp.series(error, h, 0, 4).removeO())


def noise_level_instant(name: str, level: sp.Expr) -> GaussianPath:
    """The instant of the DDPM (variance-preserving) path whose noise level, as the VE/EDM
    sigma = sigma_path/alpha_path = e^{-lambda}, is ``level``: abar solved from SNR = abar/(1 -
    abar) = 1/level^2 (so alpha = 1/sqrt(1 + level^2), Karras et al. 2022, Table 1, VP's s).
    Schedulers that store this sigma (diffusers' DPMSolverMultistepScheduler) step between such
    instants; at level 0 the instant is the data (alpha = 1, sigma = 0)."""
    (abar,) = sp.solve(sp.Eq(DDPM.snr, 1 / level ** 2), abar_t)
    return GaussianPath(name, sp.simplify(DDPM.alpha.xreplace({abar_t: abar})),
                        sp.simplify(DDPM.sigma.xreplace({abar_t: abar})), time=None)


def coefficients(kind: str) -> tuple[sp.Expr, sp.Expr]:
    """(c_x, c_pred) with first_order(kind) = c_x x_s + c_pred prediction (the torch twin's)."""
    prediction = sp.Symbol("prediction", real=True)
    update = sp.expand(first_order(kind, x_s, prediction))
    c_x, c_pred = sp.diff(update, x_s), sp.diff(update, prediction)
    if sp.simplify(update - c_x * x_s - c_pred * prediction) != 0:   # pragma: no cover - a bug
        raise ValueError("the first-order update is not linear in (x_s, prediction)")
    return c_x, c_pred


def probability_flow(kind: str, value: sp.Expr, z: sp.Expr) -> sp.Expr:
    """The ODE the exact solution solves, at one instant (derive.paths)."""
    return GENERIC.probability_flow(value, kind, z)


__all__ = ["KINDS", "alpha_s", "sigma_s", "alpha_e", "sigma_e", "alpha_p", "sigma_p", "START",
           "END", "PREVIOUS", "lam_s", "lam_e", "lam_p", "START_L", "END_L", "PREVIOUS_L",
           "DDPM_PREVIOUS", "x_s", "x0_now", "x0_prev", "integral", "h",
           "slope", "exact_solution", "solution_rate", "solution_at_start", "step",
           "first_order", "multistep_2m", "multistep_estimate", "local_error_2m",
           "local_error_2m_leading", "noise_level_instant", "coefficients", "probability_flow"]
