"""Fuzz driver for ``diffproof claim``: generated and mutated LaTeX, read by every input, checked
by a fraction of them.

Inputs (seeded; input ``i`` of seed ``s`` depends on ``(s, i)`` alone, so any one reproduces):

- *grammar*: random claims in the notation diffproof reads (``\\alpha_t``, ``\\bar\\alpha_{t-1}``,
  ``\\sigma(t)``, ``\\frac``, ``\\sqrt``, ``\\mathcal{N}(x; \\mu, \\sigma^2)``, ``\\mathbb{E}``,
  ``\\nabla``, ``\\int``, ``\\sum``, ``\\prod``, ``\\binom``, chains with ``&=`` and ``\\\\``,
  ``\\le``, ``\\propto``, ``% assume:`` lines), as a claim argument or a .tex/.md document;
- *mutated*: the claims of ``tests/claims/`` (and grammar claims) with one to four mutations:
  tokens deleted, duplicated or swapped, random bytes (lone surrogates included: what Linux
  gives for invalid UTF-8 in argv), control characters, Unicode look-alikes, Python syntax that
  would create a marker file in a sentinel directory if it ever ran, huge numbers, deep nesting,
  very long inputs, truncation, splices.

Two tiers:

- **read** (every input): the document reader (displays, ``% assume:`` lines), the assumptions,
  the schedule reading and :func:`proofs.claims.steps.build_steps` (``split_lines`` + ``parse_chain`` of
  each line), plus every line parsed on its own; in workers of
  :func:`derive.decide.budget.run_each`
  under ``--read-limit`` CPU seconds (default 2).  A *crash* is any exception other than the
  documented ones (LatexParseError and its subclasses, AssumptionError, DocumentError), or a
  worker that dies.  Parse errors that wrap an internal exception ("could not build the
  formula: TypeError: ...") are counted apart (*masked*), not as crashes.
- **check** (one input in ``--check-every``, default 100): :func:`proofs.claims.run.check_text` with
  ``Options(max_examples=5, limit=10, budget=1)``, then the terminal and JSON reports; a crash is
  a claim with status ``error`` or a report that raises; a verdict
  whose reason names an internal error is counted as masked.

Recorded: crashes, limit hits (CPU or memory, with the input), marker files in the sentinel
directory (code execution), masked errors.  A summary gives the counts, CPU seconds and inputs
per CPU-second, and an estimate of the full default run; failing inputs go to ``--out`` (JSON,
written atomically), replayable with ``--replay``.  Exit status: 1 if a crash or a code execution
was found, 0 otherwise (limit hits are not failures), 2 for bad usage.

    python benchmarks/bench_fuzz.py --count 20000 --check-every 200 --jobs 2
    python benchmarks/bench_fuzz.py --replay fuzz-failures.json
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from diffproof.derive.decide.budget import CPU, CRASH, ERROR, MEMORY, OK, run_each  # noqa: E402
from diffproof.derive.latex.tokens import LatexParseError  # noqa: E402
from diffproof.derive.notation_reader import parse_chain  # noqa: E402
from diffproof.numeric.files import atomic_write_text  # noqa: E402
from diffproof.proofs.checker import Options  # noqa: E402
from diffproof.proofs.claims.assumptions import read_assumptions  # noqa: E402
from diffproof.proofs.claims.document import (MAX_DISPLAY_CHARS, DocumentError,  # noqa: E402
                                    extract_assumptions, extract_displays, split_lines)
from diffproof.proofs.claims.readings.schedules import schedule_reading  # noqa: E402
from diffproof.proofs.claims.run import check_text  # noqa: E402
from diffproof.proofs.claims.steps import build_steps  # noqa: E402
from diffproof.proofs.output import printable  # noqa: E402
from diffproof.proofs.report import as_json, terminal  # noqa: E402

CORPUS = ROOT / "tests" / "claims"
READ_MEMORY = 1 << 30             # bytes a reading worker may add (the checking tier: 4 GiB)
CHECK_OPTIONS = dict(max_examples=5, limit=10.0, budget=1.0)
MASKED = "could not build the formula"
HARD_LIMIT = "a hard limit"
FULL_COUNT, FULL_CHECK_EVERY = 100_000, 100

# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


@dataclass
class FuzzInput:
    """One input: ``kind`` claim (``text`` is the claim argument, ``assume`` the --assume
    options), tex or md (``text`` is the document, ``assume`` extra --assume options)."""

    index: int
    generator: str
    kind: str
    text: str
    assume: list[str] = field(default_factory=list)


NAMES = [r"\alpha_t", r"\alpha_{t-1}", r"\bar\alpha_t", r"\bar\alpha_{t-1}", r"\bar{\alpha}_{t-1}",
         r"\overline{\alpha}_t", r"\beta_t", r"\tilde\beta_t", r"\tilde{\beta}_t", "x_t", "x_0",
         "x_{t-1}", "x_{t-2}", r"\mathbf{x}_t", r"\boldsymbol{x}_0", r"\epsilon", r"\epsilon_0",
         r"\varepsilon", r"\epsilon_{t-1}^*", r"\boldsymbol{\epsilon}", r"\sigma_t", r"\sigma_{\min}",
         r"\sigma_{\max}", r"\beta_{\min}", r"\beta_{\max}", "t", "s", "u", "a", "b", "h", "z",
         r"\lambda", r"\pi", "e", r"\Delta t", r"\mathbf{I}", "n", "k"]
APPLIED = [r"\sigma(t)", r"\sigma(0)", r"\beta(t)", r"\beta(s)", "g(t)", "f(t)", r"g'(t)",
           r"\mu_q(x_t, x_0)", r"\tilde\mu_t(x_t, x_0)", r"\Sigma_q(t)", r"\sigma_q(t)",
           r"\mathrm{SNR}(t)", r"\text{SNR}_t", r"\hat\epsilon_\theta(x_t, t)",
           r"\hat{x}_\theta(x_t, t)", r"\epsilon_\theta(x_t, t)", r"s_\theta(x_t, t)",
           r"\mu_\theta(x_t, t)", r"\nabla\log p(x_t)", r"\nabla_{x_t}\log q(x_t \mid x_0)",
           r"q(x_t \mid x_0)", r"q(x_t \mid x_{t-1})", r"q(x_{t-1} \mid x_t, x_0)", "p(x)",
           r"\mathrm{Var}(x)", r"\operatorname{sigmoid}(t)"]
NUMBERS = ["0", "1", "2", "3", "4", "0.5", "3.5", "10", "100", r"\frac{1}{2}", "10^{-3}", "1e-3",
           "-1", r"\infty"]
UNARY = [r"\sqrt{{{a}}}", r"\sqrt[3]{{{a}}}", r"{{{a}}}^2", r"\left({a}\right)", "({a})",
         r"\log\left({a}\right)", r"\ln({a})", r"\log {a}", r"\exp({a})", "e^{{{a}}}", "-{a}",
         "|{a}|", r"\|{a}\|^2", r"\|{a}\|_2", r"\frac{{d}}{{dt}}\left({a}\right)",
         r"\frac{{\partial}}{{\partial t}}{a}", r"\nabla_{{x_t}} {a}", r"\nabla {a}",
         r"\int_0^1 {a} \, du", r"\int_{{0}}^{{t}} {a} \,\mathrm{{d}}s",
         r"\int_{{-\infty}}^{{\infty}} {a} \, dx",
         r"\sum_{{i=1}}^{{3}} {a}", r"\sum_{{k=0}}^{{n}} {a}", r"\prod_{{i=1}}^{{t}} {a}",
         r"\binom{{{a}}}{{2}}", "{a}!", r"\sin({a})", r"\cos {a}", r"{a}^\top {a}",
         r"\underbrace{{{a}}}_{{\text{{note}}}}", r"\mathbb{{E}}[{a}]",
         r"\mathbb{{E}}[{a} \mid x_t]", r"\mathbb{{E}}_{{x_t \sim q(x_t \mid x_0)}}[{a}]",
         r"\mathcal{{N}}(x; {a}, 1)", r"{a}_{{t}}", "{{{a}}}"]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} {b}", r"{a} \cdot {b}", r"{a} \times {b}", "{a}/{b}",
          r"\frac{{{a}}}{{{b}}}", "{{{a}}}^{{{b}}}", r"\min({a}, {b})", r"\max({a}, {b})",
          r"\binom{{{a}}}{{{b}}}", r"\mathcal{{N}}(x; {a}, {b}^2)",
          r"\mathcal{{N}}(x_t; {a}, {b}\mathbf{{I}})",
          r"\mathbb{{E}}_{{x \sim \mathcal{{N}}({a}, {b})}}[x^2]",
          r"\mathbb{{E}}_{{\mathcal{{N}}(x; {a}, {b})}}[x]", r"\sqrt[{a}]{{{b}}}",
          r"D_{{\mathrm{{KL}}}}(\mathcal{{N}}({a}, 1) \parallel \mathcal{{N}}({b}, 2))"]
RELATIONS = ["=", "=", "=", r"\le", r"\leq", r"\ge", "<", ">", r"\propto", ":=", r"\coloneqq",
             r"\approx", r"\neq"]
KNOWN = [  # well-formed claims of the papers' shapes, the grammar's seeds
    r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t",
    r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon_0",
    r"q(x_t \mid x_0) = \mathcal{N}(x_t; \sqrt{\bar\alpha_t} x_0, (1 - \bar\alpha_t)\mathbf{I})",
    r"\nabla_{x_t}\log q(x_t \mid x_0) = -\frac{\epsilon_0}{\sqrt{1-\bar\alpha_t}}",
    r"\mathbb{E}_{x \sim \mathcal{N}(\mu, \sigma^2)}[x^2] = \mu^2 + \sigma^2",
    r"\prod_{i=1}^t \alpha_i = \bar\alpha_t",
    r"g(t) = \sqrt{\frac{d}{dt}\sigma(t)^2} \\ \sigma_{\min} > 0",
    r"\log \mathcal{N}(x; \mu, \sigma^2) \propto -\frac{(x-\mu)^2}{2\sigma^2}",
]
ASSUMPTIONS = [r"0 < {n} < 1", r"{n} > 0", r"{n} \in (0, 1)", r"{n} \in \mathbb{{R}}", r"n \in \mathbb{{N}}",
               r"a < b", r"h_a > 0, h_b \in (0, 1)", r"g(t) = {e}", r"f(t) = {e}",
               r"\sigma(t) = \sigma_{{\min}}\left(\frac{{\sigma_{{\max}}}}{{\sigma_{{\min}}}}\right)^{{t}}",
               r"g(t) = \sqrt{{\frac{{d}}{{dt}}\sigma(t)^2}}", r"\sigma_t^2 = 1 - \bar\alpha_t",
               r"{n} = {e}", r"\bar{{\alpha}}_t = \alpha_t \bar{{\alpha}}_{{t-1}}", r"\mu_\theta = {e}"]


def expression(rng: random.Random, depth: int = 0) -> str:
    """A random formula of the grammar, at most about 4 levels deep."""
    roll = rng.random()
    if depth >= 4 or roll < 0.3:
        pool = rng.choice((NAMES, NAMES, APPLIED, NUMBERS))
        return rng.choice(pool)
    if roll < 0.6:
        return rng.choice(UNARY).format(a=expression(rng, depth + 1))
    return rng.choice(BINARY).format(a=expression(rng, depth + 1), b=expression(rng, depth + 1))


def assumption(rng: random.Random) -> str:
    return rng.choice(ASSUMPTIONS).format(n=rng.choice(NAMES[:25] + ["a", "b", "h", "u", "w_1"]),
                                          e=expression(rng, 2))


def grammar_claim(rng: random.Random) -> str:
    """One relation, a one-line chain, or an aligned chain with ``&=``, ``\\\\``, continuation
    lines, justifications, ``\\ldots``, ``\\Rightarrow``, ``\\tag``."""
    shape = rng.random()
    if shape < 0.1:
        return rng.choice(KNOWN)
    if shape < 0.45:
        return f"{expression(rng)} {rng.choice(RELATIONS)} {expression(rng)}"
    if shape < 0.6:
        return " ".join([expression(rng)] + [f"{rng.choice(RELATIONS)} {expression(rng)}"
                                             for _ in range(rng.randint(2, 4))])
    lines = [f"{expression(rng)} &{rng.choice(RELATIONS)} {expression(rng)}"]
    for _ in range(rng.randint(1, 5)):
        extra = rng.random()
        if extra < 0.15:
            lines.append(rf"&\quad + {expression(rng)}")
        elif extra < 0.25:
            lines.append(r"&= \ldots")
        elif extra < 0.35:
            lines.append(rf"&= {expression(rng)} && \text{{(by Eq. {rng.randint(1, 99)})}}")
        elif extra < 0.42:
            lines.append(rf"\Rightarrow {expression(rng)} = {expression(rng)}")
        elif extra < 0.5:
            lines.append(rf"&= {expression(rng)} \tag{{{rng.randint(1, 9)}}}")
        else:
            lines.append(f"&{rng.choice(RELATIONS)} {expression(rng)}")
    return " \\\\\n".join(lines)


def as_document(rng: random.Random, claim: str, assumptions: list[str]) -> tuple[str, str]:
    """(kind, text): the claim in a .tex or .md document with its assumptions."""
    if rng.random() < 0.3:
        kind = "md"
        head = "".join(f"<!-- assume: {a} -->\n" for a in assumptions)
        fence = "```\n$$ x = 1 $$\n```\n" if rng.random() < 0.5 else ""
        return kind, f"# Notes\n\n{head}{fence}\n$$\n{claim}\n$$\n"
    head = "".join(f"% assume: {a}\n" for a in assumptions)
    wrap = rng.choice([("$$", "$$"), ("\\[", "\\]"), ("\\begin{align*}", "\\end{align*}"),
                       ("\\begin{equation}", "\\end{equation}"),
                       ("$$\\begin{aligned}", "\\end{aligned}$$"), ("\\begin{gather}", "\\end{gather}")])
    return "tex", f"{head}Some text.\n{wrap[0]}\n{claim}\n{wrap[1]}\n"


# ---- mutations ------------------------------------------------------------------------------
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|[0-9]+(?:\.[0-9]+)?|.", re.S)
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x1b[2J", "\x1b]0;t\x07",
            "\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\u200b", "\u200d", "\ufeff",
            "\ufffe", "\udcff", "\udc80", "\t", "\n", "\n\n"]
LOOKALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "x": "\u0445", "p": "\u0440",
              "=": "\uff1d", "-": "\u2212", "\\": "\uff3c", "{": "\uff5b", "}": "\uff5d",
              "(": "\uff08", ")": "\uff09", "^": "\u02c6", "_": "\uff3f", " ": "\u00a0",
              "1": "\uff11", "t": "\u0442", "/": "\u2215", "|": "\u2223", "+": "\uff0b"}
UNICODE_MATH = ["\u03b1", "\u03c3", "\u03b5", "\u2211", "\u222b", "\u221a", "\u2264", "\u221d",
                "\u2207", "\u00b2", "\u2081", "\u00bd", "\u221e", "\U0001d465", "\u2032", "\u2026"]
HUGE = ["10^{300}", "10^{301}", "10^{-300}", "10^{-301}", "10^{1000}", "10^{1001}", "1e308", "1e309",
        "9" * 400, "0." + "0" * 400 + "1", "2^{2^{2^{2^{2}}}}", "(10^{100})^{100}",
        "((1000^{1000})^{1000})^{1000}", "1000!", "100000!", r"\binom{100000}{50000}",
        r"\sum_{i=1}^{1000} i", r"\sum_{i=1}^{1001} i", r"\prod_{k=1}^{100000} k", "x^{10^{9}}",
        "e^{e^{e^{10}}}", r"\sqrt[1000]{2}", "10^{10^{10}}", "2^{-1074}", "1" + "0" * 5000,
        r"\exp(\exp(\exp(1000)))", "0^{0}", r"\frac{1}{0}", r"\log 0", r"\infty - \infty"]
NESTERS = [(r"\frac{1}{", "}"), ("(", ")"), (r"\sqrt{", "}"), ("{", "}"), ("x^{", "}"),
           (r"\left(", r"\right)"), (r"\log(", ")"), (r"\exp(", ")"), ("-", ""), ("e^{", "}"),
           (r"\mathcal{N}(x; ", ", 1)"), (r"\int_0^1 ", r" \, du"), (r"\sum_{i=1}^{2} ", ""),
           (r"\bar{", "}"), ("x_{", "}"), (r"\mathbb{E}[", "]"), (r"\nabla_{x} ", "")]
DEPTHS = [5, 20, 59, 60, 61, 100, 300, 1000, 3000]
FRAGMENTS = ["{", "}", "(", ")", "[", "]", "^", "_", "&", "&=", r"\\", "=", r"\left(", r"\right)",
             r"\frac", r"\sqrt", r"\int", r"\sum", r"\prod", r"\binom", r"\mathcal{N}", r"\mathbb{E}",
             r"\nabla", r"\log", r"\bar", r"\begin{align}", r"\end{align}", "$$", r"\[", r"\]",
             "% assume: ", "<!--", "-->", "```", r"\mid", "|", ";", ",", r"\ldots", r"\text{",
             r"\operatorname{", r"\mathrm{", r"\tag{", r"\label{", "'", "!", r"\%", "%", "#", "~"]


def payloads(marker: str) -> list[str]:
    """Python that would create ``marker`` if it ever ran, in the shapes a name can take."""
    m = marker
    return [f"(0)if(open('{m}','w'))else(abs)", f"__import__('os').system('touch {m}')",
            f"__import__('pathlib').Path('{m}').touch()", f"[open('{m}','w')for(_)in(0,)][0]",
            f"abs;open('{m}','w')", f"x)or(open('{m}','w')", f"lambda:open('{m}','w')",
            f"exec(\"open('{m}','w')\")", f"eval('open(\"{m}\",\"w\")')", "__builtins__",
            "__class__.__mro__[1].__subclasses__()", f"\"{m}\"", f"'{m}'",
            "\uff4f\uff53\uff0e\uff53\uff59\uff53\uff54\uff45\uff4d\uff08\uff11\uff09",
            "\u043es.system", "import os", "x.__globals__", "{{7*7}}", "${7*7}", "`id`", "$(id)"]


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _random_bytes(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.4:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))).decode("latin-1")
    if choice < 0.7:   # what Linux gives for invalid UTF-8 in argv (surrogateescape)
        return bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 4))).decode(
            "utf-8", "surrogateescape")
    out = []
    for _ in range(rng.randint(1, 4)):
        code = rng.randrange(0x110000)
        out.append(chr(code))
    return "".join(out)


def _at(rng: random.Random, text: str, insert: str) -> str:
    i = rng.randint(0, len(text))
    return text[:i] + insert + text[i:]


def _name_slot(rng: random.Random, text: str, payload: str) -> str:
    shape = rng.choice(["x_{{{p}}}", "f_{{{p}}}(\\alpha_t)", "\\operatorname{{{p}}}(t)", "\\text{{{p}}}",
                        "\\mathrm{{{p}}}", "{p}", "\\bar{{{p}}}_t", "g_{{{p}}}", "\\label{{{p}}}"])
    return _at(rng, text, " " + shape.format(p=payload) + " ")


def mutate(rng: random.Random, text: str, marker: str, sources: list[str]) -> tuple[str, str]:
    """(mutated text, mutation name)."""
    name = rng.choice(["delete", "duplicate", "swap", "bytes", "control", "lookalike", "python",
                       "huge", "nest", "long", "truncate", "fragment", "splice", "unicode"])
    tokens = _tokens(text) or [""]
    i = rng.randrange(len(tokens))
    if name == "delete":
        del tokens[i:i + rng.choice((1, 1, 2, 3))]
    elif name == "duplicate":
        tokens[i:i] = tokens[i:i + rng.choice((1, 2, 4))] * rng.choice((1, 2, 10))
    elif name == "swap":
        j = rng.randrange(len(tokens))
        tokens[i], tokens[j] = tokens[j], tokens[i]
    elif name == "bytes":
        return _at(rng, text, _random_bytes(rng)), name
    elif name == "control":
        return _at(rng, text, rng.choice(CONTROLS)), name
    elif name == "lookalike":
        spots = [k for k, ch in enumerate(text) if ch in LOOKALIKES]
        if spots:
            for k in rng.sample(spots, min(len(spots), rng.choice((1, 1, 3, 50)))):
                text = text[:k] + LOOKALIKES[text[k]] + text[k + 1:]
            return text, name
        return _at(rng, text, rng.choice(list(LOOKALIKES.values()))), name
    elif name == "unicode":
        return _at(rng, text, rng.choice(UNICODE_MATH)), name
    elif name == "python":
        payload = rng.choice(payloads(marker))
        if rng.random() < 0.7:
            return _name_slot(rng, text, payload), name
        return _at(rng, text, payload), name
    elif name == "huge":
        numbers = [k for k, tok in enumerate(tokens) if tok[:1].isdigit()]
        k = rng.choice(numbers) if numbers else i
        tokens[k:k + 1] = [rng.choice(HUGE)]
    elif name == "nest":
        opening, closing = rng.choice(NESTERS)
        depth = rng.choice(DEPTHS)
        j = rng.randint(i, min(len(tokens), i + 5))
        tokens[i:j] = [opening * depth] + tokens[i:j] + [closing * depth]
    elif name == "long":
        size = rng.choice((2_000, 10_000, 10_001, 20_000, 20_001, 40_000))
        unit = rng.choice([r" + \alpha_t", r" \cdot x_{t-1}", r" + " + expression(rng, 3),
                           r" \\ &= \bar\alpha_t", "x", " ", "{}", text[:200] or "a"])
        filler = unit * max(1, size // max(1, len(unit)))
        tokens[i:i] = [filler[:size]]
    elif name == "truncate":
        tokens = tokens[:i]
    elif name == "fragment":
        tokens[i:i] = [rng.choice(FRAGMENTS)]
    elif name == "splice":
        other = rng.choice(sources)
        start = rng.randrange(max(1, len(other)))
        tokens[i:i] = [other[start:start + rng.randint(1, 80)]]
    return "".join(tokens), name


def _corpus() -> list[tuple[str, str]]:
    """(kind, text) of every file of tests/claims."""
    found = []
    for path in sorted(CORPUS.iterdir()):
        if path.suffix in (".tex", ".md"):
            found.append((path.suffix[1:], path.read_text(encoding="utf-8")))
    return found


_CORPUS_CACHE: list[tuple[str, str]] = []


def corpus() -> list[tuple[str, str]]:
    if not _CORPUS_CACHE:
        _CORPUS_CACHE.extend(_corpus())
    return _CORPUS_CACHE


def _claim_body(kind: str, text: str) -> str:
    displays = extract_displays(text, markdown=kind == "md")
    return displays[0].latex.strip() if displays else text


def make_input(seed: int, index: int, sentinel: str) -> FuzzInput:
    """Input ``index`` of ``seed``: 40 % grammar claims (some mutated once), 60 % mutated corpus
    claims; about a third as .tex/.md documents, the rest as claim arguments."""
    rng = random.Random(f"diffproof-fuzz/{seed}/{index}")
    marker = os.path.join(sentinel, f"m{index}")
    sources = [text for _, text in corpus()]
    if rng.random() < 0.4:
        claim = grammar_claim(rng)
        assume = [assumption(rng) for _ in range(rng.choice((0, 0, 1, 2)))]
        generator = "grammar"
        if rng.random() < 0.25:
            claim, how = mutate(rng, claim, marker, sources)
            generator = f"grammar+{how}"
        if rng.random() < 0.35:
            kind, text = as_document(rng, claim, assume)
            return FuzzInput(index, generator, kind, text)
        return FuzzInput(index, generator, "claim", claim, assume)
    kind, text = rng.choice(corpus())
    as_claim = rng.random() < 0.65
    if as_claim:
        assume = extract_assumptions(text, markdown=kind == "md")
        text, kind = _claim_body(kind, text), "claim"
    else:
        assume = []
    hows = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if assume and rng.random() < 0.15:
            k = rng.randrange(len(assume))
            assume[k], how = mutate(rng, assume[k], marker, sources)
            how = "assume:" + how
        else:
            text, how = mutate(rng, text, marker, sources)
        hows.append(how)
    return FuzzInput(index, "mutated:" + "+".join(hows), kind, text, assume)


# ---------------------------------------------------------------------------------------------
# the two tiers
# ---------------------------------------------------------------------------------------------
def _claims_of(item: FuzzInput) -> tuple[list[tuple[str, int | None]], list[str]]:
    """(claims, assumption lines) as ``diffproof claim`` reads them; DocumentError passes."""
    if item.kind == "claim":
        return [(item.text, None)], list(item.assume)
    markdown = item.kind == "md"
    displays = extract_displays(item.text, markdown=markdown)
    return ([(d.latex, d.line) for d in displays],
            extract_assumptions(item.text, markdown=markdown) + list(item.assume))


def read_one(item: FuzzInput) -> dict:
    """The reading tier for one input (runs in a worker): what diffproof does before checking.
    Documented errors are counted; any other exception propagates (a crash)."""
    found = Counter()
    masked: list[str] = []

    def note(error: LatexParseError) -> None:
        found[type(error).__name__] += 1
        if MASKED in str(error):
            masked.append(str(error)[:300])

    try:
        claims, lines = _claims_of(item)
    except DocumentError:
        found["DocumentError"] += 1
        return {"found": dict(found), "masked": masked, "steps": 0}
    try:
        assumptions = read_assumptions(lines)
    except LatexParseError as error:      # AssumptionError, or a parse error of the assumption
        note(error)
        return {"found": dict(found), "masked": masked, "steps": 0}
    file_text = "\n".join([latex for latex, _ in claims] + lines)
    steps = 0
    for latex, _ in claims:
        functions, _, _ = schedule_reading(latex, file_text, set(assumptions.context.functions))
        context = assumptions.context.copy()
        context.functions.update(functions)
        for number, line in enumerate(split_lines(latex)):
            try:
                parse_chain(line, context.copy(), allow_leading=number > 0)
            except LatexParseError as error:
                note(error)
        try:
            steps += len(build_steps(latex, replace(assumptions, context=context)))
        except LatexParseError as error:
            note(error)
    return {"found": dict(found), "masked": list(dict.fromkeys(masked)), "steps": steps}


def check_one(item: FuzzInput, options: Options) -> dict:
    """The checking tier for one input (runs here; check_text forks its own workers)."""
    try:
        claims, lines = _claims_of(item)
    except DocumentError:
        return {"status": "usage"}
    if not claims or any(len(latex) > MAX_DISPLAY_CHARS for latex, _ in claims):
        return {"status": "usage"}          # the command refuses these before checking
    results = check_text(claims, lines, options)
    terminal_text = printable(terminal.claim_report(results))
    json.dumps(as_json.claim_report(results), default=str)
    statuses = Counter(claim.status for claim in results)
    errors = [claim.internal or "; ".join(s.verdict.reason or "" for s in claim.steps
                                           if s.verdict.status == "error")
              for claim in results if claim.status == "error"]
    limits = [claim.reason for claim in results if claim.reason and HARD_LIMIT in claim.reason]
    limits += [s.verdict.reason for claim in results for s in claim.steps
               if s.verdict.reason and HARD_LIMIT in s.verdict.reason]
    # internal exceptions that reached the user as a parse error or inside a verdict's reason
    masked = [claim.error for claim in results if claim.error and MASKED in claim.error]
    masked += [s.verdict.reason for claim in results for s in claim.steps
               if s.verdict.status != "error" and s.verdict.reason
               and "internal error" in s.verdict.reason]
    raw = [ch for ch in terminal_text if ch not in "\n\t" and
           unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")]
    return {"status": "checked", "statuses": dict(statuses), "errors": errors, "limits": limits,
            "masked": masked, "raw_controls": len(raw)}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Report:
    """Counts and records of a run (or of one chunk; chunks are merged)."""

    read: int = 0
    checked: int = 0
    read_cpu: float = 0.0
    check_cpu: float = 0.0
    generators: Counter = field(default_factory=Counter)
    read_found: Counter = field(default_factory=Counter)
    read_outcomes: Counter = field(default_factory=Counter)
    check_statuses: Counter = field(default_factory=Counter)
    check_usage: int = 0
    steps: int = 0
    crashes: list = field(default_factory=list)
    limit_hits: list = field(default_factory=list)
    limit_count: Counter = field(default_factory=Counter)
    masked: list = field(default_factory=list)
    masked_count: int = 0
    executions: list = field(default_factory=list)

    def merge(self, other: "Report") -> None:
        for name, value in other.__dict__.items():
            mine = getattr(self, name)
            if isinstance(value, Counter):
                mine.update(value)
            elif isinstance(value, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)


def _record(item: FuzzInput, tier: str, what: str, message: str = "", trace: str = "") -> dict:
    return {"tier": tier, "what": what, "message": message[:2000], "trace": trace[-4000:],
            **asdict(item)}


def run_chunk(indices: list[int], seed: int, sentinel: str, check_every: int, read_limit: float,
              options: Options, keep: int) -> Report:
    """Read every input of ``indices`` (one run_each batch), check those with index divisible by
    ``check_every``; crashes and executions are always kept, other records up to ``keep``."""
    report = Report()
    items = [make_input(seed, i, sentinel) for i in indices]
    report.generators.update(item.generator.split(":")[0].split("+")[0] for item in items)
    started = _cpu()
    outcomes = run_each([partial(read_one, item) for item in items], read_limit, READ_MEMORY)
    report.read_cpu = _cpu() - started
    report.read = len(items)
    for item, outcome in zip(items, outcomes):
        report.read_outcomes[outcome.kind] += 1
        if outcome.kind == OK:
            report.read_found.update(outcome.value["found"])
            report.steps += outcome.value["steps"]
            report.masked_count += bool(outcome.value["masked"])
            if outcome.value["masked"] and len(report.masked) < keep:
                report.masked.append(_record(item, "read", "masked",
                                             outcome.value["masked"][0]))
        elif outcome.kind in (CPU, MEMORY):
            report.limit_count[f"read {outcome.kind}"] += 1
            if len(report.limit_hits) < keep:
                report.limit_hits.append(_record(item, "read", outcome.kind, outcome.describe()))
        else:   # ERROR (an exception) or CRASH (the worker died)
            report.crashes.append(_record(item, "read", outcome.kind, outcome.message,
                                          outcome.trace))
    started = _cpu()
    for item in items:
        if item.index % check_every:
            continue
        report.checked += 1
        try:
            result = check_one(item, options)
        except Exception as error:  # noqa: BLE001 - a crash of the pipeline itself
            import traceback  # noqa: PLC0415
            report.crashes.append(_record(item, "check", "exception",
                                          f"{type(error).__name__}: {error}",
                                          traceback.format_exc()))
            continue
        if result["status"] == "usage":
            report.check_usage += 1
            continue
        report.check_statuses.update(result["statuses"])
        for message in result["errors"]:
            report.crashes.append(_record(item, "check", "error", message))
        report.masked_count += bool(result["masked"])
        if result["masked"] and len(report.masked) < keep:
            report.masked.append(_record(item, "check", "masked", result["masked"][0]))
        if result["raw_controls"]:
            report.crashes.append(_record(item, "check", "raw control characters in the report"))
        if result["limits"]:
            report.limit_count["check"] += 1
            if len(report.limit_hits) < keep:
                report.limit_hits.append(_record(item, "check", "cpu", result["limits"][0]))
    report.check_cpu = _cpu() - started
    for item in items:
        marker = os.path.join(sentinel, f"m{item.index}")
        if os.path.exists(marker):
            report.executions.append(_record(item, "read/check", "marker file created"))
            os.remove(marker)
    return report


# ---------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------
def _warm() -> None:
    """Parse the corpus once here, so every forked worker starts with warm caches."""
    for kind, text in corpus()[:60]:
        item = FuzzInput(-1, "warm", kind, text)
        try:
            read_one(item)
        except Exception:  # noqa: BLE001 - warming only; the run reports real crashes
            pass


def _chunks(count: int, size: int) -> list[list[int]]:
    return [list(range(start, min(count, start + size))) for start in range(0, count, size)]


def _progress(done: int, total: int, report: Report, started: float, final: bool = False) -> None:
    wall = time.monotonic() - started
    rate = done / wall if wall > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    start = "\r" if sys.stderr.isatty() else ""
    print(f"{start}read {done}/{total} ({100 * done / max(total, 1):.0f}%), "
          f"checked {report.checked}, crashes {len(report.crashes)}, "
          f"executions {len(report.executions)}, limit hits {sum(report.limit_count.values())}; "
          f"{rate:.1f} inputs/s, ETA {eta / 60:.0f} min   ",
          end="\n" if final else "", file=sys.stderr, flush=True)


def run(count: int, seed: int, check_every: int, jobs: int, chunk: int, read_limit: float,
        options: Options, keep: int, progress: str | None) -> tuple[Report, float, float, str]:
    """The whole run; returns (report, wall seconds, CPU seconds, sentinel directory).
    ``progress``: "tty" (one line redrawn), "lines" (a line a minute, for logs) or None."""
    sentinel = tempfile.mkdtemp(prefix="diffproof-fuzz-sentinel-")
    _warm()
    report = Report()
    started, cpu_started = time.monotonic(), _cpu()
    work = partial(run_chunk, seed=seed, sentinel=sentinel, check_every=check_every,
                   read_limit=read_limit, options=options, keep=keep)
    chunks = _chunks(count, chunk)
    last = 0.0

    def take(part: Report) -> None:
        nonlocal last
        report.merge(part)
        if progress and time.monotonic() - last > (0.5 if progress == "tty" else 60.0):
            last = time.monotonic()
            _progress(report.read, count, report, started, final=progress != "tty")

    try:
        if jobs == 1:
            for indices in chunks:
                take(work(indices))
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(jobs, maxtasksperchild=20) as pool:
                for part in pool.imap_unordered(work, chunks):
                    take(part)
                pool.close()
                pool.join()
    except KeyboardInterrupt:
        print("\nbench_fuzz: interrupted; reporting what was done", file=sys.stderr)
    if progress == "tty":
        _progress(report.read, count, report, started, final=True)
    for name in sorted(os.listdir(sentinel)):     # a payload that ran outside a chunk's check
        report.executions.append({"marker": name, "note": "found at the end of the run"})
    shutil.rmtree(sentinel, ignore_errors=True)
    return report, time.monotonic() - started, _cpu() - cpu_started, sentinel


def summary(report: Report, wall: float, cpu: float, args) -> str:
    per_read = report.read_cpu / report.read if report.read else 0.0
    per_check = report.check_cpu / report.checked if report.checked else 0.0
    full = FULL_COUNT * per_read + (FULL_COUNT / FULL_CHECK_EVERY) * per_check
    found = ", ".join(f"{k} {v}" for k, v in report.read_found.most_common()) or "none"
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.read_outcomes.items()))
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.check_statuses.items())) or "none"
    limits = ", ".join(f"{k} {v}" for k, v in sorted(report.limit_count.items())) or "none"
    generators = ", ".join(f"{k} {v}" for k, v in sorted(report.generators.items()))
    lines = [
        f"bench_fuzz: seed {args.seed}, {report.read} inputs ({generators}), read limit "
        f"{args.read_limit:g} CPU s, check every {args.check_every} (Options(max_examples="
        f"{args.max_examples}, limit={args.check_limit:g}, budget={args.budget:g})), "
        f"{args.jobs} job(s)",
        f"read tier: {report.read} inputs, worker outcomes: {outcomes}; {report.steps} steps built; "
        f"documented errors met: {found}",
        f"check tier: {report.checked} inputs ({report.check_usage} refused as usage errors); "
        f"claims: {statuses}",
        f"inputs with masked internal errors (parse errors '{MASKED}: ...', verdicts whose "
        f"reason names an internal error): {report.masked_count}",
        f"limit hits: {limits}",
        f"crashes: {len(report.crashes)}; code executions (marker files): {len(report.executions)}",
        f"time: {wall:.1f} s wall, {cpu:.1f} CPU s (this process and its workers); read tier "
        f"{report.read_cpu:.1f} CPU s ({1000 * per_read:.1f} ms/input), check tier "
        f"{report.check_cpu:.1f} CPU s ({per_check:.2f} s/input)",
        f"rate: {report.read / cpu if cpu else 0:.1f} inputs per CPU-second",
        f"estimate for the full run (--count {FULL_COUNT} --check-every {FULL_CHECK_EVERY}): "
        f"{full:.0f} CPU s, about {full / 2 / 60:.0f} min wall with --jobs 2 on 2 idle cores",
    ]
    return "\n".join(lines)


def _write(path: str, report: Report, args, wall: float, cpu: float) -> None:
    data = {"seed": args.seed, "count": args.count, "check_every": args.check_every,
            "read_limit": args.read_limit, "check_options": {
                "max_examples": args.max_examples, "limit": args.check_limit,
                "budget": args.budget},
            "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "crashes": report.crashes, "executions": report.executions,
            "limit_hits": report.limit_hits, "limit_count": dict(report.limit_count),
            "masked": report.masked, "masked_count": report.masked_count}
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def replay(path: str, read_limit: float, options: Options) -> int:
    """Run the inputs of a failures file again through both tiers; 1 if any still crashes."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    entries = data.get("crashes", []) + data.get("limit_hits", []) + data.get("masked", [])
    failed = 0
    for entry in entries:
        item = FuzzInput(entry["index"], entry["generator"], entry["kind"], entry["text"],
                         entry.get("assume", []))
        outcome = run_each([partial(read_one, item)], read_limit, READ_MEMORY)[0]
        line = f"input {item.index} ({entry['tier']} {entry['what']}): read {outcome.kind}"
        crash = outcome.kind in (ERROR, CRASH)
        if outcome.kind == ERROR:
            line += f" {outcome.message}"
        try:
            result = check_one(item, options)
            line += f"; check {result.get('statuses', result['status'])}"
            crash = crash or bool(result.get("errors"))
        except Exception as error:  # noqa: BLE001
            line += f"; check raised {type(error).__name__}: {error}"
            crash = True
        failed += crash
        print(printable(line))
    print(f"{len(entries)} input(s) replayed, {failed} still crash")
    return 1 if failed else 0


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=_positive(int), default=FULL_COUNT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check-every", type=_positive(int), default=FULL_CHECK_EVERY,
                        help="check fully one input in N (default 100)")
    parser.add_argument("--jobs", type=_positive(int), default=1,
                        help="processes reading and checking in parallel (default 1)")
    parser.add_argument("--chunk", type=_positive(int), default=100,
                        help="inputs per worker batch (default 100)")
    parser.add_argument("--read-limit", type=_positive(float), default=2.0,
                        help="CPU seconds to read one input (default 2)")
    parser.add_argument("--check-limit", type=_positive(float), default=CHECK_OPTIONS["limit"])
    parser.add_argument("--budget", type=_positive(float), default=CHECK_OPTIONS["budget"])
    parser.add_argument("--max-examples", type=_positive(int), default=CHECK_OPTIONS["max_examples"])
    parser.add_argument("--keep", type=_positive(int), default=2000,
                        help="limit hits and masked errors saved per chunk (crashes: all)")
    parser.add_argument("--out", default="fuzz-failures.json",
                        help="JSON file of the failing inputs (default fuzz-failures.json)")
    parser.add_argument("--replay", metavar="FILE", help="run the inputs of a failures file again")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    options = Options(max_examples=args.max_examples, limit=max(args.check_limit, args.budget),
                      budget=args.budget)
    if args.replay:
        return replay(args.replay, args.read_limit, options)
    progress = None if args.no_progress else "tty" if sys.stderr.isatty() else "lines"
    report, wall, cpu, _ = run(args.count, args.seed, args.check_every, args.jobs, args.chunk,
                               args.read_limit, options, args.keep, progress)
    print(summary(report, wall, cpu, args))
    _write(args.out, report, args, wall, cpu)
    print(f"failing inputs: {args.out} ({len(report.crashes)} crash(es), "
          f"{len(report.executions)} execution(s), {len(report.limit_hits)} limit hit(s) saved)")
    kinds = Counter(re.sub(r"'[^']*'|\d{6,}", "...", entry["message"])[:120]
                    for entry in report.masked)
    for kind, number in kinds.most_common(8):
        print(printable(f"  masked x{number} (of those saved): {kind}"))
    for crash in report.crashes[:10]:
        print(printable(f"  crash [{crash['tier']} {crash['what']}] input {crash['index']} "
                        f"({crash['generator']}): {crash['message'][:200]}"))
    return 1 if report.crashes or report.executions else 0


if __name__ == "__main__":
    sys.exit(main())
