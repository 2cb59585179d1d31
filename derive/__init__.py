"""diffproof's symbolic core: symbols, Gaussian algebra, derived quantities, derivations, LaTeX.

Public API for writing a derivation::

    from derive import Derivation, Step, seed, symbols as S
    Derivation("my-id", "title", start=..., steps=[Step(expr, "why", seed("001", "(84)"))])
"""
from derive import symbols
from derive.derivation import (FAILS, HOLDS, UNDECIDED, Derivation, Erratum, Source, Step, Verdict,
                               paper, seed)
from derive.gaussian import Normal, complete_the_square, condition, kl_divergence, marginalize
from derive.latex.printer import to_latex
from derive.symbols import TABLE

__all__ = ["symbols", "TABLE", "Derivation", "Step", "Source", "Verdict", "Erratum", "seed", "paper",
           "HOLDS", "FAILS", "UNDECIDED", "Normal", "condition", "marginalize", "kl_divergence",
           "complete_the_square", "to_latex"]
