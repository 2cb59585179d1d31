"""Reading a document for ``diffproof claim`` (proofs.claims.document): linear on pathological input,
bounded in size, markdown code blocks skipped, and the same results as the former regexes."""
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from diffproof.proofs.claims import document as reader
from diffproof.proofs.claims.document import (MAX_DISPLAY_CHARS, MAX_DISPLAYS, MAX_DOCUMENT_BYTES,
                                    DocumentError, extract_assumptions, extract_displays,
                                    read_document, split_lines)
from diffproof.proofs.loader import UsageError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 500_000
CPU_SECONDS = 20          # the former reader was quadratic: 20 s to half an hour on these


# ---------------------------------------------------------------------------------------------
# (a) pathological inputs: each read once in a child process under a CPU-time limit
# ---------------------------------------------------------------------------------------------
def _summary(result) -> list:
    """Count, then (length, start) of the first and last item; Display items add their line."""
    def item(x):
        text = x.latex if isinstance(x, reader.Display) else x
        return [len(text), text[:12]] + ([x.line] if isinstance(x, reader.Display) else [])
    return [len(result)] + [item(x) for x in result[:1] + result[-1:]]


PATHOLOGICAL = {
    # name: (reader, text, summary expected)
    "open_brackets": (extract_displays, lambda: "\\[" * (SIZE // 2), [0]),
    "dollars": (extract_displays, lambda: "$$" * (SIZE // 2), [SIZE // 5, [1, "$", 1], [1, "$", 1]]),
    "unclosed_equations": (extract_displays, lambda: "\\begin{equation}" * (SIZE // 16), [0]),
    "unclosed_then_closed": (extract_displays, lambda: "\\[ a\n" * (SIZE // 5) + "\\]",
                             [1, [SIZE - 2, " a\n\\[ a\n\\[ a", 1], [SIZE - 2, " a\n\\[ a\n\\[ a", 1]]),
    "braces": (extract_displays, lambda: "{" * SIZE, [0]),
    "assume_spaces": (extract_assumptions, lambda: "% assume: a" + " " * SIZE + "b\n",
                      [1, [SIZE + 2, "a" + " " * 11], [SIZE + 2, "a" + " " * 11]]),
    "assume_trailing_spaces": (extract_assumptions, lambda: "% assume: a > 0" + " " * SIZE + "\nx",
                               [1, [5, "a > 0"], [5, "a > 0"]]),
    "html_assume_spaces": (extract_assumptions, lambda: "<!-- assume: a" + " " * SIZE + "b -->",
                           [1, [SIZE + 2, "a" + " " * 11], [SIZE + 2, "a" + " " * 11]]),
    "html_assume_unclosed": (extract_assumptions, lambda: "<!-- assume: a" + " " * SIZE, [0]),
    "blank_lines_then_percent": (extract_assumptions, lambda: "\n" * SIZE + "% no", [0]),
    "ampersands": (lambda text: split_lines(extract_displays(text)[0].latex),
                   lambda: "$$a = b" + "&" * SIZE + "$$", [1, [5, "a = b"], [5, "a = b"]]),
    "line_breaks": (lambda text: split_lines(extract_displays(text)[0].latex),
                    lambda: "$$a = b" + "\\\\" * (SIZE // 2) + "$$", [1, [5, "a = b"], [5, "a = b"]]),
    "continuations": (split_lines, lambda: "a = b" + " \\\\ + c" * (SIZE // 7),
                      [1, [5 + 4 * (SIZE // 7), "a = b + c + "], [5 + 4 * (SIZE // 7), "a = b + c + "]]),
    "display_of_braces": (lambda text: split_lines(extract_displays(text)[0].latex),
                          lambda: "$$" + "{" * SIZE + "$$", [1, [SIZE, "{" * 12], [SIZE, "{" * 12]]),
    "justification_spaces": (split_lines, lambda: "a = b \\text{x}" + " " * SIZE + "c",
                             [1, [7, "a = b c"], [7, "a = b c"]]),
    "markdown_fences": (lambda text: extract_displays(text, markdown=True),
                        lambda: "~~~\n" + "$$a$$\n" * (SIZE // 6), [0]),
}


def run_case(name: str) -> list:
    """The summary of one pathological case, the display limits lifted (used by the child)."""
    read, text, _ = PATHOLOGICAL[name]
    reader.MAX_DISPLAYS = reader.MAX_DISPLAY_CHARS = 10 ** 9
    return _summary(read(text()))


_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
from tests.test_claim_document import run_case
print(json.dumps(run_case(sys.argv[1])))
"""


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_is_read_within_a_cpu_limit(name):
    """500 KB inputs on which the former reader was quadratic, read in a child limited to
    CPU_SECONDS of CPU time (killed by SIGXCPU past it), with the right result."""
    done = subprocess.run([sys.executable, "-c", _CHILD.format(cpu=CPU_SECONDS), name], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, f"{name}: exit {done.returncode} (-24 is SIGXCPU)\n{done.stderr}"
    assert json.loads(done.stdout) == PATHOLOGICAL[name][2]


def test_display_limits_name_the_line_and_the_limit():
    with pytest.raises(DocumentError, match=f"more than {MAX_DISPLAYS} displayed equations"):
        extract_displays("$$" * (SIZE // 2))
    long = "text\n\n$$" + "x" * (MAX_DISPLAY_CHARS + 1) + "$$"
    with pytest.raises(DocumentError, match=f"display at line 3 has {MAX_DISPLAY_CHARS + 1} "
                                            f"characters; a display may have at most"):
        extract_displays(long)
    at_limits = "$$" + "x" * MAX_DISPLAY_CHARS + "$$\n" + "$$y$$\n" * (MAX_DISPLAYS - 1)
    assert len(extract_displays(at_limits)) == MAX_DISPLAYS


# ---------------------------------------------------------------------------------------------
# (b) reading a file
# ---------------------------------------------------------------------------------------------
def test_read_document_limits_the_size(tmp_path):
    path = tmp_path / "big.tex"
    path.write_bytes(b"%" * MAX_DOCUMENT_BYTES)
    assert len(read_document(str(path))) == MAX_DOCUMENT_BYTES
    path.write_bytes(b"%" * (2 * MAX_DOCUMENT_BYTES))
    with pytest.raises(UsageError) as error:
        read_document(str(path))
    assert str(error.value) == (f"{path} is 2.0 MiB (2097152 bytes); a document may have at most "
                                f"1.0 MiB (1048576 bytes)")


def test_read_document_names_the_problem(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("$$a = b$$ % caf\u00e9 au lait".encode("latin-1"))
    with pytest.raises(DocumentError, match=r"latin1\.md is not UTF-8 text: byte 0xe9 at offset "
                                            r"15 \(invalid continuation byte\)"):
        read_document(str(path))
    with pytest.raises(DocumentError, match="no such file: .*missing.tex"):
        read_document(str(tmp_path / "missing.tex"))
    with pytest.raises(DocumentError, match=f"cannot read {re.escape(str(tmp_path))}: Is a directory"):
        read_document(str(tmp_path))
    path.write_bytes(b"\xef\xbb\xbf% assume: a > 0\n")
    assert extract_assumptions(read_document(str(path))) == ["a > 0"]


# ---------------------------------------------------------------------------------------------
# (c) markdown: fenced code is not checked
# ---------------------------------------------------------------------------------------------
MARKDOWN = """# Notes
$$a = b$$
```latex
$$c = d$$
% assume: x > 0
```
  ~~~~
  \\[e = f\\]
  ~~~
  ~~~~~
<!-- assume: y > 0 -->
``` not a fence ```
\\[g = h\\]
````
$$i = j$$
"""


def test_markdown_skips_fenced_code_and_keeps_line_numbers():
    shown = [(d.latex, d.line) for d in extract_displays(MARKDOWN, markdown=True)]
    assert shown == [("a = b", 2), ("g = h", 13)]           # the last fence is never closed
    assert extract_assumptions(MARKDOWN, markdown=True) == ["y > 0"]


def test_latex_reads_everything():
    assert [d.latex for d in extract_displays(MARKDOWN)] == ["a = b", "c = d", "e = f", "g = h",
                                                             "i = j"]
    assert extract_assumptions(MARKDOWN) == ["x > 0", "y > 0"]
    assert reader.is_markdown("notes.MD") and not reader.is_markdown("notes.tex")


# ---------------------------------------------------------------------------------------------
# (d) the same results as straightforward references on small documents
# ---------------------------------------------------------------------------------------------
ENVIRONMENTS = ["equation", "align", "aligned", "gather", "gathered", "multline", "eqnarray",
                "split"]
# the former reader, verbatim: right on small inputs, quadratic on large ones
FORMER_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\begin\{((" + "|".join(ENVIRONMENTS)
                            + r")\*?)\}(.+?)\\end\{\3\}", re.S)
FORMER_ASSUME = re.compile(r"^\s*%\s*assume:\s*(.+?)\s*$|<!--\s*assume:\s*(.+?)\s*-->", re.M)
FORMER_JUSTIFICATION = re.compile(r"\\(q?quad|text|textrm|mbox)\s*\{[^{}]*\}\s*[.,;]?\s*$")


def reference_displays(text: str) -> list[tuple[str, int]]:
    """Try every position in turn; an opening is a display when its closing follows."""
    closings = {"$$": "$$", "\\[": "\\]"}
    for name in ENVIRONMENTS:
        for star in ("", "*"):
            closings[f"\\begin{{{name}{star}}}"] = f"\\end{{{name}{star}}}"
    found, i = [], 0
    while i < len(text):
        for opening, closing in closings.items():
            end = text.find(closing, i + len(opening) + 1) if text.startswith(opening, i) else -1
            if end >= 0:
                found.append((text[i + len(opening):end], text[:i].count("\n") + 1))
                i = end + len(closing)
                break
        else:
            i += 1
    return found


def reference_code_free(text: str) -> str:
    """Markdown with the lines of fenced code blocks emptied."""
    lines, fence = text.split("\n"), None
    for index, line in enumerate(lines):
        match = re.match(r"[ \t]*(`{3,}|~{3,})(.*)", line)
        if fence is None and match and not (match[1][0] == "`" and "`" in match[2]):
            fence = match[1]
        elif fence is not None:
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence) \
                    and not match[2].strip():
                fence = None
        else:
            continue
        lines[index] = ""
    return "\n".join(lines)


TOKENS = ["$$", "$", "\\[", "\\]", "\\begin{equation}", "\\end{equation}", "\\begin{align*}",
          "\\end{align*}", "\\begin{aligned}", "\\end{aligned}", "\\begin{", "}", "% assume:", "%",
          "assume:", "<!--", "-->", "<!-- assume:", "a = b", "x", " ", "\t", "\n", "\n\n", "\r\n",
          "```", "~~~", "````", "-", ">"]
DOCUMENTS = st.lists(st.sampled_from(TOKENS), max_size=16).map("".join)


@settings(max_examples=1500)
@given(DOCUMENTS, st.booleans())
def test_agrees_with_references_and_the_former_reader(text, markdown):
    read = reference_code_free(text) if markdown else text
    displays = [(d.latex, d.line) for d in extract_displays(text, markdown)]
    assert displays == reference_displays(read)
    assert displays == [(m[1] or m[2] or m[5], read.count("\n", 0, m.start()) + 1)
                        for m in FORMER_DISPLAY.finditer(read)]
    assert extract_assumptions(text, markdown) == [m[1] or m[2] for m in
                                                   FORMER_ASSUME.finditer(read)]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(["\\text{a}", "\\quad", "{", "}", " ", "\n", ".", ",", ";", "x",
                                 "\\mbox{b c}"]), max_size=10).map("".join))
def test_justification_agrees_with_the_former_pattern(line):
    assert reader._JUSTIFICATION.sub("", line) == FORMER_JUSTIFICATION.sub("", line)
