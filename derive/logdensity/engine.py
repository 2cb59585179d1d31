"""The normal form of an expression (``normal_form``), equality and inequality by the rules, and
the check attached to catalog steps (``RulesCheck``, method "rules")."""
from __future__ import annotations

import time
from dataclasses import dataclass

import sympy as sp

from diffproof.derive.verdict import HOLDS, UNDECIDED, Evidence, Verdict
from diffproof.derive.logdensity.rules import (Canon, RuleContext, basis, canon_sum, enter, inside_sum,
                                     kl_terms, log_of, merge, num, same)
from diffproof.derive.logdensity.tree import (E, KL, VDM, ChainModel, Density, ISum, Lin, Log, LogE, LogInt,
                                    Mass, Prod, Ratio, RuleGap, T, add)

def _canon(node, ctx: RuleContext) -> Canon:
    if isinstance(node, Lin):
        canon: Canon = {}
        if len(node.terms) > 1 and ctx.measure is not None:
            ctx.rules.add("linearity")
        for coeff, child in node.terms:
            merge(canon, _canon(child, ctx), coeff)
        return canon
    if isinstance(node, ISum):
        if ctx.measure is not None:
            ctx.rules.add("linearity")
        return canon_sum(_canon(node.body, inside_sum(ctx, node.lo, node.hi)), node.lo, node.hi, ctx)
    if isinstance(node, Log):
        return log_of(node.arg, ctx)
    if isinstance(node, E):
        if node.integral:
            ctx.rules.add("expectation-def")
        return _canon(node.body, enter(node.measure, ctx, "tower"))
    if isinstance(node, Mass):
        ctx.rules.add("normalization")
        return _canon(node.body, ctx)
    if isinstance(node, KL):
        return kl_terms(node, ctx)
    if isinstance(node, (LogE, LogInt)):
        return _log_integral(node, ctx)
    raise RuleGap(f"no rule for {type(node).__name__}")


def _strip_one(arg, measure: Density | None):
    """p q / q -> p (multiply by 1); returns the density expression under the integral."""
    if isinstance(arg, Ratio) and isinstance(arg.num, Prod) and len(arg.num.factors) == 2 \
            and arg.num.factors[1] == arg.den:
        return arg.num.factors[0]
    return arg


def _log_integral(node, ctx: RuleContext) -> Canon:
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
    top = num(model.top)
    # the joint over 0..top with the latents 1..top integrated out is the evidence p(x_0)
    flat_ok = (len(dropped) == 1 and ((isinstance(dropped[0], tuple) and same(dropped[0][1], 1)
                                        and same(dropped[0][2], top))
                                       or (not isinstance(dropped[0], tuple) and same(top, 1)
                                           and same(dropped[0], 1))))
    if not flat_ok or not kept:
        raise RuleGap("the integral rule integrates all latents of the generative joint")
    ctx.rules.add("marginal-integral")
    return basis("p.evid", 0)


def _settle(canon: Canon, rules: set | None = None) -> Canon:
    """Split every index sum to a common interior range; what is left must cancel."""
    sums = [k for k, v in canon.items() if k[0] == "sum" and num(v) != 0]
    if not sums:
        return {k: num(v) for k, v in canon.items() if num(v) != 0}
    lows = [num(k[2]) for k in sums]
    highs = [num(k[3]) for k in sums]
    if not all(lo.is_number for lo in lows) or not all(num(h - T).is_number for h in highs):
        raise RuleGap("sum bounds must be integers below and T plus an integer above")
    lo_common = max([2] + [int(lo) for lo in lows])
    hi_offset = min(int(num(h - T)) for h in highs)
    result: Canon = {}
    for key, coeff in canon.items():
        if key[0] == "at":
            merge(result, basis(key[1], key[2]), coeff)
            continue
        _, family, lo, hi = key
        if rules is not None and (int(lo) != lo_common or num(hi - T - hi_offset) != 0):
            rules.add("telescoping")
        for k in range(int(lo), lo_common):
            merge(result, basis(family, k), coeff)
        for k in range(hi_offset + 1, int(num(hi - T)) + 1):
            merge(result, basis(family, T + k), coeff)
        merge(result, {("sum", family, sp.Integer(lo_common), num(T + hi_offset)): coeff})
    return {k: num(v) for k, v in result.items() if num(v) != 0}


@dataclass(frozen=True)
class RulesEvidence(Evidence):
    """The rules a rules check applied, what it assumed, and the residual it could not remove."""

    rules: tuple[str, ...] = ()
    assumes: str | None = None
    residual: dict[str, str] | None = None


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
    measure = (("span", sp.Integer(0), num(model.top)),) if pointwise else None
    ctx = RuleContext(model, set(), measure, None if index_range is None else tuple(map(num, index_range)),
                  pointwise)
    return _canon(node, ctx), ctx.rules


def equal_by_rules(lhs, rhs, model: ChainModel = VDM, pointwise: bool = False,
                   index_range: tuple | None = None) -> RulesResult:
    """Do the rules carry lhs and rhs to the same normal form?"""
    left, rules_l = normal_form(lhs, model, pointwise, index_range)
    right, rules_r = normal_form(rhs, model, pointwise, index_range)
    diff = dict(left)
    merge(diff, right, -1)
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

    def run(self, seed: int) -> Verdict:
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
                           evidence=RulesEvidence(rules=tuple(result.rules), assumes="T >= 2"))
        shown = {f"{k[0]} {k[1]} {k[2:]}": str(v) for k, v in result.residual.items()}
        return Verdict(UNDECIDED, self.name, seconds=elapsed,
                       reason="the rules leave a residual (not a refutation)",
                       evidence=RulesEvidence(rules=tuple(result.rules), residual=shown))
