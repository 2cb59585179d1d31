"""The rewriting rules: each rewrite of a log-density into basis terms (expected log-densities of
the forward process) names the rule it applies (``RULES``) and checks its side condition."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from diffproof.derive.logdensity.tree import KL, T, ChainModel, Density, IProd, Prod, Ratio, RuleGap, t

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


@dataclass
class RuleContext:
    model: ChainModel
    rules: set = field(default_factory=set)
    measure: tuple | None = None          # the variables S of the current measure q(S | x_0)
    index_range: tuple | None = None      # (lo, hi) of t inside a sum
    pointwise: bool = False               # an identity in all variables (no measure at all)


def num(expr) -> sp.Expr:
    return sp.expand(sp.sympify(expr))


NONNEG = "nonneg"


def _sign(d: sp.Expr, ctx: RuleContext) -> int | str | None:
    """Sign of an affine index difference on the current range (t in [lo, hi], T >= 2).

    A term increasing in T (or in t without a range) is bounded below by its value at the
    smallest T (t): that value proves d > 0 or d >= 0, never d <= 0."""
    d = num(d)
    kinds = set()
    points = [d]
    t_min = 2                                      # the smallest T the statements are made for
    if ctx.index_range is not None:
        lo, hi = ctx.index_range
        if lo.is_number and num(hi - T).is_number:
            t_min = max(2, int(lo - (hi - T)))         # the sum over t is not empty
        if d.has(t):
            points = [d.subs(t, lo), d.subs(t, hi)]
    for p in points:
        p = num(p)
        grows = False
        if p.has(T):
            slope = p.coeff(T, 1)
            if slope.is_number and slope >= 0:
                grows = grows or slope > 0
                p = p.subs(T, t_min)       # increasing in T: the smallest T bounds it below
            else:
                return None
        if p.has(t) or not p.is_number:
            if p.has(t) and p.coeff(t, 1) > 0 and num(p - p.coeff(t, 1) * t).is_number:
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


def same(a, b) -> bool:
    return num(a - b) == 0


def _covered(pos, ctx: RuleContext) -> bool:
    if same(pos, 0):
        return True
    if ctx.measure is None:
        return False
    for item in ctx.measure:
        if isinstance(item, tuple):
            _, lo, hi = item
            if same(lo, 1):
                lo = sp.Integer(0)             # x_{1:T} together with the observed x_0
            if _sign(pos - lo, ctx) in (0, 1, NONNEG) and _sign(hi - pos, ctx) in (0, 1, NONNEG):
                return True
        elif same(item, pos):
            return True
    return False


Canon = dict  # key -> coefficient; keys ("at", family, pos) or ("sum", family, lo, hi)


def merge(target: Canon, source: Canon, scale=1) -> None:
    for key, value in source.items():
        target[key] = target.get(key, 0) + scale * value


def basis(family: str, pos) -> Canon:
    pos = num(pos)
    if family == "q.marg" and pos == 1:
        family = "q.step"                  # q(x_1 | x_0) is both the marginal and the first step
    return {("at", family, pos): sp.Integer(1)}


def _require_covered(density: Density, ctx: RuleContext, positions) -> None:
    for pos in positions:
        if isinstance(pos, tuple):
            _, lo, hi = pos
            if not (_covered(lo, ctx) and _covered(hi, ctx)):
                raise RuleGap(f"{density.latex()} depends on a block the measure does not cover")
            continue
        if not _covered(pos, ctx):
            where = "outside any expectation" if ctx.measure is None else "under this expectation"
            raise RuleGap(f"{density.latex()} depends on a variable that is not integrated {where}")


def _log_density(d: Density, ctx: RuleContext) -> Canon:
    """log d as a combination of basis terms (Markov, Bayes, factorizations)."""
    model = ctx.model
    out, given = model.positions(d.out), model.positions(d.given)
    _require_covered(d, ctx, out + given)
    top = num(model.top)
    if d.kind == "q":
        if len(out) == 1 and isinstance(out[0], tuple):
            _, lo, hi = out[0]
            if len(given) == 1 and same(given[0], lo - 1):
                ctx.rules.add("encoder-factorization")
                return canon_sum({("at", "q.step", t): 1}, lo, hi, ctx)
        if len(out) == 1 and not isinstance(out[0], tuple) and all(not isinstance(g, tuple) for g in given):
            a = out[0]
            below = [g for g in given if _sign(a - g, ctx) == 1]
            above = [g for g in given if _sign(g - a, ctx) == 1]
            if len(below) + len(above) == len(given):
                if not above and any(same(g, a - 1) for g in below):
                    if len(below) > 1:
                        ctx.rules.add("markov")
                    return basis("q.step", a)
                if not above and len(below) == 1 and same(below[0], 0):
                    return basis("q.marg", a)
                if (len(above) == 1 and same(above[0], a + 1) and len(below) == 1
                        and same(below[0], 0)):
                    ctx.rules.update({"bayes", "markov"})
                    canon = basis("q.step", a + 1)
                    merge(canon, basis("q.marg", a))
                    merge(canon, basis("q.marg", a + 1), -1)
                    return canon
        raise RuleGap(f"no rule rewrites the encoder density {d.latex()}")
    if d.kind == "p":
        flat = []
        for item in out:
            if isinstance(item, tuple):
                _, lo, hi = item
                if same(hi - lo, 0):
                    flat.append(num(lo))
                    continue
                flat.append(item)
            else:
                flat.append(item)
        is_full_joint = (not given and (
            (len(flat) == 1 and isinstance(flat[0], tuple) and same(flat[0][1], 0)
             and same(flat[0][2], top))
            or (len(flat) == 2 and all(not isinstance(f, tuple) for f in flat)
                and {str(num(f)) for f in flat} == {"0", str(top)} and same(top, 1))
            or (len(flat) == 2 and not isinstance(flat[0], tuple) and same(flat[0], 0)
                and isinstance(flat[1], tuple) and same(flat[1][1], 1) and same(flat[1][2], top))))
        if is_full_joint:
            ctx.rules.add("generative-factorization")
            canon = basis("p.prior", top)
            merge(canon, canon_sum({("at", "p.dec", t): 1}, 1, top, ctx))
            return canon
        if len(flat) == 1 and not isinstance(flat[0], tuple):
            a = flat[0]
            if not given and same(a, top):
                return basis("p.prior", a)
            if not given and same(a, 0):
                return basis("p.evid", 0)
            if len(given) == 1 and same(given[0], a + 1):
                return basis("p.dec", a + 1)
        posterior_block = (len(given) == 1 and same(given[0], 0) and len(flat) == 1 and (
            (isinstance(flat[0], tuple) and same(flat[0][1], 1) and same(flat[0][2], top))
            or (not isinstance(flat[0], tuple) and same(flat[0], 1) and same(top, 1))))
        if posterior_block:
            ctx.rules.update({"bayes", "generative-factorization"})
            canon = basis("p.prior", top)
            merge(canon, canon_sum({("at", "p.dec", t): 1}, 1, top, ctx))
            merge(canon, basis("p.evid", 0), -1)
            return canon
        raise RuleGap(f"no rule rewrites the generative density {d.latex()}")
    raise RuleGap(f"unknown density kind {d.kind!r}")


def canon_sum(body: Canon, lo, hi, ctx: RuleContext) -> Canon:
    """sum_{t=lo}^{hi} of a canonical body: index-dependent terms become shifted sums."""
    lo, hi = num(lo), num(hi)
    result: Canon = {}
    for key, coeff in body.items():
        if key[0] == "sum":
            raise RuleGap("nested index sums are not supported")
        _, family, pos = key
        if not pos.has(t):
            merge(result, {key: coeff * (hi - lo + 1)})
            continue
        offset = num(pos - t)
        if offset.has(t) or offset.has(T) or not offset.is_integer:
            raise RuleGap(f"index {pos} is not t plus a constant")
        if offset != 0:
            ctx.rules.add("reindex")
        if num(hi - lo).is_number:                      # a sum of fixed length: write it out
            for k in range(int(num(hi - lo)) + 1):
                merge(result, basis(family, lo + k + offset), coeff)
            continue
        merge(result, {("sum", family, lo + offset, hi + offset): coeff})
    return result


def inside_sum(ctx: RuleContext, lo, hi) -> RuleContext:
    return replace(ctx, index_range=(num(lo), num(hi)))


def log_of(arg, ctx: RuleContext) -> Canon:
    if isinstance(arg, Density):
        return _log_density(arg, ctx)
    if isinstance(arg, Prod):
        ctx.rules.add("log-product")
        canon: Canon = {}
        for factor in arg.factors:
            merge(canon, log_of(factor, ctx))
        return canon
    if isinstance(arg, Ratio):
        ctx.rules.add("log-product")
        canon = log_of(arg.num, ctx)
        merge(canon, log_of(arg.den, ctx), -1)
        return canon
    if isinstance(arg, IProd):
        ctx.rules.add("log-product")
        return canon_sum(log_of(arg.body, inside_sum(ctx, arg.lo, arg.hi)), arg.lo, arg.hi, ctx)
    raise RuleGap(f"log of {type(arg).__name__} is not a density expression")


def _lt(a, b, ctx: RuleContext) -> bool | None:
    """a < b on the whole index range: True, False, or None (undecided)."""
    sign = _sign(b - a, ctx)
    if sign == 1:
        return True
    if sign in (0, -1) or _sign(a - b, ctx) in (1, 0, NONNEG):
        return False
    return None


def _le(a, b, ctx: RuleContext) -> bool | None:
    """a <= b on the whole index range: True, False, or None (undecided)."""
    sign = _sign(b - a, ctx)
    if sign in (1, 0, NONNEG):
        return True
    if sign == -1 or _sign(a - b, ctx) == 1:
        return False
    return None


def _bounds(item) -> tuple:
    return (item[1], item[2]) if isinstance(item, tuple) else (item, item)


def _without(items, removed, ctx: RuleContext) -> list:
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
                if not same(r, lo):                       # a point inside a block: split it
                    kept.append(lo if same(r - 1, lo) else ("span", lo, num(r - 1)))
                if not same(r, hi):
                    kept.append(hi if same(r + 1, hi) else ("span", num(r + 1), hi))
            else:
                raise RuleGap("cannot tell which of the outer measure's variables an inner "
                              "measure integrates afresh")
        left = kept
    return left


def _extreme(items, ctx: RuleContext, largest: bool):
    """The largest (smallest) of the positions on the whole index range; RuleGap if undecided."""
    for item in items:
        if all((_le(other, item, ctx) if largest else _le(item, other, ctx)) for other in items):
            return item
    raise RuleGap("cannot order the positions " + ", ".join(sp.latex(i) for i in items))


def enter(measure: Density, ctx: RuleContext, rule: str) -> RuleContext:
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
    observed = any(same(b, 0) for b in B)
    for a in A:
        lo, hi = _bounds(a)
        sign = _sign(lo, ctx)
        # x_{t-1} at t = 1 is the observed x_0 itself: q(x_0, A | x_0) fixes it at its value
        if sign != 1 and not (sign == NONNEG and observed):
            raise RuleGap(f"the measure {measure.latex()} integrates the observed x_0")
        for b in B:
            if not same(b, 0) and not (_lt(hi, b, ctx) or _lt(b, lo, ctx)):
                raise RuleGap(f"the measure {measure.latex()} may condition on its own variable")
    outer = _without(ctx.measure or (), A, ctx)             # S less A (A is integrated afresh)
    for b in B:
        if not (same(b, 0) or any(_le(_bounds(c)[0], b, ctx) and _le(b, _bounds(c)[1], ctx)
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
    missing = [n for n in needed if not any(same(n, b) for b in B)]
    if missing:
        shown = ", ".join(sorted({sp.latex(n) for n in needed}))
        raise RuleGap(f"{rule} side condition fails: under q, the variables of {measure.latex()} "
                      f"given the outer variables depend on positions ({shown}), but the measure "
                      f"conditions on {', '.join(sp.latex(b) for b in B) or 'nothing'}")
    if ctx.measure:
        ctx.rules.add("tower")
    if any(isinstance(c, tuple) or not any(same(c, b) for b in B) for c in [0] + outer):
        ctx.rules.add("markov")                              # q(A|B) = q(A|C), C larger than B
    ctx.rules.add("marginalization")
    return replace(ctx, measure=tuple(outer) + tuple(A))


def kl_terms(node: KL, ctx: RuleContext) -> Canon:
    """D_KL(q(a|b) || p(a|d)) as E_{q(a|b)}[log q(a|b) - log p(a|d)] (kl-def), its measure entered
    by the tower rule under the current outer measure (side condition: ``enter``)."""
    model = ctx.model
    if node.q.kind != "q":
        raise RuleGap(f"the KL rule needs an encoder density first, not {node.q.latex()}")
    q_out, p_out = model.positions(node.q.out), model.positions(node.p.out)
    if len(q_out) != len(p_out) or not all(
            same(_bounds(a)[0], _bounds(b)[0]) and same(_bounds(a)[1], _bounds(b)[1])
            for a, b in zip(q_out, p_out)):
        raise RuleGap(f"the KL compares densities of different variables: {node.q.latex()}, "
                      f"{node.p.latex()}")
    inner = enter(node.q, ctx, "kl-def")
    ctx.rules.add("kl-def")
    canon = log_of(node.q, inner)
    merge(canon, log_of(node.p, inner), -1)
    return canon
