"""The symbol table: every symbol diffproof reads and writes, with its assumptions and LaTeX name.

One place defines, for each symbol, the SymPy object (with the SymPy assumptions it carries), the
LaTeX name papers use (``\\bar{\\alpha}_{t-1}``), its domain (used to draw random points and to
state side conditions), and a *positive parametrization* used by the symbolic checker: a symbol in
(0, 1) is rewritten as 1/(1 + p) with p > 0, so that every radicand such as 1 - alpha_t becomes an
expression SymPy knows to be positive.  Defined symbols (alphabar_t = alpha_t alphabar_{t-1},
beta_t = 1 - alpha_t) are eliminated before checking.  See shared/notation.md.

Here: the table (:class:`SymbolSpec`, :class:`SymbolTable`) and the standard one, :data:`TABLE`,
with every symbol of the notation (they stay together: which domains TABLE's definitions imply,
and the schedule families' built-in members, are read from TABLE).  Domains, their SymPy
assumptions and positive parametrizations are in :mod:`derive.domains`; the step indices of the
schedule families in :mod:`derive.families`.  A caller never changes TABLE: it takes a copy
(:meth:`SymbolTable.copy`, :meth:`SymbolTable.declare`, :meth:`SymbolTable.with_domains`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import sympy as sp

from diffproof.derive.domains import (POSITIVE, REAL, STEPS, TIME, UNIT, UNIT_CLOSED, DerivedBound, Domain,
                            exact_number, exactly_in, positive_form_of)
from diffproof.derive.families import (BUILTIN_KEYS, BUILTIN_MEMBERS, FAMILIES, MAX_SPAN, index_text,
                             member_domain, member_key, member_of_key, parse_index)

# key prefix of a symbol whose domain the claim reader only guessed (searched as positive; the
# inequality prover reasons about it over the reals)
GUESSED = "unknown:"


@dataclass(frozen=True)
class SymbolSpec:
    """Everything diffproof knows about one symbol."""

    key: str
    symbol: sp.Symbol
    latex: str
    meaning: str
    domain: Domain
    positive_form: Callable[[sp.Symbol], sp.Expr] | None = None

    @property
    def assumption_text(self) -> str:
        return self.domain.describe(self.key)


@dataclass
class SymbolTable:
    """Symbols, their definitions (``abar_t := alpha_t abar_{t-1}``) and ordering constraints."""

    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    definitions: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    # constraints between symbols, e.g. sigma_min < sigma_max: (smaller, larger)
    orderings: list[tuple[sp.Symbol, sp.Symbol]] = field(default_factory=list)
    # whether member() may register family members (False for the shared TABLE)
    extensible: bool = True
    # declared orders between expressions (% assume: \sigma_t^2 < 1 - \bar\alpha_{t-1}), as
    # (text, value, strict): value > 0 (>= 0 when not strict) at every point; a proof never uses
    # them (it holds without), a counterexample must satisfy them (derived_bounds)
    constraints: list[tuple[str, sp.Expr, bool]] = field(default_factory=list)
    # the orderings stated non-strict (% assume: t \le T): points keep them strict (a point
    # satisfying a < b satisfies a <= b), but the index letters of schedule members may be equal
    # (proofs.claims.indices), and messages quote them as stated
    weak: set[tuple[sp.Symbol, sp.Symbol]] = field(default_factory=set)
    # spec()'s index symbol -> first spec, with the identities of the specs it was built from
    # (specs is a plain dict that callers change in place: the index is rebuilt when it differs)
    _index: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def add(self, key: str, latex: str, meaning: str, domain: Domain = REAL,
            name: str | None = None, assumed: Domain | None = None) -> sp.Symbol:
        """Register a new symbol of ``domain``; its SymPy assumptions are those of ``assumed``
        (default: ``domain``).  Only for building a table (TABLE's declarations, a test's own);
        a copy of a table is extended with :meth:`declare`."""
        if key in self.specs:
            raise ValueError(f"symbol {key!r} defined twice")
        symbol = sp.Symbol(name or key, **(assumed or domain).assumptions)
        self.specs[key] = SymbolSpec(key, symbol, latex, meaning, domain, positive_form_of(domain))
        return symbol

    def define(self, symbol: sp.Symbol, value: sp.Expr) -> None:
        self.definitions[symbol] = value

    def order(self, smaller: sp.Symbol, larger: sp.Symbol, strict: bool = True) -> None:
        """``smaller < larger`` (``smaller <= larger`` when not ``strict``: kept in
        :attr:`weak` as well)."""
        pair = (smaller, larger)
        if strict:
            self.weak.discard(pair)
        elif pair not in self.orderings:
            self.weak.add(pair)            # a strict order stated too stays strict
        if pair not in self.orderings:
            self.orderings.append(pair)

    # -- copies (a caller never changes a table it did not make) --------------------------------
    def copy(self) -> "SymbolTable":
        """A private copy: its own specs, definitions and orderings (the symbols are shared), to
        extend without touching this table.  Always extensible (:meth:`member` registers family
        members in it), also as a copy of the shared TABLE."""
        return SymbolTable(dict(self.specs), dict(self.definitions), list(self.orderings),
                           constraints=list(self.constraints), weak=set(self.weak))

    def declare(self, *specs: SymbolSpec) -> "SymbolTable":
        """A copy with ``specs`` added, each replacing a spec of the same key (a narrower domain
        for a symbol of the table, or a new symbol)."""
        table = self.copy()
        for spec in specs:
            table.specs[spec.key] = spec
        return table

    def with_domains(self, symbols: Iterable[sp.Symbol], domain: Domain) -> "SymbolTable":
        """A copy in which ``symbols``, of unknown domain, get ``domain`` as a guess (key
        GUESSED + name): points are drawn there, but the inequality prover proves nothing from it
        (derive.decide.inequality.sign.domain_of).  This table itself when there is no symbol."""
        symbols = list(symbols)
        if not symbols:
            return self
        return self.declare(*[SymbolSpec(f"{GUESSED}{symbol.name}", symbol, symbol.name,
                                         "domain unknown", domain) for symbol in symbols])

    # -- look-ups ---------------------------------------------------------------------------
    def __getitem__(self, key: str) -> sp.Symbol:
        return self.specs[key].symbol

    def spec(self, symbol: sp.Symbol) -> SymbolSpec | None:
        """The first spec whose symbol equals ``symbol`` (a dict look-up: SymPy's == and hash
        agree; comparing every spec with == was the prover's hottest loop)."""
        if not isinstance(symbol, sp.Basic):
            return next((spec for spec in self.specs.values() if spec.symbol == symbol), None)
        identities = tuple(map(id, self.specs.values()))
        if self._index is None or self._index[0] != identities:
            index: dict = {}
            for spec in self.specs.values():
                index.setdefault(spec.symbol, spec)
            self._index = (identities, index)
        return self._index[1].get(symbol)

    def domain(self, symbol: sp.Symbol) -> Domain:
        spec = self.spec(symbol)
        if spec is not None:
            return spec.domain
        if symbol.is_positive:
            return POSITIVE
        return REAL

    def latex_names(self) -> dict[sp.Symbol, str]:
        return {spec.symbol: spec.latex for spec in self.specs.values()}

    def __iter__(self):
        return iter(self.specs.values())

    # -- rewriting ----------------------------------------------------------------------------
    def expand_definitions(self, expr: sp.Expr, extra: dict | None = None) -> sp.Expr:
        """Substitute definitions (and ``extra`` ones) until no defined symbol is left."""
        defs = dict(self.definitions)
        if extra:
            defs.update(extra)
        for _ in range(10):
            new = expr.xreplace(defs) if hasattr(expr, "xreplace") else expr
            if new == expr:
                return new
            expr = new
        return expr

    # -- indexed schedule families (see the section "Indexed schedule families" below) ---------
    def member(self, family: str, index: str) -> sp.Symbol | None:
        """The symbol of ``alpha_s``, ``alphabar_s`` (family ``"abar"``) or ``beta_s`` at the index
        written ``index`` (``t-1``, ``T``, ``s+2``, ``0``), or None when ``index`` is not a step
        index (``\\min``, ``\\theta``) or names no member (alpha_0, a negative number).

        In an extensible table (a claim's copy) the member is registered with its domain, and the
        members of its chain are related so that every one is a function of independent free
        parameters: the alphas at the needed indices and the abar at the lowest needed index
        (abar_k = abar_F prod_{F<j<=k} alpha_j, beta_k = 1 - alpha_k).  The shared TABLE is never
        changed (the catalog's derivations use it): it only names the symbol.  Raises ValueError
        when the chain would span more than MAX_SPAN steps."""
        parsed = parse_index(index)
        if parsed is None or family not in FAMILIES:
            return None
        chain, offset = parsed
        if not chain and offset < (0 if family == "abar" else 1):
            return None
        key = member_key(family, chain, offset)
        if key not in self.specs:
            if not self.extensible:
                return _member_symbol(family, chain, offset)
            self._add_member(family, chain, offset)
        if self.extensible:
            self._relate(chain, (family, offset) if key in BUILTIN_MEMBERS else None)
        return self.specs[key].symbol

    def _add_member(self, family: str, chain: tuple, offset: int) -> sp.Symbol:
        text = index_text(chain, offset)
        meaning = {"alpha": f"forward coefficient at step {text}",
                   "abar": f"cumulative product prod_{{i<={text}}} alpha_i",
                   "beta": f"DDPM noise level 1 - alpha_{text}"}[family]
        latex = {"alpha": r"\alpha", "abar": r"\bar{\alpha}", "beta": r"\beta"}[family]
        symbol = _member_symbol(family, chain, offset)
        domain = member_domain(family, chain, offset)
        key = member_key(family, chain, offset)
        self.specs[key] = SymbolSpec(key, symbol, f"{latex}_{{{text}}}", meaning, domain,
                                     positive_form_of(domain))
        return symbol

    def _chain_members(self, chain: tuple) -> dict[tuple[str, int], SymbolSpec]:
        out = {}
        for spec in self.specs.values():
            found = member_of_key(spec.key)
            if found is not None and found[1] == chain:
                out[(found[0], found[2])] = spec
        return out

    def _relate(self, chain: tuple, named_builtin: tuple[str, int] | None) -> None:
        """Define the chain's members through its free parameters (Luo 2022 Eq. 61:
        abar_t = alpha_t abar_{t-1}; Ho et al. 2020 Sec. 2: beta_t = 1 - alpha_t)."""
        members = self._chain_members(chain)
        for (family, offset) in list(members):
            if family == "beta":
                alpha = self._ensure(chain, "alpha", offset, members)
                self.definitions[members[("beta", offset)].symbol] = 1 - alpha
        abars = [o for f, o in members if f == "abar"]
        if not abars:
            return
        top, floor = max(abars), min(abars)
        # an alpha at an index a <= top is a factor of abar_top: the free abar lies below it.
        # Built-in alphas count only when the claim names them (alpha_{t-1} is always present).
        counted = {o for (f, o), spec in members.items()
                   if f in ("alpha", "beta") and spec.key not in BUILTIN_MEMBERS}
        if named_builtin is not None and named_builtin[0] != "abar":
            counted.add(named_builtin[1])
        new_floor = min([floor] + [a - 1 for a in counted if a <= top])
        if top - new_floor > MAX_SPAN:
            raise ValueError(f"the indices {index_text(chain, new_floor)} .. "
                             f"{index_text(chain, top)} span more than {MAX_SPAN} steps")
        base = self._ensure(chain, "abar", new_floor, members)
        if not chain and new_floor == 0:       # alphabar_0 = 1, the empty product
            self.definitions[base] = sp.Integer(1)
            base = sp.Integer(1)
        alphas = {j: self._ensure(chain, "alpha", j, members) for j in range(new_floor + 1, top + 1)}
        for offset in sorted(o for f, o in members if f == "abar" and o > new_floor):
            self.definitions[members[("abar", offset)].symbol] = \
                base * sp.Mul(*[alphas[j] for j in range(new_floor + 1, offset + 1)])

    def family_chains(self, symbols: Iterable[sp.Symbol]) -> list[str]:
        """The index chains (``t``, ``T``, ``s``, ``2t``; ``""`` for constant indices) of the family
        members among ``symbols``.  Members of different chains are taken as unrelated, though
        some orders are known (t <= T, 1 <= t): a refutation that uses two chains may need an
        order of the indices no claim allows (alphabar_T > alphabar_t needs T < t), which
        derive.realizable decides."""
        by_symbol = {spec.symbol: member_of_key(spec.key) for spec in self.specs.values()}
        chains = {by_symbol[s][1] for s in symbols if by_symbol.get(s) is not None}
        return sorted(index_text(chain, 0) if chain else "" for chain in chains)

    def derived_bounds(self, extra: dict | None = None) -> list["DerivedBound"]:
        """The declared assumptions the free parametrization does not enforce, restated in free
        symbols: the domain of a defined symbol (``% assume: \\bar\\alpha_t < 1/2``), unless it is
        the built-in domain its own definition implies, and every ordering with a defined end
        (``\\beta_t < \\bar\\alpha_t``).  ``extra``: definitions beside the table's."""
        defined = {**self.definitions, **(extra or {})}
        out = []
        for spec in self.specs.values():
            bounded = spec.domain.lo is not None or spec.domain.hi is not None
            if spec.symbol in defined and bounded and not self._implied(spec, extra):
                out.append(DerivedBound(spec.domain.describe(spec.symbol.name),
                                        self.expand_definitions(spec.symbol, extra), spec.domain))
        for lo, hi in self.orderings:
            if lo in defined or hi in defined:
                out.append(DerivedBound(f"{lo.name} < {hi.name}",
                                        self.expand_definitions(hi - lo, extra), Domain(lo=0.0)))
        for text, value, strict in self.constraints:
            out.append(DerivedBound(text, self.expand_definitions(value, extra),
                                    Domain(lo=0.0, lo_open=strict)))
        return out

    def _implied(self, spec: SymbolSpec, extra: dict | None) -> bool:
        """Whether the table's own definition of the symbol implies its domain: a notation symbol
        (abar_t = alpha_t abar_{t-1} in (0, 1)) or a schedule family member at its built-in
        domain, not redefined by ``extra``."""
        if spec.symbol in (extra or {}):
            return False
        member = member_of_key(spec.key)
        if member is not None and spec.key not in BUILTIN_MEMBERS:
            default = member_domain(*member)
        elif spec.key in TABLE.specs and \
                TABLE.definitions.get(spec.symbol) == self.definitions.get(spec.symbol):
            default = TABLE.specs[spec.key].domain
        else:
            return False
        return spec.domain.interval == default.interval

    def linked_symbols(self, symbols: Iterable[sp.Symbol], extra: dict | None = None) -> list:
        """``symbols`` and every free symbol a declared assumption ties to them, transitively:
        orderings between free symbols and the bounds of :meth:`derived_bounds` (a point must
        give them values to be checked against every assumption)."""
        defined = {**self.definitions, **(extra or {})}
        groups = [{lo, hi} for lo, hi in self.orderings if lo not in defined and hi not in defined]
        groups += [set(b.value.free_symbols) for b in self.derived_bounds(extra)]
        found = {s for s in symbols if isinstance(s, sp.Symbol)}
        while True:
            more = {s for group in groups if group & found for s in group} - found
            if not more:
                return sorted(found, key=lambda s: s.name)
            found |= more

    def admits(self, point: dict, extra: dict | None = None) -> bool:
        """Whether ``point`` satisfies, exactly, every declared assumption on its symbols: each
        domain (integers integral), the orderings between them and the derived bounds on them
        (:meth:`outside_domain`).  Coordinates: rationals, binary floats or SymPy numbers."""
        exact = {s: exact_number(v) for s, v in point.items()}
        for symbol, value in exact.items():
            domain = self.domain(symbol)
            if not exactly_in(value, domain) or (domain.integer and value.is_integer is not True):
                return False
        ordered = all(sp.Lt(exact[lo], exact[hi]) is sp.true for lo, hi in self.orderings
                      if lo in exact and hi in exact)
        return ordered and not self.outside_domain(point, extra)

    def outside_domain(self, point: dict[sp.Symbol, object], extra: dict | None = None) -> list[str]:
        """The derived bounds (:meth:`derived_bounds`) on the symbols of ``point`` that it does
        not provably satisfy, exactly (a bound whose other symbols have no value counts): a
        counterexample must satisfy them, though the parametrization does not enforce them."""
        return [bound.text for bound in self.derived_bounds(extra)
                if bound.value.free_symbols & set(point) and not bound.holds(point)]

    def _ensure(self, chain: tuple, family: str, offset: int, members: dict) -> sp.Symbol:
        if (family, offset) not in members:
            key = member_key(family, chain, offset)
            if key not in self.specs:
                self._add_member(family, chain, offset)
            members[(family, offset)] = self.specs[key]
        return members[(family, offset)].symbol

    def positive_parametrization(self, symbols: Iterable[sp.Symbol]) -> dict[sp.Symbol, sp.Expr]:
        """A substitution that writes each bounded or ordered symbol with positive parameters.

        0 < a < 1 becomes a = 1/(1 + p); an ordering lo < hi becomes hi = lo (1 + r) when lo is
        positive, hi = lo + r otherwise.  All new parameters p, r are positive symbols.
        """
        symbols = set(symbols)
        subs: dict[sp.Symbol, sp.Expr] = {}
        for spec in self.specs.values():
            if spec.symbol in symbols and spec.positive_form is not None:
                subs[spec.symbol] = spec.positive_form(spec.symbol)
        for lo, hi in self.orderings:
            if lo in symbols and hi in symbols and hi not in subs:
                r = sp.Dummy(f"r_{hi.name}", positive=True)
                subs[hi] = lo * (1 + r) if lo.is_positive else lo + r
        return subs


def _member_symbol(family: str, chain: tuple, offset: int) -> sp.Symbol:
    """``alpha_t+1``, ``alphabar_T``, ``beta_0``: names SymPy prints as \\alpha_{t+1}, ..."""
    key = BUILTIN_KEYS.get((family, chain, offset))
    if key is not None:
        return TABLE[key]
    name = {"abar": "alphabar"}.get(family, family) + "_" + index_text(chain, offset)
    return sp.Symbol(name, **member_domain(family, chain, offset).assumptions)


# ------------------------------------------------------------------------------------------------
# The standard table: the notation of shared/notation.md.
# ------------------------------------------------------------------------------------------------
TABLE = SymbolTable()
_add = TABLE.add

# discrete-time forward process (Luo, DDPM)
alpha_t = _add("alpha_t", r"\alpha_t", "forward coefficient at step t", UNIT)
abar_t = _add("abar_t", r"\bar{\alpha}_t", "cumulative product prod_{i<=t} alpha_i", UNIT)
abar_tm1 = _add("abar_tm1", r"\bar{\alpha}_{t-1}", "cumulative product up to t-1", UNIT_CLOSED)
beta_t = _add("beta_t", r"\beta_t", "DDPM noise level 1 - alpha_t", UNIT)
# betatilde_1 = 0 (alphabar_0 = 1): the value may be 0, the symbol stays positive (it is defined)
betatilde_t = _add("betatilde_t", r"\tilde{\beta}_t", "DDPM posterior variance",
                   Domain(lo=0.0, lo_open=False, sample_lo=0.0, sample_hi=5.0,
                          simple=POSITIVE.simple), assumed=POSITIVE)
TABLE.define(abar_t, alpha_t * abar_tm1)
TABLE.define(beta_t, 1 - alpha_t)
TABLE.define(betatilde_t, (1 - abar_tm1) * beta_t / (1 - abar_t))

# variables (one coordinate of an isotropic Gaussian)
x = _add("x", r"\boldsymbol{x}", "a data point or variable")
x_0 = _add("x_0", r"\boldsymbol{x}_0", "data")
x_t = _add("x_t", r"\boldsymbol{x}_t", "latent at step t")
x_tm1 = _add("x_tm1", r"\boldsymbol{x}_{t-1}", "latent at step t-1")
x_tm2 = _add("x_tm2", r"\boldsymbol{x}_{t-2}", "latent at step t-2")
x_tp1 = _add("x_tp1", r"\boldsymbol{x}_{t+1}", "latent at step t+1")
z = _add("z", r"\boldsymbol{z}", "latent variable, or standard normal noise")
eps = _add("eps", r"\boldsymbol{\epsilon}", "standard normal noise")
eps_0 = _add("eps_0", r"\boldsymbol{\epsilon}_0", "the total noise in x_t given x_0")
eps_1 = _add("eps_1", r"\boldsymbol{\epsilon}_{1}", "independent standard normal noise")
eps_2 = _add("eps_2", r"\boldsymbol{\epsilon}_{2}", "independent standard normal noise")

# model predictions
xhat = _add("xhat", r"\hat{\boldsymbol{x}}_\theta(\boldsymbol{x}_t, t)", "x0-prediction")
epshat = _add("epshat", r"\hat{\boldsymbol{\epsilon}}_\theta(\boldsymbol{x}_t, t)",
              "noise prediction")
s_theta = _add("s_theta", r"\boldsymbol{s}_\theta(\boldsymbol{x}_t, t)", "score prediction")
score = _add("score", r"\nabla_{\boldsymbol{x}_t} \log p(\boldsymbol{x}_t)", "the marginal score")
mu_theta = _add("mu_theta", r"\boldsymbol{\mu}_\theta", "model mean")

# generic Gaussian parameters
mu = _add("mu", r"\mu", "a mean")
mu_1 = _add("mu_1", r"\mu_1", "mean of the first Gaussian")
mu_2 = _add("mu_2", r"\mu_2", "mean of the second Gaussian")
sigma = _add("sigma", r"\sigma", "a standard deviation", POSITIVE)
v = _add("v", r"v", "a variance", POSITIVE)
v_1 = _add("v_1", r"v_1", "variance of the first Gaussian", POSITIVE)
v_2 = _add("v_2", r"v_2", "variance of the second Gaussian", POSITIVE)
a = _add("a", r"a", "a coefficient")
b = _add("b", r"b", "an offset")
m = _add("m", r"m", "data mean (Gaussian data x_0 ~ N(m, s^2))")
s = _add("s", r"s", "data standard deviation", POSITIVE)
c = _add("c", r"c", "Langevin step size", POSITIVE)
omega = _add("omega", r"\omega", "negative log-SNR")

# continuous time (Song et al., seed 002)
t = _add("t", r"t", "time", TIME)
xi = _add("xi", r"\xi", "integration variable", TIME)
sigma_min = _add("sigma_min", r"\sigma_{\min}", "smallest VE noise scale", POSITIVE)
sigma_max = _add("sigma_max", r"\sigma_{\max}", "largest VE noise scale", POSITIVE)
beta_min = _add("beta_min", r"\beta_{\min}", "VP beta at t = 0", POSITIVE)
beta_max = _add("beta_max", r"\beta_{\max}", "VP beta at t = 1", POSITIVE)
dt = _add("dt", r"\Delta t", "time step", POSITIVE)
T = _add("T", r"T", "number of diffusion steps", STEPS)
TABLE.order(sigma_min, sigma_max)
TABLE.order(beta_min, beta_max)

__all__ = ["GUESSED", "SymbolSpec", "SymbolTable", "TABLE"] + [k for k in TABLE.specs]

# loss weighting (torch module twin, derive/losses.py)
lam = _add("lam", r"\lambda(t)", "weighting of the denoising score-matching loss", POSITIVE)
__all__.append("lam")

# seed 000 (likelihood, Gibbs, Jensen) and the score side of seed 001; generic linear-SDE moments
x_1 = _add("x_1", r"x_1", "training data point 1", name="x_1")
x_2 = _add("x_2", r"x_2", "training data point 2", name="x_2")
x_3 = _add("x_3", r"x_3", "training data point 3", name="x_3")
p_1 = _add("p_1", r"p_1", "probability of the first outcome under p", UNIT)
q_1 = _add("q_1", r"q_1", "probability of the first outcome under q", UNIT)
w = _add("w", r"w", "a convex-combination weight", UNIT)
r_1 = _add("r_1", r"r_1", "a positive point (Jensen)", POSITIVE)
r_2 = _add("r_2", r"r_2", "a positive point (Jensen)", POSITIVE)
u = _add("u", r"u", "the argument of Gibbs' inequality", POSITIVE)
Z_theta = _add("Z_theta", r"Z_\theta", "normalizer of an energy-based model", POSITIVE)
theta_0 = _add("theta_0", r"\theta_0", "score-model coefficient of 1")
theta_1 = _add("theta_1", r"\theta_1", "score-model coefficient of x")
theta_2 = _add("theta_2", r"\theta_2", "score-model coefficient of x^2")
f_t = _add("f_t", r"f(t)", "drift coefficient of a linear SDE at time t")
g_t = _add("g_t", r"g(t)", "diffusion coefficient of a linear SDE at time t", POSITIVE)
S_t = _add("S_t", r"s(t)", "mean scale exp(int_0^t f) of a linear SDE", POSITIVE)
V_t = _add("V_t", r"\mathrm{Var}\,x(t)", "marginal variance of a linear SDE", POSITIVE)
__all__ += ["x_1", "x_2", "x_3", "p_1", "q_1", "w", "r_1", "r_2", "u", "Z_theta", "theta_0",
            "theta_1", "theta_2", "f_t", "g_t", "S_t", "V_t"]

# the forward coefficient one step earlier (Luo Eqs. 63-68 unroll x_t two steps back)
alpha_tm1 = _add("alpha_tm1", r"\alpha_{t-1}", "forward coefficient at step t-1", UNIT)

# Luo 2022 Eqs. 111-114: SNR(t) = exp(-omega(t)), omega the negative log-SNR
TABLE.define(omega, sp.log((1 - abar_t) / abar_t))

# the shared table names family members but never registers them (a claim's copy does)
TABLE.extensible = False
