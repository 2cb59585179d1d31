"""Euler-Maruyama simulations of the linear SDEs of derive.sde (numpy, float64, one dimension).

The coefficients f(t), g(t) and the exact kernels are the SymPy expressions of :mod:`derive.sde`,
lambdified once (never retyped).  Because every process here is linear in x (forward SDE; reverse
SDE with the exact score of Gaussian data, which is affine in x), the law of the *discretized*
chain is Gaussian and its mean and variance follow an exact scalar recursion.  A simulation check
therefore splits into two statements, each with its own method:

1. monte-carlo: the simulated paths have the mean and variance of the Euler-Maruyama chain's own
   law (z-test of numeric.montecarlo, declared false-fail rate and power);
2. numeric (the discretization bound): that law differs from the continuous-time law (the exact
   kernel, or the data law after the reverse process) by at most a stated bound, computed by the
   recursion, e.g. 1.6 % of the variance for VE with 400 steps.

Run times (2-core CI machine, default settings): a forward-kernel check ~0.3 s, a reverse-sampler
check ~0.6 s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from diffproof.derive.verdict import FAILS, HOLDS, Evidence, FrozenMap, Verdict
from diffproof.derive.sde import VE, VP, LinearSDE
from diffproof.derive.symbols import beta_max, beta_min, sigma_max, sigma_min, t
from diffproof.derive.codegen import safe_lambdify
from diffproof.numeric.montecarlo import MCSettings, MonteCarloCheck

Scalar = Callable[[float], float]

# The parameters of the simulated processes (Song et al. use sigma_max = 50 on CIFAR-10; 5 keeps
# the step count small while sigma_max^2 = 25 still dwarfs the unit prior the seed starts from).
VE_PARAMS = {sigma_min: 0.01, sigma_max: 5.0}
VP_PARAMS = {beta_min: 0.1, beta_max: 20.0}
# Gaussian data x(0) ~ N(2, 2^2): spread comparable to sigma_max, as Song & Ermon (2020) choose it
# (sigma_max ~ the largest distance between data points), so a wrong prior shows in the output.
DATA_MEAN, DATA_STD = 2.0, 2.0

# monte-carlo settings of the process checks: draws are standardized, so rel_tol is the smallest
# detected error in units of the standard deviation (mean) and of the variance (relative).
PROCESS_MC = MCSettings(false_fail=1e-6, power=0.999, rel_tol=0.05, abs_floor=1e-3, pilot=2048,
                        batch=65_536, max_n=400_000)
# the Euler-Maruyama chains of the process checks, and the stated bound on the distance between
# the chain's exact law and the continuous one (relative, mean in units of the sd)
PROCESS_STEPS, PROCESS_BOUND = 400, 0.02


def simulation_conditions(params: dict) -> tuple[str, str]:
    """The conditions a simulation derivation states: its parameters, data and grid, then the
    error rates of its checks (from PROCESS_MC, PROCESS_STEPS, PROCESS_BOUND)."""
    shown = ", ".join(f"{symbol.name} = {value}" for symbol, value in params.items())
    rate = f"{PROCESS_MC.false_fail:g}".replace("e-0", "e-")
    return (f"{shown}, data N({DATA_MEAN}, {DATA_STD}^2), {PROCESS_STEPS} steps on [0, 1]",
            f"monte-carlo: false-fail rate {rate} per check, detects "
            f"{PROCESS_MC.rel_tol:.0%} of the sd in the mean and {PROCESS_MC.rel_tol:.0%} of the "
            f"variance with power {PROCESS_MC.power:g}; numeric: the chain's exact law "
            f"(recursion) is within the stated {PROCESS_BOUND:.0%} of the continuous law")


@dataclass(frozen=True)
class Coefficients:
    """f(t), g(t) and the exact kernel of one SDE at fixed parameter values (numpy callables)."""

    name: str
    f: Scalar
    g: Scalar
    scale: Scalar            # s(t) = exp(int_0^t f)
    kernel_variance: Scalar  # s(t)^2 int_0^t g^2 / s^2

    @staticmethod
    def of(sde: LinearSDE, params: dict) -> "Coefficients":
        return _coefficients(sde.name, tuple(sorted((k.name, float(v)) for k, v in params.items())))


@lru_cache(maxsize=None)
def _coefficients(name: str, items: tuple) -> Coefficients:
    sde = {"VE": VE, "VP": VP}[name]
    subs = {sp.Symbol(k, positive=True): v for k, v in items}

    def fn(expr):
        expr = sp.sympify(expr).subs(subs)
        if expr.free_symbols - {t}:
            raise ValueError(f"{name}: parameters missing for {expr.free_symbols - {t}}")
        compiled = safe_lambdify([t], expr, modules="numpy")
        return lambda time: float(compiled(time))

    return Coefficients(name, fn(sde.f(t)), fn(sde.g(t)), fn(sde.scale), fn(sde.kernel_variance))


# -- forward process ------------------------------------------------------------------------------
def forward_paths(c: Coefficients, x0: float, t_end: float, n_steps: int, n_paths: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Euler-Maruyama x <- x + f(t_k) x dt + g(t_k) sqrt(dt) z from x(0) = x0 to t_end."""
    _positive_steps(n_steps, t_end)
    dt = t_end / n_steps
    x = np.full(n_paths, float(x0))
    for k in range(n_steps):
        tk = k * dt
        x = x + c.f(tk) * x * dt + c.g(tk) * np.sqrt(dt) * rng.standard_normal(n_paths)
    return x


