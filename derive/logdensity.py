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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

t = sp.Symbol("t", integer=True, positive=True)      # the summation index of every sum and product
T = sp.Symbol("T", integer=True, positive=True)      # the number of steps (the top position)

RULES = {
    "log-product": "log of a product or quotient is the sum or difference of the logs",
    "linearity": "linearity of expectation (sums and constants move through E)",
    "marginalization": "E over variables the integrand does not depend on drops them "
                       "(the measures are marginals of one forward process)",
    "expectation-def": "int q(z|x) f dz is E_{q(z|x)}[f] (definition of expectation)",
    "normalization": "int q(z|x) dz = 1",
    "encoder-factorization": "q(x_{1:T}|x_0) = prod_t q(x_t|x_{t-1}) (Markov chain rule)",
    "generative-factorization": "p(x_{0:T}) = p(x_T) prod_t p_theta(x_{t-1}|x_t)",
    "markov": "q(x_t|x_{t-1}, x_0, ...) = q(x_t|x_{t-1}) when the extra conditions precede x_{t-1}",
    "bayes": "q(a|b,c) = q(b|a,c) q(a|c) / q(b|c); p(z|x) = p(x,z) / p(x)",
    "reindex": "sum_{t=a}^{b} f(t + k) = sum_{s=a+k}^{b+k} f(s) (shift of the summation index)",
    "telescoping": "sums over different index ranges agree term by term once their ends are split "
                   "off (a telescoping sum or product leaves only its end terms)",
    "kl-def": "E_{q(C)}[D_KL(q(a|c) || p(a|d))] = E_{q(a,C)}[log q(a|c) - log p(a|d)] when q(a|c) "
              "is the conditional of a given C under the forward process",
    "marginal-integral": "int p(x, z) dz = p(x); E_q[f/q] = int f",
    "jensen": "log E_q[Y] >= E_q[log Y] (log is concave)",
    "gibbs": "D_KL >= 0 (Gibbs' inequality): dropping a KL term with positive coefficient",
}


class RuleGap(ValueError):
    """No stated rule carries the expression further (names the side condition that failed)."""


# ----------------------------------------------------------------------------------------------
# the tree
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Var:
    """A variable x_index (``index=None`` for the unindexed x or z of a VAE)."""

    name: str
    index: sp.Expr | int | None = None

    def latex(self) -> str:
        base = rf"\boldsymbol{{{self.name}}}"
        return base if self.index is None else f"{base}_{{{sp.latex(sp.sympify(self.index))}}}"


@dataclass(frozen=True)
class Span:
    """The block x_{lo:hi}."""

    name: str
    lo: sp.Expr | int
    hi: sp.Expr | int

    def latex(self) -> str:
        return rf"\boldsymbol{{{self.name}}}_{{{sp.latex(sp.sympify(self.lo))}:{sp.latex(sp.sympify(self.hi))}}}"


@dataclass(frozen=True)
class Density:
    """kind "q" (encoder / forward process) or "p" (generative model); ``label`` is for display."""

    kind: str
    out: tuple
    given: tuple = ()
    label: str = ""

    def latex(self) -> str:
        label = self.label or self.kind
        body = ", ".join(v.latex() for v in self.out)
        if self.given:
            body += r" \mid " + ", ".join(v.latex() for v in self.given)
        return f"{label}({body})"


@dataclass(frozen=True)
class Prod:
    factors: tuple


@dataclass(frozen=True)
class Ratio:
    num: object
    den: object


@dataclass(frozen=True)
class IProd:
    """prod_{t=lo}^{hi} body."""

    body: object
    lo: sp.Expr | int
    hi: sp.Expr | int


@dataclass(frozen=True)
class Log:
    arg: object


@dataclass(frozen=True)
class Lin:
    """sum_i coeff_i * node_i."""

    terms: tuple


@dataclass(frozen=True)
class ISum:
    """sum_{t=lo}^{hi} body."""

    body: object
    lo: sp.Expr | int
    hi: sp.Expr | int


@dataclass(frozen=True)
class E:
    """E_{measure}[body]; ``integral=True`` displays it as int measure (body) dz."""

    measure: Density
    body: object
    integral: bool = False


@dataclass(frozen=True)
class Mass:
    """body * int measure dz (the 'multiply by 1' of Luo Eq. 9)."""

    body: object
    measure: Density


