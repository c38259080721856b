"""Result objects of ``lfmdoctor matrix``: one column per release, one row per known bug. No I/O.

JSON contract (``MatrixResult.to_json()``, what ``lfmdoctor matrix --json`` prints)::

    {
      "python": "/path/to/python",          # the target interpreter
      "transformers": "5.23.0" | null,      # the target's own transformers
      "listing": "...",                     # where the release list came from
      "provision": false,                   # --provision given
      "repro": "ran" | "skipped (--no-repro)" | "not run: ...",
      "versions": [                         # oldest first
        {
          "version": "1.3.0",
          "importable": true,
          "import_problem": null | "one line",
          "location": ..., "transformers": ..., "overlay": [...], "provisioned": [...],
          "bugs": [                         # one per known bug id, in the bug registry's order
            {"id": "<bug id>", "present": true | false | null, "evidence": "liquid_audio/processor.py:61" | null,
             "outcome": "reproduced", "reason": "..." | null, "detail": "..."}
          ]
        }
      ]
    }

``present`` is static: read from the release's source by lfmdoctor's detectors (null: cannot tell).
``outcome`` is what running the real release here showed, always one of these strings:

- ``"reproduced"``: a reproduction case of the bug raised the expected error with this release;
- ``"not reproduced"``: the bug's cases ran here and none showed it (``reason`` says why: e.g. fixed in
  this release, the release lacks the code (no ``decode`` before 1.1.0), or CUDA works on this machine;
  and how many variants could not run, if some could not);
- ``"cannot run"``: none of the bug's cases could run here, e.g. the release does not import, or the
  case needs an Apple Silicon Mac (``reason`` says which);
- ``"not run"``: reproductions were not attempted (``--no-repro``), or the bug has no reproduction case.

A release is *affected* by a bug when its source has it or the run here reproduced it
(``affected_releases``); "not reproduced" here does not clear a release whose source has the bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lfmdoctor.results import JsonMixin

# What ``ReleaseBug.outcome`` holds (stable strings: they are part of the JSON output).
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
CANNOT_RUN = "cannot run"
NOT_RUN = "not run"
OUTCOMES = (REPRODUCED, NOT_REPRODUCED, CANNOT_RUN, NOT_RUN)


class _WithBugs:
    bugs: list[ReleaseBug]

    def bug(self, bug_id: str) -> ReleaseBug:
        for bug in self.bugs:
            if bug.id == bug_id:
                return bug
        raise KeyError(bug_id)


@dataclass
class ReleaseBug(JsonMixin):
    id: str
    present: bool | None  # from the release's source (detectors); None: cannot tell
    evidence: str | None  # "liquid_audio/processor.py:151", relative to the overlay
    outcome: str = NOT_RUN  # one of OUTCOMES
    reason: str | None = None  # what the reproduction saw, or why it cannot run / was not run
    detail: str = ""  # the detector's sentence


@dataclass
class ReleaseResult(_WithBugs, JsonMixin):
    version: str
    importable: bool
    import_problem: str | None  # one line: why ``import liquid_audio`` fails under the overlay
    bugs: list[ReleaseBug] = field(default_factory=list)
    location: str | None = None  # where ``import liquid_audio`` resolved in the target interpreter
    transformers: str | None = None  # the transformers version the release sees (provisioned or the target's)
    overlay: list[str] = field(default_factory=list)  # the PYTHONPATH entries laid over the target
    provisioned: list[str] = field(default_factory=list)  # pins added by --provision, e.g. "transformers==4.57.6"


@dataclass
class MatrixResult(JsonMixin):
    python: str  # the target interpreter
    transformers: str | None  # the target's own transformers version
    listing: str  # where the release list came from (index, cache, or lfmdoctor's built-in list)
    provision: bool
    repro: str  # whether reproductions ran, and if not, why
    versions: list[ReleaseResult] = field(default_factory=list)

    def release(self, version: str) -> ReleaseResult:
        for release in self.versions:
            if release.version == version:
                return release
        raise KeyError(version)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MatrixResult:
        """The inverse of ``to_json`` (e.g. to report from a saved ``lfmdoctor matrix --json``)."""
        fields = {k: v for k, v in data.items() if k != "versions"}
        releases = [
            ReleaseResult(
                **{k: v for k, v in release.items() if k != "bugs"},
                bugs=[ReleaseBug(**bug) for bug in release.get("bugs", [])],
            )
            for release in data.get("versions", [])
        ]
        return cls(**fields, versions=releases)

    def to_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "transformers": self.transformers,
            "listing": self.listing,
            "provision": self.provision,
            "repro": self.repro,
            "versions": [release.to_json() for release in self.versions],
        }


def affected_releases(result: MatrixResult, bug_id: str) -> list[str]:
    """Releases affected by the bug, oldest first (for the report's "affected releases").

    A release is affected when its source contains the bug (``present``) or when running it here
    reproduced the bug. A "not reproduced" outcome does not clear a release whose source has the bug:
    the reproduction may need conditions this machine lacks (e.g. no usable CUDA).
    """
    return [r.version for r in result.versions if r.bug(bug_id).present or r.bug(bug_id).outcome == REPRODUCED]


def releases_with_outcome(result: MatrixResult, bug_id: str, outcome: str) -> list[str]:
    """Releases whose reproduction of ``bug_id`` ended in ``outcome`` (one of OUTCOMES), oldest first."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    return [r.version for r in result.versions if r.bug(bug_id).outcome == outcome]


def describe_affected(result: MatrixResult, bug_id: str) -> str:
    """One line for the report: the affected releases, then what running them here showed.

    E.g. "1.1.0–1.3.0 (reproduced here)": every affected release reproduced it; or
    "0.0.0a1–1.1.0 (from the source; reproduced here with 0.0.0a1, 1.0.0; could not run here with 1.1.0)".
    """
    among = [r.version for r in result.versions]
    affected = affected_releases(result, bug_id)
    text = describe_releases(affected, among)
    if not affected:
        return text
    notes = []
    for label, outcome in (
        ("reproduced here", REPRODUCED),
        ("not reproduced here", NOT_REPRODUCED),
        ("could not run here", CANNOT_RUN),
        ("not run", NOT_RUN),
    ):
        versions = [v for v in releases_with_outcome(result, bug_id, outcome) if v in affected]
        if versions == affected:
            notes.append(label)
        elif versions:
            notes.append(f"{label} with {_runs_text(_runs(versions, among))}")
    if notes != ["reproduced here"]:
        notes.insert(0, "from the source")
    return f"{text} ({'; '.join(notes)})"


def _runs(chosen: Sequence[str], among: Sequence[str]) -> list[list[str]]:
    picked = set(chosen)
    runs: list[list[str]] = []
    previous_in = False
    for version in among:
        if version in picked:
            if previous_in:
                runs[-1].append(version)
            else:
                runs.append([version])
        previous_in = version in picked
    return runs


def _runs_text(runs: list[list[str]]) -> str:
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


def describe_releases(chosen: Sequence[str], among: Sequence[str]) -> str:
    """``chosen`` as runs of consecutive releases of ``among`` (ordered), e.g. "1.1.0–1.3.0" or "none".

    "all checked releases (0.0.0a1–1.3.0)" when every release is chosen.
    """
    runs = _runs(chosen, among)
    if not runs:
        return "none"
    text = _runs_text(runs)
    if len(runs) == 1 and len(runs[0]) == len(among) and len(among) > 1:
        return f"all checked releases ({text})"
    return text


# --- cells: liquid-audio x dependency versions (``--with``) -----------------------------------------


@dataclass
class CellResult(_WithBugs, JsonMixin):
    """One liquid-audio release run with one chosen version of each ``--with`` package.

    ``built`` is False when the cell's packages could not be resolved or installed (no release matches
    the spec, no wheel for this Python, a resolution conflict): ``import_problem`` then says why, and
    every bug reads "cannot run" with that reason.
    """

    liquid_audio: str
    deps: dict[str, str | None]  # package -> the release the cell runs with (None: none could be resolved)
    importable: bool
    import_problem: str | None
    bugs: list[ReleaseBug] = field(default_factory=list)
    deprecations: list[dict[str, Any]] = field(default_factory=list)  # {library, version, removal_version, ...}
    specs: dict[str, str] = field(default_factory=dict)  # package -> the SPEC given on the command line
    built: bool = True
    platform: str = ""  # "Linux x86_64", "Darwin arm64": where the cell ran
    python: str = ""  # the target's Python version
    transformers: str | None = None  # the transformers the release saw
    overlay: list[str] = field(default_factory=list)  # the PYTHONPATH entries laid over the target
    provisioned: list[str] = field(default_factory=list)  # pins laid over the target for this cell

    @property
    def label(self) -> str:
        """ "1.1.0 × transformers 4.57.6" (the spec where nothing was resolved)."""
        parts = [self.liquid_audio] + [f"{name} {version or self.specs.get(name, '?')}" for name, version in self.deps.items()]
        return " × ".join(parts)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellResult:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "bugs"}
        return cls(**fields, bugs=[ReleaseBug(**bug) for bug in data.get("bugs", [])])


@dataclass
class CellMatrix(JsonMixin):
    """``lfmdoctor matrix --with ...``: every cell of liquid-audio releases x dependency versions."""

    python: str  # the target interpreter
    transformers: str | None  # the target's own transformers version
    axes: dict[str, list[str]]  # package -> the specs given, in order
    listing: str  # where the release and package lists came from
    repro: str  # whether reproductions ran, and if not, why
    cells: list[CellResult] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellMatrix:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "cells"}
        return cls(**fields, cells=[CellResult.from_json(cell) for cell in data.get("cells", [])])
