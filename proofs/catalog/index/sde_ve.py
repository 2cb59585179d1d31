"""The variance-exploding SDE, seed 002 and Song et al. 2021 (built in ``sde_ve.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper, seed
from diffproof.proofs.catalog.index._papers import song
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

DERIVATIONS = (
    Entry("linear-sde-kernel-general",
          "for any f(t), g(t): mean s(t) x(0), s = exp(int f), and variance s^2 int g^2/s^2 solve the "
          "moment ODEs d mean/dt = f mean, d var/dt = 2 f var + g^2 with mean(0) = x(0), var(0) = 0",
          (seed("002", "(3.26)-(3.29)"), paper("Saerkkae & Solin 2019, Eqs. 5.50-5.51, 6.6"))),
    Entry("ve-sde-from-smld",
          "the SMLD chain x_i = x_{i-1} + sqrt(sigma_i^2 - sigma_{i-1}^2) z becomes dx = "
          "sqrt(d[sigma^2]/dt) dw",
          (seed("002", "(3.3)-(3.24)"), paper(song("9, 20-21")))),
    Entry("ve-geometric-diffusion",
          "g(t) = sigma(t) sqrt(2 log(sigma_max/sigma_min)) for geometric sigma(t)",
          (seed("002", "(3.34)-(3.38)"), paper(song("30-31")))),
    Entry("ve-kernel",
          "the VE transition kernel N(x(0), sigma(t)^2 - sigma(0)^2) with sigma(0) = sigma_min",
          (seed("002", "(3.25)-(3.33), (3.39)-(3.40)"), paper(song("29, 31")))),
    Entry("ve-sigma0-convention",
          "using sigma(t)^2 (code) for the exact variance sigma(t)^2 - sigma_min^2: relative error "
          "1/((sigma_max/sigma_min)^(2t) - 1)",
          (seed("002", "(3.34), code ve_sde_marginal_prob_statistics"), paper(song("29, 31")))),
    Entry("ve-dsm-target",
          "the denoising score-matching target grad log p_0t(x(t) | x(0)) = -(x(t) - x(0))/var = "
          "-z/std",
          (seed("002", "(3.41)-(3.44), code dsm_loss"), paper(song("7")))),
    Entry("linear-sde-reverse-and-probability-flow",
          "reverse-time SDE drift f x - g^2 score, probability-flow drift f x - g^2 score/2, "
          "Euler-Maruyama",
          (seed("002", "(3.45)-(3.46), Algorithm 3.1"), paper(song("6, 13, 16")))),
    Entry("ve-euler-maruyama-simulation",
          "VE by simulation: Euler-Maruyama paths reproduce the kernel; the reverse SDE from the exact "
          "prior with the exact score of Gaussian data returns the data law",
          (seed("002", "(3.40), Algorithm 3.1"), paper(song("6, 29")))),
)

# Errata of seed 002, each encoded as the seed writes it (for code: the formula the code computes).
ERRATA = (
    ErratumEntry("E002-w-for-dw",
                 seed("002", "(3.22)"),
                 "(3.22) ends in w(t) instead of dw: the increment g(t) w(t) has variance g^2 t, not "
                 "g^2 dt",
                 correct="ve-sde-from-smld",
                 written=(r"\text{d}\boldsymbol{x} = \cdots = \sqrt{\frac{\text{d}[\sigma(t)^2]}{\text{d}t}} "
                          r"\boldsymbol{w}(t)")),
    ErratumEntry("E002-sigma0-zero",
                 seed("002", "(3.34), (3.39)-(3.40), code ve_sde_marginal_prob_statistics"),
                 "sets sigma(0) = 0 although sigma(t) -> sigma_min as t -> 0, and so writes the kernel "
                 "variance as sigma(t)^2 (so does the code: std = sigma(t)); the SDE's kernel variance "
                 "is sigma(t)^2 - sigma_min^2 (see ve-sigma0-convention for the size of the "
                 "difference)",
                 correct="ve-kernel",
                 written=(r"\sigma(0) = 0, \quad t = 0 \\ \sigma(t)^2 - \sigma(0)^2 = \left[\sigma_{min}\left( "
                          r"\frac{\sigma_{max}}{\sigma_{min}} \right)^t \right]^2 - 0^2 = "
                          r"\sigma_{min}^2\left(\frac{\sigma_{max}}{\sigma_{min}} \right)^{2t}")),
    ErratumEntry("E002-reverse-drift-no-x",
                 seed("002", "(3.46), Algorithm 3.1"),
                 "the reverse drift is written f(t) - g^2 score; for dx = f(t) x dt + g dw it is f(t) "
                 "x - g^2 score (harmless for VE, f = 0; wrong for VP); the code uses f*x",
                 correct="linear-sde-reverse-and-probability-flow",
                 written=(r"\text{d}\boldsymbol{x} = \left[f(t) - g(t)^2\nabla \log p_t(\boldsymbol{x})\right] "
                          r"\text{d}t + g(t)\text{d}\bar{\boldsymbol{w}}")),
    ErratumEntry("E002-sampler-unit-prior",
                 seed("002", "Algorithm 3.1 line 1, code euler_maruyama_sample"),
                 "the VE reverse sampler starts from x ~ N(0, I); p_1 is N(m, s^2 + sigma_max^2 - "
                 "sigma_min^2) for data N(m, s^2), ~ N(0, sigma_max^2 I) for data small against "
                 "sigma_max; even with the exact score the output law is then N(m - k m, s^2 (1 - k) + "
                 "k^2), k = s^2/Var x(1)",
                 correct="ve-euler-maruyama-simulation",
                 written=r"\boldsymbol{x} \sim \mathcal{N}(0, \boldsymbol{I})"),
    ErratumEntry("E002-dsm-loss-sqrt",
                 seed("002", "code dsm_loss"),
                 "loss = sqrt(sum (scores - target)^2) * lambda is the Euclidean norm, not the squared "
                 "error of (3.41)/(3.44): its minimizer is a conditional (geometric) median, not the "
                 "score",
                 correct="ve-dsm-target",
                 written=(r"\mathtt{loss} = \mathtt{torch.sqrt}(((\mathtt{scores} - "
                          r"\mathtt{target})^{2}).\mathtt{sum}(\mathtt{dim}=-1)) * \mathtt{lmd}")),
    ErratumEntry("E002-score-model-no-t",
                 seed("002", "code ScoreModel.forward"),
                 "the network sees only x (y = model(x); return y / sigma(t)), so sigma(t) s(x, t) "
                 "cannot depend on t; the exact score of Gaussian data times sigma(t) does",
                 correct="ve-dsm-target",
                 written=(r"\mathtt{forward}(\mathtt{x}, \mathtt{t}) = \mathtt{self.model}(\mathtt{x}) / "
                          r"\mathtt{sigma\_t}")),
    ErratumEntry("E002-alg-g-of-t",
                 seed("002", "Algorithm 3.1 line 4"),
                 "the update uses g(t) where g(t_i) is meant; read with t = 1 (the only t defined "
                 "there) the noise scale is frozen at its largest value (notational, the code uses "
                 "g(t_i))",
                 correct="linear-sde-reverse-and-probability-flow",
                 written=(r"\boldsymbol{x} := \boldsymbol{x} - \left[f(t_i) - g(t_i)^2 "
                          r"s_{\theta}(\boldsymbol{x}, t_i)\right] \Delta t_i + g(t)\sqrt{|\Delta t_i|} "
                          r"\boldsymbol{z}_i")),
)
