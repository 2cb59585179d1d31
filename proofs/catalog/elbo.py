"""ELBO decompositions step by step (seed 001; Luo 2022 Eqs. 5-58).

Five chains as seed 001 writes them: the evidence identity and its Jensen route, the VAE ELBO,
the hierarchical VAE, and both VDM derivations.  Each step is checked by two layers:

- ``rules``: ``derive.logdensity`` carries both sides to the same normal form by stated rules
  (for general T; the verdict names the rules);
- ``closed-form``: ``numeric.elbo_exact`` computes both sides exactly on random linear-Gaussian
  chains with T = 2..5 (a VAE: T = 1); every expectation is a Gaussian integral;

and the final lines also by ``monte-carlo``: the raw ELBO sampled from its definition equals the
closed-form decomposition.  Where the seed's line is wrong, the catalog holds the correct line
and an erratum the seed's, which the checker refutes with T, the parameters and both values.
Ids, titles and sources are in ``index/elbo.py``; the functions below build each entry.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive import logdensity as L
from diffproof.derive.derivation import Step
from diffproof.derive.source import paper, seed
from diffproof.derive.gaussian import Normal, condition, kl_divergence, marginalize
from diffproof.derive.logdensity import (E, IProd, ISum, KL, Log, LogE, LogInt, Mass, Prod, Ratio, Span, Var,
                               add, lin, sub, to_sympy)
from diffproof.derive.symbols import m, v, x as x_sym, z as z_sym
from diffproof.numeric.elbo_exact import ClosedFormCheck
from diffproof.numeric.elbo_mc import RawElboCheck
from diffproof.proofs.catalog.index._papers import luo
from diffproof.proofs.catalog.index.elbo import SLIDE_EVIDENCE, SLIDE_FIRST, SLIDE_HVAE, SLIDE_SECOND, SLIDE_VAE
from diffproof.proofs.catalog.registry import builds

t, T = L.t, L.T


def step(node, justification, source, lhs=None, relation="=", model=L.VDM, witness=None,
         pointwise=False, t_values=(), learned=False, mc=None, note=None, previous=None) -> Step:
    """A step checked by the rules and by exact closed forms (and Monte Carlo when ``mc``)."""
    left = lhs if lhs is not None else previous
    checks = [L.RulesCheck(left, node, relation, model, witness, pointwise,
                           (2, T) if t_values else None),
              ClosedFormCheck(left, node, relation, model, learned, pointwise=pointwise,
                              t_values=t_values)]
    if mc is not None:
        checks.append(RawElboCheck(mc))
    return Step(to_sympy(node), justification, source, relation=relation,
                lhs=to_sympy(lhs) if lhs is not None else None, checks=checks, symbolic=False,
                note=note)


def chain(make, start, links, **body):
    """``make(steps=..., start=..., **body)`` with the links' steps built in order, each link's left
    side defaulting to the previous expression; ``make`` is an entry's ``derivation`` or an
    erratum's ``claim``."""
    steps, previous = [], start
    for link in links:
        node, *rest = link
        has_options = bool(rest) and isinstance(rest[-1], dict)
        kwargs = rest[-1] if has_options else {}
        args = rest[:-1] if has_options else rest
        steps.append(step(node, *args, previous=previous, **kwargs))
        previous = node
    return make(steps=steps, start=to_sympy(start), **body)


# ----------------------------------------------------------------------------------------------
# 1-2. evidence and VAE (latent z at position 1 of a one-step chain)
# ----------------------------------------------------------------------------------------------
xv, zv = Var("x"), Var("z")
q_phi = L.Density("q", (zv,), (xv,), r"q_\phi")
p_x = L.Density("p", (xv,), (), "p")
p_xz = L.Density("p", (xv, zv), (), "p")
p_z_given_x = L.Density("p", (zv,), (xv,), "p")
p_z = L.Density("p", (zv,), (), "p")
p_x_given_z = L.Density("p", (xv,), (zv,), r"p_\theta")
VAE_ELBO = E(q_phi, Log(Ratio(p_xz, q_phi)))
VAE = dict(model=L.VAE)
ev_cite = lambda eq: seed("001", SLIDE_EVIDENCE, luo(eq))  # noqa: E731


