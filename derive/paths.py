"""Gaussian paths z_t = alpha_t x + sigma_t eps: one form for VP, sub-VP, VE, DDPM, EDM and flow
matching (Kingma et al. 2021, Sec. 2; Lu et al. 2022, Sec. 2).

Everything here is derived once, in general form, from the pair (alpha, sigma) and its time
derivatives: the signal-to-noise ratio SNR = alpha^2/sigma^2 and lambda = log(alpha/sigma); the SDE
coefficients f = d log alpha/dt and g^2 = d sigma^2/dt - 2 f sigma^2 that give the kernel
N(alpha x, sigma^2) (Kingma et al. 2021, appendix; Lu et al. 2022, Sec. 2); the conversions among
the predictions x, eps, score, v = alpha eps - sigma x (Salimans & Ho 2022, Sec. 4) and the flow
velocity d z_t/dt = alpha' x + sigma' eps, each solved from these definitions by the algebra; and the
probability-flow ODE (Song et al. 2021, Eq. 13), inherited from :class:`derive.sde.LinearSDE`.

The general formulas are written in placeholders (alpha, sigma, alpha', sigma') and a path
substitutes its own: explicit functions of t (differentiated by SymPy), or the symbols of one
instant (:data:`GENERIC`: alpha, sigma, alpha_dot, sigma_dot; :data:`EDM`: s(t), sigma, s_dot,
sigma_dot).  A discrete schedule (:data:`DDPM`) has no time derivative.
"""
from __future__ import annotations

from functools import cache, cached_property

import sympy as sp

from diffproof.derive.gaussian import Normal
from diffproof.derive.sde import LinearSDE
from diffproof.derive.symbols import S_t, abar_t, sigma, t

# the symbols of one instant of a path (values at t; their t-derivatives are separate symbols)
alpha = sp.Symbol("alpha", positive=True)
alpha_dot = sp.Symbol("dot_alpha", real=True)
sigma_dot = sp.Symbol("dot_sigma", real=True)
s_dot = sp.Symbol("dot_s", real=True)
# the v target (Salimans & Ho) and the flow velocity, and their predictions
v_t = sp.Symbol("v_t", real=True)
v_theta = sp.Symbol("v_theta", real=True)
u_t = sp.Symbol("u_t", real=True)
u_theta = sp.Symbol("u_theta", real=True)

PREDICTIONS = ("x", "eps", "score", "v", "velocity")

# placeholders of the general formulas
_A, _S = sp.Dummy("alpha", positive=True), sp.Dummy("sigma", positive=True)
_DA, _DS = sp.Dummy("alpha_dot", real=True), sp.Dummy("sigma_dot", real=True)
_X, _E, _Z, _V = (sp.Dummy(n, real=True) for n in ("x", "eps", "z", "value"))


def _rate(expr: sp.Expr) -> sp.Expr:
    """d/dt of an expression in alpha and sigma (x and eps held fixed): the chain rule."""
    return sp.diff(expr, _A) * _DA + sp.diff(expr, _S) * _DS


def _from_x_eps(kind: str, x: sp.Expr, noise: sp.Expr) -> sp.Expr:
    """The prediction ``kind`` as a function of the data x and the noise eps of z = alpha x +
    sigma eps (the definitions; the score is computed from the Gaussian q(z | x))."""
    if kind == "x":
        return x
    if kind == "eps":
        return noise
    if kind == "score":          # grad_z log N(z; alpha x, sigma^2) at z = alpha x + sigma eps
        z = sp.Dummy("z", real=True)
        score = sp.diff(Normal(z, _A * x, _S ** 2).log_density(), z)
        return sp.cancel(score.subs(z, _A * x + _S * noise))
    if kind == "v":              # Salimans & Ho 2022, Sec. 4
        return _A * noise - _S * x
    if kind == "velocity":       # d z_t/dt along the path, x and eps fixed
        return _rate(_A * _X + _S * _E).xreplace({_X: x, _E: noise})
    raise ValueError(f"unknown prediction {kind!r}; one of {PREDICTIONS}")


