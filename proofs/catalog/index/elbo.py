"""ELBO decompositions step by step, seed 001 and Luo 2022 Eqs. 5-58 (built in ``elbo.py``)."""
from __future__ import annotations

from diffproof.derive.source import paper, seed
from diffproof.proofs.catalog.index._papers import luo
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

SLIDE_EVIDENCE = "slide 'ELBO' (Eqs. 9-16)"
SLIDE_VAE = "slide 'VAE' Loss (ELBO)"
SLIDE_HVAE = "slide 'HVAE'"
SLIDE_FIRST = "slide 'Diffusion Models の新しいLoss'"
SLIDE_SECOND = "slide 'Diffusion Models の修正したLoss'"


DERIVATIONS = (
    Entry("elbo-evidence",
          "log p(x) = ELBO + KL(q_phi(z|x) || p(z|x)) >= ELBO",
          (seed("001", SLIDE_EVIDENCE), paper(luo("9-16")))),
    Entry("elbo-jensen",
          "the ELBO by Jensen's inequality: log p(x) >= E_q[log p(x, z) / q_phi(z|x)]",
          (paper(luo("5-8")),)),
    Entry("vae-elbo",
          "VAE: ELBO = reconstruction term - KL(q_phi(z|x) || p(z))",
          (seed("001", SLIDE_VAE), paper(luo("17-19")))),
    Entry("elbo-conjugate-gaussian",
          "conjugate model z ~ N(0,1), x|z ~ N(z, s^2): log p(x) = ELBO + KL exactly for any q = N(m, "
          "v); the gap closes at the true posterior",
          (seed("001", SLIDE_EVIDENCE, luo("15")),)),
    Entry("hvae-elbo",
          "Markovian hierarchical VAE: the joint, the posterior and their ELBO",
          (seed("001", SLIDE_HVAE), paper(luo("23-29")))),
    Entry("vdm-elbo-first",
          "VDM, first derivation: reconstruction - prior matching + consistency terms",
          (seed("001", SLIDE_FIRST), paper(luo("34-45")))),
    Entry("vdm-bayes-markov",
          "q(x_t|x_{t-1}) = q(x_t|x_{t-1}, x_0) = q(x_{t-1}|x_t, x_0) q(x_t|x_0) / q(x_{t-1}|x_0)",
          (seed("001", SLIDE_SECOND), paper(luo("46")))),
    Entry("vdm-elbo-second",
          "VDM, second derivation: reconstruction - prior matching - denoising matching terms",
          (seed("001", SLIDE_SECOND), paper(luo("46-58")))),
)

# the seed's wrong lines (encoded as written in elbo.py)
ERRATA = (
    ErratumEntry("seed001-vdm-second-final-sign",
                 seed("001", f"{SLIDE_SECOND}, line 12 (final line)", luo("58")),
                 "the final line adds the denoising matching terms (+ sum_{t=2}^T E[KL(...)]); the "
                 "line before it gives minus: ELBO = reconstruction - prior matching - sum of KLs",
                 correct="vdm-elbo-second",
                 written=(r"= \underbrace{\mathbb{E}_{q(\mathbf{x}_1|\mathbf{x}_0)} [\log "
                          r"p_{\theta}(\mathbf{x}_0|\mathbf{x}_1)]}_{\text{reconstruction term}} - "
                          r"\underbrace{D_{\text{KL}}(q(\mathbf{x}_T|\mathbf{x}_0) \parallel "
                          r"p(\mathbf{x}_T))}_{\text{prior matching term}} \\ + \sum_{t=2}^T "
                          r"\underbrace{\mathbb{E}_{q(\mathbf{x}_t|\mathbf{x}_0)} "
                          r"[D_{\text{KL}}(q(\mathbf{x}_{t-1}|\mathbf{x}_t, \mathbf{x}_0) \parallel "
                          r"p_{\theta}(\mathbf{x}_{t-1}|\mathbf{x}_t))]}_{\text{denoising matching term}}")),
    ErratumEntry("seed001-vdm-second-missing-division",
                 seed("001", f"{SLIDE_SECOND}, line 6", luo("52")),
                 "the line replaces q(x_t|x_{t-1}, x_0) by q(x_{t-1}|x_t, x_0) q(x_t|x_0) without the "
                 "division by q(x_{t-1}|x_0) (the next line restores it)",
                 correct="vdm-elbo-second",
                 written=(r"= \mathbb{E}_{q(\mathbf{x}_{1:T}|\mathbf{x}_0)} \left[\log \frac{p(\mathbf{x}_T) "
                          r"p_{\theta}(\mathbf{x}_0|\mathbf{x}_1)}{q(\mathbf{x}_1|\mathbf{x}_0)} + \log "
                          r"\prod_{t=2}^T "
                          r"\frac{p_{\theta}(\mathbf{x}_{t-1}|\mathbf{x}_t)}{q(\mathbf{x}_{t-1}|\mathbf{x}_t, "
                          r"\mathbf{x}_0) q(\mathbf{x}_t|\mathbf{x}_0)} \right]")),
    ErratumEntry("luo45-consistency-kl",
                 seed("001", f"{SLIDE_FIRST}, line 12 (final line)", luo("45")),
                 "the consistency term E_{q(x_{t-1}, x_{t+1}|x_0)}[KL(q(x_t|x_{t-1}) || "
                 "p_theta(x_t|x_{t+1}))] integrates x_t against q(x_t|x_{t-1}) as if x_t and x_{t+1} "
                 "were independent given x_{t-1}; under q(x_{t-1}, x_t, x_{t+1}|x_0) they are not, so "
                 "the line does not equal the one before it (the same line is Luo 2022 Eq. 45)",
                 correct="vdm-elbo-first",
                 written=(r"= \underbrace{\mathbb{E}_{q(\mathbf{x}_1|\mathbf{x}_0)} [\log "
                          r"p_{\theta}(\mathbf{x}_0|\mathbf{x}_1)]}_{\text{reconstruction term}} - "
                          r"\underbrace{\mathbb{E}_{q(\mathbf{x}_{T-1}, \mathbf{x}_T|\mathbf{x}_0)} "
                          r"[D_{\text{KL}}(q(\mathbf{x}_T|\mathbf{x}_{T-1}) \parallel "
                          r"p(\mathbf{x}_T))]}_{\text{prior matching term}} \\ - \sum_{t=1}^{T-1} "
                          r"\underbrace{\mathbb{E}_{q(\mathbf{x}_{t-1}, \mathbf{x}_{t+1}|\mathbf{x}_0)} "
                          r"[D_{\text{KL}}(q(\mathbf{x}_t|\mathbf{x}_{t-1}) \parallel "
                          r"p_{\theta}(\mathbf{x}_t|\mathbf{x}_{t+1}))]}_{\text{consistency term}}")),
)
