"""Benchmark: the document reader of ``diffproof claim`` (proofs.claims.document) is linear.

Each reader runs on pathological inputs of 100 KB, 400 KB and 1.6 MB (each 4 times the one
before) and, as the baseline of the same run, on a normal document of the same size.  It prints
the best of REPEATS CPU times (time.process_time), the growth per step (linear: about 4; the former quadratic reader:
about 16) and the ratio to the normal document.  The display limits are lifted to time the
scanners alone.

    python benchmarks/bench_reader.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diffproof.proofs.claims import document as reader  # noqa: E402

SIZES = (100_000, 400_000, 1_600_000)
REPEATS = 3
NOTES = r"""Forward process: each step adds Gaussian noise with variance $\beta_t$.
% assume: 0 < \beta_t < 1
% assume: \alpha_t = 1 - \beta_t
\begin{align}
q(x_t \mid x_0) &= \mathcal{N}(x_t; \sqrt{\bar\alpha_t} x_0, (1 - \bar\alpha_t) I) \\
  &\quad \text{by induction on } t.
\end{align}
The posterior mean follows:
$$\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t} x_0
  + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t} x_t \tag{7}$$
"""
CHAIN = r"a &= b + c \\ &\quad + d \\ &= e \qquad \text{(by 3)} \\ "


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    return head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail


INPUTS = {
    "extract_displays": (reader.extract_displays, lambda n: _fill(NOTES, n), {
        r"\[ repeated": lambda n: _fill("\\[", n),
        "$$ repeated": lambda n: _fill("$$", n),
        r"\begin{equation} unclosed": lambda n: _fill("\\begin{equation}", n),
        "{ repeated": lambda n: _fill("{", n),
    }),
    "extract_assumptions": (reader.extract_assumptions, lambda n: _fill(NOTES, n), {
        "% assume: a <spaces> b": lambda n: _fill(" ", n, "% assume: a", "b\n"),
        "<!-- assume: a <spaces>": lambda n: _fill(" ", n, "<!-- assume: a"),
        "blank lines, then %": lambda n: _fill("\n", n, "", "% no"),
    }),
    "split_lines": (reader.split_lines, lambda n: _fill(CHAIN, n), {
        r"\\ repeated": lambda n: _fill("\\\\", n, "a = b"),
        r"\text{x} <spaces> c": lambda n: _fill(" ", n, "a = b \\text{x}", "c"),
        r"continuations \\ + c": lambda n: _fill(" \\\\ + c", n, "a = b"),
    }),
}


def best_time(read, text: str) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.process_time()
        read(text)
        times.append(time.process_time() - started)
    return min(times)


def row(label: str, read, make, baseline: list[float] | None) -> list[float]:
    times = [best_time(read, make(size)) for size in SIZES]
    growth = " ".join(f"{b / a:5.1f}" for a, b in zip(times, times[1:]))
    against = (" ".join(f"{t / b:6.1f}" for t, b in zip(times, baseline)) if baseline
               else "   (baseline)")
    print(f"  {label:30s}" + "".join(f"{t * 1000:10.1f}" for t in times) + f"   {growth}   {against}")
    return times


def main() -> None:
    reader.MAX_DISPLAYS = reader.MAX_DISPLAY_CHARS = 10 ** 9
    sizes = "".join(f"{size // 1000:>7} KB" for size in SIZES)
    print(f"  {'input (times in ms)':30s}{sizes}   growth/step   x normal")
    for name, (read, normal, cases) in INPUTS.items():
        print(name)
        baseline = row("normal document", read, normal, None)
        for label, make in cases.items():
            row(label, read, make, baseline)


if __name__ == "__main__":
    main()
