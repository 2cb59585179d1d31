"""The built-in vocabulary of ``diffproof claim``: names papers use for derived quantities.

Each entry maps a LaTeX name to a value computed by :mod:`derive.formulas` (the Gaussian algebra),
never retyped: ``\\mu_q(x_t, x_0)`` is the posterior mean obtained by completing the square,
``\\Sigma_q(t)`` its variance, ``\\mathrm{SNR}(t)`` = abar_t / (1 - abar_t) (Luo Eq. 102).  Symbols
with a table entry (``\\tilde{\\beta}_t``, ``\\bar{\\alpha}_t``) are the table's; they are listed
here for the documentation with their defining relation.

``DIFFUSION`` is this vocabulary as the parser takes it (:class:`derive.latex.context.Vocabulary`):
the parser never imports this module; :mod:`derive.notation_reader` passes it in.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import re

import sympy as sp

from diffproof.derive import edm as EDM_
from diffproof.derive import formulas as F
from diffproof.derive import flow_matching as FM
from diffproof.derive import paths as P
from diffproof.derive.formulas import forward_sample, tweedie_noise, tweedie_x0
from diffproof.derive.latex.context import NO_VOCABULARY, Context, FunctionDef, Vocabulary
from diffproof.derive.latex.parser import name_key, read_expression
from diffproof.derive.latex.printer import to_latex
from diffproof.derive.symbols import TABLE, abar_t, abar_tm1, epshat, score, t, x_0, x_t, x_tm1


@dataclass(frozen=True)
class NotationEntry:
    """One vocabulary name: its LaTeX, its parameters (empty for a value), what it means."""

    latex: str                      # the name as the parser reads it (no arguments)
    usage: str                      # how a claim writes it
    meaning: str
    params: tuple = ()
    value: Callable[[], sp.Expr] | None = None         # for names without arguments
    apply: Callable[[list], sp.Expr] | None = None     # for functions
    defaults: tuple | None = None                      # arguments when written bare
    only_at: Callable | None = None                    # built in at these arguments only


def _at_time(latex: str, of_t: Callable[[], sp.Expr], of_tm1: Callable[[], sp.Expr] | None = None):
    """A function of the time index that is defined at t (and t-1): other arguments are refused."""
    def apply(args):
        if len(args) != 1:
            raise ValueError(f"{latex} takes one argument (t)")
        (arg,) = args
        if sp.expand(arg - t) == 0:
            return of_t()
        if of_tm1 is not None and sp.expand(arg - (t - 1)) == 0:
            return of_tm1()
        known = "t or t-1" if of_tm1 is not None else "t"
        raise ValueError(f"{latex} is known at {known} only, not at {arg}")
    return apply


def _substitute(value: Callable[[], sp.Expr], params: tuple, latex: str):
    def apply(args):
        if len(args) != len(params):
            raise ValueError(f"{latex} takes {len(params)} arguments "
                             f"({', '.join(str(p) for p in params)}), got {len(args)}")
        return value().xreplace(dict(zip(params, args)))
    return apply


@lru_cache(maxsize=None)
def _posterior_mean() -> sp.Expr:
    return F.posterior_mean()


@lru_cache(maxsize=None)
def _posterior_variance() -> sp.Expr:
    return F.posterior_variance()


def _sigma_q() -> sp.Expr:
    return sp.sqrt(_posterior_variance())


# -- the modern family: v-prediction, EDM's preconditioning -------------------------------------
def _network(latex: str, arity: int) -> Callable[[list], sp.Expr]:
    """A network's output at its arguments, exactly as the parser reads ``latex(a; b)`` (a network
    is a function of its arguments' values: docs/claims.md 'Unknown functions')."""
    @lru_cache(maxsize=None)
    def form():
        placeholders = ", ".join(f"a_{i}" for i in range(1, arity + 1))
        written = read_expression(f"{latex}({placeholders})", Context(TABLE, vocabulary=NO_VOCABULARY))
        return written.func, written.args

    def apply(args):
        if len(args) != arity:
            raise ValueError(f"{latex} takes {arity} arguments here, got {len(args)}")
        func, _ = form()
        return func(*args)
    return apply


