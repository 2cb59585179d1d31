"""What a parse knows besides the grammar: the symbol table, the user's names and functions, and
the vocabulary of built-in names, passed in by the caller.

The parser never imports a vocabulary: :mod:`derive.vocabulary` builds the diffusion papers' one
(``DIFFUSION``) from these classes, and :mod:`derive.notation_reader` binds it to the parser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.derive.vectors import EYE


@dataclass
class FunctionDef:
    """A function the user or the vocabulary defines: ``sigma(t) = ...``; apply(args) -> Expr."""

    latex: str
    params: tuple[sp.Symbol, ...]
    body: sp.Expr | None = None
    apply_fn: Callable[[list[sp.Expr]], sp.Expr] | None = None
    defaults: tuple[sp.Expr, ...] | None = None
    meaning: str = ""
    normal: Any = None     # a Gaussian density N(param; m, v): its derive.gaussian.Normal
    domain: Any = None     # a generic function (% assume: a(t) > 0): the Domain of its values
    # a vocabulary name built in only at some arguments and in some claims (Lipman's u_t(x | x_1)
    # beside sigma_min): only_at(args, bar, scope) says whether this application is the built-in;
    # otherwise the name is read as if the vocabulary did not have it
    only_at: Callable[[list, Any, str], bool] | None = None

    @property
    def generic(self) -> bool:
        """Whether the function is declared, not defined: its body is the unknown function at its
        parameters (``% assume: a(t) > 0``), so its values and derivatives are free numbers."""
        return self.domain is not None

    def apply(self, args: list[sp.Expr]) -> sp.Expr:
        if self.apply_fn is not None:
            return self.apply_fn(args)
        if len(args) != len(self.params):
            raise ValueError(f"{self.latex} takes {len(self.params)} argument(s), got {len(args)}")
        return self.body.xreplace(dict(zip(self.params, args)))


def _unknown(*_args) -> None:
    return None


def _no_conditional_mean(body: sp.Expr, given: sp.Expr) -> sp.Expr:
    raise ValueError("no conditional expectation E[. | .] is built in")


@dataclass(frozen=True)
class Vocabulary:
    """The built-in names a parse reads, each lookup answering None for what it does not know.

    ``lookup_function`` and ``lookup_value`` take a name key (:attr:`derive.latex.names.Name.key`);
    ``density`` and ``normal`` a name key, the variables and the conditioning variables of
    ``q(x_t \\mid x_0)``; ``conditional_mean_given_xt`` computes ``\\mathbb{E}[f \\mid x_t]``
    (raises ValueError when it cannot); ``cumulative_product`` may name ``\\prod_{i=1}^t f_i``;
    ``conditional_score`` may name the gradient of ``\\log q(...)`` with respect to a variable.
    """

    lookup_function: Callable[[str], FunctionDef | None] = _unknown
    lookup_value: Callable[[str], sp.Expr | None] = _unknown
    density: Callable[[str, list, list], sp.Expr | None] = _unknown
    normal: Callable[[str, list, list], Any] = _unknown
    conditional_mean_given_xt: Callable[[sp.Expr, sp.Expr], sp.Expr] = _no_conditional_mean
    cumulative_product: Callable[[sp.Expr, sp.Symbol, sp.Expr, sp.Expr], sp.Expr | None] = _unknown
    conditional_score: Callable[[sp.Expr, sp.Symbol], sp.Expr | None] = _unknown
    # the built-in relation under which an expression is x_t (DDPM Eq. 12 writes
    # eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)), or None
    latent_written_out: Callable[[sp.Expr], str | None] = _unknown


NO_VOCABULARY = Vocabulary()   # plain names only (reading the table's own LaTeX names)


@dataclass
class Context:
    """What the parser knows besides the grammar: table, user symbols and functions, vocabulary."""

    table: SymbolTable = field(default_factory=lambda: TABLE)
    symbols: dict[str, sp.Symbol] = field(default_factory=dict)       # user-declared names
    functions: dict[str, FunctionDef] = field(default_factory=dict)   # user-defined functions
    created: dict[str, sp.Symbol] = field(default_factory=dict)       # names met, not in table
    vocabulary: Vocabulary = field(kw_only=True)                      # built-in names
    density_variables: list = field(default_factory=list)  # (x, density) of q(x | ..), N(x; m, v)
    applied: set[str] = field(default_factory=set)    # name keys met as unknown functions
    vectors: bool = False   # the vector reading: norms, ^T, I, tr, det kept (derive.vectors)
    used: list = field(default_factory=list)   # built-in relations the reading itself used
    # symbol definitions of the assumptions (% assume: h = t^2), expanded before differentiating
    definitions: dict = field(default_factory=dict)
    # the text of the display being read and of the assumptions: which spellings of a letter the
    # claim uses (alpha_t only, or alpha_{t-1} too) decide whether a dot on alpha_t is a time
    # derivative (derive.latex.calculus.CalculusSyntax.continuous_function)
    scope: str = ""

    def built_in_normal(self, key: str, variables: list, given: list):
        """The vocabulary's Gaussian q(variables | given) (derive.gaussian.Normal), or None; in the
        vector reading isotropic, N(x; m, v I) in R^d (Luo 2022 Eqs. 31, 70: Sigma = v I)."""
        normal = self.vocabulary.normal(key, variables, given)
        if normal is None or not self.vectors:
            return normal
        return type(normal)(normal.var, normal.mean, normal.variance * EYE)

    def copy(self) -> "Context":
        return Context(self.table, dict(self.symbols), dict(self.functions), dict(self.created),
                       vocabulary=self.vocabulary, applied=set(self.applied),
                       vectors=self.vectors, used=list(self.used),
                       definitions=dict(self.definitions), scope=self.scope)


__all__ = ["FunctionDef", "Vocabulary", "NO_VOCABULARY", "Context"]