def forward_em_moments(c: Coefficients, x0: float, t_end: float, n_steps: int) -> tuple[float, float]:
    """Exact mean and variance of the Euler-Maruyama chain of :func:`forward_paths`."""
    _positive_steps(n_steps, t_end)
    dt = t_end / n_steps
    mean, var = float(x0), 0.0
    for k in range(n_steps):
        a = 1 + c.f(k * dt) * dt
        mean, var = a * mean, a * a * var + c.g(k * dt) ** 2 * dt
    return mean, var


# -- reverse process with the exact score of Gaussian data ------------------------------------------
def gaussian_score(c: Coefficients, mean0: float, var0: float) -> Callable[[np.ndarray, float], np.ndarray]:
    """grad log p_t for x(0) ~ N(mean0, var0): -(x - s m) / (s^2 var0 + kernel variance)."""
    def score(x, time):
        s = c.scale(time)
        return -(x - s * mean0) / (s * s * var0 + c.kernel_variance(time))
    return score


def reverse_paths(c: Coefficients, score, prior_mean: float, prior_var: float, n_steps: int,
                  n_paths: int, rng: np.random.Generator) -> np.ndarray:
    """Seed 002 Algorithm 3.1 with the correct drift f x - g^2 score: from x(1) ~ N(prior_mean,
    prior_var), x <- x - (f(t_i) x - g(t_i)^2 score(x, t_i)) dt + g(t_i) sqrt(dt) z, t_i = i/N."""
    _positive_steps(n_steps, 1.0)
    if prior_var < 0:
        raise ValueError(f"prior variance must be >= 0, got {prior_var}")
    dt = 1.0 / n_steps
    x = prior_mean + np.sqrt(prior_var) * rng.standard_normal(n_paths)
    for i in range(n_steps, 0, -1):
        ti = i * dt
        g = c.g(ti)
        x = x - (c.f(ti) * x - g * g * score(x, ti)) * dt + g * np.sqrt(dt) * rng.standard_normal(n_paths)
    return x


def reverse_em_moments(c: Coefficients, mean0: float, var0: float, prior_mean: float,
                       prior_var: float, n_steps: int) -> tuple[float, float]:
    """Exact mean and variance of :func:`reverse_paths` with :func:`gaussian_score` (affine in x)."""
    _positive_steps(n_steps, 1.0)
    dt = 1.0 / n_steps
    mean, var = float(prior_mean), float(prior_var)
    for i in range(n_steps, 0, -1):
        ti = i * dt
        s, g = c.scale(ti), c.g(ti)
        total = s * s * var0 + c.kernel_variance(ti)
        a = 1 - c.f(ti) * dt - g * g * dt / total          # x coefficient of the update
        b = g * g * dt * s * mean0 / total                   # constant term of the update
        mean, var = a * mean + b, a * a * var + g * g * dt
    return mean, var


def _positive_steps(n_steps: int, t_end: float) -> None:
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    if not 0 < t_end <= 1:
        raise ValueError(f"t_end must lie in (0, 1], got {t_end!r}")


# -- checks ---------------------------------------------------------------------------------------
def moment_check(what: str, sample: Callable[[np.random.Generator, int], np.ndarray],
                 mean: float, var: float, params: dict) -> MonteCarloCheck:
    """monte-carlo: E[(x - mean)/sd] = 0 and E[(x - mean)^2/var] = 1 for the simulated x."""
    sd = float(np.sqrt(var))

    def draw(rng, k):
        u = (sample(rng, k) - mean) / sd
        return np.column_stack([u, u * u])

    return MonteCarloCheck(what, draw, [0.0, 1.0], scale=1.0, settings=PROCESS_MC, params=params)


@dataclass(frozen=True)
class SimulationEvidence(Evidence):
    """An Euler-Maruyama simulation against the exact law: both (mean, variance) pairs, the stated
    bound and the relative errors (flattened into the details under their names)."""

    what: str
    em: tuple[float, float]
    exact: tuple[float, float]
    bound: float
    errors: dict = field(default_factory=dict, metadata={"flatten": True})
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", FrozenMap(self.errors))
        object.__setattr__(self, "params", FrozenMap(self.params))


