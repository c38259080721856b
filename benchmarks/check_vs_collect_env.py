"""Median wall time of `lfmdoctor check` against `python -m torch.utils.collect_env`, alternating runs.

    python benchmarks/check_vs_collect_env.py [--runs N]

Target from issue 2: ratio <= 0.8. `check` reuses its torch probe while the installed torch files,
sys.path and GPU driver are unchanged; `check --fresh` always imports torch again.
"""

from __future__ import annotations

import argparse
import sys

from alternating import medians

COMMANDS = {
    "lfmdoctor check": [sys.executable, "-m", "lfmdoctor", "check", "--json"],
    "check --fresh": [sys.executable, "-m", "lfmdoctor", "check", "--json", "--fresh"],
    "collect_env": [sys.executable, "-m", "torch.utils.collect_env"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    result = medians(COMMANDS, args.runs)
    for name in ("lfmdoctor check", "check --fresh"):
        print(f"ratio {name} / collect_env = {result[name] / result['collect_env']:.2f} (target <= 0.8)")


if __name__ == "__main__":
    main()