@dataclass(frozen=True)
class KL:
    q: Density
    p: Density


@dataclass(frozen=True)
class LogE:
    """log E_{measure}[arg], arg a density expression (Jensen route)."""

    measure: Density
    arg: object


@dataclass(frozen=True)
class LogInt:
    """log int arg d(over)."""

    arg: object
    over: tuple


def add(*nodes) -> Lin:
    return Lin(tuple((sp.Integer(1), n) for n in nodes))


def sub(a, b) -> Lin:
    return Lin(((sp.Integer(1), a), (sp.Integer(-1), b)))


def lin(*pairs) -> Lin:
    return Lin(tuple((sp.sympify(c), n) for c, n in pairs))


# ----------------------------------------------------------------------------------------------
# the model: positions of variables
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainModel:
    """Positions: the data variable ``data`` is 0, latents 1..top (unindexed latent: 1)."""

    data: str = "x"
    top: sp.Expr | int = T

    def position(self, var: Var) -> sp.Expr:
        if var.index is None:
            return sp.Integer(0) if var.name == self.data else sp.Integer(1)
        return sp.sympify(var.index)

    def positions(self, items) -> list[sp.Expr]:
        found: list[sp.Expr] = []
        for item in items:
            if isinstance(item, Span):
                found.append(("span", sp.sympify(item.lo), sp.sympify(item.hi)))
            else:
                found.append(self.position(item))
        return found


VDM = ChainModel("x", T)
VAE = ChainModel("x", 1)


# ----------------------------------------------------------------------------------------------
# normal form
# ----------------------------------------------------------------------------------------------
@dataclass
class Context:
    model: ChainModel
    rules: set = field(default_factory=set)
    measure: tuple | None = None          # positions covered by the current expectation
    index_range: tuple | None = None      # (lo, hi) of t inside a sum


def _num(expr) -> sp.Expr:
    return sp.expand(sp.sympify(expr))


NONNEG = "nonneg"


def _sign(d: sp.Expr, ctx: Context) -> int | str | None:
    """Sign of an affine index difference on the current range (t in [lo, hi], T >= 2)."""
    d = _num(d)
    values = []
    points = [d]
    t_min = 2                                      # the smallest T the statements are made for
    if ctx.index_range is not None:
        lo, hi = ctx.index_range
        if lo.is_number and _num(hi - T).is_number:
            t_min = max(2, int(lo - (hi - T)))         # the sum over t is not empty
        if d.has(t):
            points = [d.subs(t, lo), d.subs(t, hi)]
    for p in points:
        p = _num(p)
        if p.has(T):
            slope = p.coeff(T, 1)
            if slope.is_number and slope >= 0:
                p = p.subs(T, t_min)       # increasing in T: the smallest T decides
            else:
                return None
        if p.has(t) or not p.is_number:
            if p.has(t) and p.coeff(t, 1) > 0 and _num(p - p.coeff(t, 1) * t).is_number:
                p = p.subs(t, 1)           # t >= 1
            else:
                return None
        values.append(p)
    if all(v > 0 for v in values):
        return 1
    if all(v < 0 for v in values):
        return -1
    if all(v == 0 for v in values):
        return 0
    if all(v >= 0 for v in values):
        return NONNEG
    return None


def _same(a, b) -> bool:
    return _num(a - b) == 0


def _covered(pos, ctx: Context) -> bool:
    if _same(pos, 0):
        return True
    if ctx.measure is None:
        return False
    for item in ctx.measure:
        if isinstance(item, tuple):
            _, lo, hi = item
            if _same(lo, 1):
                lo = sp.Integer(0)             # x_{1:T} together with the observed x_0
            if _sign(pos - lo, ctx) in (0, 1, NONNEG) and _sign(hi - pos, ctx) in (0, 1, NONNEG):
                return True
        elif _same(item, pos):
            return True
    return False


Canon = dict  # key -> coefficient; keys ("at", family, pos) or ("sum", family, lo, hi)


def _merge(target: Canon, source: Canon, scale=1) -> None:
    for key, value in source.items():
        target[key] = target.get(key, 0) + scale * value


def _basis(family: str, pos) -> Canon:
    pos = _num(pos)
    if family == "q.marg" and pos == 1:
        family = "q.step"                  # q(x_1 | x_0) is both the marginal and the first step
    return {("at", family, pos): sp.Integer(1)}


