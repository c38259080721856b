"""Typed result objects that flow one way: check -> repro -> patch -> bench -> report.

Each renders as JSON through ``to_json`` (a plain dict with a stable shape) and as rich terminal
output in ``lfmdoctor.render``. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from lfmdoctor.errors import ExitCode


class Status(str, enum.Enum):
    """Outcome of one doctor-style validator (flutter doctor's success / partial / missing)."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "warning": "!", "error": "✗"}[self.value]


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class JsonMixin:
    def to_json(self) -> dict[str, Any]:
        return _jsonable(self)


@dataclass
class ProbeFailure(JsonMixin):
    """A probe that could not answer: timed out, crashed or printed nothing usable."""

    probe: str
    reason: str


@dataclass
class TorchFacts(JsonMixin):
    version: str | None = None
    flavour: str | None = None  # "cpu", "cuda 12.8", "rocm 6.3", "macos"
    cuda_build: str | None = None
    hip_build: str | None = None
    cuda_available: bool | None = None
    cuda_unavailable_reason: str | None = None
    cuda_devices: list[str] = field(default_factory=list)
    cuda_driver: str | None = None
    mps_built: bool | None = None
    mps_available: bool | None = None
    import_error: str | None = None


@dataclass
class TorchaudioFacts(JsonMixin):
    version: str | None = None
    imports: bool | None = None
    import_error: str | None = None


@dataclass
class LiquidAudioFacts(JsonMixin):
    version: str | None = None  # from the distribution metadata; None when not installed
    location: str | None = None  # the package directory that ``import liquid_audio`` resolves to
    shadowed: bool = False  # found on PYTHONPATH / another path than its distribution
    import_error: str | None = None  # the first line of what ``import liquid_audio`` raised, if it did


@dataclass
class WeightsFacts(JsonMixin):
    repo_id: str
    cached: bool
    path: str | None = None


@dataclass
class EnvironmentFacts(JsonMixin):
    python: str
    python_executable: str
    os: str
    arch: str
    packages: dict[str, str | None] = field(default_factory=dict)
    torch: TorchFacts = field(default_factory=TorchFacts)
    torchaudio: TorchaudioFacts = field(default_factory=TorchaudioFacts)
    liquid_audio: LiquidAudioFacts = field(default_factory=LiquidAudioFacts)
    flash_attn: bool = False
    weights: list[WeightsFacts] = field(default_factory=list)
    probe_failures: list[ProbeFailure] = field(default_factory=list)


@dataclass
class BugFinding(JsonMixin):
    """Whether the installed liquid-audio code contains one known bug, decided from its source."""

    id: str
    title: str
    present: bool | None
    evidence: str | None  # "path:line"
    detail: str  # why present / absent / unknown
    affects_here: bool | None = None  # combines the code fact with this environment


@dataclass
class CheckItem(JsonMixin):
    """One doctor line: a category with a status, messages and a fix hint for each problem."""

    name: str
    status: Status
    summary: str
    messages: list[str] = field(default_factory=list)
    hint: str | None = None


@dataclass
class CheckReport(JsonMixin):
    environment: EnvironmentFacts
    bugs: list[BugFinding]
    items: list[CheckItem]

    @property
    def problems(self) -> list[CheckItem]:
        return [item for item in self.items if item.status is not Status.OK]

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PROBLEMS if any(item.status is Status.ERROR for item in self.items) else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment.to_json(),
            "bugs": [finding.to_json() for finding in self.bugs],
            "items": [item.to_json() for item in self.items],
            "exit_code": self.exit_code,
        }


class Outcome(str, enum.Enum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass
class ExceptionInfo(JsonMixin):
    type: str
    message: str


@dataclass(frozen=True)
class Deprecation(JsonMixin):
    """A DeprecationWarning or FutureWarning that liquid-audio code set off in a library it uses."""

    library: str  # the package that warns, e.g. "transformers"
    version: str | None  # its installed version
    removal_version: str | None  # the version the message names for the removal, where it names one
    message: str
    frame: str  # the liquid-audio line that led to it: "liquid_audio/model/lfm2_audio.py:201"
    bug: str | None  # the known bug it belongs to; None: a finding no bug module claims yet


@dataclass
class ReproOutcome(JsonMixin):
    """One reproduction case run against the real liquid-audio code."""

    id: str  # case id: the bug id, or "bug-id:variant"
    bug: str
    outcome: Outcome
    exception: ExceptionInfo | None
    frames: list[str]  # innermost liquid-audio frames, "file:line in func", outermost first
    duration_s: float
    reason: str
    traceback: str | None = None
    deprecations: list[Deprecation] = field(default_factory=list)


@dataclass
class ReproReport(JsonMixin):
    model: str
    python: str
    simulate: list[str]
    results: list[ReproOutcome]
    deprecations: list[Deprecation] = field(default_factory=list)  # every case's, each once

    @property
    def exit_code(self) -> ExitCode:
        """PROBLEMS: a bug reproduced; USAGE: no case could run at all (an unusable target); else OK."""
        if nothing_ran(self.results):
            return ExitCode.USAGE
        return ExitCode.PROBLEMS if any(r.outcome is Outcome.REPRODUCED for r in self.results) else ExitCode.OK


def nothing_ran(results: list[ReproOutcome]) -> str | None:
    """Why no case could run (the first case's reason) when every one is an error; else None."""
    if results and all(r.outcome is Outcome.ERROR for r in results):
        return results[0].reason or "every case failed"
    return None


@dataclass
class PatchFile(JsonMixin):
    """One liquid-audio file a stored source patch changes, as found on disk."""

    path: str  # inside the liquid_audio package, e.g. "processor.py"
    state: str  # "original" (the release's bytes), "patched", "patched earlier" (an older lfmdoctor), "differs" or "missing"
    sha256: str | None


@dataclass
class PatchResult(JsonMixin):
    """What ``lfmdoctor patch status|apply|revert`` found or did to one installed liquid_audio."""

    action: str  # "status", "apply", "revert"
    outcome: str  # "applicable", "applied", "already applied", "partly applied", "not needed", "conflict",
    # "reverted", "not applied", "dry run"
    package_dir: str | None
    version: str | None  # what the distribution metadata says (shown, never trusted)
    release: str | None  # the release the files were recognised as, by sha256
    patch: str | None  # stored patch file name
    files: list[PatchFile]
    fixes: list[str]  # bug ids the patch fixes in that release
    detail: str
    backup_dir: str | None = None
    present: list[str] = field(default_factory=list)  # bugs the source checks find in the files now

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PROBLEMS if self.outcome == "conflict" else ExitCode.OK


@dataclass
class VerifyResult(JsonMixin):
    """One reproduction case without a fix (before) and with one strategy active (after)."""

    id: str  # case id
    bug: str
    strategy: str  # "callsite", "runtime" or "source"
    before: Outcome
    after: Outcome
    reason: str  # why ``after`` is what it is


@dataclass
class VerifyReport(JsonMixin):
    model: str
    python: str
    simulate: list[str]
    strategies: list[str]
    results: list[VerifyResult]

    @property
    def exit_code(self) -> ExitCode:
        bad = (Outcome.REPRODUCED, Outcome.ERROR)
        return ExitCode.PROBLEMS if any(r.after in bad for r in self.results) else ExitCode.OK
