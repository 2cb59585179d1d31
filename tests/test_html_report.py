"""``diffproof html``: the static report, loaded in a real headless browser (Debian's chromium;
.ci/run installs it) with the vendored KaTeX: every formula renders (one ``.katex`` per
``data-tex`` placeholder, no ``katex-error``), the verdicts show, hostile names stay text.  The
vendored KaTeX files equal the npm package's at the locked version (.ci/node)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from html import escape
from pathlib import Path

import pytest

from diffproof.proofs import catalog
from diffproof.proofs.report.document import AS_CHECKED, AS_WRITTEN
from diffproof.proofs.cli import main
from diffproof.proofs.report.html_site import ASSETS, assets, page_name

ROOT = Path(__file__).resolve().parent.parent
NODE_KATEX = ROOT / ".ci" / "node" / "node_modules" / "katex"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = '<script>alert("x")</script>&amp;'

USER_FILE = f"""
import sympy as sp
from diffproof.derive import Derivation, Step
from diffproof.derive.symbols import x
DERIVATIONS = [Derivation("evil</title><script>alert(1)</script>", {HOSTILE!r},
    start=(x + 1) ** 2,
    steps=[Step(x ** 2 + 2 * x + 1, "expand " + {HOSTILE!r}),
           Step(x ** 2 + 1, "drop the middle term (wrong)")])]
"""


def browse(page: Path, *flags: str) -> str:
    """The page's DOM after its scripts ran (virtual time: no wall-clock budget)."""
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--virtual-time-budget=10000", *flags, page.as_uri()],
                          capture_output=True, text=True, timeout=120, cwd=page.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def assert_rendered(dom: str, title: str) -> None:
    assert f"<title>{escape(title, quote=False)}</title>" in dom, dom[:500]
    placeholders = dom.count("data-tex=")
    assert dom.count('class="katex"') == placeholders
    assert "katex-error" not in dom


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    user = folder / "user_derivations.py"
    user.write_text(textwrap.dedent(USER_FILE))
    out = folder / "report"
    code = main(["html", "-o", str(out), "ddpm-posterior", "gaussian-kl", "elbo-jensen",
                 str(user), "E000-kl-sign", "seed001-vdm-second-final-sign"])
    return code, out


def test_the_report_has_every_page(report):
    code, out = report
    assert code == 1                                 # the user's second step fails
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert pages[:3] == ["derivations/E000-kl-sign-claim.html", "derivations/ddpm-posterior.html",
                         "derivations/elbo-jensen.html"]
    assert len(pages) == 8 and "index.html" in pages and "errata.html" in pages
    assert (out / "katex" / "katex.min.js").is_file() and (out / "katex" / "LICENSE").is_file()
    assert len(list((out / "katex" / "fonts").glob("*.woff2"))) == 20
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]     # atomic writes left nothing


def test_hostile_names_stay_text(report):
    _, out = report
    page = next(p for p in (out / "derivations").glob("evil*.html"))
    assert re.fullmatch(r"evil-[A-Za-z0-9_.-]+-[0-9a-f]{10}\.html", page.name)
    text = page.read_text()
    assert "<script>alert" not in text and "&lt;script&gt;alert(&quot;x&quot;)" in text
    assert text.count("<script") == 2                # katex.min.js and report.js, nothing inline
    assert all(re.fullmatch(r'<script defer src="[./a-z]+\.js"></script>', s)
               for s in re.findall(r"<script.*?</script>", text))
    index = (out / "index.html").read_text()
    assert "<script>alert" not in index and "&amp;amp;" in index


needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="chromium is not installed (.ci/run installs it)")