@builds("elbo-evidence")
def evidence(entry):
    return chain(
        entry.derivation,
        Log(p_x),
        [
            (Mass(Log(p_x), q_phi), "Multiply by 1 = int q_phi(z|x) dz", ev_cite("9"), VAE),
            (E(q_phi, Log(p_x), integral=True), "Bring evidence into integral", ev_cite("10"), VAE),
            (E(q_phi, Log(p_x)), "Definition of Expectation", ev_cite("11"), VAE),
            (E(q_phi, Log(Ratio(p_xz, p_z_given_x))), "Apply Equation 2: p(x) = p(x, z) / p(z|x)",
             ev_cite("12"), VAE),
            (E(q_phi, Log(Ratio(Prod((p_xz, q_phi)), Prod((p_z_given_x, q_phi))))),
             "Multiply by 1 = q_phi(z|x) / q_phi(z|x)", ev_cite("13"), VAE),
            (add(VAE_ELBO, E(q_phi, Log(Ratio(q_phi, p_z_given_x)))), "Split the Expectation",
             ev_cite("14"), VAE),
            (add(VAE_ELBO, KL(q_phi, p_z_given_x)), "Definition of KL Divergence", ev_cite("15"), VAE),
            (VAE_ELBO, "KL Divergence always >= 0", ev_cite("16"),
             dict(model=L.VAE, relation=">=", witness=KL(q_phi, p_z_given_x))),
        ],
        conditions=("q_phi(z|x) a density in z; closed forms on linear-Gaussian VAEs (T = 1)",),
    )


@builds("elbo-jensen")
def jensen_route(entry):
    return chain(
        entry.derivation,
        Log(p_x),
        [
            (LogInt(p_xz, (zv,)), "marginalize the latent: p(x) = int p(x, z) dz", paper(luo("5")),
             VAE),
            (LogInt(Ratio(Prod((p_xz, q_phi)), q_phi), (zv,)),
             "Multiply by 1 = q_phi(z|x) / q_phi(z|x)",
             paper(luo("6")), VAE),
            (LogE(q_phi, Ratio(p_xz, q_phi)), "Definition of Expectation", paper(luo("7")), VAE),
            (VAE_ELBO, "Apply Jensen's Inequality", paper(luo("8")), dict(model=L.VAE, relation=">=")),
        ],
    )


@builds("vae-elbo")
def vae(entry):
    return chain(
        entry.derivation,
        VAE_ELBO,
        [
            (E(q_phi, Log(Ratio(Prod((p_x_given_z, p_z)), q_phi))),
             "Chain Rule of Probability: p(x, z) = p_theta(x|z) p(z)",
             seed("001", SLIDE_VAE, luo("17")), VAE),
            (add(E(q_phi, Log(p_x_given_z)), E(q_phi, Log(Ratio(p_z, q_phi)))), "Split the Expectation",
             seed("001", SLIDE_VAE, luo("18")), VAE),
            (sub(E(q_phi, Log(p_x_given_z)), KL(q_phi, p_z)), "Definition of KL Divergence",
             seed("001", SLIDE_VAE, luo("19")), VAE),
        ],
        conditions=("the seed's slide calls the encoder p_theta(z|x) and the decoder p_phi(x|z); "
                    "this chain uses q_phi(z|x) and p_theta(x|z) as elsewhere in the seed "
                    "(naming only)",),
    )


# the conjugate model: z ~ N(0, 1), x | z ~ N(z, s^2), any Gaussian q(z|x) = N(m, v)
s2 = sp.Symbol("s", positive=True) ** 2
_prior = Normal(z_sym, sp.Integer(0), sp.Integer(1))
_lik = Normal(x_sym, z_sym, s2)
_q = Normal(z_sym, m, v)


