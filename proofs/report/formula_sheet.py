"""The formula sheet of ``diffproof latex``: the derived results, each computed by ``derive`` at
build time (never typed in) and shown in one display (docs/latex.md 'LaTeX of the derived formulas'):
q(x_t | x_0), mu_q, Sigma_q, SNR, the conditional score, the x_0-model mean, Tweedie's formula,
f(t), g(t), s(t) and the kernel variance of VE, VP and sub-VP, the ELBO denoising terms and their
weights, the DSM term, and the ELBO as the catalog's chains derive it.

A formula that cannot be built becomes a note; the sheet never crashes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import sympy as sp

from diffproof.derive import formulas as F
from diffproof.derive import losses as L
from diffproof.derive import sde
from diffproof.derive.gaussian import Normal
from diffproof.derive.latex.printer import normal_latex, to_latex
from diffproof.derive.latex.text import estimate_width
from diffproof.derive.symbols import TABLE, SymbolTable, abar_t, t
from diffproof.proofs import catalog
from diffproof.proofs.catalog.vdm_gaussian import tweedie_x0


@dataclass
class Formula:
    """One entry of the formula sheet: ``lhs relation expr`` (lhs is LaTeX), and its origin."""

    title: str
    lhs: str
    expr: object                 # a SymPy expression (or a Normal)
    origin: str                  # the function that computed it
    relation: str = "="


def _formula_builders() -> list[tuple[str, str, str, Callable[[], object]]]:
    """(title, LaTeX of the left side, origin, function computing the value) per entry."""
    x_0t = r"\boldsymbol{x}_t, \boldsymbol{x}_0"
    out = [
        ("forward marginal", r"q(\boldsymbol{x}_t \mid \boldsymbol{x}_0)",
         "diffproof.derive.formulas.forward_marginal_by_induction", F.forward_marginal_by_induction),
        ("posterior mean", rf"\mu_q({x_0t})", "diffproof.derive.formulas.posterior_mean", F.posterior_mean),
        ("posterior variance", r"\Sigma_q(t)", "diffproof.derive.formulas.posterior_variance",
         F.posterior_variance),
        ("signal-to-noise ratio", r"\mathrm{SNR}(t)", "diffproof.derive.formulas.snr", lambda: F.snr(abar_t)),
        ("x_0 from the noise", r"\boldsymbol{x}_0", "diffproof.derive.formulas.x0_from_noise",
         F.x0_from_noise),
        ("conditional score", r"\nabla_{\boldsymbol{x}_t} \log q(\boldsymbol{x}_t \mid \boldsymbol{x}_0)",
         "diffproof.derive.formulas.conditional_score", F.conditional_score),
        ("model mean (x_0-prediction)", r"\boldsymbol{\mu}_\theta(\boldsymbol{x}_t, t)",
         "diffproof.derive.formulas.model_mean_x0", F.model_mean_x0),
    ]
    out.append(("Tweedie's formula", r"\mathbb{E}[\boldsymbol{x}_0 \mid \boldsymbol{x}_t]",
                "diffproof.proofs.catalog.vdm_gaussian.tweedie_x0 (checked by tweedie-gaussian-data)",
                lambda: tweedie_x0))
    for process in (sde.VE, sde.VP, sde.SUBVP):
        name = process.name
        out += [
            (f"{name} SDE drift coefficient", r"f(t)", f"diffproof.derive.sde.{type(process).__name__}.f",
             lambda p=process: p.f(t)),
            (f"{name} SDE diffusion coefficient", r"g(t)", f"diffproof.derive.sde.{type(process).__name__}.g",
             lambda p=process: p.g(t)),
            (f"{name} SDE kernel mean scale", r"s(t)", f"diffproof.derive.sde.{type(process).__name__}.scale",
             lambda p=process: p.scale),
            (f"{name} SDE kernel variance", r"\operatorname{Var}[\boldsymbol{x}(t) \mid \boldsymbol{x}(0)]",
             f"diffproof.derive.sde.{type(process).__name__}.kernel_variance",
             lambda p=process: p.kernel_variance),
        ]
    kl_q = r"D_{\mathrm{KL}}\left(q(\boldsymbol{x}_{t-1} \mid \boldsymbol{x}_t, \boldsymbol{x}_0) \parallel p_\theta(\boldsymbol{x}_{t-1} \mid \boldsymbol{x}_t)\right)"
    for title, lhs, attr in [
            ("ELBO denoising term, x_0-prediction", kl_q, "x0_prediction_kl"),
            ("ELBO denoising term, noise prediction", kl_q, "noise_prediction_kl"),
            ("ELBO weight of the x_0 error", r"w_{\boldsymbol{x}_0}(t)", "x0_kl_weight"),
            ("ELBO weight of the noise error", r"w_{\boldsymbol{\epsilon}}(t)", "noise_kl_weight"),
            ("denoising score matching term", r"\ell_{\mathrm{DSM}}", "dsm_term")]:
        out.append((title, lhs, f"diffproof.derive.losses.{attr}", getattr(L, attr)))
    return out




# The ELBO as the catalog's chains derive it: (derivation id, title).  The sheet shows
# ``start REL final line``; an id missing from the catalog is skipped.
ELBO_CHAINS = (("vdm-elbo-second", "VDM ELBO: reconstruction, prior matching, denoising matching"),
               ("vdm-elbo-first", "VDM ELBO, first form: with consistency terms"))


def _chain_entries() -> list[Formula]:
    """The ELBO chains of :data:`ELBO_CHAINS` that the catalog has, as ``start REL last line``."""
    entries = []
    for identifier, title in ELBO_CHAINS:
        try:
            derivation = catalog.get(identifier)
        except KeyError:
            continue
        relations = {step.relation for step in derivation.steps}
        if derivation.start is None or any(step.lhs is not None for step in derivation.steps) \
                or not relations <= {"=", ">="} or derivation.steps[-1].expr is None:
            continue
        relation = ">=" if ">=" in relations else "="
        entries.append(Formula(title, to_latex(derivation.start), derivation.steps[-1].expr,
                               f"start and last line of {identifier}", relation))
    return entries


def formula_sheet() -> list[Formula]:
    """The derived formulas, computed by ``derive`` (once per process); a failure becomes a note."""
    return list(_formula_sheet())


@lru_cache(maxsize=1)
def _formula_sheet() -> tuple[Formula, ...]:
    entries = []
    for title, lhs, origin, build in _formula_builders():
        try:
            value = build()
        except Exception as error:  # noqa: BLE001 - the sheet never crashes on one formula
            value = sp.Symbol("unavailable")
            origin = f"{origin} raised {type(error).__name__}: {error}"
        entries.append(Formula(title, lhs, display_form(value), origin))
    try:
        entries += _chain_entries()
    except Exception:  # noqa: BLE001 - the sheet never crashes on the catalog
        pass
    return tuple(entries)


def display_form(expr, table: SymbolTable = TABLE):
    """The shortest-printing of a few equal forms of ``expr`` (as computed, factored, cancelled,
    simplified, with products like alpha_t abar_{t-1} written as the defined symbol abar_t).

    Every candidate equals ``expr`` on the table's domain: SymPy identities, plus the table's own
    definitions read backwards.  A Normal gets the same treatment for its mean and variance.
    """
    if isinstance(expr, Normal):
        return Normal(expr.var, display_form(expr.mean, table), display_form(expr.variance, table))
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    backwards = {}
    for symbol, value in table.definitions.items():
        if isinstance(value, sp.Mul):
            backwards[sp.sqrt(value)] = sp.sqrt(symbol)    # SymPy splits sqrt(a b) into sqrt(a) sqrt(b)
            backwards[value] = symbol
    candidates = [expr]
    preferred = [expr]        # as computed, or as computed with a definition read backwards
    small = sp.count_ops(expr) <= 40
    for transform in (sp.factor, sp.cancel, sp.simplify):
        if transform is sp.simplify and not small:
            continue
        try:
            candidates.append(transform(expr))
        except Exception:  # noqa: BLE001
            continue
    for candidate in list(candidates[:2]):       # as computed and factored, never expanded forms
        try:
            rewritten = candidate.subs(backwards)
        except Exception:  # noqa: BLE001
            continue
        if rewritten != candidate:
            candidates.append(rewritten)
            if candidate is expr:
                preferred.append(rewritten)
            try:
                candidates.append(sp.factor(rewritten))   # cancels (1 - abar_t) / (abar_t - 1)
            except Exception:  # noqa: BLE001
                pass

    def longest_sum(candidate) -> int:
        return max((len(add.args) for add in candidate.atoms(sp.Add)), default=0) \
            if hasattr(candidate, "atoms") else 0

    def width(candidate):
        # as a person writes: factored (short sums) wins over expanded; e^(a+b) never as e^a e^b;
        # the form as computed wins ties
        penalty = 1.15 * len(candidate.atoms(sp.exp)) / max(1, len(expr.atoms(sp.exp)))
        latex = to_latex(candidate, table)
        size = estimate_width(latex) * (penalty if candidate.has(sp.exp) else 1) \
            + 1.5 * longest_sum(candidate) + 0.02 * len(latex)
        return size * (1.0 if any(candidate is p for p in preferred) else 1.1)
    return min(candidates, key=width)


def value_latex(value) -> str:
    """The LaTeX of a formula's value: a Normal as N(x; mean, variance), anything else by
    :func:`derive.latex.printer.to_latex`."""
    return normal_latex(value) if isinstance(value, Normal) else to_latex(value)
