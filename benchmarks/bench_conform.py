"""Time of ``diffproof conform`` over every adapter at its default settings (issue 17's target:
under 2 minutes on 2 cores), against a baseline measured in the same run: the bare cost of the
scheduler calls it makes (``make`` + one ``step`` per drawn config, no contract, no search).

The ratio conform / baseline says what the checking adds (lambdified contracts, budgets, the
Hypothesis search and its shrinking) over merely calling the implementation as often.

Usage: python benchmarks/bench_conform.py [--examples 25] [--seed 0] [--sampling]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from diffproof.numeric.conform.adapters import ADAPTERS, get  # noqa: E402
from diffproof.numeric.conform.run import FAILS, HOLDS, conform  # noqa: E402


def baseline(adapter, calls: int) -> float:
    """``calls`` scheduler constructions and steps at the default config (float32)."""
    config = dict(beta_schedule="linear", num_train_timesteps=1000, beta_start=1e-4,
                  beta_end=0.02, prediction_type="epsilon", clip_sample=False,
                  rescale_betas_zero_snr=False, steps_offset=0, num_inference_steps=50,
                  index=10, shape=(1, 2), seed=0, **adapter.families[0])
    if adapter.name == "DDIMScheduler":
        config["set_alpha_to_one"] = True
    if hasattr(adapter, "example_config"):            # an adapter with its own config keys
        config = adapter.example_config()
    elif hasattr(adapter, "sampling_config"):
        config = {**adapter.sampling_config(), "num_inference_steps": 50, "index": 10}
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(calls):
        sched = adapter.make(config, "float32")
        adapter.step_case(sched, config, config["index"], rng, "float32")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sampling", action="store_true", help="include property 3")
    args = parser.parse_args()
    total = 0.0
    for name in ADAPTERS:
        adapter = get(name)
        props = (*adapter.properties, "sampling") if args.sampling else None
        started = time.perf_counter()
        rows = conform(adapter, seed=args.seed, max_examples=args.examples, properties=props)
        seconds = time.perf_counter() - started
        total += seconds
        examples = sum(r.examples for r in rows if r.property != "sampling")
        base = baseline(adapter, examples)
        print(f"{name:<16} {len(rows):3d} rows ({sum(r.status == HOLDS for r in rows)} hold, "
              f"{sum(r.status == FAILS for r in rows)} fail), {examples} configs: {seconds:6.1f}s;"
              f" baseline {base:5.1f}s; ratio {seconds / base:5.1f}")
    print(f"all adapters: {total:.1f}s (target < 120s)")


if __name__ == "__main__":
    main()