@builds("elbo-conjugate-gaussian")
def conjugate(entry):
    _evidence = marginalize(_prior, _lik).log_density()
    _elbo = _q.expect(sp.expand(_prior.log_density() + _lik.log_density() - _q.log_density()))
    _post = condition(_prior, _lik)
    _kl = kl_divergence(_q, _post)
    return entry.derivation(
        conditions=("every term computed by derive.gaussian: marginalize, Normal.expect, condition, "
                    "kl_divergence",),
        steps=[
            Step(_elbo + _kl, "log p(x) = ELBO(q) + KL(q || p(z|x)) for every Gaussian q = N(m, v)",
                 seed("001", SLIDE_EVIDENCE, luo("15")), lhs=_evidence,
                 checks=[ClosedFormCheck(Log(p_x), add(VAE_ELBO, KL(q_phi, p_z_given_x)), model=L.VAE,
                                         draws=3)]),
            Step(_evidence, "at q = p(z|x) the KL vanishes and the ELBO equals the evidence",
                 seed("001", SLIDE_EVIDENCE, luo("16")),
                 lhs=_elbo.subs({m: _post.mean, v: _post.variance}, simultaneous=True),
                 checks=[ClosedFormCheck(VAE_ELBO, Log(p_x), model=L.VAE, draws=3,
                                         posterior_encoder=True)]),
            Step(sp.Integer(0), "the gap KL(q || p(z|x)) is zero at the posterior mean and variance",
                 paper(luo("16")), lhs=_kl.subs({m: _post.mean, v: _post.variance}, simultaneous=True),
                 checks=[ClosedFormCheck(KL(q_phi, p_z_given_x), lin(), model=L.VAE, draws=3,
                                         posterior_encoder=True)]),
        ],
    )


# ----------------------------------------------------------------------------------------------
# 3. hierarchical VAE (latents z_1..z_T at positions 1..T)
# ----------------------------------------------------------------------------------------------
zt = lambda i: Var("z", i)  # noqa: E731
HV = L.ChainModel("x", T)
p_hjoint = L.Density("p", (xv, Span("z", 1, T)), (), "p")
q_hjoint = L.Density("q", (Span("z", 1, T),), (xv,), r"q_\phi")
p_zT = L.Density("p", (zt(T),), (), "p")
dec_h = lambda a, b: L.Density("p", (a,), (b,), r"p_\theta")  # noqa: E731
enc_h = lambda a, b: L.Density("q", (a,), (b,), r"q_\phi")  # noqa: E731
p_h_factored = Prod((p_zT, dec_h(xv, zt(1)), IProd(dec_h(zt(t - 1), zt(t)), 2, T)))
q_h_factored = Prod((enc_h(zt(1), xv), IProd(enc_h(zt(t), zt(t - 1)), 2, T)))
HELBO = E(q_hjoint, Log(Ratio(p_hjoint, q_hjoint)))
HVAE = dict(model=HV, learned=True)
hv_cite = lambda eq: seed("001", SLIDE_HVAE, luo(eq))  # noqa: E731


@builds("hvae-elbo")
def hvae(entry):
    return chain(
        entry.derivation,
        Log(p_x),
        [
            (Log(p_h_factored),
             "the Markov joint p(x, z_{1:T}) = p(z_T) p_theta(x|z_1) prod p_theta(z_{t-1}|z_t)",
             hv_cite("23"), dict(lhs=Log(p_hjoint), model=HV, learned=True, pointwise=True)),
            (Log(q_h_factored),
             "the Markov posterior q_phi(z_{1:T}|x) = q_phi(z_1|x) prod q_phi(z_t|z_{t-1})",
             hv_cite("24"), dict(lhs=Log(q_hjoint), model=HV, learned=True, pointwise=True)),
            (LogInt(p_hjoint, (Span("z", 1, T),)), "marginalize the latents", paper(luo("25")),
             dict(lhs=Log(p_x), **HVAE)),
            (LogInt(Ratio(Prod((p_hjoint, q_hjoint)), q_hjoint), (Span("z", 1, T),)),
             "Multiply by 1 = q_phi(z_{1:T}|x) / q_phi(z_{1:T}|x)", paper(luo("26")), HVAE),
            (LogE(q_hjoint, Ratio(p_hjoint, q_hjoint)), "Definition of Expectation", paper(luo("27")),
             HVAE),
            (HELBO, "Apply Jensen's Inequality", paper(luo("28")), dict(relation=">=", **HVAE)),
            (E(q_hjoint, Log(Ratio(p_h_factored, q_h_factored))), "plug in the joint and the posterior",
             hv_cite("29"), HVAE),
        ],
        conditions=("the encoder q_phi(z_t|z_{t-1}) and decoder p_theta(z_{t-1}|z_t) are Markov; "
                    "closed forms on random linear-Gaussian encoders and decoders",),
    )


