"""LaTeX of SymPy expressions in the field's notation, names taken from the symbol table.

``to_latex`` prints ``abar_tm1`` as ``\\bar{\\alpha}_{t-1}`` (the table's name, never SymPy's guess
``\\bar{a}_{t}``), an applied function ``sigma(t)`` as ``\\sigma(t)`` (an application, not a product),
and lays fractions out as a person writes them: factors ``1 - \\alpha_t`` rather than
``\\alpha_t - 1`` with the sign moved in front, a scalar coefficient over its denominator followed
by the variable (``\\frac{\\sqrt{\\alpha_t}(1 - \\bar{\\alpha}_{t-1})}{1 - \\bar{\\alpha}_t} \\boldsymbol{x}_t``),
``\\exp\\left(\\dots\\right)`` for long exponents.  Any SymPy expression prints: an object the printer
cannot handle falls back to ``\\text{...}`` of its string form instead of raising.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from diffproof.derive.gaussian import Normal
from diffproof.derive.latex.names import DECORATIONS, GREEK
from diffproof.derive.latex.text import estimate_width, math_text, text_escape
from diffproof.derive.symbols import TABLE, SymbolTable

RELATION_LATEX = {"=": "=", "propto": r"\propto", ">=": r"\geq", "<=": r"\leq"}

_LONG_EXPONENT = 14          # estimated width above which e^{...} becomes \exp\left(...\right)


# a name as the reader creates it for a decorated letter: bar_x_t, bar_sigma_t-1, hat_x
_DECORATED = re.compile(r"^((?:(?:%s)_)+)([A-Za-z]+?)(?:_(.+))?$" % "|".join(sorted(set(DECORATIONS.values()))))


def _decorated_name(name: str) -> str | None:
    """``\\bar{x}_{t}`` for ``bar_x_t``, ``\\bar{\\sigma}_{t-1}`` for ``bar_sigma_t-1``: the LaTeX
    the reader turns back into that name (derive.latex.names), or None for other names."""
    match = _DECORATED.match(name)
    if match is None or not (len(match.group(2)) == 1 or match.group(2) in GREEK):
        return None
    core = "\\" + match.group(2) if match.group(2) in GREEK else match.group(2)
    for decoration in match.group(1).rstrip("_").split("_"):
        core = f"\\{decoration}{{{core}}}"
    return core + (f"_{{{match.group(3)}}}" if match.group(3) else "")


class FieldLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the symbol table's names and a person's layout of products."""

    printmethod = "_latex"

    def __init__(self, table: SymbolTable = TABLE, **settings):
        names = table.latex_names()
        self._table = table
        super().__init__({"symbol_names": names, "fold_frac_powers": True, **settings})
        self._names_by_key = {spec.key: spec.latex for spec in table}
        self._names_by_key.update({spec.symbol.name: spec.latex for spec in table})
        self._vector_names = {name for name in names.values() if _is_vector_name(name)}
        self._vector_symbols = {symbol for symbol, name in names.items() if _is_vector_name(name)}

    # -- names ----------------------------------------------------------------------------------
    def symbol_name(self, symbol: sp.Symbol) -> str | None:
        name = self._settings["symbol_names"].get(symbol)
        if name is None and not isinstance(symbol, sp.Dummy):
            name = self._names_by_key.get(symbol.name)
        return name

    def _print_Symbol(self, expr, style="plain"):
        name = self.symbol_name(expr)
        if name is not None:
            return name
        decorated = _decorated_name(expr.name)
        if decorated is not None:
            return decorated
        return super()._print_Symbol(expr, style)

    def _function_name(self, func) -> str:
        name = func.__name__
        if name in self._names_by_key:
            return self._names_by_key[name]
        return self._deal_with_super_sub(name) if len(name) == 1 or name in _GREEK else (
            self._deal_with_super_sub(name) if "_" in name else rf"\operatorname{{{name}}}")

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, AppliedUndef):
            args = ", ".join(self._print(arg) for arg in expr.args)
            text = f"{self._function_name(expr.func)}({args})"
            return f"{text}^{{{exp}}}" if exp is not None else text
        return super()._print_Function(expr, exp)

    # -- powers, exp, log -----------------------------------------------------------------------
    def _print_Pow(self, expr):
        base, exponent = expr.as_base_exp()
        if isinstance(base, sp.Symbol) and _is_compound(self._print(base)) and exponent != sp.S.Half:
            if exponent.is_Rational and exponent.is_negative:
                return self._print_Mul(expr)
            return rf"\left({self._print(base)}\right)^{{{self._print(exponent)}}}"
        if isinstance(base, AppliedUndef) and exponent.is_Rational and exponent.is_positive \
                and exponent != sp.S.Half:
            return self._print_Function(base, exp=self._print(exponent))
        return super()._print_Pow(expr)

    def _print_ExpBase(self, expr, exp=None):
        argument = self._print(expr.args[0])
        if estimate_width(argument) > _LONG_EXPONENT:
            text = rf"\exp\left({argument}\right)"
        else:
            text = f"e^{{{argument}}}"
        return f"\\left({text}\\right)^{{{exp}}}" if exp is not None else text

    def _print_log(self, expr, exp=None):
        text = rf"\log\left({self._print(expr.args[0])}\right)"
        return f"{text}^{{{exp}}}" if exp is not None else text

    # -- sums and products ------------------------------------------------------------------------
    def _print_Add(self, expr, order=None):
        out = ""
        for index, (sign, term) in enumerate(signed_terms(expr, order=order, printer=self)):
            if index == 0:
                out = term if sign == "+" else "- " + term
            else:
                out += f" {sign} {term}"
        return out

    def _print_Mul(self, expr):
        sign, numbers, scalars, sums, vectors, den = self._mul_parts(expr)
        numerator_scalar = _strip_sum(_join(numbers + scalars + sums))
        if den:
            den_text = _strip_sum(_join(den))
            if vectors and (numbers + scalars + sums):
                if not scalars and not sums and len(numbers) == 1 and numbers[0] == "1":
                    text = rf"\frac{{{_join(vectors)}}}{{{den_text}}}"
                else:
                    text = rf"\frac{{{numerator_scalar}}}{{{den_text}}} {_join(vectors)}"
            elif sums and not scalars and all(n.isdigit() for n in numbers) and \
                    all(d.isdigit() for d in den):
                # \frac{1}{2} (a + b): a numeric fraction in front of a parenthesized sum
                text = rf"\frac{{{_join(numbers) or '1'}}}{{{den_text}}} {_join(sums)}"
            else:
                text = rf"\frac{{{_strip_sum(_join(numbers + scalars + sums + vectors)) or '1'}}}{{{den_text}}}"
        else:
            text = _join(numbers + scalars + sums + vectors) or "1"
        return ("- " + text) if sign < 0 else text

    def _mul_parts(self, expr):
        """Sign, numerator factors (numbers, scalars, sums, vectors) and denominator factors."""
        coeff = sp.Integer(1)                 # the rational coefficient, contents of sums included
        sign = 1
        numbers: list[str] = []
        scalars: list[str] = []
        sums: list[tuple[tuple, str]] = []
        vectors: list[str] = []
        den: list[str] = []
        flippable: list = []          # odd powers of sums: the overall sign can move into one
        bases = [f.as_base_exp()[0] for f in sp.Mul.make_args(expr) if not f.is_Number]
        if len(bases) != len(set(bases)):
            # x^2 x^{2t} -> x^{2t + 2}, e^a e^b -> e^{a + b}: one power per base, same value
            expr = sp.powsimp(expr, combine="exp", deep=False)
        for factor in sp.Mul.make_args(expr):
            if factor.is_Rational:
                coeff *= factor
                continue
            if factor.is_Number:
                if factor.is_negative:
                    sign, factor = -sign, -factor
                numbers.append(self._print(factor))
                continue
            if factor.is_number and not factor.is_Pow or (factor.is_Pow and factor.base.is_Number
                                                          and factor.exp.is_positive):
                numbers.append(self._factor(factor))
                continue
            if isinstance(factor, sp.exp):
                scalars.append(self._factor(factor))
                continue
            base, exponent = factor.as_base_exp()
            in_den = exponent.is_Rational and exponent.is_negative or (
                exponent.could_extract_minus_sign() and not exponent.is_Number)
            if in_den:
                exponent = -exponent
            is_sum = isinstance(base, sp.Add) and exponent.is_Integer
            if is_sum:
                content, primitive = base.primitive()
                if content != 1 and isinstance(primitive, sp.Add):
                    coeff *= content ** (-exponent if in_den else exponent)
                    base = primitive
                if prefers_negated(base, self._table):
                    base = -base
                    if exponent % 2 == 1:
                        sign = -sign
                if exponent % 2 == 1:
                    flippable.append((in_den, len(den) if in_den else len(sums), base, exponent))
            piece = sp.Pow(base, exponent, evaluate=False) if exponent != 1 else base
            if in_den:
                den.append(self._factor(piece))
            elif is_sum:
                sums.append(((bool(base.free_symbols & self._vector_symbols), exponent != 1),
                             self._factor(piece)))
            elif self._is_vector(base):
                vectors.append(self._factor(piece))
            else:
                scalars.append(self._factor(piece))
        if coeff.is_negative:
            sign, coeff = -sign, -coeff
        eligible = [(in_den, position, base, exponent) for in_den, position, base, exponent in flippable
                    if not in_den and isinstance(-base, sp.Add) and known_sign(base, self._table) is None
                    and _minus_count(-base) <= _minus_count(base)]
        if sign < 0 and eligible:
            # - (a - b) c reads better as (b - a) c when the sign of a - b is not known anyway
            _, position, base, exponent = eligible[0]
            sign = -sign
            piece = sp.Pow(-base, exponent, evaluate=False) if exponent != 1 else -base
            sums[position] = (sums[position][0], self._factor(piece))
        sums_text = [text for _, text in sorted(sums, key=lambda pair: pair[0])]
        # a several-word name (\nabla_x \log p(x)) goes last; if another follows, in parentheses
        den = sorted(den, key=_is_compound)
        den = [rf"\left({d}\right)" if _is_compound(d) and i < len(den) - 1 else d
               for i, d in enumerate(den)]
        vectors = sorted(vectors, key=_is_compound)
        vectors = [rf"\left({v}\right)" if _is_compound(v) and i < len(vectors) - 1 else v
                   for i, v in enumerate(vectors)]
        numbers = ([str(coeff.p)] if coeff.p != 1 else []) + numbers
        if coeff.q != 1:
            den = [str(coeff.q)] + den
        if not (scalars or sums_text or vectors) and (numbers or den):
            numbers = numbers or ["1"]
        return sign, numbers, scalars, sums_text, vectors, den

    def _factor(self, piece) -> str:
        if isinstance(piece, sp.Add):
            return rf"\left({self._print(piece)}\right)"
        if isinstance(piece, sp.Pow) and isinstance(piece.base, sp.Add) and piece.exp.is_Integer:
            return rf"\left({self._print(piece.base)}\right)^{{{self._print(piece.exp)}}}"
        if isinstance(piece, sp.Pow) and piece.exp == 1:
            return self._print(piece.base)
        return self.parenthesize(piece, 50)  # PRECEDENCE["Mul"]

    def _is_vector(self, base) -> bool:
        if isinstance(base, sp.Symbol):
            name = self.symbol_name(base)
            return name is not None and name in self._vector_names
        return False


