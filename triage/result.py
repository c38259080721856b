"""What ``lfmdoctor triage`` finds: typed results, rendered as JSON (``to_json``) and in the terminal (``render``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lfmdoctor.errors import ExitCode
from lfmdoctor.results import JsonMixin

from .threads import ThreadState


@dataclass
class Fix(JsonMixin):
    """What a user can do now, three ways."""

    callsite: str  # the workaround in plain liquid-audio code
    exec: str | None  # run the program unchanged with the runtime fix
    patch: str | None  # fix the installed files


@dataclass
class Hit(JsonMixin):
    """One known bug the text matches, with how sure the match is."""

    bug: str
    title: str
    score: int
    matched: list[str]  # the parts that matched: "type", "message", "frames" or "mentions"
    error: str  # the error line that matched
    line: int  # where it is in the text
    message: str  # what the message pattern found
    frame: str | None  # the liquid-audio frame that matched
    mentions: str | None  # the words that tie an error without traceback to the bug
    signature: str  # where the matching signature comes from
    cause: str
    fix: Fix
    threads: list[ThreadState] = field(default_factory=list)

    @property
    def sureness(self) -> str:
        """``type + message + frames``: how sure, in the parts that matched."""
        return " + ".join(self.matched)


@dataclass
class Triage(JsonMixin):
    """The known bugs a text matches, best first; a draft new issue where it matches none."""

    errors: list[str]  # the error lines found, in order
    matches: list[Hit]
    tie: str | None = None  # why the first matches rank equal, and what would tell them apart
    note: str | None = None  # the input was cut
    draft: str | None = None  # a new issue's body (Markdown), where nothing matched

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PROBLEMS if self.matches else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        return {"matched": bool(self.matches), **data, "exit_code": int(self.exit_code)}