# ----------------------------------------------------------------------------------------------
# 4-5. variational diffusion models
# ----------------------------------------------------------------------------------------------
xx = lambda i: Var("x", i)  # noqa: E731
q = lambda out, *given: L.Density("q", (out,), tuple(given), "q")  # noqa: E731
q2 = lambda a, b, *given: L.Density("q", (a, b), tuple(given), "q")  # noqa: E731
q3 = lambda a, b, c, *given: L.Density("q", (a, b, c), tuple(given), "q")  # noqa: E731
pth = lambda out, given: L.Density("p", (out,), (given,), r"p_\theta")  # noqa: E731
x0 = xx(0)
p_x0 = L.Density("p", (x0,), (), "p")
pT = L.Density("p", (xx(T),), (), "p")
P_JOINT = L.Density("p", (Span("x", 0, T),), (), "p")
Q_JOINT = L.Density("q", (Span("x", 1, T),), (x0,), "q")
P_POST = L.Density("p", (Span("x", 1, T),), (x0,), "p")
LATENTS = (Span("x", 1, T),)
ELBO = E(Q_JOINT, Log(Ratio(P_JOINT, Q_JOINT)))
step_q = lambda k: q(xx(k), xx(k - 1))  # noqa: E731
dec = lambda k: pth(xx(k - 1), xx(k))  # noqa: E731
RECON = E(q(xx(1), x0), Log(dec(1)))
f_cite = lambda line, eq: seed("001", f"{SLIDE_FIRST}, line {line}", luo(eq))  # noqa: E731
s_cite = lambda line, eq: seed("001", f"{SLIDE_SECOND}, line {line}", luo(eq))  # noqa: E731

F38 = E(Q_JOINT, Log(Ratio(Prod((pT, IProd(dec(t), 1, T))), IProd(step_q(t), 1, T))))
F39 = E(Q_JOINT, Log(Ratio(Prod((pT, dec(1), IProd(dec(t), 2, T))),
                           Prod((step_q(T), IProd(step_q(t), 1, T - 1))))))
F40 = E(Q_JOINT, Log(Ratio(Prod((pT, dec(1), IProd(pth(xx(t), xx(t + 1)), 1, T - 1))),
                           Prod((step_q(T), IProd(step_q(t), 1, T - 1))))))
consistency_ratio = Ratio(pth(xx(t), xx(t + 1)), step_q(t))
F41 = add(E(Q_JOINT, Log(Ratio(Prod((pT, dec(1))), step_q(T)))),
          E(Q_JOINT, Log(IProd(consistency_ratio, 1, T - 1))))
F42 = add(E(Q_JOINT, Log(dec(1))), E(Q_JOINT, Log(Ratio(pT, step_q(T)))),
          E(Q_JOINT, ISum(Log(consistency_ratio), 1, T - 1)))
F43 = add(E(Q_JOINT, Log(dec(1))), E(Q_JOINT, Log(Ratio(pT, step_q(T)))),
          ISum(E(Q_JOINT, Log(consistency_ratio)), 1, T - 1))
F44 = add(RECON, E(q2(xx(T - 1), xx(T), x0), Log(Ratio(pT, step_q(T)))),
          ISum(E(q3(xx(t - 1), xx(t), xx(t + 1), x0), Log(consistency_ratio)), 1, T - 1))
PRIOR_FIRST = E(q2(xx(T - 1), xx(T), x0), KL(step_q(T), pT))
F45_CORRECT = lin((1, RECON), (-1, PRIOR_FIRST),
                  (1, ISum(E(q3(xx(t - 1), xx(t), xx(t + 1), x0), Log(consistency_ratio)), 1, T - 1)))
F45_SEED = lin((1, RECON), (-1, PRIOR_FIRST),
               (-1, ISum(E(q2(xx(t - 1), xx(t + 1), x0), KL(step_q(t), pth(xx(t), xx(t + 1)))), 1, T - 1)))

MC_FIRST = E(Q_JOINT, lin((1, Log(dec(1))), (-1, KL(step_q(T), pT)),
                          (1, ISum(Log(consistency_ratio), 1, T - 1))))