def _require_covered(density: Density, ctx: Context, positions) -> None:
    for pos in positions:
        if isinstance(pos, tuple):
            _, lo, hi = pos
            inner = Context(ctx.model, ctx.rules, ctx.measure, ctx.index_range)
            if not (_covered(lo, inner) and _covered(hi, inner)):
                raise RuleGap(f"{density.latex()} depends on a block the measure does not cover")
            continue
        if not _covered(pos, ctx):
            where = "outside any expectation" if ctx.measure is None else "under this expectation"
            raise RuleGap(f"{density.latex()} depends on a variable that is not integrated {where}")


def _log_density(d: Density, ctx: Context) -> Canon:
    """log d as a combination of basis terms (Markov, Bayes, factorizations)."""
    model = ctx.model
    out, given = model.positions(d.out), model.positions(d.given)
    _require_covered(d, ctx, out + given)
    top = _num(model.top)
    if d.kind == "q":
        if len(out) == 1 and isinstance(out[0], tuple):
            _, lo, hi = out[0]
            if len(given) == 1 and _same(given[0], lo - 1):
                ctx.rules.add("encoder-factorization")
                return _canon_sum({("at", "q.step", t): 1}, lo, hi, ctx)
        if len(out) == 1 and not isinstance(out[0], tuple) and all(not isinstance(g, tuple) for g in given):
            a = out[0]
            below = [g for g in given if _sign(a - g, ctx) == 1]
            above = [g for g in given if _sign(g - a, ctx) == 1]
            if len(below) + len(above) == len(given):
                if not above and any(_same(g, a - 1) for g in below):
                    if len(below) > 1:
                        ctx.rules.add("markov")
                    return _basis("q.step", a)
                if not above and len(below) == 1 and _same(below[0], 0):
                    return _basis("q.marg", a)
                if (len(above) == 1 and _same(above[0], a + 1) and len(below) == 1
                        and _same(below[0], 0)):
                    ctx.rules.update({"bayes", "markov"})
                    canon = _basis("q.step", a + 1)
                    _merge(canon, _basis("q.marg", a))
                    _merge(canon, _basis("q.marg", a + 1), -1)
                    return canon
        raise RuleGap(f"no rule rewrites the encoder density {d.latex()}")
    if d.kind == "p":
        flat = []
        for item in out:
            if isinstance(item, tuple):
                _, lo, hi = item
                if _same(hi - lo, 0):
                    flat.append(_num(lo))
                    continue
                flat.append(item)
            else:
                flat.append(item)
        is_full_joint = (not given and (
            (len(flat) == 1 and isinstance(flat[0], tuple) and _same(flat[0][1], 0)
             and _same(flat[0][2], top))
            or (len(flat) == 2 and all(not isinstance(f, tuple) for f in flat)
                and {str(_num(f)) for f in flat} == {"0", str(top)} and _same(top, 1))
            or (len(flat) == 2 and not isinstance(flat[0], tuple) and _same(flat[0], 0)
                and isinstance(flat[1], tuple) and _same(flat[1][1], 1) and _same(flat[1][2], top))))
        if is_full_joint:
            ctx.rules.add("generative-factorization")
            canon = _basis("p.prior", top)
            _merge(canon, _canon_sum({("at", "p.dec", t): 1}, 1, top, ctx))
            return canon
        if len(flat) == 1 and not isinstance(flat[0], tuple):
            a = flat[0]
            if not given and _same(a, top):
                return _basis("p.prior", a)
            if not given and _same(a, 0):
                return _basis("p.evid", 0)
            if len(given) == 1 and _same(given[0], a + 1):
                return _basis("p.dec", a + 1)
        posterior_block = (len(given) == 1 and _same(given[0], 0) and len(flat) == 1 and (
            (isinstance(flat[0], tuple) and _same(flat[0][1], 1) and _same(flat[0][2], top))
            or (not isinstance(flat[0], tuple) and _same(flat[0], 1) and _same(top, 1))))
        if posterior_block:
            ctx.rules.update({"bayes", "generative-factorization"})
            canon = _basis("p.prior", top)
            _merge(canon, _canon_sum({("at", "p.dec", t): 1}, 1, top, ctx))
            _merge(canon, _basis("p.evid", 0), -1)
            return canon
        raise RuleGap(f"no rule rewrites the generative density {d.latex()}")
    raise RuleGap(f"unknown density kind {d.kind!r}")


