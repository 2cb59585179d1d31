"""Fuzzing: generated and mutated LaTeX never crashes the parser or ``diffproof claim``; every
input gets a verdict or a LatexParseError (exit code 2) with a message."""
import os

from hypothesis import given, settings, strategies as st

from diffproof.derive.latex.tokens import LatexParseError
from diffproof.derive.notation_reader import parse_relation
from diffproof.proofs.checker import Options
from diffproof.proofs.claims.document import split_lines
from diffproof.proofs.claims.run import check_text
from diffproof.proofs.claims.steps import UNPARSABLE
from diffproof.proofs.cli import main

ATOMS = [r"x_t", r"\bar\alpha_t", r"\bar{\alpha}_{t-1}", r"\alpha_t", r"\beta_t", r"\tilde\beta_t",
         r"\sigma", r"\sigma_{\min}", r"\mathbf{x}_0", r"\epsilon_0", r"t", r"u", r"w_1", "2",
         "1", "0", "3.5", r"\pi", "e", r"\mathrm{SNR}(t)", r"\Sigma_q(t)", r"\mu_q(x_t, x_0)"]
OPS = [r"{a} + {b}", r"{a} - {b}", r"{a} {b}", r"{a} \cdot {b}", r"\frac{{{a}}}{{{b}}}",
       r"\sqrt{{{a}}}", r"{{{a}}}^{{{b}}}", r"\left({a}\right)", r"\log\left({a}\right)",
       r"\exp({a})", r"-{a}", r"\frac{{d}}{{dt}}\left({a}\right)", r"\int_0^1 {a} \, du",
       r"\sum_{{i=1}}^{{3}} {a}", r"\mathcal{{N}}({a}; {b}, 1)", r"|{a}|", r"\min({a}, {b})"]
RELS = ["=", r"\le", r"\ge", r"\propto", "<", r"\approx"]


def _combine(children):
    return st.tuples(st.sampled_from(OPS), children, children).map(
        lambda parts: parts[0].format(a=parts[1], b=parts[2]))


FORMULAS = st.recursive(st.sampled_from(ATOMS), _combine, max_leaves=6)
CLAIMS = st.tuples(FORMULAS, st.sampled_from(RELS), FORMULAS).map(" ".join)
ALPHABET = list("{}()[]^_\\&=+-/|,;.' ") + [r"\frac", r"\sqrt", r"\\", r"\left(", r"\right)",
                                             r"\bar", "x", "t", "1", r"\int", r"\sum", r"\mathcal"]
CORPUS = os.path.join(os.path.dirname(__file__), "claims")
SEEDS = [open(os.path.join(CORPUS, f), encoding="utf-8").read() for f in sorted(os.listdir(CORPUS))]


@st.composite
def mutated(draw):
    """A corpus display with a few characters deleted, inserted, or swapped."""
    text = draw(st.sampled_from(SEEDS))
    body = split_lines(text.split("$$")[1] if "$$" in text else text)
    line = " \\\\ ".join(body)
    for _ in range(draw(st.integers(1, 4))):
        if not line:
            break
        i = draw(st.integers(0, len(line) - 1))
        action = draw(st.sampled_from(["delete", "insert", "swap"]))
        if action == "delete":
            line = line[:i] + line[i + 1:]
        elif action == "insert":
            line = line[:i] + draw(st.sampled_from(ALPHABET)) + line[i:]
        elif i + 1 < len(line):
            line = line[:i] + line[i + 1] + line[i] + line[i + 2:]
    return line


def _parse_or_clear_error(text):
    try:
        parse_relation(text)
    except LatexParseError as error:
        assert str(error) and error.message


@settings(max_examples=300)
@given(st.one_of(CLAIMS, mutated(), st.text(max_size=40)))
def test_parser_never_crashes(text):
    _parse_or_clear_error(text)


FAST = Options(budget=0.2, max_examples=5)


@settings(max_examples=40)
@given(st.one_of(CLAIMS, mutated()))
def test_claim_checking_never_crashes(text):
    (claim,) = check_text([(text, None)], [], FAST)
    assert claim.status in ("holds", "fails", "undecided", UNPARSABLE)
    if claim.status == UNPARSABLE:
        assert claim.error
    for step in claim.steps:
        assert step.verdict.status in ("holds", "fails", "undecided")
        if step.verdict.status == "fails":
            assert step.verdict.counterexample is not None


@settings(max_examples=15)
@given(mutated())
def test_command_exit_codes_on_mutated_input(text):
    code = main(["claim", "--budget", "0.2", text])
    assert code in (0, 1, 2)


ASSUMPTIONS = [r"0 < \alpha_t < 1", r"\bar{\alpha}_t = \alpha_t \bar{\alpha}_{t-1}",
               r"\sigma(t) = \sigma_{\min}\left(\frac{\sigma_{\max}}{\sigma_{\min}}\right)^{t}",
               r"g(t) = \sqrt{\frac{d}{dt}\sigma(t)^2}", r"h_a > 0, h_b \in (0, 1)",
               r"\sigma_t^2 = 1 - \bar\alpha_t"]


@st.composite
def mutated_assumption(draw):
    line = draw(st.sampled_from(ASSUMPTIONS))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(line) - 1))
        line = line[:i] + draw(st.sampled_from(ALPHABET + [""])) + line[i + 1:]
    return line


@settings(max_examples=40)
@given(st.lists(mutated_assumption(), min_size=1, max_size=3))
def test_assumption_lines_never_crash(lines):
    (claim,) = check_text([(r"g(t) = g(t)", None)], lines, FAST)
    assert claim.status in ("holds", "fails", "undecided", UNPARSABLE)
    if claim.status == UNPARSABLE:
        assert claim.error