def _of_noise_level(latex: str, formula: Callable[..., sp.Expr]):
    """A function of the noise level sigma alone (EDM Table 1), sigma_data the data's scale."""
    def apply(args):
        if len(args) != 1:
            raise ValueError(f"{latex} takes one argument (the noise level sigma), got {len(args)}")
        return formula(args[0], EDM_.sigma_data)
    return apply


_F_THETA = _network(r"F_\theta", 2)


def _edm_denoiser(args):
    """D_theta(x; sigma) = c_skip(sigma) x + c_out(sigma) F_theta(c_in(sigma) x; c_noise(sigma))
    (Karras et al. 2022, Eq. 7), Table 1's EDM column by derive.edm.preconditioned."""
    if len(args) != 2:
        raise ValueError(f"D_\\theta takes two arguments (x; sigma), got {len(args)}")
    point, level = args
    raw = _F_THETA([EDM_.table_c_in(level) * point, EDM_.table_c_noise(level)])
    return EDM_.preconditioned(raw, point, EDM_.table_c_skip(level), EDM_.table_c_out(level))


_V_MEANING = ("the v-prediction (Salimans & Ho 2022, Sec. 4): a network's estimate of "
              "v = alpha_t eps - sigma_t x on the path x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps")


def _v_entry(latex: str) -> "NotationEntry":
    return NotationEntry(latex, f"{latex}(x_t, t)", _V_MEANING, value=lambda: P.v_theta)


# Lipman et al. 2023's conditional OT path (Sec. 4.1, Eq. 20; derive.flow_matching.OT): built in where the
# claim or its assumptions write sigma_min, the path's own parameter; elsewhere u_t(x | x_1),
# \psi_t(x), \mu_t(x_1), \sigma_t(x_1) are read as before (unknown functions, products, symbols)
_OT_CUE = re.compile(r"\\sigma_\{?\s*(\\min|\\mathrm\{min\}|\\text\{min\}|\\operatorname\{min\})")


def _ot_only_at(shape: str):
    def only_at(args, bar, scope) -> bool:
        if not _OT_CUE.search(scope or ""):
            return False
        if shape == "point":                       # \psi_t(x), at any one point
            return len(args) == 1 and bar is None
        if shape == "data":                        # \mu_t(x_1), \sigma_t(x_1)
            return len(args) == 1 and bar is None and args[0] == FM.x_1
        return len(args) == 2 and bar == 1 and args[1] == FM.x_1     # u_t(x | x_1)
    return only_at


def _ot(value: Callable[[list], sp.Expr], arity: int, latex: str):
    def apply(args):
        if len(args) != arity:
            raise ValueError(f"{latex} takes {arity} argument(s), got {len(args)}")
        return value(args)
    return apply


_OT_PATH = "Lipman et al. 2023 conditional OT path (Sec. 4.1, Eq. 20), read beside sigma_min"


