"""Upstream threads that bear on more than one bug: each one's facts stated once, each bug adds how it relates."""

from __future__ import annotations

import functools

from ._spec import Thread

# PR #30 touches several device bugs at once; its state as read on this date
DEVICE_PR = functools.partial(
    Thread,
    30,
    "pr",
    "auto-detect cuda, then mps, then cpu; Mimi via CPU; detokenizer on the processor's device",
    "open",
    "2026-11-28",
)