def _canon_sum(body: Canon, lo, hi, ctx: Context) -> Canon:
    """sum_{t=lo}^{hi} of a canonical body: index-dependent terms become shifted sums."""
    lo, hi = _num(lo), _num(hi)
    result: Canon = {}
    for key, coeff in body.items():
        if key[0] == "sum":
            raise RuleGap("nested index sums are not supported")
        _, family, pos = key
        if not pos.has(t):
            _merge(result, {key: coeff * (hi - lo + 1)})
            continue
        offset = _num(pos - t)
        if offset.has(t) or offset.has(T) or not offset.is_integer:
            raise RuleGap(f"index {pos} is not t plus a constant")
        if offset != 0:
            ctx.rules.add("reindex")
        if _num(hi - lo).is_number:                      # a sum of fixed length: write it out
            for k in range(int(_num(hi - lo)) + 1):
                _merge(result, _basis(family, lo + k + offset), coeff)
            continue
        _merge(result, {("sum", family, lo + offset, hi + offset): coeff})
    return result


def _inside_sum(ctx: Context, lo, hi) -> Context:
    return Context(ctx.model, ctx.rules, ctx.measure, (_num(lo), _num(hi)))


def _log_of(arg, ctx: Context) -> Canon:
    if isinstance(arg, Density):
        return _log_density(arg, ctx)
    if isinstance(arg, Prod):
        ctx.rules.add("log-product")
        canon: Canon = {}
        for factor in arg.factors:
            _merge(canon, _log_of(factor, ctx))
        return canon
    if isinstance(arg, Ratio):
        ctx.rules.add("log-product")
        canon = _log_of(arg.num, ctx)
        _merge(canon, _log_of(arg.den, ctx), -1)
        return canon
    if isinstance(arg, IProd):
        ctx.rules.add("log-product")
        return _canon_sum(_log_of(arg.body, _inside_sum(ctx, arg.lo, arg.hi)), arg.lo, arg.hi, ctx)
    raise RuleGap(f"log of {type(arg).__name__} is not a density expression")


def _measure_positions(measure: Density, ctx: Context) -> tuple:
    if measure.kind != "q":
        raise RuleGap(f"expectations are over the encoder q, not {measure.latex()}")
    return tuple(ctx.model.positions(measure.out))


def _kl(node: KL, ctx: Context) -> Canon:
    """D_KL(q(a|G) || p) under the current outer measure, by its definition (side condition)."""
    model = ctx.model
    q_out, q_given = model.positions(node.q.out), model.positions(node.q.given)
    if (node.q.kind == "q" and len(q_out) == 1 and isinstance(q_out[0], tuple) and not ctx.measure
            and len(q_given) == 1 and _same(q_given[0], 0) and _same(q_out[0][1], 1)):
        ctx.rules.add("kl-def")                         # the whole encoder block given x_0
        inner = Context(model, ctx.rules, (q_out[0],), ctx.index_range)
        canon = _log_of(node.q, inner)
        _merge(canon, _log_of(node.p, inner), -1)
        return canon
    if node.q.kind != "q" or len(q_out) != 1 or isinstance(q_out[0], tuple):
        raise RuleGap(f"the KL rule needs a one-variable encoder density, not {node.q.latex()}")
    a = q_out[0]
    outer = [p for p in (ctx.measure or ()) if not isinstance(p, tuple) and not _same(p, a)]
    if ctx.measure and any(isinstance(p, tuple) for p in ctx.measure):
        raise RuleGap("the KL rule needs an outer measure over single variables")
    if ctx.measure and len(outer) < len(ctx.measure):
        ctx.rules.add("marginalization")               # the KL does not depend on a itself
    known = outer + [sp.Integer(0)]
    below = [p for p in known if _sign(a - p, ctx) == 1]
    above = [p for p in known if _sign(p - a, ctx) == 1]
    if len(below) + len(above) != len(known):
        raise RuleGap("cannot order the KL's variables")
    nearest = []
    if below:
        nearest.append(_max(below, ctx))
    if above:
        nearest.append(_min(above, ctx))
    if len(nearest) != len(q_given) or not all(any(_same(n, g) for g in q_given) for n in nearest):
        shown = ", ".join(sp.latex(n) for n in nearest)
        raise RuleGap(f"kl-def side condition fails: under q, x at {sp.latex(a)} given the outer "
                      f"variables depends on positions ({shown}), but the KL's first argument is "
                      f"{node.q.latex()}")
    ctx.rules.add("kl-def")
    inner = Context(model, ctx.rules, tuple(outer) + (a,), ctx.index_range)
    canon = _log_of(node.q, inner)
    _merge(canon, _log_of(node.p, inner), -1)
    return canon