def _strip_sum(text: str) -> str:
    """``\\left(a + b\\right)`` alone in a numerator or denominator loses its parentheses."""
    if text.startswith(r"\left(") and text.endswith(r"\right)"):
        inner = text[len(r"\left("):-len(r"\right)")]
        depth = 0
        for token in re.findall(r"\\left|\\right", inner):
            depth += 1 if token == r"\left" else -1
            if depth < 0:
                return text
        return inner
    return text


# a factor the reader would take as a function applied to a parenthesis after it: h (a + b) is
# h applied (f, g, h, p, q are function letters), \dot{\alpha} (a) is alpha' at a
_APPLICABLE = re.compile(r"(?:^|[\s{}])(?:[fghpqFGHPQ]|\\d?dot\{[^{}]*\})(?:_\{[^{}]*\}|_\w)?'*$")


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and out[-1].isdigit() and part[:1].isdigit():
            out += r" \cdot "
        elif out and part.startswith(("\\left(", "(")) and _APPLICABLE.search(out):
            out += r" \cdot "
        elif out:
            out += " "
        out += part
    return out


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
          "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}


def _is_vector_name(name: str) -> bool:
    return name.startswith((r"\boldsymbol", r"\hat{\boldsymbol", r"\nabla"))


def _is_compound(name: str) -> bool:
    """A name that needs parentheses before a power: ``\\nabla_{x} \\log p(x)``, ``\\Delta t``,
    ``\\mathrm{Var}\\,x(t)`` (several words).  An application ``g(t)``, ``\\lambda(t)`` is one word:
    ``g(t)^{2}``."""
    depth = 0
    for index, char in enumerate(name):
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif depth == 0 and (char == " " or (char == "\\" and name[index + 1:index + 2] in (",", ";"))):
            return True
    return False


