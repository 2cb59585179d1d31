"""Contracts of the samplers written in the noise level sigma (diffusers' Euler, Euler-ancestral,
Heun and EDM-Euler schedulers), built from derive/sigma_steps.py and derive/edm.py (never
retyped); registered into contracts.CONTRACTS by :func:`register`."""
from __future__ import annotations

from diffproof.derive import edm
from diffproof.derive import sigma_steps as S
from diffproof.derive.symbols import abar_t, eps_0, sigma, sigma_max, sigma_min, x_0

KINDS = {"epsilon": "eps", "sample": "x", "v_prediction": "v"}      # diffusers -> derive/paths
STEP_INPUTS = ("sigma", "sigma_next", "x", "model_output")
KARRAS = "Karras, Aittala, Aila & Laine 2022"


def _contracts(Contract):
    yield Contract("sigma-of-abar", "sigma = sqrt((1 - abar_t)/abar_t)",
                   f"{KARRAS}, Table 1 (VP); 1/sqrt(SNR) of derive/paths.py DDPM", ("abar_t",),
                   lambda: ((abar_t,), S.sigma_of_abar(abar_t)))
    yield Contract("abar-of-sigma", "abar = 1/(1 + sigma^2)",
                   f"{KARRAS}, Table 1 (VP); sigma-of-abar solved for abar", ("sigma",),
                   lambda: ((sigma,), S.abar_of_sigma(sigma)))
    yield Contract("sigma-noising", "x = y + sigma n", f"{KARRAS}, Sec. 2 (s = 1; derive/paths.py EDM)",
                   ("sigma", "x_0", "eps"), lambda: ((sigma, x_0, eps_0), S.sigma_noising(x_0, eps_0)))
    yield Contract("denoiser-from-epsilon", "D = x - sigma eps", f"{KARRAS}, Eq. 3 and Table 1 (VP); "
                   "derive/sigma_steps.py denoiser", ("sigma", "x", "model_output"),
                   lambda: ((sigma, S.point, S.value), S.denoiser("eps")))
    yield Contract("rho-schedule", "sigma_i = (sigma_max^(1/rho) + u (sigma_min^(1/rho) - "
                   "sigma_max^(1/rho)))^rho, u = i/(N - 1)", f"{KARRAS}, Eq. 5",
                   ("sigma_max", "sigma_min", "rho", "u"),
                   lambda: ((sigma_max, sigma_min, edm.rho, edm.ramp), edm.rho_schedule()))
    yield Contract("scale-model-input", "x_t = x / sqrt(sigma^2 + 1)",
                   f"{KARRAS}, Table 1 (VP: s = 1/sqrt(sigma^2 + 1))", ("sigma", "x"),
                   lambda: ((sigma, S.point), S.input_scale() * S.point))
    yield Contract("edm-c-in", "c_in x = x / sqrt(sigma^2 + sigma_data^2)", f"{KARRAS}, Table 1",
                   ("sigma", "sigma_data", "x"),
                   lambda: ((sigma, edm.sigma_data, S.point), edm.table_c_in() * S.point))
    yield Contract("edm-c-noise", "c_noise = log(sigma)/4", f"{KARRAS}, Table 1", ("sigma",),
                   lambda: ((sigma,), edm.table_c_noise()))
    yield Contract("edm-f-target", "F = (D - c_skip x)/c_out: the network output whose "
                   "preconditioned denoiser is D", f"{KARRAS}, Sec. 5 and App. B.6 (F_target)",
                   ("sigma", "sigma_data", "x", "D"),
                   lambda: ((sigma, edm.sigma_data, S.point, edm.D), edm.effective_target().xreplace(
                       {edm.n: S.point - edm.y}).xreplace({edm.y: edm.D})))
    for name, kind in KINDS.items():
        yield Contract(f"euler-sigma-step-{name}", "x + (sigma_next - sigma) (x - D)/sigma, D = x_0 "
                       f"of the {name} prediction at x_t = x/sqrt(sigma^2 + 1)",
                       f"{KARRAS}, Eq. 4 and Algorithm 1 (Euler)", STEP_INPUTS,
                       (lambda k: lambda: ((sigma, S.sigma_next, S.point, S.value),
                                           S.euler_step(k)))(kind))
        yield Contract(f"heun-step-{name}", "x + h (d(x, sigma) + d(x', sigma_next))/2, x' = x + h "
                       f"d(x, sigma), h = sigma_next - sigma, D from the {name} prediction",
                       f"{KARRAS}, Algorithm 1 (lines 5-8)", STEP_INPUTS + ("model_output_2",),
                       (lambda k: lambda: ((sigma, S.sigma_next, S.point, S.value, S.value_2),
                                           S.heun_step(k)))(kind))
        yield Contract(f"euler-ancestral-step-{name}", "Euler to sigma_down plus sigma_up z, "
                       "sigma_up^2 = sigma_next^2 (sigma^2 - sigma_next^2)/sigma^2, sigma_down^2 = "
                       "sigma_next^2 - sigma_up^2",
                       "Ho et al. 2020, Eqs. 6-7 in the VE chain (derive/sigma_steps.py); "
                       f"{KARRAS}, Eq. 4", STEP_INPUTS + ("noise",),
                       (lambda k: lambda: ((sigma, S.sigma_next, S.point, S.value, S.noise),
                                           S.ancestral_step(k)))(kind))
    for name, sign in (("epsilon", 1), ("v_prediction", -1)):
        yield Contract(f"edm-euler-step-{name}", "x + (sigma_next - sigma) (x - D)/sigma, D = c_skip x"
                       f" {'+' if sign > 0 else '-'} c_out F", f"{KARRAS}, Table 1 and Algorithm 1",
                       ("sigma", "sigma_next", "sigma_data", "x", "model_output"),
                       (lambda g: lambda: ((sigma, S.sigma_next, edm.sigma_data, S.point, S.value),
                                           S.edm_euler_step(g)))(sign))


def register(add, Contract) -> None:
    for contract in _contracts(Contract):
        add(contract)