ENTRIES: tuple[NotationEntry, ...] = (
    NotationEntry(r"\mu_q", r"\mu_q(x_t, x_0)", "posterior mean of q(x_{t-1} given x_t, x_0) (Luo Eq. 84)",
          (x_t, x_0), apply=_substitute(_posterior_mean, (x_t, x_0), r"\mu_q"),
          defaults=(x_t, x_0)),
    NotationEntry(r"\tilde{\mu}_t", r"\tilde{\mu}_t(x_t, x_0)", "the same posterior mean (DDPM Eq. 7)",
          (x_t, x_0), apply=_substitute(_posterior_mean, (x_t, x_0), r"\tilde{\mu}_t"),
          defaults=(x_t, x_0)),
    NotationEntry(r"\Sigma_q", r"\Sigma_q(t)", "posterior variance of q(x_{t-1} given x_t, x_0) (Luo Eq. 85)",
          (t,), apply=_at_time(r"\Sigma_q", _posterior_variance), defaults=(t,)),
    NotationEntry(r"\sigma_q", r"\sigma_q(t)", "posterior standard deviation; sigma_q^2(t) = Sigma_q(t)",
          (t,), apply=_at_time(r"\sigma_q", _sigma_q), defaults=(t,)),
    NotationEntry(r"\mathrm{SNR}", r"\mathrm{SNR}(t)", "signal-to-noise ratio abar_t / (1 - abar_t) "
          "(Luo Eq. 102); also at t-1", (t,),
          apply=_at_time(r"\mathrm{SNR}", lambda: F.snr(abar_t), lambda: F.snr(abar_tm1))),
    NotationEntry(r"\mathrm{SNR}_t", r"\mathrm{SNR}_t", "signal-to-noise ratio at t",
          value=lambda: F.snr(abar_t)),
    NotationEntry(r"\mathrm{SNR}_{t-1}", r"\mathrm{SNR}_{t-1}", "signal-to-noise ratio at t-1",
          value=lambda: F.snr(abar_tm1)),
    NotationEntry(r"\epsilon_\theta", r"\epsilon_\theta(x_t, t)", "the noise prediction (DDPM notation), "
          "the same as \\hat{\\epsilon}_\\theta(x_t, t)", value=lambda: epshat),
    NotationEntry(r"\nabla_{x_t}", r"\nabla_{x_t} \log q(x_t \mid x_0)",
          "conditional score of q(x_t given x_0) = N(sqrt(abar_t) x_0, 1 - abar_t)"),
    _v_entry(r"v_\theta"), _v_entry(r"\hat{v}_\theta"), _v_entry(r"\hat{v}"),
    NotationEntry(r"\sigma_{\mathrm{data}}", r"\sigma_{\mathrm{data}}",
          "the data's standard deviation in EDM's preconditioning (Karras et al. 2022, Sec. 5)",
          value=lambda: EDM_.sigma_data),
    NotationEntry(r"c_{\mathrm{skip}}", r"c_{\mathrm{skip}}(\sigma)",
          "EDM's skip weight, Table 1 (Karras et al. 2022): sigma_data^2/(sigma^2 + sigma_data^2)",
          (EDM_.sigma,), apply=_of_noise_level(r"c_{\mathrm{skip}}", EDM_.table_c_skip)),
    NotationEntry(r"c_{\mathrm{out}}", r"c_{\mathrm{out}}(\sigma)",
          "EDM's output scale, Table 1: sigma sigma_data/sqrt(sigma^2 + sigma_data^2)",
          (EDM_.sigma,), apply=_of_noise_level(r"c_{\mathrm{out}}", EDM_.table_c_out)),
    NotationEntry(r"c_{\mathrm{in}}", r"c_{\mathrm{in}}(\sigma)",
          "EDM's input scale, Table 1: 1/sqrt(sigma^2 + sigma_data^2)",
          (EDM_.sigma,), apply=_of_noise_level(r"c_{\mathrm{in}}", EDM_.table_c_in)),
    NotationEntry(r"c_{\mathrm{noise}}", r"c_{\mathrm{noise}}(\sigma)",
          "EDM's noise conditioning, Table 1: ln(sigma)/4",
          (EDM_.sigma,), apply=_of_noise_level(r"c_{\mathrm{noise}}",
                                               lambda level, std: EDM_.table_c_noise(level))),
    NotationEntry(r"D_\theta", r"D_\theta(x; \sigma)",
          "EDM's preconditioned denoiser, Eq. 7: c_skip(sigma) x + c_out(sigma) "
          "F_theta(c_in(sigma) x; c_noise(sigma)), with F_theta the raw network",
          (EDM_.x, EDM_.sigma), apply=_edm_denoiser),
    NotationEntry(r"\psi_t", r"\psi_t(x)", f"the flow psi_t(x) = sigma_t(x_1) x + mu_t(x_1) of the "
          f"{_OT_PATH}: (1 - (1 - sigma_min) t) x + t x_1", (EDM_.x,),
          apply=_ot(lambda a: FM.OT.sample(FM.x_1, a[0]), 1, r"\psi_t"), only_at=_ot_only_at("point")),
    NotationEntry(r"\mu_t", r"\mu_t(x_1)", f"the mean of the {_OT_PATH}: t x_1", (FM.x_1,),
          apply=_ot(lambda a: FM.OT.alpha * a[0], 1, r"\mu_t"), only_at=_ot_only_at("data")),
    NotationEntry(r"\sigma_t", r"\sigma_t(x_1)", f"the standard deviation of the {_OT_PATH}: "
          "1 - (1 - sigma_min) t", (FM.x_1,),
          apply=_ot(lambda a: FM.OT.sigma, 1, r"\sigma_t"), only_at=_ot_only_at("data")),
    NotationEntry(r"u_t", r"u_t(x \mid x_1)", f"the conditional velocity of the {_OT_PATH}, solved "
          "from the path by derive.paths (Theorem 3 for this path)", (EDM_.x, FM.x_1),
          apply=_ot(lambda a: sp.factor(sp.cancel(FM.conditional_velocity(FM.OT, a[1], a[0]))), 2,
                    r"u_t"),
          only_at=_ot_only_at("conditional")),
)


