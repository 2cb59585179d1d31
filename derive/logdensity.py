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
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

t = sp.Symbol("t", integer=True, positive=True)      # the summation index of every sum and product
T = sp.Symbol("T", integer=True, positive=True)      # the number of steps (the top position)

RULES = {
    "log-product": "log of a product or quotient is the sum or difference of the logs",
    "linearity": "linearity of expectation (sums and constants move through E)",
    "marginalization": "E over variables the integrand does not depend on drops them "
                       "(every measure is a marginal q(S|x_0) of one forward process)",
    "expectation-def": "int q(z|x) f dz is E_{q(z|x)}[f] (definition of expectation)",
    "normalization": "int q(z|x) dz = 1",
    "encoder-factorization": "q(x_{1:T}|x_0) = prod_t q(x_t|x_{t-1}) (Markov chain rule)",
    "generative-factorization": "p(x_{0:T}) = p(x_T) prod_t p_theta(x_{t-1}|x_t)",
    "markov": "the forward chain is Markov: given x_{t-1}, x_t is independent of x_0 and earlier "
              "variables (q(x_t|x_{t-1}, x_0) = q(x_t|x_{t-1}), Luo Eq. 46); in general a block A "
              "given the variables C depends only on the nearest of them below and above each "
              "part of A: q(A|C) = q(A|B) for every B within C that contains those",
    "bayes": "q(a|b,c) = q(b|a,c) q(a|c) / q(b|c); p(z|x) = p(x,z) / p(x)",
    "reindex": "sum_{t=a}^{b} f(t + k) = sum_{s=a+k}^{b+k} f(s) (shift of the summation index)",
    "telescoping": "sums over different index ranges agree term by term once their ends are split "
                   "off (a telescoping sum or product leaves only its end terms)",
    "kl-def": "D_KL(q(a|b) || p(a|d)) = E_{q(a|b)}[log q(a|b) - log p(a|d)] (definition; the "
              "expectation is then entered by the tower rule)",
    "tower": "E_{q(S|x_0)}[E_{q(A|B)}[f]] = E_{q(S,A|x_0)}[f] when q(A|B) = q(A|S, x_0) "
             "(tower property; B among x_0 and S, with the markov rule); a measure q(A|B) is "
             "never read as another conditional",
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
    measure: tuple | None = None          # the variables S of the current measure q(S | x_0)
    index_range: tuple | None = None      # (lo, hi) of t inside a sum
    pointwise: bool = False               # an identity in all variables (no measure at all)


def _num(expr) -> sp.Expr:
    return sp.expand(sp.sympify(expr))


NONNEG = "nonneg"


def _sign(d: sp.Expr, ctx: Context) -> int | str | None:
    """Sign of an affine index difference on the current range (t in [lo, hi], T >= 2).

    A term increasing in T (or in t without a range) is bounded below by its value at the
    smallest T (t): that value proves d > 0 or d >= 0, never d <= 0."""
    d = _num(d)
    kinds = set()
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
        grows = False
        if p.has(T):
            slope = p.coeff(T, 1)
            if slope.is_number and slope >= 0:
                grows = grows or slope > 0
                p = p.subs(T, t_min)       # increasing in T: the smallest T bounds it below
            else:
                return None
        if p.has(t) or not p.is_number:
            if p.has(t) and p.coeff(t, 1) > 0 and _num(p - p.coeff(t, 1) * t).is_number:
                grows = True
                p = p.subs(t, 1)           # t >= 1
            else:
                return None
        if p > 0:
            kinds.add(1)
        elif p == 0:
            kinds.add(NONNEG if grows else 0)
        elif grows:
            return None                    # negative at the smallest T (t) only
        else:
            kinds.add(-1)
    if kinds == {1}:
        return 1
    if kinds == {-1}:
        return -1
    if kinds == {0}:
        return 0
    if kinds <= {1, 0, NONNEG}:
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
            if not (_covered(lo, ctx) and _covered(hi, ctx)):
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
    return replace(ctx, index_range=(_num(lo), _num(hi)))


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


def _lt(a, b, ctx: Context) -> bool | None:
    """a < b on the whole index range: True, False, or None (undecided)."""
    sign = _sign(b - a, ctx)
    if sign == 1:
        return True
    if sign in (0, -1) or _sign(a - b, ctx) in (1, 0, NONNEG):
        return False
    return None


def _le(a, b, ctx: Context) -> bool | None:
    """a <= b on the whole index range: True, False, or None (undecided)."""
    sign = _sign(b - a, ctx)
    if sign in (1, 0, NONNEG):
        return True
    if sign == -1 or _sign(a - b, ctx) == 1:
        return False
    return None


def _bounds(item) -> tuple:
    return (item[1], item[2]) if isinstance(item, tuple) else (item, item)


def _without(items, removed, ctx: Context) -> list:
    """The measure's variables ``items`` less the variables ``removed`` (an inner measure's own
    variables, which it integrates afresh); blocks are split around a removed point."""
    left = list(items)
    for r in removed:
        r_lo, r_hi = _bounds(r)
        kept = []
        for item in left:
            lo, hi = _bounds(item)
            if _lt(r_hi, lo, ctx) or _lt(hi, r_lo, ctx):
                kept.append(item)                          # disjoint
            elif _le(r_lo, lo, ctx) and _le(hi, r_hi, ctx):
                continue                                   # covered by the removed block
            elif not isinstance(r, tuple) and _le(lo, r, ctx) and _le(r, hi, ctx):
                if not _same(r, lo):                       # a point inside a block: split it
                    kept.append(lo if _same(r - 1, lo) else ("span", lo, _num(r - 1)))
                if not _same(r, hi):
                    kept.append(hi if _same(r + 1, hi) else ("span", _num(r + 1), hi))
            else:
                raise RuleGap("cannot tell which of the outer measure's variables an inner "
                              "measure integrates afresh")
        left = kept
    return left


def _extreme(items, ctx: Context, largest: bool):
    """The largest (smallest) of the positions on the whole index range; RuleGap if undecided."""
    for item in items:
        if all((_le(other, item, ctx) if largest else _le(item, other, ctx)) for other in items):
            return item
    raise RuleGap("cannot order the positions " + ", ".join(sp.latex(i) for i in items))


def _enter(measure: Density, ctx: Context, rule: str) -> Context:
    """The context inside E_{q(A|B)}[...] (``measure``) under the outer measure q(S|x_0) (S =
    ``ctx.measure``; none at the top).  By the tower property the two combine into q(S, A|x_0)
    only when q(A|B) = q(A|S, x_0): B must lie among x_0 and S (else the expectation is a function
    of a variable no measure integrates) and contain the nearest of them below and above each
    part of A (the Markov property of the forward chain).  Otherwise RuleGap: the measure is never
    read as another conditional."""
    if ctx.pointwise:
        raise RuleGap(f"an expectation over {measure.latex()} inside an identity of log-densities "
                      "in all variables")
    if measure.kind != "q":
        raise RuleGap(f"expectations are over the encoder q, not {measure.latex()}")
    model = ctx.model
    A, B = model.positions(measure.out), model.positions(measure.given)
    if any(isinstance(b, tuple) for b in B):
        raise RuleGap(f"the measure {measure.latex()} conditions on a block")
    observed = any(_same(b, 0) for b in B)
    for a in A:
        lo, hi = _bounds(a)
        sign = _sign(lo, ctx)
        # x_{t-1} at t = 1 is the observed x_0 itself: q(x_0, A | x_0) fixes it at its value
        if sign != 1 and not (sign == NONNEG and observed):
            raise RuleGap(f"the measure {measure.latex()} integrates the observed x_0")
        for b in B:
            if not _same(b, 0) and not (_lt(hi, b, ctx) or _lt(b, lo, ctx)):
                raise RuleGap(f"the measure {measure.latex()} may condition on its own variable")
    outer = _without(ctx.measure or (), A, ctx)             # S less A (A is integrated afresh)
    for b in B:
        if not (_same(b, 0) or any(_le(_bounds(c)[0], b, ctx) and _le(b, _bounds(c)[1], ctx)
                                   for c in outer)):
            raise RuleGap(f"{rule}: the measure {measure.latex()} conditions on x at {sp.latex(b)}, "
                          "which no outer expectation integrates (the expectation is a function of "
                          "it, not a value under q(. | x_0))")
    needed = []                          # the nearest of x_0 and the outer variables around A
    for a in A:
        lo, hi = _bounds(a)
        below, above = [sp.Integer(0)], []
        for c in outer:
            c_lo, c_hi = _bounds(c)
            if _lt(c_hi, lo, ctx):
                below.append(c_hi)
            elif _lt(hi, c_lo, ctx):
                above.append(c_lo)
            else:
                raise RuleGap(f"{rule}: cannot order the outer variables around {measure.latex()}")
        needed.append(_extreme(below, ctx, largest=True))
        if above:
            needed.append(_extreme(above, ctx, largest=False))
    missing = [n for n in needed if not any(_same(n, b) for b in B)]
    if missing:
        shown = ", ".join(sorted({sp.latex(n) for n in needed}))
        raise RuleGap(f"{rule} side condition fails: under q, the variables of {measure.latex()} "
                      f"given the outer variables depend on positions ({shown}), but the measure "
                      f"conditions on {', '.join(sp.latex(b) for b in B) or 'nothing'}")
    if ctx.measure:
        ctx.rules.add("tower")
    if any(isinstance(c, tuple) or not any(_same(c, b) for b in B) for c in [0] + outer):
        ctx.rules.add("markov")                              # q(A|B) = q(A|C), C larger than B
    ctx.rules.add("marginalization")
    return replace(ctx, measure=tuple(outer) + tuple(A))


def _kl(node: KL, ctx: Context) -> Canon:
    """D_KL(q(a|b) || p(a|d)) as E_{q(a|b)}[log q(a|b) - log p(a|d)] (kl-def), its measure entered
    by the tower rule under the current outer measure (side condition: ``_enter``)."""
    model = ctx.model
    if node.q.kind != "q":
        raise RuleGap(f"the KL rule needs an encoder density first, not {node.q.latex()}")
    q_out, p_out = model.positions(node.q.out), model.positions(node.p.out)
    if len(q_out) != len(p_out) or not all(
            _same(_bounds(a)[0], _bounds(b)[0]) and _same(_bounds(a)[1], _bounds(b)[1])
            for a, b in zip(q_out, p_out)):
        raise RuleGap(f"the KL compares densities of different variables: {node.q.latex()}, "
                      f"{node.p.latex()}")
    inner = _enter(node.q, ctx, "kl-def")
    ctx.rules.add("kl-def")
    canon = _log_of(node.q, inner)
    _merge(canon, _log_of(node.p, inner), -1)
    return canon


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
        return _canon(node.body, _enter(node.measure, ctx, "tower"))
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
    ctx = Context(model, set(), measure, None if index_range is None else tuple(map(_num, index_range)),
                  pointwise)
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
# display as SymPy (for derive.latex.printer.to_latex)
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
