"""``lfmdoctor check`` end to end: probe an interpreter, read its liquid-audio code, and judge both."""

from __future__ import annotations

from pathlib import Path

from lfmdoctor.cache import CacheUnusable, cache_root
from lfmdoctor.diagnose import environment
from lfmdoctor.diagnose.check import build_report
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.errors import UsageError
from lfmdoctor.results import CheckReport


def run_check(python: str, *, timeout: float = 30.0, fresh: bool = False) -> CheckReport:
    """``lfmdoctor check``'s report for the interpreter ``python``; ``UsageError`` when it cannot be inspected."""
    try:
        cache_dir = cache_root()
    except CacheUnusable:  # check needs no cache: it imports torch again instead
        cache_dir = None
    try:
        env = environment.collect(python, timeout=timeout, cache_dir=cache_dir, fresh=fresh)
    except environment.TargetUnusable as exc:
        raise UsageError(f"cannot inspect {python}: {exc}; pass --python with a working interpreter") from None
    location = env.liquid_audio.location
    return build_report(env, detect_all(Path(location) if location else None))  # type: ignore[arg-type]