@builds("vdm-elbo-first")
def first(entry):
    return chain(
        entry.derivation,
        Log(p_x0),
        [
            (LogInt(P_JOINT, LATENTS), "marginalize the latents", f_cite(1, "34"), {}),
            (LogInt(Ratio(Prod((P_JOINT, Q_JOINT)), Q_JOINT), LATENTS),
             "Multiply by 1 = q(x_{1:T}|x_0) / q(x_{1:T}|x_0)", f_cite(2, "35"), {}),
            (LogE(Q_JOINT, Ratio(P_JOINT, Q_JOINT)), "Definition of Expectation", f_cite(3, "36"), {}),
            (ELBO, "Apply Jensen's Inequality", f_cite(4, "37"), dict(relation=">=")),
            (F38, "the Markov joint and posterior (factorizations)", f_cite(5, "38"), {}),
            (F39, "take out the t = 1 decoder factor and the t = T encoder factor", f_cite(6, "39"),
             {}),
            (F40, "shift the index of the decoder product", f_cite(7, "40"), {}),
            (F41, "log of a product: split off the product over t", f_cite(8, "41"), {}),
            (F42, "log of a product, linearity", f_cite(9, "42"), {}),
            (F43, "linearity of expectation: exchange sum and expectation", f_cite(10, "43"), {}),
            (F44, "drop the variables each term does not depend on", f_cite(11, "44"), {}),
            (F45_CORRECT, "the prior term as a KL divergence; the consistency terms stay expected "
                          "log-ratios under q(x_{t-1}, x_t, x_{t+1}|x_0) (see erratum "
                          "luo45-consistency-kl)", f_cite(12, "45"), dict(mc=MC_FIRST)),
        ],
        conditions=("q(x_t|x_{t-1}) Markov; the rules assume T >= 2; closed forms at T = 2..5",),
    )


S47 = E(Q_JOINT, Log(Ratio(Prod((pT, IProd(dec(t), 1, T))), IProd(step_q(t), 1, T))))
S48 = E(Q_JOINT, Log(Ratio(Prod((pT, dec(1), IProd(dec(t), 2, T))),
                           Prod((step_q(1), IProd(step_q(t), 2, T))))))
markov_q = lambda k: q(xx(k), xx(k - 1), x0)  # noqa: E731
S49 = E(Q_JOINT, Log(Ratio(Prod((pT, dec(1), IProd(dec(t), 2, T))),
                           Prod((step_q(1), IProd(markov_q(t), 2, T))))))
head = Ratio(Prod((pT, dec(1))), step_q(1))
S50 = E(Q_JOINT, add(Log(head), Log(IProd(Ratio(dec(t), markov_q(t)), 2, T))))
posterior_q = lambda k: q(xx(k - 1), xx(k), x0)  # noqa: E731
marg_q = lambda k: q(xx(k), x0)  # noqa: E731
bayes_den = Ratio(Prod((posterior_q(t), marg_q(t))), marg_q(t - 1))
S51_SEED = E(Q_JOINT, add(Log(head), Log(IProd(Ratio(dec(t), Prod((posterior_q(t), marg_q(t)))), 2, T))))
S52 = E(Q_JOINT, add(Log(head), Log(IProd(Ratio(dec(t), bayes_den), 2, T))))
denoise_ratio = Ratio(dec(t), posterior_q(t))
S53 = E(Q_JOINT, add(Log(head), Log(Ratio(marg_q(1), marg_q(T))), Log(IProd(denoise_ratio, 2, T))))
S54 = E(Q_JOINT, add(Log(Ratio(Prod((pT, dec(1))), marg_q(T))), ISum(Log(denoise_ratio), 2, T)))
S55 = add(E(Q_JOINT, Log(dec(1))), E(Q_JOINT, Log(Ratio(pT, marg_q(T)))),
          ISum(E(Q_JOINT, Log(denoise_ratio)), 2, T))
S56 = add(RECON, E(marg_q(T), Log(Ratio(pT, marg_q(T)))),
          ISum(E(q2(xx(t), xx(t - 1), x0), Log(denoise_ratio)), 2, T))
