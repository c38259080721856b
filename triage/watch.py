"""``lfmdoctor exec``'s watch on the program it runs: stderr passes through as it comes and its end is kept,
so that a failure can be triaged once the program has exited with its own status."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading

from .result import Triage
from .threads import REPO

KEEP = 1024 * 1024  # bytes of the program's stderr kept for triage (its end)


def _pump(source, sink, kept: bytearray) -> None:
    while chunk := source.read1(65536) if hasattr(source, "read1") else source.read(65536):
        sink.write(chunk)
        sink.flush()
        kept += chunk
        del kept[:-KEEP]


@contextlib.contextmanager
def _forwarding(child: subprocess.Popen):
    """While the child runs: Ctrl-C is the child's to handle (the terminal sends it to both), SIGTERM is passed on."""
    try:
        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
            signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum)),
        }
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``argv``; its exit status (128 + N for a signal, as a shell says) and the end of its stderr."""
    kept = bytearray()
    child = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    pump = threading.Thread(target=_pump, args=(child.stderr, sys.stderr.buffer, kept), daemon=True)
    with _forwarding(child):
        pump.start()
        code = child.wait()
        pump.join()
    return (code if code >= 0 else 128 - code), kept.decode("utf-8", errors="replace")


def verdict(result: Triage) -> str | None:
    """What to say under a failed program's output: the known bug, or that it may be new and how to report it."""
    if result.matches:
        hit = result.matches[0]
        thread = f"\n  upstream: #{hit.threads[0].number}, {hit.threads[0].describe()}" if hit.threads else ""
        return (
            f"lfmdoctor: this failure is a known liquid-audio bug, {hit.bug}: {hit.title} (matched {hit.sureness})\n"
            f"  cause: {hit.cause}\n  fix at the call site: {hit.fix.callsite}{thread}"
        )
    if not result.errors:
        return None
    return (
        f"lfmdoctor: this failure ({result.errors[-1][:120]}) matches no known liquid-audio bug. If liquid-audio raised it, "
        f"it may be new: save the error output and run `lfmdoctor triage FILE` for a draft issue to file at "
        f"https://github.com/{REPO}/issues"
    )
