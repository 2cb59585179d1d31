"""Claims about vectors in R^d (proofs.claims.dimension): diffproof reads a vector as one coordinate,
which is exact only for d = 1.  A claim naming d was refuted at d = 2 when true (the worst error)
and proved when it dropped the d; it is now decided at d = 1: a counterexample there stands, a
proof there is only evidence (undecided)."""
from __future__ import annotations

from diffproof.proofs.checker import Options
from diffproof.proofs.claims.run import check_text

OPTIONS = Options(budget=1.0, max_examples=60)
E_NORM = r"\mathbb{E}_{\epsilon \sim \mathcal{N}(0, \mathbf{I})}\left[\|{}\epsilon\|^2\right]"
IN_N = r"d \in \mathbb{N}"


def _verdict(latex: str, *assumptions: str):
    claim = check_text([(latex, None)], list(assumptions), OPTIONS)[0]
    assert len(claim.steps) == 1, claim.error
    return claim.steps[0].verdict


TRUE_IN_RD = [
    (E_NORM.replace("{}", r"\sigma") + r" = d\sigma^2", IN_N, r"\sigma > 0"),
    (r"\log\mathcal{N}(x; \mu, \sigma^2\mathbf{I}) = -\frac{d}{2}\log(2\pi\sigma^2) "
     r"- \frac{\|x-\mu\|^2}{2\sigma^2}", IN_N, r"\sigma > 0"),
    (r"\mathcal{N}(\mu; \mu, \sigma^2\mathbf{I}) = (2\pi\sigma^2)^{-d/2}", IN_N, r"\sigma > 0"),
    (E_NORM.replace("{}", "") + " = d",),                   # d only in the claim
]


def test_true_claims_in_rd_are_never_refuted():
    for latex, *assumptions in TRUE_IN_RD:
        verdict = _verdict(latex, *assumptions)
        assert verdict.status == "undecided", (latex, verdict)
        assert "d = 1" in verdict.reason and "what would decide it" in verdict.reason


def test_a_claim_that_drops_the_d_is_not_proved():
    verdict = _verdict(E_NORM.replace("{}", "") + " = 1", IN_N)
    assert verdict.status == "undecided"


def test_a_slip_that_fails_in_dimension_one_fails_with_d_1_in_the_point():
    verdict = _verdict(E_NORM.replace("{}", r"\sigma") + r" = d\sigma", IN_N, r"\sigma > 0")
    assert verdict.status == "fails" and "dimension d = 1" in verdict.reason
    assert verdict.counterexample["where"]["d"] == "1"            # shown as (so d = 1)


def test_a_dimension_fixed_by_the_user_decides_nothing():
    for rhs in ("d", "2d"):
        verdict = _verdict(E_NORM.replace("{}", "") + f" = {rhs}", "d = 3")
        assert verdict.status == "undecided" and "fix the dimension" in verdict.reason


def test_claims_without_d_or_without_vectors_are_unchanged():
    assert _verdict(r"\frac{d}{2} + \frac{d}{2} = d", IN_N).status == "holds"     # no vectors
    assert _verdict(r"\|x\|^2 \ge 0").status == "holds"                           # no d


def test_a_built_in_name_beside_a_redefined_schedule_is_not_refuted():
    """VDM's SNR(t) = alpha_t^2 / sigma_t^2 with alpha_t^2 defined in VDM's sense was refuted
    against DDPM's built-in SNR; it is undecided, naming the built-in meaning and the fix, and
    holds once the author's SNR is stated (proofs.claims.redefined)."""
    vdm = [r"\gamma(t) = 2t - 1", r"\alpha_t^2 = \operatorname{sigmoid}(-\gamma(t))",
           r"\sigma_t^2 = \operatorname{sigmoid}(\gamma(t))"]
    verdict = _verdict(r"\mathrm{SNR}(t) = \frac{\alpha_t^2}{\sigma_t^2}", *vdm)
    assert verdict.status == "undecided" and r"% assume: \mathrm{SNR}(t) = ..." in verdict.reason
    stated = _verdict(r"\mathrm{SNR}(t) = e^{-\gamma(t)}", *vdm,
                      r"\mathrm{SNR}(t) = \frac{\alpha_t^2}{\sigma_t^2}")
    assert stated.status == "holds"
    assert _verdict(r"\mathrm{SNR}(t) = e^{\gamma(t)}", *vdm,
                    r"\mathrm{SNR}(t) = \frac{\alpha_t^2}{\sigma_t^2}").status == "fails"
    assert _verdict(r"\mathrm{SNR}(t) = \bar\alpha_t").status == "fails"    # no redefinition
