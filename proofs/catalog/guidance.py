"""Guidance (classifier, classifier-free, rescale), zero terminal SNR and v-prediction at SNR = 0,
and the library erratum of a flow-matching shift applied twice.

Every guided prediction is computed by ``derive.guidance`` from the path's conversions
(``derive.paths``); the steps compare it with the formula as the papers write it.  Bayes' rule
enters as a definition: grad log p(x | c) = grad log p(c | x) + grad log p(x) (log p(c) has no
x-gradient), i.e. score_c := score_u + g_y.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import guidance as Gd
from diffproof.derive.derivation import Step
from diffproof.derive.paths import DDPM, GENERIC, alpha, v_t
from diffproof.derive.source import library, paper
from diffproof.derive.symbols import abar_t, eps, p_1, q_1, sigma, x, z
from diffproof.proofs.catalog.index._papers import DHARIWAL, HO_SALIMANS, LIN, SALIMANS, luo
from diffproof.proofs.catalog.registry import builds

G = GENERIC
s, w, g_y, gamma = Gd.guidance_scale, Gd.cfg_w, Gd.grad_log_classifier, Gd.gamma_luo
BAYES = {Gd.score_c: Gd.score_u + g_y}        # grad log p(x|c) = grad log p(x) + grad log p(c|x)
ONE_INSTANT = ("alpha, sigma > 0 at one instant of the path z = alpha x + sigma eps",)


@builds("guidance-classifier")
def classifier(entry):
    score = G.convert(eps, "eps", "score", z)
    return entry.derivation(
        conditions=ONE_INSTANT + ("g_y = grad_{x_t} log p(y | x_t), the classifier's gradient; s > 0 "
                                  "the guidance scale",),
        steps=[
            Step(-eps / sigma, "the score of an eps-prediction: -eps/sigma",
                 paper(f"{DHARIWAL}, Sec. 4"), lhs=score),
            Step(-eps / sigma + s * g_y, "tilting p(x_t) by p(y | x_t)^s adds s g_y to the score",
                 paper(f"{DHARIWAL}, Sec. 4"), lhs=Gd.tilted_score(score)),
            Step(eps - s * sigma * g_y, "back to eps by the path's score -> eps conversion: "
                 "eps_hat = eps - s sigma grad log p(y | x_t)", paper(f"{DHARIWAL}, Sec. 4"),
                 lhs=Gd.classifier_guided_eps(G, eps)),
            Step(eps - s * sp.sqrt(1 - abar_t) * g_y,
                 "DDPM (sigma = sqrt(1 - abar_t)): eps_hat = eps - s sqrt(1 - abar_t) grad log "
                 "p(y | x_t)", paper(f"{DHARIWAL}, Algorithm 2"),
                 lhs=Gd.classifier_guided_eps(DDPM, eps)),
            Step(Gd.score_u + g_y, "s = 1: grad log p(x_t) + grad log p(y | x_t) is grad log "
                 "p(x_t | y) by Bayes (log p(y) has no x-gradient)", paper(luo("162-169")),
                 lhs=Gd.tilted_score(Gd.score_u, scale=1)),
        ],
    )


@builds("guidance-cfg")
def classifier_free(entry):
    return entry.derivation(
        conditions=ONE_INSTANT + ("eps_c, eps_u: the conditional and unconditional eps "
                                  "predictions at one z; score_c, score_u their scores",
                                  "Bayes: score_c = score_u + grad log p(c | x)"),
        steps=[
            Step(Gd.cfg(scale=1 + w), "Ho & Salimans' (1 + w) eps_c - w eps_u is eps_u + s (eps_c "
                 "- eps_u) at s = 1 + w", paper(f"{HO_SALIMANS}, Eq. 6"), lhs=Gd.cfg_ho()),
            Step(Gd.eps_c, "w = 0 (s = 1): the conditional prediction", paper(f"{HO_SALIMANS}, Eq. 6"),
                 lhs=Gd.cfg_ho(w=0)),
            Step(Gd.score_u + s * (Gd.score_c - Gd.score_u),
                 "the score of eps_u + s (eps_c - eps_u), by the path's eps <-> score conversion "
                 "(linear): score_u + s (score_c - score_u)", paper(f"{HO_SALIMANS}, Sec. 3.2"),
                 lhs=Gd.cfg_score(G)),
            Step(Gd.score_u + s * g_y, "by Bayes (score_c = score_u + g_c, g_c = grad log p(c | x)): "
                 "grad log p(x) + s grad log p(c | x), the classifier-guided score of an implicit "
                 "classifier", paper(f"{HO_SALIMANS}, Sec. 3.2"),
                 lhs=(Gd.score_u + s * (Gd.score_c - Gd.score_u)).xreplace(BAYES)),
            Step(gamma * Gd.score_c + (1 - gamma) * Gd.score_u,
                 "Luo's form: grad log p(x_t) + gamma (grad log p(x_t | y) - grad log p(x_t)) = "
                 "gamma grad log p(x_t | y) + (1 - gamma) grad log p(x_t)", paper(luo("162-169")),
                 lhs=Gd.cfg_score(G, scale=gamma)),
        ],
    )


@builds("guidance-rescale")
def rescale(entry):
    x_cfg, x_pos = Gd.vector("a"), Gd.vector("b")
    sd_pos, sd_cfg = Gd.std(x_pos), Gd.std(x_cfg)
    scale = sp.Symbol("c", positive=True)
    return entry.derivation(
        conditions=(f"x_cfg = (a_1, .., a_{Gd.COORDINATES}), x_pos = (b_1, .., b_{Gd.COORDINATES}): "
                    "the guided and the positive (conditional) predictions, std over the "
                    "coordinates; std(x_cfg) > 0",),
        steps=[
            Step(sd_pos, "std(x_cfg std(x_pos)/std(x_cfg)) = std(x_pos): the rescaled output has "
                 "the std of the positive prediction", paper(f"{LIN}, Sec. 3.4"),
                 lhs=Gd.std(Gd.rescaled(x_cfg, x_pos))),
            Step(sd_pos / sd_cfg * Gd.mean(x_cfg), "its mean is x_cfg's mean scaled, not x_pos's "
                 "mean: only the std is matched", paper(f"{LIN}, Sec. 3.4"),
                 lhs=Gd.mean(Gd.rescaled(x_cfg, x_pos))),
            Step((q_1 * sd_pos / sd_cfg + 1 - q_1) * x_cfg[0],
                 "phi x_rescaled + (1 - phi) x_cfg is x_cfg times phi std(x_pos)/std(x_cfg) + 1 - "
                 "phi (first coordinate; phi = q_1 in (0, 1))", paper(f"{LIN}, Sec. 3.4"),
                 lhs=Gd.guidance_rescale(x_cfg, x_pos, q_1)[0]),
            Step(scale * sd_cfg, "the std of a positive multiple c x_cfg is c std(x_cfg)",
                 paper(f"{LIN}, Sec. 3.4"), lhs=Gd.std([scale * v for v in x_cfg])),
            Step(q_1 * sd_pos + (1 - q_1) * sd_cfg,
                 "so the final std is phi std(x_pos) + (1 - phi) std(x_cfg): interpolated linearly",
                 paper(f"{LIN}, Sec. 3.4"), lhs=(q_1 * sd_pos / sd_cfg + 1 - q_1) * sd_cfg),
            Step(sp.Integer(1), "the rescale factor std(x_pos)/std(x_cfg) is the same with the "
                 "unbiased std (torch.std, n - 1): the ratio of the two factors is 1",
                 paper(f"{LIN}, Sec. 3.4"),
                 lhs=(Gd.std(x_pos, True) / Gd.std(x_cfg, True)) / (sd_pos / sd_cfg)),
        ],
    )


# ----------------------------------------------------------------------------------------------
first, last, current = Gd.sqrt_abar_first, Gd.sqrt_abar_last, Gd.sqrt_abar
# the last step below the first, and the current one between them: the schedule's order
ORDERED = {last: first * p_1, current: first * p_1 + (first - first * p_1) * q_1}


@builds("zero-snr-rescale")
def zero_snr(entry):
    rescaled = Gd.zero_snr_rescale()
    return entry.derivation(
        conditions=("sqrt(abar) decreasing: sqrt(abar_T) = p_1 sqrt(abar_1), sqrt(abar_t) = "
                    "sqrt(abar_T) + q_1 (sqrt(abar_1) - sqrt(abar_T)), p_1, q_1 in (0, 1): every "
                    "step between the first and the last of any schedule",),
        definitions=ORDERED,
        steps=[
            Step(first, "the first step is kept: sqrt(abar_1) -> sqrt(abar_1)",
                 paper(f"{LIN}, Algorithm 1"), lhs=Gd.zero_snr_rescale(first)),
            Step(sp.Integer(0), "the last is sent to 0: sqrt(abar_T) -> 0",
                 paper(f"{LIN}, Algorithm 1"), lhs=Gd.zero_snr_rescale(last)),
            Step(sp.Integer(0), "so abar_T = 0 and SNR_T = abar_T/(1 - abar_T) = 0: zero terminal SNR",
                 paper(f"{LIN}, Sec. 3.1"), lhs=DDPM.snr.subs(abar_t, Gd.zero_snr_rescale(last) ** 2)),
            Step(first / (first - last), "the map is affine with slope sqrt(abar_1)/(sqrt(abar_1) "
                 "- sqrt(abar_T)) > 0: the order of the steps is kept",
                 paper(f"{LIN}, Algorithm 1"), lhs=sp.diff(rescaled, current)),
            Step(-last * (first - current) / (first - last),
                 "new - old = -sqrt(abar_T) (sqrt(abar_1) - sqrt(abar_t))/(sqrt(abar_1) - "
                 "sqrt(abar_T))", paper(f"{LIN}, Algorithm 1"), lhs=rescaled - current),
            Step(sp.Integer(0), "<= 0: every step between keeps or loses signal (SNR lowered)",
                 paper(f"{LIN}, Sec. 3.1"), relation="<="),
        ],
    )


@builds("zero-snr-v-prediction")
def zero_snr_v(entry):
    at_zero = {alpha: 0, sigma: 1}
    x_from_eps = G.convert(eps, "eps", "x", z)
    return entry.derivation(
        conditions=("the terminal step of a zero-terminal-SNR schedule: alpha = 0, sigma = 1 "
                    "(alpha^2 + sigma^2 = 1); elsewhere alpha, sigma > 0",),
        steps=[
            Step(eps, "at alpha = 0, sigma = 1: z = alpha x + sigma eps = eps carries no x",
                 paper(f"{LIN}, Sec. 3.1"), lhs=G.sample(x, eps).xreplace(at_zero)),
            Step(-x, "v = alpha eps - sigma x = -x there: the v target is the (negated) data",
                 paper(f"{LIN}, Sec. 3.2; {SALIMANS}, Sec. 4"),
                 lhs=G.target("v", x, eps).xreplace(at_zero)),
            Step(-v_t, "x from a v-prediction, (alpha z - sigma v)/(alpha^2 + sigma^2), is defined "
                 "there: x = -v", paper(f"{LIN}, Sec. 3.2; {SALIMANS}, Sec. 4"),
                 lhs=G.convert(v_t, "v", "x", z).xreplace(at_zero)),
            Step(alpha, "x from an eps-prediction, (z - sigma eps)/alpha, has the denominator "
                 "alpha: singular at alpha = 0 (SNR = 0)", paper(f"{LIN}, Sec. 3.2"),
                 lhs=sp.denom(sp.together(x_from_eps))),
            Step(alpha, "... and there no x can be recovered from (z, eps): dz/dx = alpha vanishes",
                 paper(f"{LIN}, Sec. 3.2"), lhs=sp.diff(G.sample(x, eps), x)),
            Step(z - sigma * eps, "alpha x_hat = z - sigma eps holds at every alpha > 0; at alpha = 0 "
                 "it reads 0 = z - eps, true for every x: the eps -> x conversion is undefined "
                 "there, not a number", paper(f"{LIN}, Sec. 3.2"), lhs=alpha * x_from_eps),
        ],
    )


# ----------------------------------------------------------------------------------------------
k = sp.Symbol("k", positive=True)          # the shift; 1/N the last training sigma, N > 1


def flow_shift(value: sp.Expr, shift: sp.Expr = k) -> sp.Expr:
    """S(s) = k s/(1 + (k - 1) s): the static time shift of flow-matching schedulers (SD3)."""
    return shift * value / (1 + (shift - 1) * value)


@builds("diffusers-flow-shift-twice")
def flow_shift_twice(entry):
    last_unshifted = q_1                               # 1/N in (0, 1)
    sigma_min = flow_shift(last_unshifted)             # stored by __init__, after the shift
    return entry.claim(
        "setting N timesteps again ends at the last sigma first computed: S(S(1/N)) = S(1/N) "
        "(as the code computes it)",
        start=flow_shift(sigma_min),                   # set_timesteps: the shift applied again
        steps=[Step(sigma_min, "the code's claim: setting the timesteps again reproduces the schedule first computed",
                    library("huggingface/diffusers", "issue", 13243,
                            "src/diffusers/schedulers/scheduling_flow_match_euler_discrete.py"))],
        conditions=("k > 0 the shift (k = 3 in the issue's reproduction), q_1 = 1/N in (0, 1)",),
    )
