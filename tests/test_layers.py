"""The project's layers, read from the source with ``ast`` (nothing is imported).

Modules are named here by their folders (``derive.symbols``); installed, they are
``diffproof.derive.symbols``, and the project imports itself only by those names.

derive (the symbolic core) imports neither numeric nor proofs; numeric may import derive; proofs may
import both.  Every module of derive/, numeric/ and proofs/ is parsed; its imports of the project's
own modules, at module level and inside functions (relative imports resolved), make one graph,
which must have no cycle.

A function-level import of the project's own modules hides a dependency (from a reader, and from
an import-time cycle).  It is allowed only in the modules of ``FUNCTION_LEVEL_IMPORTS``, each
with its reason, and that list can only shrink: a module that no longer has such an import fails
the test until its entry is removed.

Imports by name string (``importlib.import_module`` in derive/__init__.py, proofs/catalog,
proofs/commands) are not seen here.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("derive", "numeric", "proofs")
# what each package may import besides itself
MAY_IMPORT = {"derive": set(), "numeric": {"derive"}, "proofs": {"derive", "numeric"}}

DEFERS_SYMPY = ("defers SymPy: diffproof list, --help and an unknown id answer without "
                "importing it (the lazy catalog)")
# module -> why it imports project modules inside functions.  Only shrinks.
FUNCTION_LEVEL_IMPORTS = {
    "numeric.torchdiff": "defers torch: a schedule is imported on first use (__getattr__)",
    "numeric.torchdiff.config": "defers torch: the config is read and checked without it",
    "proofs.commands.sample": "defers torch (numeric.torchdiff) to the command's run",
    "proofs.commands.train": "defers torch (numeric.torchdiff) to the command's run",
    "proofs.commands.conform": "defers torch, diffusers and SymPy (numeric.conform) to the "
                               "command's run: a missing extra is a usage error",
    "proofs.catalog": DEFERS_SYMPY,
    "proofs.catalog.registry": DEFERS_SYMPY,
    "proofs.commands.check": DEFERS_SYMPY + " (an unknown id is reported before the checker "
                             "is imported)",
    "proofs.commands.errata": DEFERS_SYMPY + " (the errata are built by the command)",
    "proofs.loader": DEFERS_SYMPY,
    "proofs.options": DEFERS_SYMPY,
    "proofs.commands.claim": DEFERS_SYMPY + " (the claim checker is imported by the command)",
    "proofs.commands.latex": DEFERS_SYMPY + " (the catalog is imported by the command)",
    "proofs.commands.html": DEFERS_SYMPY + " (the checker and the pages are imported by the "
                            "command)",
}


@dataclass(frozen=True)
class Import:
    source: str           # the importing module
    target: str           # the project module it imports
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file, for every module of the project's packages under ``root``."""
    return {module_name(path, root): path for package in PACKAGES
            for path in sorted((root / package).rglob("*.py"))}


def absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        return name or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[:len(parts) - (level - 1)]
    return ".".join(parts + ([name] if name else []))


def bare_imports(root: Path = ROOT) -> list[str]:
    """Absolute imports of ``derive``/``numeric``/``proofs`` by their folder names: installed,
    they exist only as ``diffproof.derive`` and so on (pyproject.toml), so such an import works
    in the source tree and fails for every user."""
    found = []
    for module, path in project_modules(root).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [f"{module}:{node.lineno} imports {name}" for name in names
                      if name and name.split(".")[0] in PACKAGES]
    return found


def _project_module(name: str, modules) -> str | None:
    """The project module ``name`` refers to: itself, or its longest prefix that is a module
    (``derive.symbols.TABLE`` -> ``derive.symbols``); None outside the project's packages."""
    if name.split(".")[0] not in PACKAGES:
        return None
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return name                          # a module that does not exist: still the project's


