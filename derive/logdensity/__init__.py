"""Log-density algebra for ELBO derivations (seed 001; Luo 2022 Eqs. 5-58).

Expressions are small trees: densities (``Density``), their products and quotients, ``Log``,
sums (``Lin``, ``ISum`` over the index t), expectations (``E``), KL divergences (``KL``) and the
Jensen-route nodes ``LogE`` (log E_q[...]) and ``LogInt`` (log of an integral).  Both the models
of the seed are Markov chains over positions 0..top: position 0 is the observed x (x_0), the
encoder q runs upwards (q(x_t | x_{t-1})), the generative model p downwards from a prior at the
top (p(x_T) prod p_theta(x_{t-1} | x_t)).  A VAE is the case top = 1 (z at position 1).

``normal_form`` rewrites an expression into a linear combination of *basis terms* (expected
log-densities of the forward process: one-step encoder factors, encoder marginals q(x_s | x_0),
the prior, decoder factors and the evidence), each rewrite by a stated rule (``RULES``).  Two
sides of a step are equal by the rules when their normal forms agree term by term after the
index sums are shifted to a common range (``telescoping``).  A rule applies only when its side
condition holds; otherwise ``RuleGap`` says which one failed (a gap, not a refutation).

Every expectation keeps its full measure q(A | B), variables and conditions (``_enter``): the
basis terms are values under q(. | x_0), so a measure enters only when it is the forward
conditional given x_0 and the outer measure's variables, by the tower property and the Markov
property of the forward chain (rules "tower", "markov").  E_{q(x_2|x_1)}[...] at the top is a
function of x_1, and E_{q(x_{t-1}, x_{t+1}|x_0)}[E_{q(x_t|x_{t-1})}[...]] is not an expectation
under q(x_{t-1}, x_t, x_{t+1}|x_0) (Luo Eq. 45): no rule rewrites either.

Modules: ``tree`` (the nodes and the chain model), ``rules`` (each rewrite, named in ``RULES``),
``engine`` (normal forms, equality and inequality by the rules, ``RulesCheck``), ``display``
(SymPy objects for the LaTeX printer).
"""
from diffproof.derive.logdensity.display import to_sympy
from diffproof.derive.logdensity.engine import (RulesCheck, RulesResult, equal_by_rules, greater_by_rules,
                                      jensen_applies, normal_form)
from diffproof.derive.logdensity.rules import RULES, num
from diffproof.derive.logdensity.tree import (E, KL, VAE, VDM, ChainModel, Density, IProd, ISum, Lin, Log,
                                    LogE, LogInt, Mass, Prod, Ratio, RuleGap, Span, T, Var, add, lin,
                                    sub, t)

__all__ = ["ChainModel", "Density", "E", "IProd", "ISum", "KL", "Lin", "Log", "LogE", "LogInt",
           "Mass", "Prod", "RULES", "Ratio", "RuleGap", "RulesCheck", "RulesResult", "Span", "T",
           "VAE", "VDM", "Var", "add", "equal_by_rules", "greater_by_rules", "jensen_applies",
           "lin", "normal_form", "num", "sub", "t", "to_sympy"]
