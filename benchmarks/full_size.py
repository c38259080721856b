"""Issue 13, "Will it run here?": LFM2.5-Audio-1.5B's architecture timed on this machine, and the figures recorded.

    python benchmarks/full_size.py [--dtypes bfloat16,float32] [--rounds 1] [--out benchmarks/full_size.json]

First ``--rounds`` rounds of ``lfmdoctor bench --model full-size --dtype D --no-baselines --project-seconds 0
--json`` for each dtype in alternation (the 4 built-in clips, one warm-up): the dtype with the lower median
RTF is the one to make the CPU default (``lfmdoctor.bench.fullsize.CPU_DTYPE``). Then one run in that dtype
with the 163 s projection (one 23 s chunk timed: the public write-up's long recording), and ``lfmdoctor
check --perf --json``, timed (target: an answer within 60 s on 2 cores). Writes the machine (CPU, cores,
memory, the load average before and after each run), the versions and every summary to ``--out``; the
README quotes that file. Random weights: timing only, no accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYS = ("rtf", "rtfx", "latency_s", "first_token_s", "tokens_per_s", "tokens", "peak_mem_mb", "load_s", "audio_s")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    flags = ""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    memory = None
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (AttributeError, OSError, ValueError):
        pass
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "avx512_bf16": "avx512_bf16" in flags.split(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def lfmdoctor(*args: str) -> tuple[dict, float, list[float]]:
    """(its JSON, wall seconds, 1-minute load average before and after)."""
    before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lfmdoctor", *args, "--json"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    try:
        data = json.loads(done.stdout)
    except ValueError:
        sys.exit(f"lfmdoctor {' '.join(args)} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return data, wall, [before, os.getloadavg()[0]]


def bench(dtype: str, *extra: str) -> dict:
    data, wall, load = lfmdoctor("bench", "--model", "full-size", "--dtype", dtype, "--no-baselines", *extra)
    if data["failure"]:
        sys.exit(f"bench --dtype {dtype} stopped: {data['failure']}")
    s = data["summary"]
    entry = {"dtype": dtype, "wall_s": wall, "load_avg": load, **{key: s[key] for key in KEYS}}
    entry.update(parameters=s["parameters"], projection=s["projection"], label=s["label"], token_source=s["token_source"])
    entry.update(torch=s["torch"], liquid_audio=s["liquid_audio"], threads=s["torch_threads"])
    long = f"  163 s → RTF {s['projection']['rtf']:.2f}" if s["projection"] else ""
    print(
        f"{dtype:9} RTF {s['rtf']:.2f}  first token {s['first_token_s']:.2f} s  {s['tokens_per_s']:.2f} tok/s  "
        f"RSS {s['peak_mem_mb']:.0f} MiB  built in {s['load_s']:.1f} s{long}  (load {load[0]:.1f}→{load[1]:.1f})"
    )
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="bfloat16,float32")
    parser.add_argument("--rounds", type=int, default=2, help="alternating dtype runs (4 clips, no projection)")
    parser.add_argument("--out", type=Path, default=HERE / "full_size.json")
    args = parser.parse_args()
    dtypes = [d for d in args.dtypes.split(",") if d]
    record: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    record["dtype_runs"] = [bench(d, "--project-seconds", "0") for _ in range(args.rounds) for d in dtypes]
    rtf = {d: statistics.median(e["rtf"] for e in record["dtype_runs"] if e["dtype"] == d) for d in dtypes}
    record["faster_dtype"] = min(rtf, key=rtf.__getitem__)
    print("median RTF: " + ", ".join(f"{d} {v:.2f}" for d, v in rtf.items()) + f" → faster: {record['faster_dtype']}")
    record["figures"] = bench(record["faster_dtype"])  # with the 163 s projection
    data, wall, load = lfmdoctor("check", "--perf")
    record["check_perf"] = {"wall_s": wall, "load_avg": load, **data["perf"]}
    print(f"check --perf answered in {wall:.1f} s (target 60): {data['perf']['answer']}")
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