@needs_chromium
def test_pages_render_in_a_browser(report, tmp_path):
    _, out = report
    dom = browse(out / "index.html", "--dump-dom")
    assert_rendered(dom, "diffproof: derived formulas of diffusion models")
    assert "4 derivations, 10 steps: 9 hold, 1 fail, 0 undecided" in dom
    assert "2 of 2 seed errata refuted" in dom
    dom = browse(out / "derivations" / "ddpm-posterior.html", "--dump-dom")
    assert_rendered(dom, catalog.get("ddpm-posterior").title)
    assert dom.count('class="math" data-tex=') == 2 and "proved symbolically" in dom
    assert dom.count('class="math inline" data-tex=') >= 1         # the title's formulas
    dom = browse(out / "derivations" / "seed001-vdm-second-final-sign-claim.html", "--dump-dom")
    assert_rendered(dom, catalog.get("seed001-vdm-second-final-sign").title)
    assert AS_WRITTEN in dom and AS_CHECKED in dom                   # the seed's own formula first
    user = next((out / "derivations").glob("evil*.html"))
    dom = browse(user, "--dump-dom")
    assert_rendered(dom, HOSTILE)
    assert dom.count('class="verdict v-fails">fails<') == 2 and "counterexample" in dom
    dom = browse(out / "errata.html", "--dump-dom")
    assert_rendered(dom, "Seed errata")
    assert dom.count(">refuted<") == 2 and "counterexample" in dom and "NOT REFUTED" not in dom
    shot = tmp_path / "page.png"
    browse(user, f"--screenshot={shot}", "--window-size=1000,700")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000


def test_the_whole_catalog_gets_a_page_each(tmp_path, capsys):
    """Symbolic only, without extra checks: cheap enough for every derivation and erratum."""
    code = main(["html", "-o", str(tmp_path), "--no-numeric", "--no-checks", "--budget", "0.2",
                 "--limit", "5"])
    assert code in (0, 1)
    ids = [d.id for d in catalog.derivations()] + [e.claim.id for e in catalog.errata()]
    written = {p.name for p in (tmp_path / "derivations").glob("*.html")}
    assert written == {f"{i}.html" for i in ids}
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="derivations/{d.id}.html"' in index for d in catalog.derivations())
    captured = capsys.readouterr()
    assert f"{len(catalog.derivations())} derivations" in captured.out
    assert "\r" not in captured.err and "checking step" not in captured.err    # no progress when piped


@pytest.mark.parametrize("make", ["file", "under-a-file"])
def test_a_bad_output_folder_is_a_usage_error(tmp_path, capsys, make):
    blocker = tmp_path / "report"
    blocker.write_text("not a folder")
    target = blocker if make == "file" else blocker / "inner"
    assert main(["html", "-o", str(target), "gaussian-kl"]) == 2
    err = capsys.readouterr().err
    assert "diffproof: error:" in err and str(blocker) in err and "directory" in err
    assert blocker.read_text() == "not a folder"


def test_help_names_the_output_folder_and_the_exit_codes(capsys):
    assert main(["html", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "-o DIR, --output DIR" in text and "KaTeX" in text and "Exit 0 when" in text


def test_page_names_are_safe_and_distinct():
    taken: set[str] = set()
    names = [page_name(i, taken) for i in ["a", "a", "A", "../x", "", "b c"]]
    assert len({n.lower() for n in names}) == len(names)
    assert names[0] == "derivations/a.html"
    assert all(re.fullmatch(r"derivations/[A-Za-z0-9][A-Za-z0-9_.-]*\.html", n) for n in names)


@pytest.mark.skipif(not NODE_KATEX.is_dir(),
                    reason="KaTeX's npm package is not installed (npm ci --prefix .ci/node)")
def test_vendored_katex_is_the_locked_npm_release():
    lock = json.loads((ROOT / ".ci" / "node" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/katex"]["version"]
    assert json.loads((NODE_KATEX / "package.json").read_text())["version"] == locked
    vendored = {path: data for path, data in assets() if path.startswith("katex/")}
    dist = NODE_KATEX / "dist"
    expected = {"katex/LICENSE": (NODE_KATEX / "LICENSE").read_bytes(),
                "katex/katex.min.js": (dist / "katex.min.js").read_bytes(),
                "katex/katex.min.css": (dist / "katex.min.css").read_bytes(),
                **{f"katex/fonts/{font.name}": font.read_bytes()
                   for font in (dist / "fonts").glob("*.woff2")}}
    assert vendored == expected
    assert (ASSETS / "katex" / "katex.min.js").read_bytes().count(locked.encode()) >= 1
