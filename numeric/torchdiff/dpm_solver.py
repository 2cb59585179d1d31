"""DPM-Solver, DPM-Solver++ and flow-matching Euler: the torch twins of derive/dpm_solver.py and
derive/flow_matching.py.

Coefficients (float64 Python floats) of one step from (alpha_s, sigma_s) to (alpha_e, sigma_e),
h = lambda_e - lambda_s with lambda = log(alpha/sigma):

- DPM-Solver-1:    x_e = (alpha_e/alpha_s) x_s - sigma_e (e^h - 1) eps_hat        (Lu et al. 2022)
- DPM-Solver++(1): x_e = (sigma_e/sigma_s) x_s - alpha_e (e^{-h} - 1) x_hat       (Lu et al. 2022b)
- DPM-Solver++(2M): x_hat replaced by (1 + 1/(2r)) x0_now - 1/(2r) x0_prev, r = h_prev/h

(e^h - 1 by expm1, so a small step keeps its digits); tests/test_torch_dpm_solver.py compares them
with derive.dpm_solver.coefficients and multistep_2m at Hypothesis-drawn points.  time_shift is
SD3's t -> s t/(1 + (s - 1) t), computed in float64 and cast to t's dtype at the end.

Samplers, in samplers.py's signature and callback:

- dpm_solver_pp_2m: a score model on a linear SDE (alpha = s(t), sigma = kernel std), x_hat by
  Tweedie; the first step is first order (no previous prediction);
- flow_euler: Euler on dz/dt = u(z, t) for a velocity model on the path alpha = 1 - t, sigma = t
  (rectified flow, data at t = 0), from t_max down to t_min; ``shift`` = s != 1 spaces the times
  by SD3's shift: a uniform grid between the preimages of t_max and t_min (the shift by 1/s is
  the shift's inverse), mapped by the shift, so the ends stay and the steps crowd toward the
  noise for s > 1 (flow_times);
- flow_euler_sde: the same Euler steps driven by a linear SDE's score model (``diffproof sample
  --sampler flow-euler``).  The kernel x_t = s (x_0 + r eps), r = sqrt(v)/s (EDM's sigma(t)), is
  the flow path at time tau = r/(1 + r) (derive.flow_matching.time_of_noise_ratio) with
  z = alpha(tau) x_t / s; the score in z is s/alpha times the score in x (chain rule), and the
  velocity is paths.convert(score, "score", "velocity"), the twin of derive.paths.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from diffproof.numeric.torchdiff import paths as P
from diffproof.numeric.torchdiff.edm import edm_sigma, time_of_sigma
from diffproof.numeric.torchdiff.samplers import (Callback, NoiseFn, ScoreFn, _finish, _report,
                                                  _time, time_grid, tweedie)
from diffproof.numeric.torchdiff.schedules import LinearSDE

Tensor = torch.Tensor
VelocityFn = Callable[[Tensor, Tensor], Tensor]


def _log_snr_half(alpha: float, sigma: float) -> float:
    if not (alpha > 0 and sigma > 0):
        raise ValueError(f"a DPM-Solver step needs alpha, sigma > 0, got {alpha}, {sigma}")
    return math.log(alpha) - math.log(sigma)


def step_size(alpha_s: float, sigma_s: float, alpha_e: float, sigma_e: float) -> float:
    """h = lambda_e - lambda_s."""
    return _log_snr_half(alpha_e, sigma_e) - _log_snr_half(alpha_s, sigma_s)


def first_order(kind: str, alpha_s: float, sigma_s: float, alpha_e: float,
                sigma_e: float) -> tuple[float, float]:
    """(c_x, c_pred) of DPM-Solver-1 (kind "eps") or DPM-Solver++(1) (kind "x")."""
    h = step_size(alpha_s, sigma_s, alpha_e, sigma_e)
    if kind == "eps":
        return alpha_e / alpha_s, -sigma_e * math.expm1(h)
    if kind == "x":
        return sigma_e / sigma_s, -alpha_e * math.expm1(-h)
    raise ValueError(f"unknown prediction {kind!r}; one of ('eps', 'x')")


def multistep_2m(alpha_s: float, sigma_s: float, alpha_e: float, sigma_e: float,
                 h_prev: float) -> tuple[float, float, float]:
    """(c_x, c_now, c_prev) of DPM-Solver++(2M): x_e = c_x x_s + c_now x0_now + c_prev x0_prev."""
    c_x, c_pred = first_order("x", alpha_s, sigma_s, alpha_e, sigma_e)
    half_over_r = step_size(alpha_s, sigma_s, alpha_e, sigma_e) / (2 * h_prev)
    return c_x, c_pred * (1 + half_over_r), -c_pred * half_over_r


def time_shift(t: Tensor, shift: float) -> Tensor:
    """SD3's shift s t / (1 + (s - 1) t), in float64, cast to t's dtype at the end."""
    t = torch.as_tensor(t)
    dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
    t64 = t.to(torch.float64)
    return (shift * t64 / (1 + (shift - 1) * t64)).to(dtype)


def _alpha_sigma(sde: LinearSDE, t: float) -> tuple[float, float]:
    tt = torch.tensor(t, dtype=torch.float64)
    return float(sde.scale(tt)), float(sde.kernel_std(tt))


@torch.inference_mode()
def dpm_solver_pp_2m(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 20,
                     t_min: float = 1e-3, denoise: bool = False, generator=None,
                     callback: Callback | None = None, noise: NoiseFn | None = None) -> Tensor:
    """DPM-Solver++(2M) from T down to t_min on the SDE's time grid (Lu et al. 2022b, Alg. 2)."""
    del generator, noise  # an ODE solver draws nothing
    sde, times = schedule, time_grid(schedule, n_steps, t_min)
    previous = None                                    # (x0 at the previous start, its h)
    for k in range(n_steps):
        t, t_next = times[k], times[k + 1]
        (a_s, s_s), (a_e, s_e) = _alpha_sigma(sde, t), _alpha_sigma(sde, t_next)
        # 1. the data prediction at the start: Tweedie's x_hat from the score
        x0 = tweedie(sde, x, model(x, _time(t, x)), t)
        h = step_size(a_s, s_s, a_e, s_e)
        # 2. first order on the first step, else the 2M combination of x0 and the previous x0
        if previous is None:
            c_x, c_now = first_order("x", a_s, s_s, a_e, s_e)
            x_new = torch.add(x * c_x, x0, alpha=c_now)
        else:
            c_x, c_now, c_prev = multistep_2m(a_s, s_s, a_e, s_e, previous[1])
            x_new = x * c_x + c_now * x0 + c_prev * previous[0]
        previous = (x0, h)
        x = x_new
        # 3. report, with the data prediction of stage 1
        _report(callback, k, t_next, x, lambda: x0)
    return _finish(model, sde, x, times[-1], denoise)


