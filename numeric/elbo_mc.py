"""Monte Carlo estimates of the VDM ELBO on a linear-Gaussian chain (Luo 2022 Eqs. 37-58).

Three unbiased estimators of the same ELBO, each the integrand of one expression, evaluated at
draws of the forward chain x_{1:T} ~ q(x_{1:T} | x_0):

- ``raw``: log p(x_{0:T}) - log q(x_{1:T} | x_0), the ELBO from its definition (Luo Eq. 37);
- ``first``: the first decomposition (Luo Eq. 44 with the prior term in closed form):
  log p_theta(x_0|x_1) - KL(q(x_T|x_{T-1}) || p(x_T)) + sum_{t=1}^{T-1} log p_theta(x_t|x_{t+1})
  / q(x_t|x_{t-1});
- ``second``: the second decomposition (Luo Eq. 58) with every KL in closed form:
  log p_theta(x_0|x_1) - KL(q(x_T|x_0) || p(x_T)) - sum_{t=2}^T KL(q(x_{t-1}|x_t,x_0) || p_theta).

The integrands are the closed forms of ``numeric.elbo_exact`` (one formula, one place),
compiled with ``derive.codegen.safe_lambdify``; x_0 is fixed at the chain's observed value.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from diffproof.derive import logdensity as L
from diffproof.derive.codegen import safe_lambdify
from diffproof.numeric.elbo_exact import ExactEvaluator, evaluator
from diffproof.numeric.montecarlo import MCSettings, MonteCarloCheck

x = lambda i: L.Var("x", i)  # noqa: E731 - short notation for the chain's variables


def q(out, *given) -> L.Density:
    return L.Density("q", (out,), tuple(given), "q")


def p_theta(out, given) -> L.Density:
    return L.Density("p", (out,), (given,), r"p_\theta")


P_T = L.Density("p", (x(L.T),), (), "p")
Q_JOINT = L.Density("q", (L.Span("x", 1, L.T),), (x(0),), "q")
P_JOINT = L.Density("p", (L.Span("x", 0, L.T),), (), "p")

# the integrands (expressions inside the outer expectation over q(x_{1:T} | x_0))
RAW = L.Log(L.Ratio(P_JOINT, Q_JOINT))
FIRST = L.lin((1, L.Log(p_theta(x(0), x(1)))), (-1, L.KL(q(x(L.T), x(L.T - 1)), P_T)),
              (1, L.ISum(L.Log(L.Ratio(p_theta(x(L.t), x(L.t + 1)), q(x(L.t), x(L.t - 1)))),
                         1, L.T - 1)))
SECOND = L.lin((1, L.Log(p_theta(x(0), x(1)))), (-1, L.KL(q(x(L.T), x(0)), P_T)),
               (-1, L.ISum(L.KL(q(x(L.t - 1), x(L.t), x(0)), p_theta(x(L.t - 1), x(L.t))), 2, L.T)))
ESTIMATORS = {"raw": RAW, "first": FIRST, "second": SECOND}


@dataclass
class ChainSampler:
    """Draws of the forward chain and the compiled integrands for one concrete chain."""

    ev: ExactEvaluator

    def __post_init__(self) -> None:
        chain = self.ev.chain
        self.enc = np.array([[float(v) for v in triple] for triple in chain.enc])
        self.x0 = float(chain.x0)
        self._compiled = {}
        latents = self.ev.X[1:]
        for name, node in ESTIMATORS.items():
            expr = self.ev.value(node).subs(self.ev.X[0], chain.x0)
            self._compiled[name] = safe_lambdify(latents, expr, "numpy")

    def forward(self, rng: np.random.Generator, n: int) -> list[np.ndarray]:
        """x_1..x_T ~ q(. | x_0): x_k = e_k x_{k-1} + f_k + sqrt(g_k) z."""
        values, previous = [], np.full(n, self.x0)
        for e, f, g in self.enc:
            previous = e * previous + f + np.sqrt(g) * rng.standard_normal(n)
            values.append(previous)
        return values

    def integrand(self, name: str, latents: list[np.ndarray]) -> np.ndarray:
        out = self._compiled[name](*latents)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), latents[0].shape).copy()

    def draw(self, name: str):
        def draw(rng: np.random.Generator, n: int) -> np.ndarray:
            return self.integrand(name, self.forward(rng, n))
        return draw


@lru_cache(maxsize=32)
def sampler(T: int, seed: int) -> ChainSampler:
    return ChainSampler(evaluator(T, seed))


def closed_form_elbo(T: int, seed: int) -> float:
    """The ELBO of the chain (T, seed) from the second decomposition, all KLs in closed form."""
    ev = evaluator(T, seed)
    return float(ev.number(L.E(Q_JOINT, SECOND)))


@dataclass
class RawElboCheck:
    """MC check: the raw ELBO estimated from its definition equals the closed-form decomposition
    ``target_node`` (on the random chain (T, seed)); decided by ``numeric.montecarlo.decide``
    with its declared false-fail rate and power.  About 0.1-0.3 s at the default settings."""

    target_node: object
    T: int = 4
    settings: MCSettings = MCSettings()
    name: str = "monte-carlo"

    def run(self, seed: int):
        chain_seed = 1000 * seed
        s = sampler(self.T, chain_seed)
        target = float(s.ev.number(self.target_node))
        check = MonteCarloCheck(f"raw ELBO (sampled forward chain, T = {self.T}) = closed-form "
                                "decomposition", s.draw("raw"), target, settings=self.settings)
        return check.run(seed)


def variance_comparison(T: int, seed: int, n: int = 200_000, rng_seed: int = 0) -> dict:
    """Per-sample mean and variance of the raw, first and second estimators (common draws)."""
    s = sampler(T, seed)
    latents = s.forward(np.random.default_rng(rng_seed), n)
    rows = {}
    for name in ESTIMATORS:
        values = s.integrand(name, latents)
        mean, var = float(values.mean()), float(values.var(ddof=1))
        # standard error of the sample variance: sqrt((m4 - var^2) / n)
        m4 = float(((values - mean) ** 4).mean())
        rows[name] = {"mean": mean, "stderr_mean": (var / n) ** 0.5, "variance": var,
                      "stderr_variance": max(m4 - var ** 2, 0.0) ** 0.5 / n ** 0.5}
    rows["closed_form"] = closed_form_elbo(T, seed)
    rows["n"] = n
    return rows
