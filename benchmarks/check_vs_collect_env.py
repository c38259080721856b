"""Median wall time of `lfmdoctor check` against `python -m torch.utils.collect_env`, alternating runs.

    python benchmarks/check_vs_collect_env.py [--runs N]

Target from issue 2: ratio <= 0.8. `check` reuses its torch probe while the installed torch files,
sys.path and GPU driver are unchanged; `check --fresh` always imports torch again.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "lfmdoctor check": [sys.executable, "-m", "lfmdoctor", "check", "--json"],
    "check --fresh": [sys.executable, "-m", "lfmdoctor", "check", "--json", "--fresh"],
    "collect_env": [sys.executable, "-m", "torch.utils.collect_env"],
}


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for argv in COMMANDS.values():  # warm the page cache
        timed(argv)
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            samples[name].append(timed(argv))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in medians.items():
        print(f"{name:16} median {value:.3f} s over {args.runs} runs")
    for name in ("lfmdoctor check", "check --fresh"):
        print(f"ratio {name} / collect_env = {medians[name] / medians['collect_env']:.2f} (target <= 0.8)")


if __name__ == "__main__":
    main()
