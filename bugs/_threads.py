"""Upstream threads that bear on more than one bug: each one's facts stated once, each bug adds how it relates.

States are as the public record showed them on ``READ``; a thread's close date is not in that record, so only
an open thread carries the date its state began.
"""

from __future__ import annotations

import functools

from ._spec import Thread

READ = "2026-12-04"
LLAMA_CPP = '"For deployment on CPUs, please use the llama.cpp version" (2026-04-01)'
POSITION = f"A maintainer answered #7 and #12 with {LLAMA_CPP}."

# PR #30 changes the demo's device handling and, with it, the Mimi and detokenizer loading in processor.py
DEVICE_PR = functools.partial(
    Thread,
    30,
    "pr",
    "Demo: fix hardcoded CUDA references to support Apple Silicon MPS and fix input_sample_rate",
    "open",
    READ,
    since="2026-06-03",
)
