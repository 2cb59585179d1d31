"""Compiling SymPy expressions to Python functions without letting any name reach the code.

``sympy.lambdify`` writes Python source from the expression's printed form and executes it, so
the names of symbols and functions become code.  Names in diffproof can come from user text (a
claim's subscripts, an undefined function's name), so every compilation goes through
:func:`safe_lambdify`, which

1. renames every symbol, free or bound, to a generated identifier (``_x0``, ``_x1``, ...; bound
   variables ``_b0``, ...): the user's spelling stays on the original expression, for display;
2. refuses any node that is not one of SymPy's own classes, any undefined (user-named) function,
   and any node carrying a string (``Str``, ``MatrixSymbol``): their names would be printed;
3. checks the generated code object: it may only name entries of its own namespace, or
   attributes of the modules in it, and no dunder name.

This module is the only place in diffproof that calls ``lambdify`` (a test enforces it).
"""
from __future__ import annotations

import types
from typing import Callable, Sequence

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction


class UnsafeExpression(ValueError):
    """The expression holds something that cannot be compiled without printing its name."""


def _check_nodes(expr: sp.Basic) -> None:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, AppliedUndef) or isinstance(node, UndefinedFunction):
            raise UnsafeExpression(f"the undefined function {type(node).__name__!s:.40} has no "
                                   "numeric value")
        if isinstance(node, (sp.core.symbol.Str, sp.MatrixSymbol)):
            raise UnsafeExpression("a named matrix or string cannot be compiled")
        module = type(node).__module__ or ""
        if not module.startswith("sympy."):
            raise UnsafeExpression(f"a node of type {type(node).__name__!s:.40} is not SymPy's own")


def _check_code(function: Callable) -> None:
    namespace = function.__globals__
    modules = [value for value in namespace.values() if isinstance(value, types.ModuleType)]
    pending = [function.__code__]
    while pending:
        code = pending.pop()
        pending.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
        for name in code.co_names:
            if name.startswith("__"):
                raise UnsafeExpression(f"generated code names {name!r}")
            if name not in namespace and not any(hasattr(m, name) for m in modules):
                raise UnsafeExpression(f"generated code names {name!r}, which is not a "
                                       "numeric function")


def safe_lambdify(args: Sequence[sp.Symbol], expr, modules="numpy") -> Callable:
    """``lambdify(args, expr, modules)`` with generated names only (see the module docstring).

    ``expr`` may be one expression or a tuple/list of them.  Raises UnsafeExpression when the
    expression cannot be compiled safely; callers then evaluate another way or report it.
    """
    if isinstance(expr, str) or any(not isinstance(a, sp.Symbol) for a in args):
        raise UnsafeExpression("only SymPy expressions of SymPy symbols are compiled")
    parts = expr if isinstance(expr, (tuple, list)) else (expr,)
    parts = tuple(sp.sympify(part, strict=True) for part in parts)
    rename = {symbol: sp.Symbol(f"_x{i}") for i, symbol in enumerate(args)}
    bound = set().union(*(part.atoms(sp.Symbol) for part in parts)) - set(rename)
    rename.update({symbol: sp.Symbol(f"_b{i}")
                   for i, symbol in enumerate(sorted(bound, key=sp.default_sort_key))})
    renamed = tuple(part.xreplace(rename) for part in parts)
    for part in renamed:
        _check_nodes(part)
    target = renamed if isinstance(expr, (tuple, list)) else renamed[0]
    return _compiled(len(args), target, _modules_key(modules), modules)


def _modules_key(modules):
    """A hashable key of ``modules`` (a name, or a list of names and dicts), or None: not cached."""
    if isinstance(modules, str):
        return modules
    if isinstance(modules, (list, tuple)) and all(isinstance(m, str) for m in modules):
        return tuple(modules)
    return None


_CACHE: dict = {}
_CACHE_SIZE = 1024


def _compiled(count: int, target, key, modules) -> Callable:
    """The compiled function of the renamed ``target`` (arguments ``_x0 .. _x{count-1}``): the
    same renamed expression compiles to the same code, so it is compiled once per process (a
    step's probe and its full search, and the steps sharing a residual).  No docstring: SymPy
    would print the whole expression for it."""
    # Floats of different precision may compare equal and print differently: not cached
    cacheable = key is not None and not any(part.has(sp.Float) for part in
                                            (target if isinstance(target, tuple) else (target,)))
    cache_key = (count, target, key) if cacheable else None
    if cache_key is not None and cache_key in _CACHE:
        return _CACHE[cache_key]
    function = sp.lambdify([sp.Symbol(f"_x{i}") for i in range(count)], target, modules=modules,
                           docstring_limit=0)
    _check_code(function)
    if cache_key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[cache_key] = function
    return function
