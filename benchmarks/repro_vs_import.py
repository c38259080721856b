"""Median wall time of `lfmdoctor repro --all` (tiny checkpoint) against `python -c "import liquid_audio"`.

    python benchmarks/repro_vs_import.py [--runs N]

Target from issue 3: ratio <= 2 (torch + transformers are imported once, cases stay isolated).
"""

from __future__ import annotations

import argparse
import sys

from alternating import medians

COMMANDS = {
    "repro --all": [sys.executable, "-m", "lfmdoctor", "repro", "--all", "--json"],
    "import liquid_audio": [sys.executable, "-c", "import liquid_audio"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = medians(COMMANDS, args.runs)
    print(f"ratio = {result['repro --all'] / result['import liquid_audio']:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
