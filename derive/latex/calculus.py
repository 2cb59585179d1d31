"""Calculus in the LaTeX reader: derivatives, gradients, integrals, sums and products.

``\\frac{d}{dt} f``, ``\\frac{d f}{dt}``, ``\\frac{d^2}{dt^2}``, ``\\frac{\\partial}{\\partial x}``,
``\\partial_t f``, ``g'(t)`` and ``\\dot g(t)`` (of a defined function, else a SymPy Derivative
of an unknown one), ``\\frac{dg}{dt}`` for a function g, ``\\nabla_x f``
(``\\nabla_{x_t} \\log p(x_t)`` is the table's score; the vocabulary may name the gradient of a
log-density), ``\\int_a^b f \\, du``,
``\\sum``/``\\prod`` with bounds (the vocabulary may name a product, ``\\prod_{i=1}^t \\alpha_i``).
``\\frac{dx}{dt}`` for a plain symbol x is ambiguous.

A mixin of :class:`derive.latex.parser.Parser` (it uses the parser's ``parse_sum``,
``parse_term``, ``script_expr``, ``starts_factor``, ``read_name``, ``lookup_symbol`` and
``unknown_name``).
"""
from __future__ import annotations

import copy
import math
import re

import sympy as sp
from sympy.core.function import AppliedUndef

from diffproof.derive.families import parse_index
from diffproof.derive.latex.elementary import log10_size
from diffproof.derive.latex.names import BOLD, DECORATIONS, FUNCTION_NAME, GREEK, Name, table_names
from diffproof.derive.latex.tokens import (MAX_EXPONENT, AmbiguousLatexError, LatexParseError, Token,
                                 TokenCursor, UnsupportedLatexError)


# letters of variables, noises and counters: a prime or a dot on them names another quantity
# (x'_t, \epsilon'), never a schedule's time derivative
_VARIABLE_LETTERS = {"x", "y", "z", "epsilon", "xi", "n", "k", "i", "j", "d", "N", "K"}


def _is_d(tok: Token) -> bool:
    return (tok.kind == "letter" and tok.value == "d") or (tok.kind == "word" and tok.value == "d") \
        or (tok.kind == "cmd" and tok.value == "\\partial")