@cache
def _to_x_eps(kind: str) -> tuple[sp.Expr, sp.Expr]:
    """(x, eps) in the placeholders z and value, solved from z = alpha x + sigma eps and
    value = kind(x, eps) (a linear system; for the velocity its determinant is
    alpha sigma' - sigma alpha' = -alpha sigma dlambda/dt, nonzero while lambda is monotone)."""
    (solution,) = sp.solve([_Z - (_A * _X + _S * _E), _V - _from_x_eps(kind, _X, _E)], [_X, _E],
                           dict=True)
    return sp.factor(solution[_X]), sp.factor(solution[_E])


class GaussianPath(LinearSDE):
    """z_t = alpha(t) x + sigma(t) eps.  ``alpha_dot``/``sigma_dot``: the time derivatives, by
    default d/dt of alpha and sigma; a path of one instant gives them as symbols.  ``time=None``:
    a discrete schedule, without time derivatives.

    As a :class:`LinearSDE` it has f(t) and g(t)^2 derived from (alpha, sigma), and inherits the
    reverse and probability-flow drifts (Song et al. 2021, Eqs. 6 and 13) and the kernel computed
    back from f and g (meaningful for paths given as functions of t)."""

    def __init__(self, name: str, alpha: sp.Expr, sigma: sp.Expr, alpha_dot: sp.Expr | None = None,
                 sigma_dot: sp.Expr | None = None, time: sp.Symbol | None = t):
        self.name, self.alpha, self.sigma, self.time = name, sp.sympify(alpha), sp.sympify(sigma), time
        if time is not None:
            alpha_dot = sp.diff(self.alpha, time) if alpha_dot is None else alpha_dot
            sigma_dot = sp.diff(self.sigma, time) if sigma_dot is None else sigma_dot
        self.alpha_dot, self.sigma_dot = alpha_dot, sigma_dot

    def __repr__(self) -> str:
        return f"GaussianPath({self.name!r}, alpha={self.alpha}, sigma={self.sigma})"

    @classmethod
    def at_instant(cls, name: str, alpha_t: sp.Expr, sigma_t: sp.Expr,
                   instant: dict) -> "GaussianPath":
        """A path of functions of t (``sympy.Function``) read at one instant: ``instant`` maps each
        function to (its value symbol, its derivative symbol); SymPy differentiates alpha(t) and
        sigma(t) (the product rule of EDM's s(t) sigma(t)) before the symbols replace them."""
        derivatives = {sp.Derivative(fn, t): d for fn, (_, d) in instant.items()}
        values = {fn: value for fn, (value, _) in instant.items()}

        def here(expr: sp.Expr) -> sp.Expr:
            return expr.xreplace(derivatives).xreplace(values)
        return cls(name, here(alpha_t), here(sigma_t), here(sp.diff(alpha_t, t)),
                   here(sp.diff(sigma_t, t)))

    def at(self, expr: sp.Expr) -> sp.Expr:
        """A general formula (in the placeholders) for this path."""
        values = {_A: self.alpha, _S: self.sigma}
        if expr.has(_DA, _DS):
            if self.time is None:
                raise ValueError(f"{self.name}: a discrete schedule has no time derivative")
            values.update({_DA: self.alpha_dot, _DS: self.sigma_dot})
        return expr.xreplace(values)

    # -- the path and its noise level ----------------------------------------------------------
    def sample(self, x: sp.Expr, noise: sp.Expr) -> sp.Expr:
        """z_t = alpha x + sigma eps."""
        return self.at(_A * x + _S * noise)

    @cached_property
    def snr(self) -> sp.Expr:
        """SNR = alpha^2 / sigma^2  (Kingma et al. 2021, Sec. 2)."""
        return self.at(_A ** 2 / _S ** 2)

    @cached_property
    def log_snr_half(self) -> sp.Expr:
        """lambda = log(alpha / sigma) = log(SNR)/2  (Lu et al. 2022, Sec. 3)."""
        return self.at(sp.log(_A / _S))

    @cached_property
    def snr_rate(self) -> sp.Expr:
        """d SNR/dt."""
        return self.at(_rate(_A ** 2 / _S ** 2))

    @cached_property
    def lambda_rate(self) -> sp.Expr:
        """d lambda/dt."""
        return self.at(_rate(sp.log(_A / _S)))

    # -- the SDE coefficients ------------------------------------------------------------------
    @cached_property
    def drift_coefficient(self) -> sp.Expr:
        """f = d log alpha / dt."""
        return self.at(_rate(sp.log(_A)))

    @cached_property
    def g_squared(self) -> sp.Expr:
        """g^2 = d sigma^2/dt - 2 f sigma^2: the variance ODE d var/dt = 2 f var + g^2 with
        var = sigma^2, solved for g^2."""
        return self.at(_rate(_S ** 2) - 2 * _rate(sp.log(_A)) * _S ** 2)

    def _in_time(self, expr: sp.Expr, time: sp.Expr) -> sp.Expr:
        return expr if self.time is None or time == self.time else expr.subs(self.time, time)

    def f(self, time: sp.Expr = t) -> sp.Expr:
        return self._in_time(self.drift_coefficient, time)

    def g2(self, time: sp.Expr = t) -> sp.Expr:
        return self._in_time(self.g_squared, time)

    def g(self, time: sp.Expr = t) -> sp.Expr:
        return sp.sqrt(self.g2(time))

    # -- predictions ---------------------------------------------------------------------------
    def target(self, kind: str, x: sp.Expr, noise: sp.Expr) -> sp.Expr:
        """The prediction ``kind`` of the pair (x, eps): x, eps, score = -eps/sigma,
        v = alpha eps - sigma x, velocity = alpha' x + sigma' eps."""
        return self.at(_from_x_eps(kind, x, noise))

    def x_eps(self, kind: str, value: sp.Expr, z: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """(x, eps) from z and the prediction ``value`` of kind ``kind``, solved."""
        x, noise = _to_x_eps(kind)
        return tuple(self.at(e).xreplace({_Z: z, _V: value}) for e in (x, noise))

    def convert(self, value: sp.Expr, source: str, target: str, z: sp.Expr) -> sp.Expr:
        """The prediction of kind ``target`` equivalent, at z, to ``value`` of kind ``source``."""
        x, noise = _to_x_eps(source)
        out = sp.factor(sp.cancel(_from_x_eps(target, x, noise)))
        return self.at(out).xreplace({_Z: z, _V: value})

    def probability_flow(self, value: sp.Expr, kind: str, z: sp.Expr) -> sp.Expr:
        """dz/dt of the probability-flow ODE (Song et al. 2021, Eq. 13) with the score given by
        a prediction of kind ``kind``."""
        return self.probability_flow_drift(z, self.convert(value, kind, "score", z), self.time)


@cache
def sde_path(sde: LinearSDE) -> GaussianPath:
    """The path of an SDE's kernel (VE, VP, sub-VP): alpha = s(t), sigma = sqrt(kernel variance),
    both computed from f and g by :mod:`derive.sde` (so made on first use: integrals)."""
    return GaussianPath(sde.name, sde.scale, sp.sqrt(sde.kernel_variance))


# -- the family ----------------------------------------------------------------------------------
_alpha_fn, _sigma_fn = sp.Function("alpha")(t), sp.Function("sigma")(t)
GENERIC = GaussianPath.at_instant("generic", _alpha_fn, _sigma_fn,
                                  {_alpha_fn: (alpha, alpha_dot), _sigma_fn: (sigma, sigma_dot)})
DDPM = GaussianPath("DDPM", sp.sqrt(abar_t), sp.sqrt(1 - abar_t), time=None)
# EDM (Karras et al. 2022, Sec. 2): x = s(t) (y + sigma(t) n), with s(t), sigma(t) at one instant
_s_fn = sp.Function("s")(t)
EDM = GaussianPath.at_instant("EDM", _s_fn, _s_fn * _sigma_fn,
                              {_s_fn: (S_t, s_dot), _sigma_fn: (sigma, sigma_dot)})
# flow matching / rectified flow: data at t = 0, noise at t = 1
FLOW = GaussianPath("flow matching", 1 - t, t)
