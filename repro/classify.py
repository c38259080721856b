"""Turn what the worker saw into a repro outcome. Pure: no I/O."""

from __future__ import annotations

import re
from pathlib import PurePath

from lfmdoctor.bugs._spec import CONDITIONS, Case
from lfmdoctor.repro.deprecations import from_records
from lfmdoctor.results import ExceptionInfo, Outcome, ReproOutcome

MAX_FRAMES = 4


def liquid_frames(frames: list[dict], package_dir: str | None) -> list[str]:
    """Frames inside the liquid_audio package, as 'liquid_audio/file.py:line in func', innermost last."""
    if not package_dir:
        return []
    root = PurePath(package_dir)
    picked = []
    for frame in frames:
        path = PurePath(frame["file"])
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        picked.append(f"liquid_audio/{rel.as_posix()}:{frame['line']} in {frame['func']}")
    return picked[-MAX_FRAMES:]


def repro_frames(frames: list[dict]) -> list[str]:
    return [f"{f['file']}:{f['line']} in {f['func']}" for f in frames if f["file"].startswith("<repro")]


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else ""


def mismatch(case: Case, exc: dict, frames: list[str]) -> str | None:
    """None when the exception is the one the case expects, else why not.

    ``exc``: {type, mro (optional), message}; ``frames``: liquid-audio frames "liquid_audio/f.py:N in func".
    """
    expect = case.expect
    names = set(exc.get("mro") or [exc["type"]])
    if not names & set(expect.types):
        return f"raised {exc['type']}, expected {' or '.join(expect.types)}"
    message = exc["message"]
    if expect.message == "^$":
        if message.strip():
            return f"expected an empty message, got {_first_line(message)!r}"
    elif not re.search(expect.message, message):
        return f"message {_first_line(message)!r} does not match /{expect.message}/"
    if expect.frame is not None and not any(_frame_is(f, expect.frame, expect.function) for f in frames):
        where = f"liquid_audio/{expect.frame}" + (f" in {expect.function}" if expect.function else "")
        return f"no frame in {where}"
    return None


def _frame_is(frame: str, path: str, function: str | None) -> bool:
    location, _, func = frame.partition(" in ")
    return location.startswith(f"liquid_audio/{path}") and (function is None or func == function)


def classify(case: Case, record: dict, facts: dict) -> ReproOutcome:
    status = record.get("status")
    exc = record.get("exception")
    duration = float(record.get("duration_s") or 0.0)
    info = ExceptionInfo(exc["type"], _first_line(exc["message"])) if exc else None
    frames = liquid_frames(exc["frames"], facts.get("liquid_audio_dir")) if exc else []
    tb = exc.get("traceback") if exc else None

    met = from_records(record.get("deprecations") or [])

    def outcome(kind: Outcome, reason: str) -> ReproOutcome:
        return ReproOutcome(case.id, case.bug, kind, info, frames, round(duration, 3), reason, tb, met)

    if status == "unmet":
        missing = record.get("unmet", [])
        kind = Outcome.SKIPPED if any(CONDITIONS[m].skip for m in missing) else Outcome.NOT_REPRODUCED
        return outcome(kind, "; ".join(CONDITIONS[m].unmet for m in missing))
    if status == "timeout":
        return outcome(Outcome.ERROR, f"timed out after {duration:g} s (raise --timeout if the machine is slow)")
    if status == "crashed":
        return outcome(Outcome.ERROR, record.get("detail", "case process died"))
    if status == "setup_error":
        what = f"{info.type}: {info.message}" if info else record.get("detail", "unknown error")
        return outcome(Outcome.ERROR, f"setup failed before the call under test: {what}")
    if status == "completed":
        return outcome(Outcome.NOT_REPRODUCED, "the call worked: the liquid-audio code in use handles it")
    if status == "raised" and exc:
        if case.expect.frame is None:
            frames = repro_frames(exc["frames"])
        why_not = mismatch(case, exc, frames)
        if why_not is None:
            where = frames[-1] if frames else "the reproducer's own check"
            return outcome(Outcome.REPRODUCED, f"{info.type} from {where}" if info else "reproduced")
        return outcome(Outcome.ERROR, f"failed differently than the bug: {why_not}")
    return outcome(Outcome.ERROR, f"the worker gave no usable result ({status or 'nothing'})")
