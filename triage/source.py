"""Read the text to triage from a file or stdin: at most ``LIMIT`` bytes (its end, where the error is)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lfmdoctor.errors import UsageError

LIMIT = 4 * 1024 * 1024  # bytes; a log's error is at its end, so a longer input keeps its last LIMIT bytes
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Input:
    text: str
    note: str | None  # said when the input was cut


def _tail(stream: BinaryIO) -> tuple[bytes, int]:
    """The last LIMIT bytes of ``stream`` and its whole size, without holding more than LIMIT + CHUNK."""
    kept, size = b"", 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        kept = (kept + chunk)[-LIMIT:]
    return kept, size


def decode(data: bytes, size: int, name: str) -> Input:
    """The text of ``data`` (the end of an input of ``size`` bytes); binary or empty input is a UsageError."""
    if b"\x00" in data:
        raise UsageError(f"{name} is binary, not text; pass the error as text (a log, a traceback, an issue body)")
    if not data.strip():
        raise UsageError(f"{name} is empty; pass a file or pipe the error text in")
    note = None
    if size > len(data):
        data = data[data.find(b"\n") + 1 :] or data  # start on a whole line
        note = f"the input is {size / 2**20:.1f} MB; only its last {len(data) / 2**20:.1f} MB are triaged"
    return Input(data.decode("utf-8", errors="replace"), note)


def read(path: str) -> Input:
    """The text at ``path``, or stdin for ``-``; an unreadable path is a UsageError (one line)."""
    if path == "-":
        return decode(*_tail(sys.stdin.buffer), "stdin")
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{path} is a folder; pass a file holding the error text, or - for stdin")
    try:
        with file.open("rb") as handle:
            return decode(*_tail(handle), path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}; pass a readable text file, or - for stdin") from None