def _max(items, ctx):
    best = items[0]
    for item in items[1:]:
        if _sign(item - best, ctx) == 1:
            best = item
    return best


def _min(items, ctx):
    best = items[0]
    for item in items[1:]:
        if _sign(best - item, ctx) == 1:
            best = item
    return best


def _canon(node, ctx: Context) -> Canon:
    if isinstance(node, Lin):
        canon: Canon = {}
        if len(node.terms) > 1 and ctx.measure is not None:
            ctx.rules.add("linearity")
        for coeff, child in node.terms:
            _merge(canon, _canon(child, ctx), coeff)
        return canon
    if isinstance(node, ISum):
        if ctx.measure is not None:
            ctx.rules.add("linearity")
        return _canon_sum(_canon(node.body, _inside_sum(ctx, node.lo, node.hi)), node.lo, node.hi, ctx)
    if isinstance(node, Log):
        return _log_of(node.arg, ctx)
    if isinstance(node, E):
        if node.integral:
            ctx.rules.add("expectation-def")
        measure = _measure_positions(node.measure, ctx)
        inner = Context(ctx.model, ctx.rules, measure if ctx.measure is None else ctx.measure + measure,
                        ctx.index_range)
        ctx.rules.add("marginalization")
        return _canon(node.body, inner)
    if isinstance(node, Mass):
        ctx.rules.add("normalization")
        return _canon(node.body, ctx)
    if isinstance(node, KL):
        return _kl(node, ctx)
    if isinstance(node, (LogE, LogInt)):
        return _log_integral(node, ctx)
    raise RuleGap(f"no rule for {type(node).__name__}")


def _strip_one(arg, measure: Density | None):
    """p q / q -> p (multiply by 1); returns the density expression under the integral."""
    if isinstance(arg, Ratio) and isinstance(arg.num, Prod) and len(arg.num.factors) == 2 \
            and arg.num.factors[1] == arg.den:
        return arg.num.factors[0]
    return arg


def _log_integral(node, ctx: Context) -> Canon:
    if isinstance(node, LogE):
        if not (isinstance(node.arg, Ratio) and node.arg.den == node.measure):
            raise RuleGap("log E_q[f / q] needs q in the denominator")
        ctx.rules.add("marginal-integral")
        integrand, over = node.arg.num, tuple(node.measure.out)
    else:
        integrand, over = _strip_one(node.arg, None), node.over
        if integrand is not node.arg:
            ctx.rules.add("log-product")
    if not isinstance(integrand, Density) or integrand.kind != "p" or integrand.given:
        raise RuleGap("the integral rule needs the generative joint p under the integral")
    model = ctx.model
    kept = [p for p in model.positions(integrand.out)]
    dropped = model.positions(over)
    top = _num(model.top)
    # the joint over 0..top with the latents 1..top integrated out is the evidence p(x_0)
    flat_ok = (len(dropped) == 1 and ((isinstance(dropped[0], tuple) and _same(dropped[0][1], 1)
                                        and _same(dropped[0][2], top))
                                       or (not isinstance(dropped[0], tuple) and _same(top, 1)
                                           and _same(dropped[0], 1))))
    if not flat_ok or not kept:
        raise RuleGap("the integral rule integrates all latents of the generative joint")
    ctx.rules.add("marginal-integral")
    return _basis("p.evid", 0)


