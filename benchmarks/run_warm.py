"""`lfmdoctor run` warm within 5x one `import liquid_audio`, measured side by side, with each stage's time.

    .venv/bin/python benchmarks/run_warm.py --runs 3

One untimed warm-up run (fills the caches: tiny checkpoint, wheels, source overlay), then ``--runs`` rounds,
each timing a fresh interpreter's ``import liquid_audio`` and then one ``run`` into a temporary folder, so a
busy machine slows both alike. Prints each stage's median, both medians and their ratio.
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

TARGET_RATIO = 5.0


def import_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import liquid_audio"], check=True, capture_output=True)
    return time.perf_counter() - start


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
    imports, samples = [], []
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-run-bench-") as tmp:
        once(Path(tmp) / "warm-up")
        for i in range(args.runs):
            imports.append(import_seconds())
            samples.append(once(Path(tmp) / f"run-{i}"))
    for name in samples[0][1]:
        print(f"{name:16} median {statistics.median(s[name] for _, s in samples):6.1f} s")
    total, imported = statistics.median(t for t, _ in samples), statistics.median(imports)
    ratio = total / imported
    print(f"{'import':16} median {imported:6.1f} s (python -c 'import liquid_audio')")
    print(
        f"{'run (total)':16} median {total:6.1f} s over {args.runs} runs: {ratio:.1f}x the import; "
        f"target {TARGET_RATIO:g}x: " + ("met" if ratio <= TARGET_RATIO else "not met")
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
