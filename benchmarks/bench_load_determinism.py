"""Verdicts do not depend on machine load: the whole catalog and the claim corpus, idle and loaded.

Two passes, each in fresh processes (no SymPy cache carried from one pass to the other):

1. ``diffproof check --json`` (every derivation of the catalog; ``python -m diffproof`` when the
   ``diffproof`` script is not on PATH);
2. every file of ``tests/claims/`` through :func:`proofs.claims.run.check_file_text` (what
   ``diffproof claim --json --file F`` runs, in one process for all files instead of one process
   per file);

once as the machine is, then again with ``--busy`` (default 2, one per core) busy-loop processes
(``python -c 'while True: pass'`` with a bounded lifetime) started by this script and killed by
pid at the end.  Every step's status AND method are compared (claims that have no steps, e.g.
unparsable ones, by their status).  Printed: steps compared, identical, different (each
difference listed), and the wall and CPU time of both passes.  Exit status 1 on any difference
(or a pass that did not produce its JSON), 0 otherwise.  The source tree (HEAD and the
uncommitted diff) is fingerprinted before and after each pass, and a warning says when it changed,
since other engineers edit the tree while this runs.

The checker's limits are CPU time (derive/decide/budget.py), so other engineers' load is as good
as ours; the busy loops make sure both cores are saturated during the second pass.

    python benchmarks/bench_load_determinism.py
    python benchmarks/bench_load_determinism.py --ids luo_forward_marginal --claims 'holds__*'
"""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "tests" / "claims"
BUSY_CODE = ("import time\nend = time.monotonic() + {seconds}\n"
             "while time.monotonic() < end:\n    pass\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def json_of(command: list[str], what: str, codes=(0,)) -> tuple[dict | None, str]:
    """The JSON a command prints (exit status in ``codes``), or None and why not."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in codes:
        return None, f"{what} exited {done.returncode}: {done.stderr[-2000:]}"
    try:
        return json.loads(done.stdout), ""
    except json.JSONDecodeError as error:
        return None, f"{what} printed no JSON ({error}): {done.stderr[-2000:]}"


def run_catalog(ids: list[str]) -> tuple[dict, str]:
    """{(derivation id, step index): (status, method)} from ``diffproof check --json`` (exit 1
    is a failing or undecided step, 3 an internal error: both still print the JSON)."""
    program = [shutil.which("diffproof") or sys.executable] + \
        ([] if shutil.which("diffproof") else ["-m", "diffproof"])
    report, error = json_of([*program, "check", *ids, "--json"], "diffproof check",
                            codes=(0, 1, 3))
    verdicts = {}
    for derivation in (report or {}).get("derivations", []):
        for step in derivation["steps"]:
            verdicts[("catalog", derivation["id"], step["index"])] = (step["status"], step["method"])
    return verdicts, error


def claims_main(pattern: str) -> int:
    """The claim pass (run in a child process): JSON {file: claim_report(claims)} on stdout."""
    sys.path.insert(0, str(ROOT))
    from diffproof.proofs.claims.document import is_markdown, read_document  # noqa: PLC0415
    from diffproof.proofs.claims.run import check_file_text  # noqa: PLC0415
    from diffproof.proofs.report.as_json import claim_report  # noqa: PLC0415

    out = {}
    for path in sorted(CLAIMS.iterdir()):
        if not path.is_file() or not fnmatch.fnmatch(path.name, pattern):
            continue
        text = read_document(str(path))
        out[path.name] = claim_report(check_file_text(text, markdown=is_markdown(str(path))))
    json.dump(out, sys.stdout)
    return 0


def run_claims(pattern: str) -> tuple[dict, str]:
    """{(file, claim index, step index or 'claim'): (status, method)} for the claim corpus."""
    report, error = json_of([sys.executable, str(Path(__file__).resolve()), "--claims-pass",
                             pattern], "the claim pass")
    verdicts = {}
    for name, result in (report or {}).items():
        for claim in result["claims"]:
            if not claim["steps"]:
                verdicts[(name, claim["index"], "claim")] = (claim["status"], "-")
            for step in claim["steps"]:
                verdicts[(name, claim["index"], step["index"])] = (step["status"], step["method"])
    return verdicts, error


def tree_fingerprint() -> str:
    """A hash of HEAD and of the uncommitted changes to tracked files: other engineers edit the
    tree while this runs, and a verdict that changes with the code is not a load effect."""
    digest = hashlib.sha256()
    for command in (["git", "rev-parse", "HEAD"], ["git", "diff", "HEAD", "--", "*.py"]):
        done = subprocess.run(command, cwd=ROOT, capture_output=True)
        digest.update(done.stdout)
    return digest.hexdigest()[:12]


def one_pass(ids: list[str], pattern: str, label: str) -> dict:
    fingerprints = [tree_fingerprint()]
    print(f"[{label}] source tree {fingerprints[0]}; checking the catalog ...", flush=True)
    wall, cpu = time.perf_counter(), _children_cpu()
    catalog, error_catalog = run_catalog(ids) if ids != ["-"] else ({}, "")
    catalog_wall, catalog_cpu = time.perf_counter() - wall, _children_cpu() - cpu
    print(f"[{label}] catalog: {len(catalog)} steps, wall {catalog_wall:.0f} s, CPU "
          f"{catalog_cpu:.0f} s; checking the claim corpus ...", flush=True)
    wall, cpu = time.perf_counter(), _children_cpu()
    claims, error_claims = run_claims(pattern) if pattern != "-" else ({}, "")
    claims_wall, claims_cpu = time.perf_counter() - wall, _children_cpu() - cpu
    print(f"[{label}] claims: {len(claims)} steps, wall {claims_wall:.0f} s, CPU "
          f"{claims_cpu:.0f} s", flush=True)
    fingerprints.append(tree_fingerprint())
    return {"verdicts": {**catalog, **claims}, "errors": [e for e in (error_catalog, error_claims) if e],
            "trees": fingerprints,
            "times": {"catalog": (catalog_wall, catalog_cpu), "claims": (claims_wall, claims_cpu)}}


def start_busy(count: int, seconds: float) -> list[subprocess.Popen]:
    code = BUSY_CODE.format(seconds=seconds)
    return [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def stop_busy(processes: list[subprocess.Popen]) -> None:
    """Kill exactly the busy loops this script started, by pid."""
    for process in processes:
        if process.poll() is None:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def compare(idle: dict, loaded: dict) -> tuple[int, int, list[str]]:
    keys = sorted(set(idle) | set(loaded), key=lambda k: tuple(str(p) for p in k))
    same, differences = 0, []
    for key in keys:
        a, b = idle.get(key), loaded.get(key)
        if a == b:
            same += 1
        else:
            where = " ".join(str(p) for p in key)
            differences.append(f"{where}: idle {a and '/'.join(a)}  loaded {b and '/'.join(b)}")
    return len(keys), same, differences


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", nargs="*", default=[],
                        help="derivation ids (default: the whole catalog; '-' skips it)")
    parser.add_argument("--claims", default="*",
                        help="glob of tests/claims/ file names (default: all; '-' skips them)")
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes (default 2)")
    parser.add_argument("--max-busy-seconds", type=float, default=3600.0,
                        help="lifetime bound of each busy loop, should this script die")
    parser.add_argument("--claims-pass", metavar="GLOB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.claims_pass is not None:
        return claims_main(args.claims_pass)

    print(f"idle pass (load average {load_average()})", flush=True)
    idle = one_pass(args.ids, args.claims, "idle")
    busy = start_busy(args.busy, args.max_busy_seconds)
    try:
        time.sleep(2.0)
        print(f"loaded pass: {args.busy} busy loops, pids {[p.pid for p in busy]} "
              f"(load average {load_average()})", flush=True)
        loaded = one_pass(args.ids, args.claims, "loaded")
        print(f"load average at the end of the loaded pass: {load_average()}", flush=True)
    finally:
        stop_busy(busy)

    compared, same, differences = compare(idle["verdicts"], loaded["verdicts"])
    print("-" * 72)
    for label, run in (("idle", idle), ("loaded", loaded)):
        (cw, cc), (lw, lc) = run["times"]["catalog"], run["times"]["claims"]
        print(f"{label:>6}: catalog wall {cw:.0f} s (CPU {cc:.0f} s), claims wall {lw:.0f} s "
              f"(CPU {lc:.0f} s), total wall {cw + lw:.0f} s")
        for error in run["errors"]:
            print(f"{label:>6}: ERROR {error}")
    trees = idle["trees"] + loaded["trees"]
    if len(set(trees)) > 1:
        print(f"WARNING: the source tree changed during the run ({' -> '.join(trees)}): a "
              "difference may come from someone's edit, not from the load")
    catalog_keys = sum(1 for k in idle["verdicts"] if k[0] == "catalog")
    print(f"steps compared: {compared} (catalog {catalog_keys}, claim corpus "
          f"{len(idle['verdicts']) - catalog_keys} in the idle pass)")
    print(f"identical (status and method): {same}")
    print(f"different: {len(differences)}")
    for line in differences:
        print(f"  {line}")
    if not compared:
        print("nothing was compared (no step in either pass)")
    return 1 if differences or idle["errors"] or loaded["errors"] or not compared else 0


if __name__ == "__main__":
    sys.exit(main())