class CalculusSyntax(TokenCursor):
    """Derivatives, gradients, integrals, sums and products (a mixin of the parser)."""

    def at_differential(self) -> bool:
        tok = self.peek()
        is_d = (tok.kind == "letter" and tok.value == "d") or (tok.kind == "word" and tok.value == "d")
        braced = self.is_op("{") and self.peek(1).kind == "letter" and self.peek(1).value == "d" \
            and self.is_op("}", 2)                     # {\rm d}u
        if not is_d and not braced:
            return False
        nxt = self.peek(3 if braced else 1)
        return nxt.kind in ("letter",) or (nxt.kind == "cmd" and (nxt.value[1:] in GREEK
                                                                   or nxt.value in BOLD
                                                                   or nxt.value in DECORATIONS))

    def _group_tokens(self) -> tuple[list[Token], int]:
        """The tokens of the braced group at the cursor (without braces) and the index after."""
        if not self.is_op("{"):
            return [self.peek()], self.i + 1
        end = self.i + self._after_group(0)
        return self.tokens[self.i + 1:end - 1], end

    def _reading(self, tokens: list[Token]):
        """A parser sharing this one's context, vocabulary and depth that reads only ``tokens``
        (then an end token): the denominator or numerator of d/dx."""
        sub = copy.copy(self)
        sub.tokens = list(tokens) + [Token("end", "", tokens[-1].pos + 1)]
        sub.i = 0
        return sub

    def try_derivative(self, tok: Token) -> sp.Expr | None:
        """\\frac{d}{dt} f, \\frac{d f}{dt}, \\frac{d^2}{dt^2}, \\frac{\\partial}{\\partial x}."""
        start = self.i
        num, after_num = self._group_tokens()
        if not num or not _is_d(num[0]):
            return None
        self.i = after_num
        den, after_den = self._group_tokens()
        if not den or not _is_d(den[0]) or len(den) < 2:
            self.i = start
            return None
        # the variable: parse the denominator's tokens after d
        sub = self._reading(den[1:])
        variable, power = sub.read_name()
        order = sub.derivative_order(den[0])
        if sub.peek().kind != "end":
            self.i = start
            return None
        var = self.lookup_symbol(variable, den[0])
        if var is None:
            var = self.unknown_name(variable, den[0], True)
        if not isinstance(var, sp.Symbol):
            raise self.error(f"cannot differentiate with respect to {variable.latex()}", den[0],
                             UnsupportedLatexError)
        num_rest = num[1:]
        if num_rest and num_rest[0].kind == "op" and num_rest[0].value == "^":
            num_rest = num_rest[2:]
        self.i = after_den
        if num_rest:
            inner = self._reading(num_rest)
            operand_start = num_rest[0]
            operand = inner.bare_function(var)
            if operand is None:
                operand = inner.parse_sum()
            if inner.peek().kind != "end":
                raise inner.error(f"unexpected '{inner.peek().value}'")
        else:
            operand_start = self.peek()
            if not self.starts_factor():
                raise self.error("a derivative operator needs something to differentiate", tok)
            operand = self.derivative_operand(var, tok)
        try:
            return self.differentiate(operand, var, order, operand_start)
        except LatexParseError:
            raise
        except (ValueError, TypeError) as error:
            raise self.error(f"cannot differentiate: {error}", tok, UnsupportedLatexError) from None

    def derivative_operand(self, var: sp.Symbol, tok: Token) -> sp.Expr:
        """What a derivative operator (``\\frac{d}{dt}``, ``\\partial_t``) written before a product
        applies to.  ``\\frac{d}{dt} a\\,b`` reads as (da/dt)·b or as d(ab)/dt; the two agree when
        b does not vary with t (or a is a number, whose derivative no one writes), and otherwise
        the product is refused as ambiguous, with the spellings that say which one is meant."""
        first = self.parse_signed()
        while first.is_number and self.starts_factor():     # 2\sigma(t)\sigma(t): the number's
            first = first * self.parse_signed()             # factor joins it before the check
        start = self.peek()
        rest = self.parse_term_rest()
        if rest == 1 or first.is_number or not self.varies(rest, var):
            return first * rest
        raise self.error(
            "ambiguous derivative of a product: '\\frac{d}{dt} a b' reads as (da/dt)·b or as "
            "d(ab)/dt; write \\frac{d}{dt}\\left(a b\\right), or \\left(\\frac{d}{dt} a\\right) b "
            "(\\dot a\\, b)", start, AmbiguousLatexError)

    def bare_function(self, var: sp.Symbol) -> sp.Expr | None:
        """``\\sigma`` alone in ``\\frac{d\\sigma}{dt}``: the function sigma at ``var`` when sigma is
        a defined one-argument function or met applied as an unknown function; else None."""
        start = self.i
        try:
            name, power = self.read_name()
        except LatexParseError:
            name, power = None, None
        if name is None or power is not None or name.primes or self.peek().kind != "end":
            self.i = start
            return None
        function = self.ctx.functions.get(name.key)
        if function is not None and function.body is not None and len(function.params) == 1:
            return function.apply([var])
        if function is None and name.key in self.ctx.applied:
            return sp.Function(name.symbol_name(), real=True)(var)
        self.i = start
        return None

    def derivative_order(self, tok: Token) -> int:
        """The order ``^n`` after a derivative's variable (1 when absent), a small integer."""
        if not self.is_op("^"):
            return 1
        self.next()
        order = self.script_expr()
        if not (order.is_Integer and 1 <= order <= 10):
            raise self.error("the order of a derivative must be a small integer", tok)
        return int(order)

    def check_differentiable(self, operand, var, tok):
        if isinstance(operand, sp.Symbol) and operand != var and \
                operand not in self.functions_of(operand, var):
            shown = tok.value
            raise self.error(
                f"ambiguous derivative of the symbol {operand} with respect to {var}: it is 0 if "
                f"{operand} is a constant, or the derivative of a function {operand}({var}); for "
                f"the function write it applied, \\frac{{d}}{{d{var}}}{shown}({var}), or define it "
                f"with % assume: {shown}({var}) = ...", tok, AmbiguousLatexError)

    def differentiate(self, operand: sp.Expr, var: sp.Symbol, order: int, tok: Token) -> sp.Expr:
        """d^order operand / d var^order, read as the papers mean it (docs/claims.md 'Functions
        and their arguments'): a symbol an assumption defines through ``var`` (% assume: h = t^2)
        is differentiated through its definition; a built-in quantity written as a function of
        ``var`` (the table's ``s(t)``, ``g(t)``, ``f(t)``, ``\\lambda(t)``) as that unknown
        function, whose derivative is another free number (its value stays the table's symbol);
        a symbol or unknown function indexed by ``var`` (``\\alpha_t``, ``p_t(x)`` for d/dt) is
        refused: a constant of each step (derivative 0) or a function of ``var``?"""
        operand = self.through_definitions(operand, var)
        operand, continuous = self.continuous_indexed(operand, var, tok)
        if operand not in continuous:
            self.check_differentiable(operand, var, tok)
        self.check_not_indexed(operand, var, tok, skip=continuous)
        functions = self.functions_of(operand, var)
        functions.update(continuous)
        if not functions:
            return sp.diff(operand, var, order)
        result = sp.diff(operand.xreplace(functions), var, order)
        # the values back as the table's symbols; the derivatives stay the unknown function's
        derivatives = {d: sp.Dummy() for d in result.atoms(sp.Derivative, sp.Subs)}
        back = {application: symbol for symbol, application in functions.items()}
        result = result.xreplace(derivatives).xreplace(back)
        return result.xreplace({dummy: d for d, dummy in derivatives.items()})

    # -- schedule letters indexed by the time: alpha_t as alpha(t) under a time derivative --------
    def continuous_indexed(self, operand: sp.Expr, var: sp.Symbol, tok: Token) -> tuple:
        """``operand`` with each symbol indexed by ``var`` that a time derivative makes a function
        of continuous time (``\\frac{d}{dt}\\alpha_t``, docs/claims.md 'Functions and their
        arguments') replaced: by its definition at the index when the letter is defined as a
        function, and otherwise paired with the unknown function at the index, returned as
        {symbol: application} (its values stay the symbol, its derivative a free number).  A
        letter the claim also writes at a discrete index (``\\alpha_{t-1}``) is refused."""
        pairs, values = {}, {}
        for key, symbol in self._indexed_names(operand, var):
            if isinstance(symbol, AppliedUndef):
                continue
            name = _name_of_key(key)
            base = Name(name.base, tuple(d for d in name.decos if d not in ("dot", "ddot")))
            at = self.continuous_function(base, name, tok)
            point = self.index_value(name.sub, tok)
            value = at(point)
            if isinstance(value, AppliedUndef):
                pairs[symbol] = value
            else:
                values[symbol] = value
        return (operand.xreplace(values) if values else operand), pairs

    def is_time_letter(self, name: Name) -> bool:
        """Whether a dot or prime on ``name`` (subscripted, no parenthesis after it) may be a time
        derivative: not a variable's letter (``x'_t`` is another sample), not a word, and no name
        the assumptions declare with the mark (``% assume: \\dot\\sigma_t = ...``)."""
        return name.base not in _VARIABLE_LETTERS and \
            (len(name.base) == 1 or name.base in GREEK.values()) and \
            name.key not in self.ctx.created and name.key not in self.ctx.functions

    def indexed_time_derivative(self, name: Name, tok: Token) -> sp.Expr:
        """``\\dot\\alpha_t``, ``\\ddot\\sigma_t``, ``\\alpha_t'``, ``\\alpha'_{1-t}``: the
        derivative of the letter, a function of continuous time (:meth:`continuous_function`),
        at the index (Lipman et al. 2023 write alpha'_{1-t} for alpha' at 1 - t)."""
        order = name.primes or (2 if "ddot" in name.decos else 1)
        if order > 1 and name.primes and {"dot", "ddot"} & set(name.decos):
            raise self.error(f"{name.latex()}: a dot and a prime on one letter", tok,
                             UnsupportedLatexError)
        base = Name(name.base, tuple(d for d in name.decos if d not in ("dot", "ddot")))
        at = self.continuous_function(base, name, tok)
        point = self.index_value(name.sub, tok)
        u = sp.Dummy("u", real=True)
        return self.derivative_at(at(u), u, order, point)

    def defined_at_time(self, name: Name, tok: Token) -> sp.Expr | None:
        """``\\alpha_{1-t}`` when the assumptions define the letter through the time
        (``\\alpha_t = t``, ``\\alpha(t) = t``) and the claim differentiates it at an index
        (``\\alpha'_{1-t}``, ``\\dot\\alpha_s``): the definition at that index, as the
        derivative reads it (else None: the symbol as before)."""
        if name.decos and not set(name.decos) <= {"bar", "tilde", "hat"}:
            return None
        base = Name(name.base, name.decos)
        marked = any(other.sub is not None and other.base == base.base and
                     (other.primes or {"dot", "ddot"} & set(other.decos)) and
                     tuple(d for d in other.decos if d not in ("dot", "ddot")) == base.decos
                     for other, _, applied in self._scope_names() if not applied)
        if not marked or not self.is_time_letter(name):
            return None
        function = self.ctx.functions.get(base.key)
        if function is not None and len(function.params) == 1 and function.body is not None:
            return function.apply([self.index_value(name.sub, tok)])
        defined = self._defined_through_time(base, name, tok)
        if defined is None or defined[1] == name.sub:
            return None
        return defined[0](self.index_value(name.sub, tok))

    def _defined_through_time(self, base: Name, written: Name, tok: Token):
        """(u -> the definition at u, its time letter) when the assumptions define the letter
        at a time through that time (``% assume: \\alpha_t = t``), else None."""
        ctx = self.ctx
        for letter in dict.fromkeys(("t", written.sub)):
            key = Name(base.base, base.decos, letter).key
            symbol = ctx.symbols.get(key) or ctx.created.get(key)
            if symbol is None:
                try:
                    symbol = self.lookup_symbol(Name(base.base, base.decos, letter), tok)
                except LatexParseError:
                    symbol = None
            value = ctx.definitions.get(symbol) if symbol is not None else None
            time = next((s for s in (value.free_symbols if value is not None else ())
                         if s.name == letter), None)
            if time is not None:
                return (lambda u, value=value, time=time: value.xreplace({time: u})), letter
        return None

    def index_value(self, sub: str, tok: Token) -> sp.Expr:
        """The value of a subscript read as a time (``t``, ``1-t``)."""
        reader = type(self)(sub, self.ctx)
        value = reader.parse_sum()
        if reader.peek().kind != "end":
            raise self.error(f"the index {sub} is not a time", tok, UnsupportedLatexError)
        return value

    def continuous_function(self, base: Name, written: Name, tok: Token):
        """The letter ``base`` as a function of continuous time, ``u -> value at u``: a function
        the assumptions define or declare (``\\alpha(t) = ...``, ``\\alpha(t) > 0``), a symbol
        they define through the time (``\\alpha_t = t``: alpha(u) is its value at t = u), or
        an unknown function when the claim writes the letter only at times (``\\alpha_t``,
        ``\\alpha_{1-t}``, ``\\alpha(t)``).  Refused (AmbiguousLatexError, naming the
        spelling that works) when the claim reads it as a discrete schedule too."""
        ctx = self.ctx
        function = ctx.functions.get(base.key)
        if function is not None and len(function.params) == 1 and function.body is not None:
            return lambda u: function.apply([u])
        defined = self._defined_through_time(base, written, tok)
        if defined is not None:
            return defined[0]
        why = self.discrete_reading(base, written, tok)
        if why is not None:
            plain = base.latex()
            raise self.error(
                f"ambiguous derivative of {written.latex()}: {why}, so {written.latex()} may be a "
                f"discrete schedule (no derivative) or a function of continuous time; for the "
                f"function write {plain}(t) and declare it (% assume: {plain}(t) > 0) or define it "
                f"(% assume: {plain}(t) = ...), and write the other indices as times", tok,
                AmbiguousLatexError)
        return lambda u: sp.Function(base.symbol_name(), real=True)(u)

    def discrete_reading(self, base: Name, written: Name, tok: Token) -> str | None:
        """Why the letter ``base`` may be a discrete schedule in this claim (None when the claim
        writes it only at times: ``X_t``, ``X_{1-t}``, ``X(t)``, with dots and primes): a
        variable's letter, a definition by the discrete schedule (``\\bar\\alpha_t``,
        ``\\beta_t``), another spelling at a step index (``\\alpha_{t-1}``), the letter alone,
        or DDPM's ``\\bar\\alpha``/``\\beta`` beside ``\\alpha``."""
        if base.base in _VARIABLE_LETTERS or (len(base.base) > 1 and base.base not in GREEK.values()):
            return f"{base.latex()} is not a schedule's letter"
        plain = Name(base.base, base.decos, written.sub)
        symbol = self.ctx.created.get(plain.key) or self.lookup_symbol(plain, tok)
        if symbol is not None and symbol in self.ctx.definitions:
            return (f"the assumptions define {written.latex()} without the time "
                    f"({symbol} = {self.ctx.definitions[symbol]})")
        if symbol is not None and symbol in self.ctx.table.definitions:
            return (f"{written.latex()} is defined by the discrete schedule "
                    f"({symbol} = {self.ctx.table.definitions[symbol]})")
        for other, before, applied in self._scope_names():
            same = other.base == base.base and \
                tuple(d for d in other.decos if d not in ("dot", "ddot")) == base.decos
            if same and other.sub is None and not applied and not other.primes and \
                    before not in ("d", "\\partial") and "dot" not in other.decos:
                return f"{base.latex()} also stands alone"
            if same and other.sub is not None:
                parsed = parse_index(other.sub)
                if parsed is not None and len(parsed[0]) == 1 and parsed[0][0][1] == 1 and \
                        parsed[1] != 0:                   # t-1, t+1, T-1: a step away
                    return f"the claim also writes {other.latex()}, a step index"
            if base.base == "alpha" and not base.decos and other.sub is not None and \
                    ((other.base == "alpha" and "bar" in other.decos) or other.base == "beta"):
                return (f"the claim also writes {other.latex()}, which DDPM's discrete schedule "
                        "relates to \\alpha")
        return None

    def _scope_names(self) -> list:
        """(name, the token before, whether a parenthesis follows) of every name in the display
        and the assumptions being read (the context's scope); [] when it cannot be read."""
        text = self.ctx.scope or self.text
        cached = getattr(self.ctx, "_scope_names", None)
        if cached is not None and cached[0] == text:
            return cached[1]
        try:
            reader = type(self)(text, self.ctx)
        except LatexParseError:
            return []
        found, covered = [], 0
        for j, tok in enumerate(reader.tokens):
            if j < covered:                   # inside a name read already (\dot{\alpha}_t)
                continue
            if not (tok.kind in ("letter", "word") or (tok.kind == "cmd" and (
                    tok.value[1:] in GREEK or tok.value in DECORATIONS or tok.value in BOLD))):
                continue
            reader.i = j
            try:
                name, _ = reader.read_name()
            except LatexParseError:
                continue
            covered = reader.i
            before = reader.tokens[j - 1].value if j else ""
            found.append((name, before, reader.is_op("(")))
        self.ctx._scope_names = (text, found)
        return found

    def through_definitions(self, operand: sp.Expr, var: sp.Symbol) -> sp.Expr:
        """``operand`` with the symbols an assumption defines through ``var`` replaced by their
        definitions (so that d/dt h^2 under h = t^2 is 4t^3, not 0)."""
        definitions = self.ctx.definitions
        if not definitions:
            return operand
        subs = {}
        for symbol in operand.free_symbols & set(definitions):
            value = self.ctx.table.expand_definitions(symbol, definitions)
            if var in value.free_symbols:
                subs[symbol] = value
        return operand.xreplace(subs) if subs else operand

    def functions_of(self, operand: sp.Expr, var: sp.Symbol) -> dict:
        """The table's symbols among ``operand``'s that name a quantity as a function of ``var``
        (``s(t)``: LaTeX ``name(var)``), each with that unknown function at ``var``."""
        out = {}
        for symbol in operand.free_symbols:
            spec = self.ctx.table.spec(symbol) if symbol != var else None
            match = FUNCTION_NAME.match(spec.latex) if spec is not None else None
            if match and match.group(2) == var.name:
                name = Name(GREEK.get(match.group(1).lstrip("\\"), match.group(1).lstrip("\\")))
                out[symbol] = sp.Function(name.symbol_name(), real=True)(var)
        return out

    def check_not_indexed(self, operand: sp.Expr, var: sp.Symbol, tok: Token,
                          skip=()) -> None:
        """Refuse d/d var of a symbol or unknown function whose index mentions ``var``
        (``\\frac{d}{dt}\\log\\alpha_t``, ``\\partial_t p_t(x)``): SymPy would take it as a
        constant and answer 0, where the paper means a function of ``var``."""
        for key, symbol in self._indexed_names(operand, var):
            if symbol in skip:
                continue
            name = _name_of_key(key)
            plain = Name(name.base, name.decos).latex()
            applied = isinstance(symbol, sp.core.function.AppliedUndef)
            args = ", ".join(map(str, symbol.args)) + ", " if applied else ""
            raise self.error(
                f"ambiguous derivative: {name.latex()} is indexed by {var}, so its derivative "
                f"with respect to {var} is 0 if it is a constant for each {var}, or the derivative "
                f"of a function of {var}; for the function write it with the argument, "
                f"{plain}({args}{var}), and define it (% assume: {plain}({args}{var}) = ...) or "
                f"declare it (% assume: {plain}({args}{var}) > 0)", tok, AmbiguousLatexError)

    def _indexed_names(self, operand: sp.Expr, var: sp.Symbol) -> list:
        """(name key, symbol or application) of the parts of ``operand`` indexed by ``var``."""
        keys = {}
        names, _ = table_names(self.ctx.table, type(self))
        for mapping in (names, self.ctx.created, self.ctx.symbols):
            for key, symbol in mapping.items():
                keys.setdefault(symbol, key)
        by_function = {_name_of_key(key).symbol_name(): key
                       for key in self.ctx.applied | set(self.ctx.functions)}
        found = []
        for symbol in sorted(operand.free_symbols - {var}, key=str):
            key = keys.get(symbol)
            if key is not None and _mentions(_name_of_key(key).sub, var):
                found.append((key, symbol))
        for node in sp.preorder_traversal(operand):
            if isinstance(node, sp.core.function.AppliedUndef):
                key = by_function.get(node.func.__name__)
                if key is not None and _mentions(_name_of_key(key).sub, var):
                    found.append((key, node))
        return found

    def varies(self, expr: sp.Expr, var: sp.Symbol) -> bool:
        """Whether ``expr`` may change with ``var``: its derivative (read as :meth:`differentiate`
        reads it) is not identically zero, or it holds a part indexed by ``var``."""
        expr = self.through_definitions(expr, var)
        if self._indexed_names(expr, var):
            return True
        functions = self.functions_of(expr, var)
        expr = expr.xreplace(functions)
        return var in expr.free_symbols and sp.diff(expr, var) != 0

    def parse_nabla(self, name: Name, tok: Token) -> sp.Expr:
        _, suffixes = table_names(self.ctx.table, type(self))
        for key in (name.key, Name("nabla", (), "x_t").key):
            for suffix, symbol in suffixes.get(key, ()):
                if (key == name.key or name.sub is None) and self.matches(suffix):
                    return symbol                       # \nabla_{x_t} \log p(x_t): the score
        if name.sub is None:
            return self.gradient_in_the_argument(tok)
        decorated = self.decorated_subscript(tok)       # \nabla_{\tilde{x}}: the name as written
        sub = type(self)(decorated if decorated is not None else
                         name.sub.replace("_", "_{", 1) + "}" if "_" in name.sub else name.sub,
                         self.ctx)
        variable, _ = sub.read_name()
        var = self.lookup_symbol(variable, tok) or self.unknown_name(variable, tok, True)
        if not isinstance(var, sp.Symbol):
            raise self.error(f"cannot differentiate with respect to {name.sub}", tok)
        operand_start = self.peek()
        if not self.starts_factor():
            raise self.error("\\nabla needs something to differentiate", tok)
        operand = self.parse_term()
        conditional = self.ctx.vocabulary.conditional_score(operand, var)
        if conditional is not None:
            return conditional
        return self.differentiate(operand, var, 1, operand_start)

    def decorated_subscript(self, tok: Token) -> str | None:
        """The LaTeX of the braced subscript after ``tok`` when it holds a decoration
        (``\\tilde{x}``, ``\\hat{x}_t``), which the subscript's text form loses; else None."""
        at = next((i for i, t in enumerate(self.tokens) if t is tok), None)
        if at is None or at + 2 >= len(self.tokens) or self.tokens[at + 1].value != "_" or \
                self.tokens[at + 2].value != "{":
            return None
        depth = 0
        for end in range(at + 2, len(self.tokens)):
            depth += {"{": 1, "}": -1}.get(self.tokens[end].value, 0) \
                if self.tokens[end].kind == "op" else 0
            if depth == 0:
                break
        inner = self.tokens[at + 3:end]
        if not any(t.kind == "cmd" and t.value in DECORATIONS for t in inner):
            return None
        return " ".join(t.value for t in inner)

    def gradient_in_the_argument(self, tok: Token) -> sp.Expr:
        """``\\nabla \\log p_t(x)``: without a subscript, the gradient in the one variable every
        unknown function of the operand is applied to (flow matching's score); otherwise refused."""
        operand_start = self.peek()
        if not self.starts_factor():
            raise self.error("\\nabla needs something to differentiate", tok)
        operand = self.parse_term()
        arguments = {a for f in operand.atoms(AppliedUndef) for a in f.args}
        if len(arguments) != 1 or not isinstance(next(iter(arguments)), sp.Symbol):
            raise self.error("write the gradient's variable, \\nabla_{x}", tok,
                             UnsupportedLatexError)
        return self.differentiate(operand, next(iter(arguments)), 1, operand_start)

    def parse_prime(self, name: Name, tok: Token) -> sp.Expr:
        """``g'(t)``, ``g''(t)``: a derivative of the function g at the argument."""
        base = Name(name.base, name.decos, name.sub)
        if not self.is_op("(") or self._has_separator():
            raise self.error(f"{name.latex()}: a prime marks the derivative of a function of one "
                             f"argument; write it applied, {base.latex()}'(t) (define {base.latex()} "
                             f"with % assume: {base.latex()}(t) = ... for its value)", tok,
                             UnsupportedLatexError)
        if name.sub is not None and len(name.sub) == 1 and name.sub.isalpha():
            # flow matching writes sigma_t'(x_1) for d/dt; the prime could also be d/dx_1
            raise self.error(
                f"{name.latex()}(...): a prime on a function indexed by {name.sub} reads as the "
                f"derivative in {name.sub} (d/d{name.sub}, as flow matching writes "
                f"\\sigma_t'(x_1)) or in its argument; write \\frac{{d}}{{d{name.sub}}} applied to "
                f"the function, or define the derivative with % assume:", tok,
                AmbiguousLatexError)
        return self.function_derivative(base, name.primes, tok)

    def parse_dotted(self, name: Name, tok: Token) -> sp.Expr:
        """``\\dot\\sigma(t)``, ``\\ddot{x}(t)``: the time derivative of the function at t."""
        order = 2 if "ddot" in name.decos else 1
        decos = tuple(d for d in name.decos if d not in ("dot", "ddot"))
        return self.function_derivative(Name(name.base, decos, name.sub), order, tok)

    def _has_separator(self) -> bool:
        return self.comma_inside() or self.bar_inside()

    def function_derivative(self, base: Name, order: int, tok: Token) -> sp.Expr:
        """The ``order``-th derivative of the function ``base`` at the parenthesized argument: of
        its definition (% assume:, a built-in schedule), else of an unknown function (a SymPy
        Derivative; at a non-symbol argument a Subs)."""
        args = self.parse_arguments()
        if len(args) != 1:
            raise self.error(f"{base.latex()}: a derivative written with a prime or a dot needs "
                             f"one argument; for several write \\frac{{\\partial}}{{\\partial x}}",
                             tok, UnsupportedLatexError)
        function = self.ctx.functions.get(base.key) or self.ctx.vocabulary.lookup_function(base.key)
        u = sp.Dummy("u", real=True)
        if function is None:
            self.ctx.applied.add(base.key)
            body = sp.Function(base.symbol_name(), real=True)(u)
        elif function.body is not None and len(function.params) == 1:
            body = function.apply([u])
        else:
            raise self.error(f"{base.latex()} is built in as {function.latex} and cannot be "
                             f"differentiated here; define it with % assume: {function.latex} = ...",
                             tok, UnsupportedLatexError)
        return self.derivative_at(body, u, order, args[0])

    @staticmethod
    def derivative_at(body: sp.Expr, u: sp.Symbol, order: int, point: sp.Expr) -> sp.Expr:
        """d^order body / du^order at u = point (an unevaluated Subs only for an unknown function
        at a point that is not a symbol)."""
        derivative = sp.diff(body, u, order)
        if isinstance(point, sp.Symbol) or not derivative.has(sp.Derivative):
            return derivative.xreplace({u: point})
        return sp.Subs(derivative, u, point)

    def parse_partial(self) -> sp.Expr:
        """``\\partial_t f``, ``\\partial_{t}^2 f``, ``\\partial_x u_t(x)``: the partial derivative."""
        tok = self.next()
        if not self.is_op("_"):
            raise self.error("a lone \\partial: write \\partial_t f or "
                             "\\frac{\\partial}{\\partial t} f", tok, UnsupportedLatexError)
        self.next()
        var_tok = self.peek()
        if self.is_op("{"):
            sub = self._reading(self._group_tokens()[0] or [var_tok])
            self.i = self._group_tokens()[1]
            variable, _ = sub.read_name()
            if sub.peek().kind != "end":
                raise self.error("\\partial_{...} takes one variable", var_tok, UnsupportedLatexError)
        else:
            variable, _ = self.read_name()
        order = self.derivative_order(tok)
        var = self.lookup_symbol(variable, var_tok) or self.unknown_name(variable, var_tok, True)
        if not isinstance(var, sp.Symbol):
            raise self.error(f"cannot differentiate with respect to {variable.latex()}", var_tok,
                             UnsupportedLatexError)
        operand_start = self.peek()
        if not self.starts_factor():
            raise self.error("\\partial needs something to differentiate", tok)
        operand = self.derivative_operand(var, tok)
        return self.differentiate(operand, var, order, operand_start)

    def parse_integral(self) -> sp.Expr:
        tok = self.next()
        lower = upper = None
        for _ in range(2):
            if self.is_op("_") and lower is None:
                self.next()
                lower = self.script_expr()
            elif self.is_op("^") and upper is None:
                self.next()
                upper = self.script_expr()
        if lower is None or upper is None:
            raise self.error("indefinite integrals are not supported: write \\int_a^b", tok,
                             UnsupportedLatexError)
        self.integral_depth += 1
        try:
            body = self.parse_sum() if not self.at_differential() else sp.Integer(1)
        finally:
            self.integral_depth -= 1
        if not self.at_differential():
            raise self.error("the integral needs its differential (\\, du) after the integrand",
                             self.peek())
        self.i += 3 if self.is_op("{") else 1
        d_tok = self.peek()
        variable, _ = self.read_name()
        var_symbol = self.lookup_symbol(variable, d_tok) or self.unknown_name(variable, d_tok, True)
        if not isinstance(var_symbol, sp.Symbol):
            raise self.error(f"cannot integrate over {variable.latex()}", d_tok)
        return sp.Integral(body, (var_symbol, lower, upper))

    def parse_sum_prod(self) -> sp.Expr:
        tok = self.next()
        if not self.is_op("_"):
            raise self.error(f"{tok.value} needs bounds, {tok.value}_{{i=1}}^{{n}}", tok,
                             UnsupportedLatexError)
        self.next()
        self.expect("{", f"after {tok.value}_ (write {tok.value}_{{i=1}}^{{n}})")
        var_tok = self.peek()
        variable, power = self.read_name()
        if power is not None or variable.decos:
            raise self.error("the index of a sum must be a plain letter", var_tok)
        self.expect("=", f"in the lower bound of {tok.value}")
        lower = self.parse_sum()
        self.expect("}", "to close the lower bound")
        if not self.is_op("^"):
            raise self.error(f"{tok.value} needs an upper bound", tok, UnsupportedLatexError)
        self.next()
        upper = self.script_expr()
        for bound in (lower, upper):
            size = log10_size(bound) if bound.is_number else None
            if size is not None and size > math.log10(MAX_EXPONENT):
                raise self.error(f"bounds beyond {MAX_EXPONENT} are not supported", tok,
                                 UnsupportedLatexError)
        index = sp.Symbol(variable.symbol_name(), integer=True)
        self.bound.append({variable.key: index, f"||{variable.base}": index})
        try:
            if not self.starts_factor() and not self.is_op("-"):
                raise self.error(f"{tok.value} needs a summand", self.peek())
            body = self.parse_term()
        finally:
            self.bound.pop()
        cls = sp.Sum if tok.value == "\\sum" else sp.Product
        if cls is sp.Product:
            known = self.ctx.vocabulary.cumulative_product(body, index, lower, upper)
            if known is not None:
                return known
        return cls(body, (index, lower, upper))


__all__ = ["CalculusSyntax"]


def _name_of_key(key: str) -> Name:
    """The name a key (:attr:`derive.latex.names.Name.key`) was made from."""
    decos, base, sub = key.rstrip("'").split("|", 2)
    return Name(base, tuple(d for d in decos.split("+") if d), sub or None)


def _mentions(index: str | None, var: sp.Symbol) -> bool:
    """Whether an index (``t``, ``t-1``, ``2t``) mentions the variable ``var``."""
    return bool(index) and re.search(rf"(?<![A-Za-z]){re.escape(var.name)}(?![A-Za-z])",
                                     index) is not None