def imports_of(module: str, path: Path, modules) -> list[Import]:
    """The project modules ``module`` imports, at module level and inside functions."""
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    def add(name: str, node: ast.stmt, in_function: bool) -> None:
        target = _project_module(name.removeprefix("diffproof."), modules)
        if target is not None and target != module:
            out.append(Import(module, target, node.lineno, in_function))

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, child, inside)
            elif isinstance(child, ast.ImportFrom):
                base = absolute(module, is_package, child.level, child.module)
                short = base.removeprefix("diffproof.")
                for alias in child.names:
                    # from a import b: the module a.b when it is one, else a
                    add(f"{base}.{alias.name}" if f"{short}.{alias.name}" in modules else base,
                        child, inside)
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return out


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], list[Import]]:
    modules = project_modules(root)
    imports = [imp for module, path in modules.items() for imp in imports_of(module, path, modules)]
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in imports:
        graph.setdefault(imp.source, set()).add(imp.target)
    return graph, imports


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None when it has none."""
    state: dict[str, int] = {}            # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


# -- the checks on the project ----------------------------------------------------------------------
def test_no_import_cycle():
    graph, imports = import_graph()
    cycle = find_cycle(graph)
    if cycle:
        lines = [f"  {imp.source} -> {imp.target} (line {imp.line}"
                 f"{', in a function' if imp.in_function else ''})"
                 for a, b in zip(cycle, cycle[1:]) for imp in imports
                 if imp.source == a and imp.target == b]
        raise AssertionError("import cycle: " + " -> ".join(cycle) + "\n" + "\n".join(lines))


def layer_violations(imports: list[Import]) -> list[str]:
    return [f"{imp.source} imports {imp.target} (line {imp.line})" for imp in imports
            if imp.target.split(".")[0] != imp.source.split(".")[0]
            and imp.target.split(".")[0] not in MAY_IMPORT[imp.source.split(".")[0]]]


def test_layers():
    _, imports = import_graph()
    wrong = layer_violations(imports)
    assert not wrong, "derive imports neither numeric nor proofs; numeric does not import proofs:\n" + \
        "\n".join(wrong)


def test_the_project_imports_itself_through_the_diffproof_namespace():
    wrong = bare_imports()
    assert not wrong, "write `from diffproof.derive import ...`:\n" + "\n".join(wrong)


def test_a_bare_import_is_seen(tmp_path):
    _write(tmp_path, {"derive/__init__.py": "", "numeric/__init__.py": "from derive import x\n",
                      "proofs/__init__.py": "import diffproof.derive\nfrom . import y\n"})
    assert bare_imports(tmp_path) == ["numeric:1 imports derive"]


def test_function_level_imports_are_listed_with_a_reason():
    _, imports = import_graph()
    hidden = sorted({imp.source for imp in imports if imp.in_function})
    unlisted = [f"{imp.source}:{imp.line} imports {imp.target} inside a function" for imp in imports
                if imp.in_function and imp.source not in FUNCTION_LEVEL_IMPORTS]
    assert not unlisted, ("import the project's modules at module level (fix the dependency "
                          "direction), or list the module with its reason:\n" + "\n".join(unlisted))
    stale = sorted(set(FUNCTION_LEVEL_IMPORTS) - set(hidden))
    assert not stale, f"no function-level imports left in {stale}: remove them from the list"


def test_every_module_parses_and_the_packages_are_found():
    modules = project_modules()
    assert {"derive", "derive.latex.parser", "derive.notation_reader", "numeric",
            "proofs.claims.run"} <= set(modules)


# -- the tools on small synthetic graphs and packages --------------------------------------------
def test_find_cycle_reports_the_modules_of_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a"}}) is None
    assert find_cycle({}) is None


def test_absolute_resolves_relative_imports():
    assert absolute("proofs.commands.claim", False, 1, "train") == "proofs.commands.train"
    assert absolute("proofs.commands.claim", False, 2, "claim") == "proofs.claim"
    assert absolute("proofs.commands", True, 1, None) == "proofs.commands"
    assert absolute("derive.latex.parser", False, 0, "diffproof.derive.symbols") == "diffproof.derive.symbols"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_new_cycle_through_a_function_level_import_is_found(tmp_path):
    _write(tmp_path, {
        "derive/__init__.py": "",
        "derive/a.py": "from . import b\n",
        "derive/b.py": "def f():\n    from .a import g\n    return g\n",
        "numeric/__init__.py": "",
        "proofs/__init__.py": "",
    })
    graph, imports = import_graph(tmp_path)
    assert Import("derive.a", "derive.b", 1, False) in imports
    assert Import("derive.b", "derive.a", 2, True) in imports
    assert find_cycle(graph) == ["derive.a", "derive.b", "derive.a"]


def test_a_layer_violation_is_seen(tmp_path):
    _write(tmp_path, {
        "derive/__init__.py": "",
        "derive/core.py": "import diffproof.numeric.points\nfrom diffproof.proofs.claim import check\n",
        "numeric/__init__.py": "",
        "numeric/points.py": "",
        "proofs/__init__.py": "",
        "proofs/claim.py": "def check():\n    pass\n",
    })
    _, imports = import_graph(tmp_path)
    assert layer_violations(imports) == ["derive.core imports numeric.points (line 1)",
                                         "derive.core imports proofs.claim (line 2)"]
