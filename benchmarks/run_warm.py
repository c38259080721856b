"""Issue 11's speed target: `lfmdoctor run` warm within 30 s on 2 cores, with each stage's time.

    .venv/bin/python benchmarks/run_warm.py --runs 3

One untimed warm-up run (fills the caches: tiny checkpoint, wheels, source overlay), then ``--runs``
timed runs into a temporary folder; prints each stage's median and the total's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0


def once(out: Path) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lfmdoctor", "run", "--out", str(out)], capture_output=True, text=True)
    total = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"lfmdoctor run failed: {done.stderr.strip().splitlines()[-1:]}")
    steps = json.loads((out / "results.json").read_text())["steps"]
    return total, {step["name"]: step["seconds"] for step in steps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-run-bench-") as tmp:
        once(Path(tmp) / "warm-up")
        samples = [once(Path(tmp) / f"run-{i}") for i in range(args.runs)]
    totals = [total for total, _ in samples]
    for name in samples[0][1]:
        print(f"{name:16} median {statistics.median(s[name] for _, s in samples):6.1f} s")
    total = statistics.median(totals)
    print(
        f"{'run (total)':16} median {total:6.1f} s over {args.runs} runs; target {TARGET_S:.0f} s: "
        + ("met" if total <= TARGET_S else "not met")
    )
    return 0 if total <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