def built_in_symbols() -> frozenset:
    """The symbols the vocabulary's values name outside the table (sigma_data, v_theta): their
    domain is known (SymPy's assumptions on the symbol), so they are neither unknown symbols nor
    names a step could define."""
    return frozenset({EDM_.sigma_data, P.v_theta})


@lru_cache(maxsize=None)
def _normals() -> dict:
    """The Gaussians of the forward process, computed by derive.formulas: keyed by (variable,
    frozenset of conditioning variables)."""
    return {
        (x_t, frozenset({x_tm1})): F.forward_step(),
        (x_t, frozenset({x_0})): F.marginal_hypothesis(x_t, abar_t),
        (x_tm1, frozenset({x_0})): F.marginal_hypothesis(),
        (x_tm1, frozenset({x_t, x_0})): F.posterior(),
    }


def normal(key: str, variables: list, given: list):
    """The Normal (derive.gaussian) of a built-in density, for expectations, or None."""
    if key != "|q|" or len(variables) != 1:
        return None
    return _normals().get((variables[0], frozenset(given)))


@lru_cache(maxsize=None)
def _densities() -> dict:
    return {key: gaussian.density() for key, gaussian in _normals().items()}


def density(key: str, variables: list, given: list):
    """q(x_t | x_{t-1}), q(x_t | x_0), q(x_{t-1} | x_0), q(x_{t-1} | x_t, x_0), or None."""
    if key != "|q|" or len(variables) != 1:
        return None
    return _densities().get((variables[0], frozenset(given)))


@lru_cache(maxsize=None)
def _keys() -> dict[str, NotationEntry]:
    return {name_key(entry.latex): entry for entry in ENTRIES
            if entry.value is not None or entry.apply is not None}


def lookup_function(key: str) -> FunctionDef | None:
    """The vocabulary function with this name key, as a ``FunctionDef``, or None."""
    entry = _keys().get(key)
    if entry is None or entry.apply is None:
        return None
    return FunctionDef(entry.usage, entry.params, apply_fn=entry.apply, defaults=entry.defaults,
                       meaning=entry.meaning, only_at=entry.only_at)


def lookup_value(key: str) -> sp.Expr | None:
    entry = _keys().get(key)
    if entry is None or entry.value is None:
        return None
    return entry.value()


def table_rows() -> list[tuple[str, str, str]]:
    """(usage, meaning, value as LaTeX) for the vocabulary table of docs/claims.md."""

    rows = []
    for entry in ENTRIES:
        if entry.apply is not None:
            value = entry.apply(list(entry.params)) if entry.params else None
        elif entry.value is not None:
            value = entry.value()
        else:
            value = F.conditional_score()
        rows.append((entry.usage, entry.meaning, to_latex(value) if value is not None else ""))
    for usage, meaning in zip(DENSITIES, ("forward step (Luo Eq. 31)", "forward marginal (Luo Eq. 70)",
                                          "marginal at t-1 (induction hypothesis)",
                                          "posterior (Luo Eq. 84), by Bayes' rule")):
        value = read_expression(usage, Context(TABLE, vocabulary=DIFFUSION))
        rows.append((usage, "Gaussian density: " + meaning, to_latex(value)))
    rows.append((r"D_{\mathrm{KL}}(\mathcal{N}(m_1, v_1) \parallel \mathcal{N}(m_2, v_2))",
                 "KL divergence between two Gaussians, by derive.gaussian.kl_divergence", ""))
    for key in ("betatilde_t", "abar_t", "beta_t"):
        spec = TABLE.specs[key]
        rows.append((spec.latex, spec.meaning, to_latex(TABLE.definitions[spec.symbol])))
    return rows


