"""Redo docs/img/html-report.png: the page ``diffproof html`` writes for a seed erratum (a failing
step with its counterexample), as headless chromium shows it in a 1200x900 window.

    python docs/make_screenshot.py            (from the repository; needs chromium on PATH)
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERRATUM = "seed001-vdm-second-final-sign"
TARGET = ROOT / "docs" / "img" / "html-report.png"


def screenshot(target: Path = TARGET) -> Path:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium is not on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="diffproof-shot-") as work:
        report = Path(work) / "report"
        # this tree's code (python -m from the repository), not whichever diffproof is installed
        subprocess.run([sys.executable, "-m", "diffproof", "html", "-o", str(report), ERRATUM],
                       check=True, cwd=ROOT, timeout=600)
        page = report / "derivations" / f"{ERRATUM}-claim.html"
        shot = Path(work) / "shot.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--virtual-time-budget=10000",
                        "--window-size=1200,900", f"--screenshot={shot}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
    return target


if __name__ == "__main__":
    print(f"wrote {screenshot()}")
