"""Japanese in the LaTeX document (the seeds' slide titles): set with the CJK package when
pdflatex has it, else shown in English with a note.

``text_escape`` (derive.latex.text) writes a run of Japanese as ``\\ja{original}{English}``;
:func:`preamble` defines ``\\ja`` for the TeX installation found by :func:`cjk_available`.
"""
from __future__ import annotations

import shutil
import subprocess
from functools import cache

# the CJK package and the Wadalab Mincho font of Debian's latex-cjk-japanese(-wadalab)
CJK_FILES = ("CJKutf8.sty", "c70min.fd")
INSTALL = "apt-get install latex-cjk-japanese latex-cjk-japanese-wadalab"
NOTE = (r"Japanese words of the seeds' slide titles are shown in English, marked $^\dagger$ "
        r"(pdflatex's CJK package is not installed: \texttt{" + INSTALL + "}).")


@cache
def cjk_available() -> bool:
    """Whether ``kpsewhich`` finds the CJK package and its Japanese font."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    try:
        found = subprocess.run([kpsewhich, *CJK_FILES], capture_output=True, text=True,
                               timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return False
    return len(found) == len(CJK_FILES)


def preamble(available: bool) -> str:
    """The preamble lines defining ``\\ja{original}{English}``."""
    if available:
        return ("\\usepackage{CJKutf8}\n"
                "\\DeclareRobustCommand{\\ja}[2]{\\begin{CJK}{UTF8}{min}#1\\end{CJK}}\n")
    return "\\DeclareRobustCommand{\\ja}[2]{\\textit{#2}$^\\dagger$}\n"