def _minus_count(add: sp.Add) -> int:
    return sum(1 for term in sp.Add.make_args(add) if term.could_extract_minus_sign())


def known_sign(add: sp.Expr, table: SymbolTable = TABLE) -> int | None:
    """+1 / -1 when the sum has that sign on the table's domains (1 - alpha_t > 0 for alpha_t in
    (0, 1), T - 1 >= 0 for an integer T >= 1), None when unknown."""
    if len(sp.Add.make_args(add)) > 4 or sp.count_ops(add) > 16:
        return None                       # layout only: not worth the assumptions machinery
    key = (add, id(table))
    if key not in _SIGN_CACHE:
        if len(_SIGN_CACHE) > 4096:
            _SIGN_CACHE.clear()
        _SIGN_CACHE[key] = _known_sign(add, table)
    return _SIGN_CACHE[key]


_SIGN_CACHE: dict = {}


def _known_sign(add: sp.Expr, table: SymbolTable) -> int | None:
    parametrized = add.xreplace(table.positive_parametrization(add.free_symbols))
    for candidate in (add, parametrized, lambda: sp.together(sp.expand(parametrized))):
        if callable(candidate):
            candidate = candidate()
        if candidate.is_nonnegative:
            return 1
        if candidate.is_nonpositive:
            return -1
    return None


