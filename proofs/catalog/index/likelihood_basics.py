"""Seed 000: the Gaussian normalizer, KL >= 0 (Gibbs and Jensen), and Gaussian maximum likelihood
as KL minimization against the empirical distribution (built in ``likelihood_basics.py``).
"""
from __future__ import annotations

from diffproof.derive.source import seed
from diffproof.proofs.catalog.registry import Entry, ErratumEntry

DERIVATIONS = (
    Entry("gaussian-normalizer",
          "Z = int exp(-(x - mu)^2/(2 sigma^2)) dx = sqrt(2 pi sigma^2), so q_theta is normalized",
          (seed("000", "(2.8)-(2.10)"),)),
    Entry("empirical-gaussian-kl",
          "KL(p_0 || q_theta) for the empirical p_0 = (1/n) sum delta(x - x_i) is, up to a theta-free "
          "constant, (1/(2 sigma^2)) (1/n) sum (x_i - mu)^2 + 1/2 ln sigma^2",
          (seed("000", "(1.1), (2.11)"),)),
    Entry("empirical-gaussian-mle",
          "the stationary point of the empirical KL: mu = sample mean, sigma^2 = (1/n) sum (x_i - "
          "mu)^2 (biased), and it is the minimum in mu",
          (seed("000", "(2.12)-(2.13)"),)),
    Entry("empirical-gaussian-variance-minimum",
          "at mu = mean the objective S/(2 sigma^2) + 1/2 ln sigma^2 is minimal at sigma^2 = S",
          (seed("000", "(2.13)"),)),
    Entry("mle-is-min-kl",
          "maximizing the average log-likelihood (1/n) sum ln q_theta(x_i) is minimizing KL(p_0 || "
          "q_theta)",
          (seed("000", "(2.14)"),)),
    Entry("kl-nonnegative-gibbs",
          "Gibbs' inequality x - 1 >= ln x, and KL(p || q) >= 0 through it",
          (seed("000", "(2.4)-(2.5)"),)),
    Entry("kl-nonnegative-jensen",
          "Jensen's inequality for the concave ln, and KL(p || q) >= 0 through it",
          (seed("000", "(2.6)-(2.7)"),)),
    Entry("kl-gaussian-properties",
          "KL between Gaussians is >= 0; with equal variances it is symmetric, so D(p||q) != D(q||p) "
          "holds only in general, not for every pair",
          (seed("000", "(2.3), properties (i)-(ii)"),)),
)

ERRATA = (
    ErratumEntry("E000-empirical-no-1-over-n",
                 seed("000", "Sec. 2.2, p_0(x) = sum delta(x - x_i)"),
                 "Sec. 2.2 writes p_0(x) = sum_i delta(x - x_i), dropping the 1/n of Eq. (1.1): it is "
                 "not a distribution (total mass n), and the KL it gives has sum, not the (1/n) sum of "
                 "(2.11)",
                 correct="empirical-gaussian-kl",
                 written=r"p_0(x)=\sum_{i=1}^n\delta(x-x_i)"),
    ErratumEntry("E000-kl-sign",
                 seed("000", "(2.11), middle expression"),
                 "(2.11)'s middle line '= - int p_0 ((x - mu)^2/(2 sigma^2) + 1/2 ln sigma^2)' has the "
                 "wrong sign: -ln q_theta = +(x - mu)^2/(2 sigma^2) + 1/2 ln sigma^2 + const (the last "
                 "line is right)",
                 correct="empirical-gaussian-kl",
                 written=(r"D_{\mathrm{KL}}(p_0 \parallel q_\theta) = \int dx \, p_0(x) (\ln p_0(x) - \ln "
                          r"q_\theta(x)) \underbrace{=}_{\theta \circlearrowleft \mathcal{B}} - \int dx \, "
                          r"p_0(x) \left(\frac{1}{2\sigma^2} (x - \mu)^2 + \frac{1}{2} \ln \sigma^2 \right)")),
    ErratumEntry("E000-p-for-p0",
                 seed("000", "(2.14)"),
                 "(2.14) writes max sum_x p(x) ln q_theta(x) with the unknown true p where the "
                 "empirical p_0 is meant; with the true p the maximizer is p's mean, not the sample "
                 "mean",
                 correct="mle-is-min-kl",
                 written=(r"\min_{\theta} \left\{ D_{\mathrm{KL}}(p_0(\vec{x}) \parallel q_{\theta}(\vec{x})) "
                          r"\right\} = \max_{\theta} \left\{ \sum_{\vec{x}} p(\vec{x}) \ln q_{\theta}(\vec{x}) "
                          r"\right\} \\ = \max_{\theta} \left\{ \frac{1}{n} \sum_{i=1}^{n} \ln "
                          r"q_{\theta}(\vec{x}_i) \right\}")),
)
