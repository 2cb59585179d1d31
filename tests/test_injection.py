"""No name from user text ever runs as code (issue: a LaTeX file could run shell commands).

The attack: an undefined function's subscript became its SymPy name, and ``lambdify`` pasted the
name into the Python source it executed.  Every compilation now goes through
``derive.codegen.safe_lambdify`` (generated identifiers only, SymPy's own node types only, the code
object's names checked).  These tests feed an injection corpus through every path that reads user
text and evaluates it: claims on the command line, ``--assume``, ``.tex`` files with ``% assume:``,
``.md`` files with ``<!-- assume: -->``, ``--json``, user derivation files, and the compiler itself.
A payload that ran would create a marker file; none may appear.
"""
from __future__ import annotations

import pathlib
import random
import re
import sys

import pytest
import sympy as sp

from diffproof.derive.codegen import UnsafeExpression, safe_lambdify
from diffproof.proofs.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def payloads(marker: pathlib.Path) -> list[str]:
    """Python that creates ``marker`` if it is ever executed, in the shapes names can take."""
    m = str(marker)
    return [
        f"(0)if(open('{m}','w'))else(abs)",
        f"(0)if(\\text{{__import__('os').system('touch {m}')}})else(abs)",
        f"__import__('pathlib').Path('{m}').touch()",
        f"[open('{m}','w')for(_)in(0,)][0]",
        f"abs;open('{m}','w')",
        f"x)or(open('{m}','w')",
        f"lambda:open('{m}','w')",
        "__builtins__",
        "__class__.__mro__",
        f"\"{m}\"",
        f"'{m}'",
        "ｏｓ．ｓｙｓｔｅｍ（１）",            # fullwidth look-alikes
        "оs.system",                           # Cyrillic o
    ]


def claim_texts(payload: str) -> list[list[str]]:
    """argv lists that carry the payload as a function subscript, a symbol subscript, text."""
    return [
        ["claim", "--assume", f"y = f_{{{payload}}}(\\alpha_t)", "y = \\alpha_t"],
        ["claim", "--json", "--assume", f"y = f_{{{payload}}}(\\alpha_t)", "y = \\alpha_t"],
        ["claim", f"x_{{{payload}}} = x_{{{payload}}} + 0"],
        ["claim", f"g_{{{payload}}}(\\alpha_t) = \\alpha_t"],
        ["claim", f"\\operatorname{{{payload}}}(\\alpha_t) = 1"],
    ]


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "an injected payload ran"


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("index", range(13))
def test_claim_arguments_never_run_as_code(capsys, marker, index):
    payload = payloads(marker)[index]
    for argv in claim_texts(payload):
        _run(capsys, argv)


@pytest.mark.parametrize("number", range(13))
def test_tex_and_markdown_assumptions_never_run_as_code(capsys, marker, tmp_path, number):
    for payload in payloads(marker)[number:number + 1]:
        tex = tmp_path / f"notes{number}.tex"
        tex.write_text(f"% assume: y = f_{{{payload}}}(\\alpha_t)\n$$ y = \\alpha_t $$\n",
                       encoding="utf-8")
        md = tmp_path / f"notes{number}.md"
        md.write_text(f"<!-- assume: y = f_{{{payload}}}(\\alpha_t) -->\n\n$$ y = \\alpha_t $$\n",
                      encoding="utf-8")
        for path in (tex, md):
            _run(capsys, ["claim", "--file", str(path)])
            _run(capsys, ["claim", "--json", "--file", str(path)])


def test_user_derivation_files_compile_names_safely(capsys, marker, tmp_path):
    """A derivation file is the user's own Python, but the names it gives symbols are still data."""
    names = [p for p in payloads(marker) if "\\" not in p]
    user = tmp_path / "hostile.py"
    user.write_text(
        "import sympy as sp\n"
        "from diffproof.derive.derivation import Derivation, Step\n"
        f"NAMES = {names!r}\n"
        "DERIVATIONS = []\n"
        "for i, name in enumerate(NAMES):\n"
        "    a = sp.Symbol(name, positive=True)\n"
        "    f = sp.Function(name)\n"
        "    DERIVATIONS.append(Derivation(f'd{i}', 'hostile', start=a + a,\n"
        "        steps=[Step(2 * a, 'double'), Step(f(a) + 2 * a - f(a), 'unknown function')]))\n",
        encoding="utf-8")
    code, out, _ = _run(capsys, ["check", "--no-checks", str(user)])
    assert code == 0 and "FAIL" not in out


def test_safe_lambdify_renames_and_checks(marker):
    hostile = sp.Symbol(f"__import__('os').system('touch {marker}')", positive=True)
    function = safe_lambdify([hostile], hostile ** 2 + 1, modules="mpmath")
    assert function(3) == 10
    source = "".join(sys.modules["linecache"].getlines(function.__code__.co_filename))
    assert "import" not in source and "touch" not in source
    assert re.findall(r"_x\d+", source)


def test_safe_lambdify_refuses_undefined_functions_and_strings(marker):
    x = sp.Symbol("x")
    with pytest.raises(UnsafeExpression):
        safe_lambdify([x], sp.Function(f"open('{marker}','w')")(x))
    with pytest.raises(UnsafeExpression):
        safe_lambdify([x], sp.MatrixSymbol(f"open('{marker}','w')", 2, 2))
    with pytest.raises(UnsafeExpression):
        safe_lambdify([x], f"open('{marker}','w')")


def test_no_import_happens_when_compiling_a_hostile_name():
    assert "wave" not in sys.modules
    hostile = sp.Symbol("__import__('wave')")
    bound = sp.Symbol("__import__('wave').x")
    integral = sp.Integral(bound ** 2, (bound, 0, hostile))
    safe_lambdify([hostile], integral, modules="mpmath")(1)
    assert "wave" not in sys.modules


def test_lambdify_is_called_only_by_derive_codegen():
    calls = []
    for folder in ("derive", "numeric", "proofs"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"\blambdify\s*\(", text.replace("safe_lambdify", "")):
                calls.append(str(path.relative_to(ROOT)))
    assert calls == ["derive/codegen.py"]


NAME_PARTS = list("()[]{}'\"_.,;:=+-*/%<>!&|^~@#`$ \\") + \
    ["os", "import", "open", "exec", "eval", "lambda", "__", "if", "else", "for", "in", "system",
     "x", "0", "1", "MARK"]


def fuzzed_names(count: int, seed: int) -> list[str]:
    """Random names made of Python syntax (seeded: a failure reproduces).  Not drawn with
    Hypothesis: the checker runs Hypothesis itself, which cannot nest inside @given."""
    rng = random.Random(seed)
    return ["".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(1, 12))) for _ in range(count)]


@pytest.mark.parametrize("seed", range(5))
def test_fuzzed_names_never_run(tmp_path, seed):
    """Random names in every name position of a claim; CI runs 5 x 5 names, the benchmark
    benchmarks/bench_fuzz.py runs many more."""
    from diffproof.proofs.claims.run import check_text
    from diffproof.proofs.checker import Options

    marker = tmp_path / "pwned"
    for name in fuzzed_names(5, seed):
        name = name.replace("MARK", f"open('{marker}','w')")
        claims = [("y = \\alpha_t", None), (f"x_{{{name}}} = 1", None),
                  (f"f_{{{name}}}(\\alpha_t) = \\alpha_t", None)]
        for claim in check_text(claims, [f"y = f_{{{name}}}(\\alpha_t)"],
                                Options(max_examples=5, limit=20)):
            assert claim.status != "error", (name, claim.internal,
                                             [s.verdict.reason for s in claim.steps])
        assert not marker.exists()