def conditional_mean_given_xt(body: sp.Expr, given: sp.Expr) -> sp.Expr:
    """E[body | x_t] for body affine in x_0 and the noise of x_t, with coefficients known given
    x_t: x_0 and the noise replaced by Tweedie's conditional means (Luo Eqs. 131-133, 151)."""
    if given != x_t:
        raise ValueError(f"only expectations given x_t are known (Tweedie), not given {given}")
    noises = (TABLE["eps_0"], TABLE["eps"])
    hidden = (x_0, *noises)
    known = set(hidden) | {x_t, t, score} | {TABLE[k] for k in DDPM_PARAMETER_KEYS}
    extra = sorted(str(s) for s in body.free_symbols - known)
    if extra:
        raise ValueError(f"E[. | x_t] is computed for expressions in x_0, the noise, x_t and the "
                         f"schedule only, not {', '.join(extra)}")
    present = [h for h in hidden if body.has(h)]
    if present and not (body.is_polynomial(*present) and
                        sp.Poly(body, *present).total_degree() <= 1):
        raise ValueError("E[. | x_t] is computed for expressions affine in x_0 and the noise only")
    return body.xreplace({x_0: tweedie_x0(), **{n: tweedie_noise(n) for n in noises}})


def cumulative_product(body, index, lower, upper) -> sp.Expr | None:
    """``\\prod_{i=1}^t \\alpha_i`` (or of 1 - beta_i) is abar_t by definition (DDPM Eq. 4,
    Luo Eq. 69); up to t-1 it is abar_{t-1}.  Other products are left to SymPy (None)."""
    if lower != 1:
        return None
    factor = None
    for node in sp.preorder_traversal(body):
        if isinstance(node, sp.Indexed) and node.indices == (index,):
            factor = node
            break
    if factor is None or factor.base.label.name not in ("alpha", "beta"):
        return None
    expected = factor if factor.base.label.name == "alpha" else 1 - factor
    if sp.expand(body - expected) != 0:
        return None
    if sp.expand(upper - t) == 0:
        return abar_t
    if sp.expand(upper - (t - 1)) == 0:
        return abar_tm1
    return None


def conditional_score(operand: sp.Expr, var: sp.Symbol) -> sp.Expr | None:
    """\\nabla_{x_t} \\log q(x_t | x_0) with q an undefined function of (x_t, x_0): the conditional
    score computed by derive.formulas; None for any other gradient."""
    if var != x_t or not isinstance(operand, sp.log):
        return None
    inner = operand.args[0]
    if isinstance(inner, sp.core.function.AppliedUndef) and inner.func.__name__ == "q" \
            and inner.args == (x_t, x_0):
        return F.conditional_score()
    return None


# Parameters of the DDPM forward process: known given x_t in E[. | x_t]; a claim x_t = ... using
# only these (and x_0 and the noise) is read as the forward marginal
# (proofs.claims.readings.reparametrization).
DDPM_PARAMETER_KEYS = ("alpha_t", "abar_t", "abar_tm1", "beta_t", "t")


DENSITIES = (r"q(x_t \mid x_{t-1})", r"q(x_t \mid x_0)", r"q(x_{t-1} \mid x_0)",
             r"q(x_{t-1} \mid x_t, x_0)")

def latent_written_out(expr: sp.Expr) -> str | None:
    """The relation under which ``expr`` is x_t: sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (DDPM
    Eq. 4, written inside eps_theta in Eq. 12), or with eps_0 (Luo Eq. 69); else None."""
    for noise, source in ((TABLE["eps"], "DDPM Eq. 4, Eq. 12"), (TABLE["eps_0"], "Luo Eq. 69")):
        if sp.expand(expr - forward_sample(noise)) == 0:
            return (f"x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) {noise.name} inside "
                    f"eps_theta(., t) ({source})")
    return None


DIFFUSION = Vocabulary(lookup_function=lookup_function, lookup_value=lookup_value, density=density,
                       normal=normal, conditional_mean_given_xt=conditional_mean_given_xt,
                       cumulative_product=cumulative_product, conditional_score=conditional_score,
                       latent_written_out=latent_written_out)

__all__ = ["built_in_symbols", "NotationEntry", "ENTRIES", "DENSITIES", "DDPM_PARAMETER_KEYS", "DIFFUSION", "lookup_function",
           "lookup_value", "density", "normal", "conditional_mean_given_xt", "cumulative_product",
           "conditional_score", "table_rows"]
