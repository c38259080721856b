"""Time `lfmdoctor triage` on a 200-line traceback: in-process (the call) and through the CLI (a fresh process).

    python benchmarks/triage_speed.py [--runs N]

Target from issue 23: under 0.5 s for a 200-line traceback. The text is a real reproduced error (the
processor loaded without device=, from tests/triage/corpus) with torch frames added until it is 200 lines long.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from alternating import medians

ROOT = Path(__file__).resolve().parents[1]
LINES = 200
TARGET_S = 0.5
SITE = "/home/ana/.venv/lib/python3.12/site-packages"
FILLER = f'  File "{SITE}/torch/nn/modules/module.py", line 934, in _apply\n    module._apply(fn)\n'


def traceback_of(lines: int) -> tuple[str, str]:
    """A real reproduced error, padded with torch frames in its middle to ``lines`` lines, and its bug."""
    texts = json.loads((ROOT / "tests" / "triage" / "corpus" / "reproduced.json").read_text())["texts"]
    real = (
        texts[0]["traceback"]
        .replace("{site}", "/home/ana/.venv/lib/python3.12/site-packages")
        .replace("{app}", "/home/ana/app.py")
    )
    head, cut, tail = real.partition('  File "/home/ana/.venv/lib/python3.12/site-packages/torch/')
    padding = (lines - real.count("\n")) // 2
    return head + FILLER * padding + cut + tail, texts[0]["bug"]


def in_process(text: str, bug: str, runs: int) -> float:
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.report.redact import Context
    from lfmdoctor.triage.engine import triage
    from lfmdoctor.triage.threads import known

    def once() -> float:
        start = time.perf_counter()
        result = triage(text, BUGS, known(BUGS), Context.from_machine())
        elapsed = time.perf_counter() - start
        assert result.matches and result.matches[0].bug == bug
        return elapsed

    once()  # the first call compiles the signatures' patterns
    return statistics.median(once() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    text, bug = traceback_of(LINES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "error.txt")
        path.write_text(text)
        print(f"{text.count(chr(10))}-line traceback")
        call = in_process(text, bug, args.runs)
        print(f"{'in-process triage':20} median {call:.4f} s over {args.runs} runs")
        cli = medians({"lfmdoctor triage": [sys.executable, "-m", "lfmdoctor", "triage", "--json", str(path)]}, args.runs)
    worst = max(call, *cli.values())
    print(f"slowest {worst:.3f} s (target < {TARGET_S} s): {'met' if worst < TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