def prefers_negated(add: sp.Add, table: SymbolTable = TABLE) -> bool:
    """True when ``-add`` reads better: the sign known on the table's domains (write the positive
    one: 1 - alpha_t, T - 1), else fewer minus signs, else a positive constant (1 - x, not x - 1)."""
    sign = known_sign(add, table)
    if sign is not None:
        return sign < 0
    terms = sp.Add.make_args(add)
    negative = sum(1 for term in terms if term.could_extract_minus_sign())
    if negative != len(terms) - negative:
        return negative > len(terms) - negative
    constant = add.as_coeff_Add()[0]
    return bool(constant.is_negative)


def signed_terms(expr, order=None, printer: FieldLatexPrinter | None = None) -> list[tuple[str, str]]:
    """The terms of a sum as (sign, LaTeX) pairs, a positive term first when there is one."""
    printer = printer or FieldLatexPrinter()
    terms = list(printer._as_ordered_terms(expr, order=order)) if isinstance(expr, sp.Add) else [expr]
    first_positive = next((i for i, term in enumerate(terms) if not term.could_extract_minus_sign()),
                          None)
    if first_positive:
        terms.insert(0, terms.pop(first_positive))
    out = []
    for term in terms:
        if term.could_extract_minus_sign():
            sign, term = "-", -term
        else:
            sign = "+"
        text = printer._print(term)
        if text.startswith("- "):
            # the term's own layout put a sign in front (1 - x flipped from x - 1): merge the signs
            sign, text = ("+" if sign == "-" else "-"), text[2:]
        if isinstance(term, sp.Add):
            text = rf"\left({text}\right)"
        out.append((sign, text))
    return out


