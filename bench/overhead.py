"""Measure the harness overhead of ``lfmdoctor bench`` against the bare liquid-audio loop.

    python -m lfmdoctor.bench.overhead [--model fixture|PATH|HUB_ID] [--device cpu] [--dtype float32]
                                       [--rounds 5] [--runs 5] [--warmup 1] [--python PY]

Each round runs, in alternating order, ``bare_loop_child.py`` and ``lfmdoctor bench --json --no-baselines``
on the built-in clips with the same model, device, dtype, token budgets, runs and warm-up. Two ratios,
harness / bare, each as the ratio of the medians over rounds and of the best (least disturbed) rounds:

- ``loop``: wall time of the measured ASR loop inside each process (the harness's per-clip work:
  handing audio over via ``to_chat_audio``, timing, memory probes, one JSON line per chunk);
- ``process``: whole-command wall time (start-up, model load, reading audio, scoring included);

and two figures that other load on the machine disturbs least: ``loop_cpu``, the CPU time the ASR
process spent in the measured loop (median over rounds), and ``fastest_clips``, the sum over clips of
each clip's fastest run (each side timing its own clips, audio hand-over to decoded text).

Prints one JSON object (``same_text``: both produced the same transcripts). Timings vary with machine
load: run it on a quiet machine (on a busy small CPU, ``OMP_NUM_THREADS=1`` steadies both sides).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lfmdoctor import child_protocol
from lfmdoctor.bench import inputs
from lfmdoctor.bench.chunking import token_budget

BARE_LOOP = Path(__file__).with_name("bare_loop_child.py")


def _timed(argv: list[str], *, child: bool) -> tuple[float, dict]:
    """(wall time, what it reported): a child's ``result`` record, or the JSON document ``lfmdoctor`` prints."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise SystemExit(f"error: {' '.join(argv[:3])} ... failed: {tail}")
    return wall, child_protocol.records(done.stdout, "result")[-1] if child else json.loads(done.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fixture")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)

    model = inputs.resolve_model(args.model, args.python)
    specs, _ = inputs.gather([], [], None)
    clips = inputs.load_clips(specs)
    budgets = ",".join(str(token_budget(clip.seconds)) for clip in clips)
    common = ["--runs", str(args.runs), "--warmup", str(args.warmup)]
    bare = [
        args.python,
        str(BARE_LOOP),
        str(model.folder),
        *[str(s.path) for s in specs],
        "--device",
        args.device,
        "--dtype",
        args.dtype,
        "--max-new-tokens",
        budgets,
        *common,
    ]
    harness = [
        sys.executable,
        "-m",
        "lfmdoctor",
        "bench",
        "--model",
        args.model,
        "--device",
        args.device,
        "--dtype",
        args.dtype,
        "--no-baselines",
        "--python",
        args.python,
        *common,
        "--json",
    ]

    rows = []
    for round_number in range(args.rounds):
        order = [("bare", bare), ("harness", harness)]
        if round_number % 2:
            order.reverse()
        row = {}
        for name, command in order:
            wall, out = _timed(command, child=name == "bare")
            figures = out if name == "bare" else out["summary"]
            loop, loop_cpu = figures["loop_s"], figures["loop_cpu_s"]
            per_clip = out["clip_s"] if name == "bare" else [clip["latencies_s"] for clip in out["clips"]]
            texts = out["texts"] if name == "bare" else [clip["hypothesis"] for clip in out["clips"]]
            row[name] = {
                "process_s": wall,
                "loop_s": loop,
                "loop_cpu_s": loop_cpu,
                "clip_s": per_clip,
                "texts": [" ".join(t.split()) for t in texts],
            }
        rows.append(row)
        print(
            f"round {round_number + 1}: bare loop {row['bare']['loop_s']:.3f} s / process "
            f"{row['bare']['process_s']:.2f} s; harness loop {row['harness']['loop_s']:.3f} s / process "
            f"{row['harness']['process_s']:.2f} s",
            file=sys.stderr,
        )

    def med(kind: str, field: str) -> float:
        return statistics.median(r[kind][field] for r in rows)

    def least(kind: str, field: str) -> float:
        return min(r[kind][field] for r in rows)

    def fastest_clips(kind: str) -> float:
        """Sum over clips of each clip's fastest run over all rounds: the least disturbed ASR work."""
        clips = zip(*(r[kind]["clip_s"] for r in rows))
        return sum(min(t for per_round in clip for t in per_round) for clip in clips)

    report = {
        "model": args.model,
        "device": args.device,
        "dtype": args.dtype,
        "clips": len(clips),
        "audio_s": sum(c.seconds for c in clips),
        "runs": args.runs,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "bare": {key: med("bare", key) for key in ("loop_s", "loop_cpu_s", "process_s")},
        "harness": {key: med("harness", key) for key in ("loop_s", "loop_cpu_s", "process_s")},
        "same_text": all(r["bare"]["texts"] == r["harness"]["texts"] for r in rows),
        "ratio": {
            "loop": med("harness", "loop_s") / med("bare", "loop_s"),
            "loop_cpu": med("harness", "loop_cpu_s") / med("bare", "loop_cpu_s"),
            "process": med("harness", "process_s") / med("bare", "process_s"),
            "loop_best": least("harness", "loop_s") / least("bare", "loop_s"),
            "fastest_clips": fastest_clips("harness") / fastest_clips("bare"),
            "process_best": least("harness", "process_s") / least("bare", "process_s"),
            "loop_per_round": [r["harness"]["loop_s"] / r["bare"]["loop_s"] for r in rows],
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
