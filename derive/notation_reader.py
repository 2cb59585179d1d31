"""Reading the diffusion papers' LaTeX: the parser of :mod:`derive.latex` with the vocabulary of
:mod:`derive.vocabulary` (``\\mu_q(x_t, x_0)``, ``\\mathrm{SNR}(t)``, ``q(x_t \\mid x_0)``,
``\\mathbb{E}[f \\mid x_t]``, ``\\prod_{i=1}^t \\alpha_i``, ...).

The entry point for reading a claim: the parser takes its vocabulary from the context it is given
and never imports one, so parser and vocabulary meet here.  Without a ``context`` each function
reads in a fresh :func:`new_context` over ``table``.
"""
from __future__ import annotations

import sympy as sp

from diffproof.derive.latex.context import Context, FunctionDef
from diffproof.derive.latex.parser import (Relation, read_chain, read_expression, read_function_definition,
                                 read_function_head, read_relation)
from diffproof.derive.symbols import TABLE, SymbolTable
from diffproof.derive.vocabulary import DIFFUSION


def new_context(table: SymbolTable = TABLE) -> Context:
    """A parsing context over ``table`` with the diffusion vocabulary and no user names yet."""
    return Context(table, vocabulary=DIFFUSION)


def parse_expression(text: str, table: SymbolTable = TABLE,
                     context: Context | None = None) -> sp.Expr:
    """The SymPy expression of a LaTeX formula (no relation sign)."""
    return read_expression(text, context or new_context(table))


def parse_relation(text: str, table: SymbolTable = TABLE,
                   context: Context | None = None) -> Relation:
    """``a = b``, ``a \\le b``, or a chain ``a = b = c``; relations are =, propto, <=, >=, <, >,
    approx, !=, :=, in."""
    return read_relation(text, context or new_context(table))


def parse_chain(text: str, context: Context | None = None, allow_leading: bool = False):
    """One line of a display as (terms, ops); terms[0] is None when the line starts with a
    relation (``&= ...``, continuing the previous line) and ``allow_leading`` is set."""
    return read_chain(text, context or new_context(), allow_leading)


def parse_function_definition(text: str,
                              context: Context | None = None) -> tuple[str, FunctionDef] | None:
    """``g(t) = ...`` with a name and plain-symbol parameters: (name key, definition), or None."""
    return read_function_definition(text, context or new_context())


def parse_function_head(text: str, context: Context | None = None):
    """``a(t)``, ``D(x; \\sigma)`` alone: (name, name key, parameters), or None."""
    return read_function_head(text, context or new_context())


__all__ = ["parse_function_head", "new_context", "parse_expression", "parse_relation", "parse_chain",
           "parse_function_definition"]
