"""Run a standalone child script in the target interpreter and collect its events (``child_protocol`` records).

The child is started before the parent prepares its job (it imports torch meanwhile); the job goes
in on stdin. Its stderr (library warnings, tracebacks) goes to a temporary file, read back only when
the child dies without reporting. Whatever happens in the parent (Ctrl-C included), the child is
killed and waited for.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfmdoctor.child_protocol import KEY, parse_line

if TYPE_CHECKING:
    from typing import Self  # annotations only: Python 3.10 has no typing.Self

HERE = Path(__file__).parent
ASR_CHILD = HERE / "asr_child.py"
BASELINE_CHILD = HERE / "baseline_child.py"


class ChildDied(Exception):
    """The child stopped without reporting why; the message carries its last stderr line."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass
class ChildOutcome:
    log: list[dict[str, Any]] = field(default_factory=list)  # every event, in order
    error: dict[str, Any] | None = None
    returncode: int | None = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.log if event[KEY] == kind]


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Child:
    """One child process: ``with Child(python, script, env) as child: outcome = child.run(job)``."""

    def __init__(self, python: str, script: Path, env: Mapping[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+b")
        try:
            self.proc = subprocess.Popen(
                [python, str(script), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=dict(env) if env is not None else None,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as exc:
            self._stderr.close()
            raise ChildDied(f"cannot start {python}: {exc}") from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except OSError:
                    pass
        self._stderr.close()

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return last_line(self._stderr.read().decode("utf-8", "replace"))

    def run(
        self, job: dict[str, Any], on_event: Callable[[dict[str, Any]], None] | None = None, timeout: float | None = None
    ) -> ChildOutcome:
        """The child's events for ``job``; after ``timeout`` seconds it is killed and ``ChildDied`` says so."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self.proc.kill()

        timer = threading.Timer(timeout, expire) if timeout is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            return self._collect(job, on_event, expired)
        finally:
            if timer is not None:
                timer.cancel()

    def _collect(
        self,
        job: dict[str, Any],
        on_event: Callable[[dict[str, Any]], None] | None,
        expired: threading.Event,
    ) -> ChildOutcome:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(job))
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # it died early (import failure): its events or stderr say why
        outcome = ChildOutcome()
        for line in self.proc.stdout:
            event = parse_line(line)
            if event is None:
                continue
            outcome.log.append(event)
            if event[KEY] == "error":
                outcome.error = event
            if on_event is not None:
                on_event(event)
        outcome.returncode = self.proc.wait()
        if expired.is_set():
            raise ChildDied("stopped: it ran past its time limit", timed_out=True)
        if outcome.error is None and not outcome.of("done"):
            tail = self.stderr_tail() or f"exit status {outcome.returncode}"
            raise ChildDied(tail)
        return outcome