def time_of_noise_ratio(ratio):
    """tau = r/(1 + r): the flow time at which sigma/alpha = r (derive.flow_matching
    .time_of_noise_ratio), in float64."""
    r = torch.as_tensor(ratio, dtype=torch.float64)
    return r / (1 + r)


def _check_shift(shift: float) -> None:
    if not (math.isfinite(shift) and shift > 0):
        raise ValueError(f"the time shift must be a finite number > 0, got {shift}")


def flow_times(n_steps: int, t_max: float = 1.0, t_min: float = 0.0,
               shift: float = 1.0) -> list[float]:
    """n_steps + 1 decreasing times from t_max to t_min: uniform, or with shift s the image under
    SD3's shift of a uniform grid between the preimages of the ends (float64)."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if not 0 <= t_min < t_max <= 1:
        raise ValueError(f"need 0 <= t_min < t_max <= 1, got {t_min}, {t_max}")
    _check_shift(shift)
    if shift == 1:
        return torch.linspace(t_max, t_min, n_steps + 1, dtype=torch.float64).tolist()
    ends = time_shift(torch.tensor([t_max, t_min], dtype=torch.float64), 1 / shift).tolist()
    grid = time_shift(torch.linspace(*ends, n_steps + 1, dtype=torch.float64), shift).tolist()
    grid[0], grid[-1] = t_max, t_min                    # the ends exactly, not after a round trip
    return grid


def _euler(velocity: Callable[[int, Tensor], Tensor], x: Tensor, times: list[float],
           callback: Callback | None) -> Tensor:
    """Euler steps z + (t_next - t) u over the times, u = velocity(k, z) at times[k]; "denoised"
    is z - t u (the x of z = (1 - t) x + t eps, u = eps - x)."""
    for k in range(len(times) - 1):
        t, t_next = times[k], times[k + 1]
        u = velocity(k, x)
        x_start, x = x, torch.add(x, u, alpha=t_next - t)
        _report(callback, k, t_next, x, lambda: torch.add(x_start, u, alpha=-t))
    return x


@torch.inference_mode()
def flow_euler(model: VelocityFn, x: Tensor, *, n_steps: int = 50, t_max: float = 1.0,
               t_min: float = 0.0, shift: float = 1.0,
               callback: Callback | None = None) -> Tensor:
    """Euler on dz/dt = u(z, t) from t_max down to t_min on the rectified-flow path alpha = 1 - t,
    sigma = t over flow_times(n_steps, t_max, t_min, shift); ``model`` is the velocity
    (x, t) -> u.  The callback's "denoised" is the x_hat the velocity implies, z - t u (from
    z = (1 - t) x + t eps, u = eps - x)."""
    times = flow_times(n_steps, t_max, t_min, shift)
    return _euler(lambda k, z: model(z, _time(times[k], z)), x, times, callback)


@torch.inference_mode()
def flow_euler_sde(model: ScoreFn, x: Tensor, schedule: LinearSDE, *, n_steps: int = 50,
                   t_min: float = 1e-3, shift: float = 1.0, denoise: bool = False,
                   generator=None, callback: Callback | None = None,
                   noise: NoiseFn | None = None) -> Tensor:
    """Flow-matching Euler from T down to t_min with a score model of a linear SDE (see the
    module's docstring): flow times from tau(T) to tau(t_min), spaced by ``shift``.  Returns x
    at t_min in the SDE's coordinates, or with denoise the x_0 the last velocity implies
    (Tweedie's estimate; one more model evaluation).  The callback reports SDE times and x."""
    del generator, noise  # an ODE solver draws nothing
    sde = schedule
    sde.check_time(t_min)
    ends = time_of_noise_ratio(edm_sigma(sde, torch.tensor([sde.T, t_min], dtype=torch.float64)))
    taus = flow_times(n_steps, *ends.tolist(), shift)
    taus64 = torch.tensor(taus, dtype=torch.float64)
    path = P.flow_matching(taus64)
    times = time_of_sigma(sde, path.sigma / path.alpha)
    factors = (sde.scale(times) / path.alpha).tolist()      # x = s z / alpha at each flow time
    times = times.tolist()

    def velocity(k: int, z: Tensor, kind: str = "velocity") -> Tensor:
        score = model(z * factors[k], _time(times[k], z)) * factors[k]
        return P.convert(score, "score", kind, z, P.flow_matching(taus64[k:k + 1]))

    def report(info: dict) -> None:
        k = info["i"] + 1
        callback({**info, "t": times[k], "x": info["x"] * factors[k]})
    z = _euler(velocity, x / factors[0], taus, report if callback else None)
    if denoise:
        return velocity(n_steps, z, "x")
    return z * factors[-1]
