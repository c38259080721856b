"""The processes a command started, at any depth: ended with it when it is told to stop (SIGTERM).

Children run in process groups of their own (``diagnose.environment.run_command``, so that a timeout ends a
wrapper's children too), which a signal to lfmdoctor's group does not reach; they are found by parentage."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def parents() -> dict[int, int]:
    """{pid: parent pid} of every process this user can see (``/proc``, else ``ps``)."""
    proc = Path("/proc")
    if proc.is_dir():
        found = {}
        for entry in proc.iterdir():
            try:
                stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            except OSError:
                continue
            if stat:
                found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        return found
    try:
        listing = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {int(pid): int(ppid) for pid, ppid in (line.split() for line in listing.stdout.splitlines() if line.strip())}


def descendants(pid: int, tree: dict[int, int]) -> list[int]:
    """Every process below ``pid`` in ``tree`` ({pid: parent}), children before their own children."""
    found: list[int] = []
    level = [pid]
    while level:
        level = [child for child, parent in tree.items() if parent in level and child not in found]
        found.extend(level)
    return found


def end_descendants() -> None:
    """SIGKILL every process this one started, at any depth (the whole tree is read first)."""
    for pid in descendants(os.getpid(), parents()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
