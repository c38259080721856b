"""Shared by the benchmark scripts: median wall times of commands run in alternation."""

from __future__ import annotations

import statistics
import subprocess
import time


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """One untimed warm-up each, then ``runs`` rounds in which every command runs once, in turn."""
    for argv in commands.values():
        timed(argv)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(timed(argv))
    result = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in result.items():
        print(f"{name:20} median {value:.3f} s over {runs} runs")
    return result