def _settle(canon: Canon, rules: set | None = None) -> Canon:
    """Split every index sum to a common interior range; what is left must cancel."""
    sums = [k for k, v in canon.items() if k[0] == "sum" and _num(v) != 0]
    if not sums:
        return {k: _num(v) for k, v in canon.items() if _num(v) != 0}
    lows = [_num(k[2]) for k in sums]
    highs = [_num(k[3]) for k in sums]
    if not all(lo.is_number for lo in lows) or not all(_num(h - T).is_number for h in highs):
        raise RuleGap("sum bounds must be integers below and T plus an integer above")
    lo_common = max([2] + [int(lo) for lo in lows])
    hi_offset = min(int(_num(h - T)) for h in highs)
    result: Canon = {}
    for key, coeff in canon.items():
        if key[0] == "at":
            _merge(result, _basis(key[1], key[2]), coeff)
            continue
        _, family, lo, hi = key
        if rules is not None and (int(lo) != lo_common or _num(hi - T - hi_offset) != 0):
            rules.add("telescoping")
        for k in range(int(lo), lo_common):
            _merge(result, _basis(family, k), coeff)
        for k in range(hi_offset + 1, int(_num(hi - T)) + 1):
            _merge(result, _basis(family, T + k), coeff)
        _merge(result, {("sum", family, sp.Integer(lo_common), _num(T + hi_offset)): coeff})
    return {k: _num(v) for k, v in result.items() if _num(v) != 0}


@dataclass
class RulesResult:
    equal: bool
    rules: list[str]
    residual: Canon


def normal_form(node, model: ChainModel = VDM, pointwise: bool = False,
                index_range: tuple | None = None) -> tuple[Canon, set]:
    """(canonical combination of basis terms, rules used); raises RuleGap when no rule applies.

    ``pointwise``: an identity between log-densities as functions of all variables (no
    expectation); ``index_range``: the range of a free index t in such an identity.
    """
    measure = (("span", sp.Integer(0), _num(model.top)),) if pointwise else None
    ctx = Context(model, set(), measure, None if index_range is None else tuple(map(_num, index_range)))
    return _canon(node, ctx), ctx.rules


def equal_by_rules(lhs, rhs, model: ChainModel = VDM, pointwise: bool = False,
                   index_range: tuple | None = None) -> RulesResult:
    """Do the rules carry lhs and rhs to the same normal form?"""
    left, rules_l = normal_form(lhs, model, pointwise, index_range)
    right, rules_r = normal_form(rhs, model, pointwise, index_range)
    diff = dict(left)
    _merge(diff, right, -1)
    used = rules_l | rules_r
    residual = _settle(diff, used)
    return RulesResult(not residual, sorted(used), residual)


def jensen_applies(lhs, rhs) -> bool:
    """lhs = log E_q[Y], rhs = E_q[log Y] with the same q and Y (Luo Eq. 8 / seed 001 VDM line 4)."""
    return (isinstance(lhs, LogE) and isinstance(rhs, E) and lhs.measure == rhs.measure
            and isinstance(rhs.body, Log) and rhs.body.arg == lhs.arg)


def greater_by_rules(lhs, rhs, model: ChainModel = VDM, witness=None) -> RulesResult:
    """lhs >= rhs by Jensen's inequality, or by lhs = rhs + (KL witness) and Gibbs' inequality."""
    if jensen_applies(lhs, rhs):
        return RulesResult(True, ["jensen"], {})
    if witness is None:
        raise RuleGap("an inequality needs Jensen's pattern or a KL witness for Gibbs' inequality")
    if not isinstance(witness, KL):
        raise RuleGap("the Gibbs witness must be a KL divergence")
    result = equal_by_rules(lhs, add(rhs, witness), model)
    return RulesResult(result.equal, sorted(set(result.rules) | {"gibbs"}), result.residual)


# ----------------------------------------------------------------------------------------------
# display as SymPy (for derive.latex.to_latex)
# ----------------------------------------------------------------------------------------------
class Shown(sp.Symbol):
    """A symbol printed as its own LaTeX (a density such as q(x_t | x_{t-1}))."""

    def _latex(self, printer) -> str:
        return self.name


class Expect(sp.Function):
    nargs = 2

    def _latex(self, printer) -> str:
        return (rf"\mathbb{{E}}_{{{printer._print(self.args[0])}}}"
                rf"\left[{printer._print(self.args[1])}\right]")


class IntegralOf(sp.Function):
    nargs = 3

    def _latex(self, printer) -> str:
        return (rf"\int {printer._print(self.args[0])} \left({printer._print(self.args[1])}\right)"
                rf" \, d{printer._print(self.args[2])}")