denoising_kl = E(marg_q(t), KL(posterior_q(t), dec(t)))
S58 = lin((1, RECON), (-1, KL(marg_q(T), pT)), (-1, ISum(denoising_kl, 2, T)))
S58_SEED = lin((1, RECON), (-1, KL(marg_q(T), pT)), (1, ISum(denoising_kl, 2, T)))
MC_SECOND = E(Q_JOINT, lin((1, Log(dec(1))), (-1, KL(marg_q(T), pT)),
                           (-1, ISum(KL(posterior_q(t), dec(t)), 2, T))))


@builds("vdm-bayes-markov")
def bayes_markov(entry):
    return chain(
        entry.derivation,
        Log(step_q(t)),
        [
            (Log(markov_q(t)), "Markov property: x_0 adds nothing given x_{t-1}",
             seed("001", SLIDE_SECOND, luo("46")),
             dict(pointwise=True, t_values=(2, 3, 4, 5))),
            (Log(bayes_den), "Bayes' rule", seed("001", SLIDE_SECOND, luo("46")),
             dict(pointwise=True, t_values=(2, 3, 4, 5))),
        ],
        conditions=("2 <= t <= T; an identity of log-densities in all variables",),
    )


@builds("vdm-elbo-second")
def second(entry):
    return chain(
        entry.derivation,
        Log(p_x0),
        [
            (ELBO, "the same ELBO as the first derivation (evidence = ELBO + KL to the posterior)",
             s_cite(1, "47"), dict(relation=">=", witness=KL(Q_JOINT, P_POST))),
            (S47, "the Markov joint and posterior", s_cite(2, "48"), {}),
            (S48, "take out the t = 1 factors", s_cite(3, "49"), {}),
            (S49, "Markov property: q(x_t|x_{t-1}) = q(x_t|x_{t-1}, x_0)", s_cite(4, "50"), {}),
            (S50, "log of a product", s_cite(5, "51"),
             dict(note="the seed writes p_theta(x_T) here and p(x_T) elsewhere; the prior has no "
                       "parameters, so this chain reads p(x_T) (naming only)")),
            (S52, "Bayes' rule (Eq. 46) in each factor", s_cite(7, "52"), {}),
            (S53, "telescoping product of q(x_{t-1}|x_0) / q(x_t|x_0)", s_cite(8, "53"), {}),
            (S54, "cancel q(x_1|x_0); log of a product", s_cite(9, "54-55"), {}),
            (S55, "linearity of expectation", s_cite(10, "56"), {}),
            (S56, "drop the variables each term does not depend on", s_cite(11, "57"), {}),
            (S58, "Definition of KL Divergence (the seed's sign of the last sum is wrong: see erratum "
                  "seed001-vdm-second-final-sign)", s_cite(12, "58"), dict(mc=MC_SECOND)),
        ],
        conditions=("q(x_t|x_{t-1}) Markov; the rules assume T >= 2; closed forms at T = 2..5",),
    )


# ----------------------------------------------------------------------------------------------
# the seed's wrong lines, encoded as written
# ----------------------------------------------------------------------------------------------
def _seed_line(entry, before, written, justification: str, cite, title: str, slide: str):
    """The seed's line ``written`` after the line ``before``, as a one-step claim."""
    return chain(entry.claim, before, [(written, justification, cite, {})], title=title,
                 sources=(seed("001", slide),))


@builds("seed001-vdm-second-final-sign")
def final_sign(entry):
    return _seed_line(entry, S56, S58_SEED, "Definition of KL Divergence (as the seed writes it)",
                      s_cite(12, "58"), "the seed's final line of the second VDM derivation, as written",
                      SLIDE_SECOND)


@builds("seed001-vdm-second-missing-division")
def missing_division(entry):
    return _seed_line(entry, S50, S51_SEED, "Bayes' rule (as the seed writes it)", s_cite(6, "52"),
                      "the seed's sixth line of the second VDM derivation, as written", SLIDE_SECOND)


@builds("luo45-consistency-kl")
def consistency_kl(entry):
    return _seed_line(entry, F44, F45_SEED, "Definition of KL Divergence (as written)", f_cite(12, "45"),
                      "the first VDM derivation's final line, as the seed (and Luo Eq. 45) write it",
                      SLIDE_FIRST)