@dataclass
class DiscretizationBound:
    """numeric: |law of the Euler-Maruyama chain - continuous-time law| <= stated bound, both sides
    computed (the chain by its exact recursion, the continuous law from diffproof.derive.sde)."""

    what: str
    em: Callable[[], tuple[float, float]]
    exact: tuple[float, float]
    bound: float                         # on |mean diff|/sd and |var diff|/var
    name: str = "numeric"
    params: dict = field(default_factory=dict)

    def run(self, seed: int) -> Verdict:
        mean_em, var_em = self.em()
        mean, var = self.exact
        errors = {"mean error / sd": abs(mean_em - mean) / np.sqrt(var),
                  "relative variance error": abs(var_em - var) / var}
        details = SimulationEvidence(what=self.what, em=(mean_em, var_em), exact=(mean, var),
                                     bound=self.bound, errors=errors, params=self.params)
        worst = max(errors.values())
        if worst <= self.bound:
            return Verdict(HOLDS, "numeric", evidence=details,
                           reason=f"discretization error {worst:.3g} <= stated bound {self.bound:g} "
                                  "(float64 recursion of the chain's exact law)")
        return Verdict(FAILS, "numeric", evidence=details, reason=f"{worst:.3g} > {self.bound:g}",
                       counterexample={**self.params, "em_mean": mean_em, "em_variance": var_em,
                                       "mean": mean, "variance": var, "error": worst})


def forward_kernel_checks(sde: LinearSDE, params: dict, x0: float = DATA_MEAN, t_end: float = 1.0,
                          n_steps: int = PROCESS_STEPS, bound: float = PROCESS_BOUND):
    """The two checks of 'Euler-Maruyama paths reproduce the transition kernel' (issue item 7)."""
    c = Coefficients.of(sde, params)
    mean_em, var_em = forward_em_moments(c, x0, t_end, n_steps)
    exact = (c.scale(t_end) * x0, c.kernel_variance(t_end))
    report = {"sde": sde.name, "x0": x0, "t": t_end, "steps": n_steps,
              **{k.name: v for k, v in params.items()}}
    sample = lambda rng, k: forward_paths(c, x0, t_end, n_steps, k, rng)  # noqa: E731
    return [moment_check(f"{sde.name} Euler-Maruyama paths have the chain's mean and variance",
                         sample, mean_em, var_em, report),
            DiscretizationBound(f"{sde.name} chain law vs the kernel N(s(t) x0, s^2 sigma'^2)",
                                lambda: (mean_em, var_em), exact, bound, params=report)]


def reverse_sampler_checks(sde: LinearSDE, params: dict, prior: tuple[float, float] | None = None,
                           n_steps: int = PROCESS_STEPS, bound: float = PROCESS_BOUND,
                           against: str = "chain"):
    """Reverse SDE from ``prior`` (default: the exact p_1) with the exact score of N(m, s^2) data.

    Returns (monte-carlo check, discretization bound, the chain's exact (mean, variance)).  The
    monte-carlo check compares the paths with the chain's own law (``against="chain"``) or, to
    test a claim that the sampler returns the data, with the data law (``against="data"``)."""
    if against not in ("chain", "data"):
        raise ValueError(f"against must be 'chain' or 'data', got {against!r}")
    c = Coefficients.of(sde, params)
    var0 = DATA_STD ** 2
    if prior is None:
        s1 = c.scale(1.0)
        prior = (s1 * DATA_MEAN, s1 * s1 * var0 + c.kernel_variance(1.0))
    score = gaussian_score(c, DATA_MEAN, var0)
    report = {"sde": sde.name, "prior_mean": prior[0], "prior_variance": prior[1], "steps": n_steps,
              "data_mean": DATA_MEAN, "data_std": DATA_STD, **{k.name: v for k, v in params.items()}}
    sample = lambda rng, k: reverse_paths(c, score, prior[0], prior[1], n_steps, k, rng)  # noqa: E731
    em = reverse_em_moments(c, DATA_MEAN, var0, prior[0], prior[1], n_steps)
    target = em if against == "chain" else (DATA_MEAN, var0)
    what = ("reverse sampler paths have the chain's mean and variance" if against == "chain"
            else "reverse sampler output has the data law N(m, s^2)")
    return (moment_check(f"{sde.name} {what}", sample, target[0], target[1], report),
            DiscretizationBound(f"{sde.name} reverse chain law vs the data law",
                                lambda: em, (DATA_MEAN, var0), bound, params=report),
            em)