class KLDiv(sp.Function):
    nargs = 2

    def _latex(self, printer) -> str:
        return (rf"D_{{\mathrm{{KL}}}}\left({printer._print(self.args[0])} \parallel "
                rf"{printer._print(self.args[1])}\right)")


class LogOf(sp.Function):
    """log of a product, kept unexpanded for display."""

    nargs = 1

    def _latex(self, printer) -> str:
        return rf"\log {printer._print(self.args[0])}" if isinstance(self.args[0], Shown) else \
            rf"\log\left({printer._print(self.args[0])}\right)"


def _vars_latex(items) -> str:
    return ", ".join(v.latex() for v in items)


def to_sympy(node) -> sp.Expr:
    """A displayable SymPy expression (not a residual: steps using it set symbolic=False)."""
    if isinstance(node, Density):
        return Shown(node.latex())
    if isinstance(node, Prod):
        return sp.Mul(*[to_sympy(f) for f in node.factors], evaluate=False)
    if isinstance(node, Ratio):
        return sp.Mul(to_sympy(node.num), sp.Pow(to_sympy(node.den), -1, evaluate=False),
                      evaluate=False)
    if isinstance(node, IProd):
        return sp.Product(to_sympy(node.body), (t, node.lo, node.hi))
    if isinstance(node, Log):
        return LogOf(to_sympy(node.arg))
    if isinstance(node, Lin):
        return sp.Add(*[c * to_sympy(n) if c != 1 else to_sympy(n) for c, n in node.terms],
                      evaluate=False)
    if isinstance(node, ISum):
        return sp.Sum(to_sympy(node.body), (t, node.lo, node.hi))
    if isinstance(node, E):
        if node.integral:
            return IntegralOf(to_sympy(node.measure), to_sympy(node.body),
                              Shown(_vars_latex(node.measure.out)))
        return Expect(to_sympy(node.measure), to_sympy(node.body))
    if isinstance(node, Mass):
        return sp.Mul(to_sympy(node.body), IntegralOf(to_sympy(node.measure), sp.Integer(1),
                                                      Shown(_vars_latex(node.measure.out))),
                      evaluate=False)
    if isinstance(node, KL):
        return KLDiv(to_sympy(node.q), to_sympy(node.p))
    if isinstance(node, LogE):
        return LogOf(Expect(to_sympy(node.measure), to_sympy(node.arg)))
    if isinstance(node, LogInt):
        return LogOf(IntegralOf(to_sympy(node.arg), sp.Integer(1), Shown(_vars_latex(node.over))))
    raise TypeError(f"cannot display {type(node).__name__}")


# ----------------------------------------------------------------------------------------------
# the check attached to catalog steps
# ----------------------------------------------------------------------------------------------
@dataclass
class RulesCheck:
    """A step holds by the rules when they carry both sides to the same normal form (method
    "rules"); inequalities use Jensen's pattern or a KL ``witness`` with Gibbs' inequality."""

    lhs: object
    rhs: object
    relation: str = "="
    model: ChainModel = VDM
    witness: object = None
    pointwise: bool = False
    index_range: tuple | None = None
    name: str = "rules"

    def run(self, seed: int):
        import time

        from derive.derivation import HOLDS, UNDECIDED, Verdict

        started = time.perf_counter()
        try:
            if self.relation == "=":
                result = equal_by_rules(self.lhs, self.rhs, self.model, self.pointwise,
                                        self.index_range)
            elif self.relation == ">=":
                result = greater_by_rules(self.lhs, self.rhs, self.model, self.witness)
            else:
                raise RuleGap(f"relation {self.relation!r} is not supported by the rules")
        except RuleGap as gap:
            return Verdict(UNDECIDED, self.name, reason=f"no rule applies: {gap}",
                           seconds=time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        if result.equal:
            return Verdict(HOLDS, self.name, seconds=elapsed,
                           reason="by the rules: " + ", ".join(result.rules),
                           details={"rules": result.rules, "assumes": "T >= 2"})
        shown = {f"{k[0]} {k[1]} {k[2:]}": str(v) for k, v in result.residual.items()}
        return Verdict(UNDECIDED, self.name, seconds=elapsed,
                       reason="the rules leave a residual (not a refutation)",
                       details={"rules": result.rules, "residual": shown})