# ------------------------------------------------------------------------------------------------
def to_latex(expr, table: SymbolTable = TABLE) -> str:
    """LaTeX of a SymPy expression (or a relation, or a Normal) in the field's notation.

    Never raises: an object the printer cannot handle comes back as ``\\text{...}`` of its string.
    """
    if expr is None:
        return ""
    try:
        if isinstance(expr, Normal):
            return normal_latex(expr, table)
        if isinstance(expr, sp.Basic):
            text = FieldLatexPrinter(table).doprint(expr)
        else:
            text = FieldLatexPrinter(table).doprint(sp.sympify(expr, strict=True))
        if _balanced(text):
            return text
    except Exception:  # noqa: BLE001 - a document never crashes on one odd expression
        pass
    return r"\text{" + text_escape(plain_text(expr)) + "}"


def plain_text(expr) -> str:
    """``str(expr)``, or its terms unordered when printing evaluates something too large:
    SymPy's string printer orders terms by their numeric value, and exp(exp(exp(1000))) then
    overflows inside mpmath."""
    try:
        return str(expr)
    except Exception:  # noqa: BLE001 - display only: the terms in the order SymPy keeps them
        try:
            return StrPrinter({"order": "none"}).doprint(expr)
        except Exception:  # noqa: BLE001
            return f"<{type(expr).__name__}>"


def normal_latex(normal, table: SymbolTable = TABLE) -> str:
    r"""``\mathcal{N}(x; \mu, \sigma^2)`` of a :class:`derive.gaussian.Normal`."""
    return (rf"\mathcal{{N}}\left({to_latex(normal.var, table)}; {to_latex(normal.mean, table)}, "
            rf"{to_latex(normal.variance, table)}\right)")


def relation_latex(lhs, relation: str, rhs, table: SymbolTable = TABLE) -> str:
    """``lhs REL rhs`` with REL one of ``=``, ``propto``, ``>=``, ``<=``."""
    return f"{to_latex(lhs, table)} {RELATION_LATEX[relation]} {to_latex(rhs, table)}"


def add_terms(expr, table: SymbolTable = TABLE) -> list[str]:
    """The terms of a top-level sum, each with its sign (``+ x``, ``- y``), for line breaking.

    A non-sum is one term.  The first term carries no ``+``.
    """
    try:
        if not isinstance(expr, sp.Add):
            return [to_latex(expr, table)]
        pairs = signed_terms(expr, printer=FieldLatexPrinter(table))
    except Exception:  # noqa: BLE001
        return [to_latex(expr, table)]
    return [(text if sign == "+" else "- " + text) if i == 0 else f"{sign} {text}"
            for i, (sign, text) in enumerate(pairs)]


def _balanced(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        if char in "{}" and index and text[index - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and text.count(r"\left") == text.count(r"\right")


# ------------------------------------------------------------------------------------------------
def derivation_display(derivation, table: SymbolTable = TABLE) -> str:
    """The chain as a ``$$\\begin{aligned}...$$`` display, one step per line (``_repr_latex_``)."""
    lines = []
    first = True
    for _, lhs, step in derivation.links():
        relation = RELATION_LATEX[step.relation]
        text = math_text(step.justification)
        if step.expr is None:
            methods = ", ".join(getattr(check, "name", "check") for check in step.checks)
            body = math_text(f"(decided by its checks: {methods})")
            relation = ""
        else:
            body = to_latex(step.expr, table)
        left = to_latex(lhs, table) if (step.lhs is not None or first) and lhs is not None else ""
        lines.append(f"{left} &{relation} {body} && {text}")
        first = False
    return "$$\\begin{aligned}" + r" \\ ".join(lines) + "\\end{aligned}$$"


__all__ = ["to_latex", "relation_latex", "normal_latex", "add_terms", "derivation_display",
           "FieldLatexPrinter", "RELATION_LATEX"]
