"""The upstream threads the bug modules cite, with the freshest state known: stored, or read from GitHub.

The bug modules record each thread's state as read on a date (``Thread.as_of``). ``refresh`` reads the
current state from the GitHub REST API and ``save`` keeps it in the lfmdoctor cache with the date read; the
newer of the two is the one shown (``freshest``), always with its date. Pure but for ``fetch``, ``load`` and
``save``, which tests replace or point at a temporary folder.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.results import JsonMixin

REPO = "Liquid4All/liquid-audio"
API = f"https://api.github.com/repos/{REPO}/issues/{{number}}"
CACHE_FILE = "threads.json"
TIMEOUT_S = 10
STORED, READ = "bug module", "GitHub API"


class Offline(LfmdoctorError):
    """GitHub could not be read (no network, a refusal, an unreadable answer): one line, exit 2."""


@dataclass
class ThreadState(JsonMixin):
    """An upstream thread's state as last known, and where and when that was read."""

    number: int
    kind: str  # "issue" or "pr"
    title: str
    state: str  # "open", "closed", "merged", "closed unmerged"
    as_of: str  # ISO date the state was read
    source: str  # STORED or READ
    closed_at: str | None = None  # ISO date, where the API gave one
    cited_by: list[str] = field(default_factory=list)  # bug ids
    since: str = ""  # ISO date an open thread's state began, where the record shows it

    @property
    def url(self) -> str:
        return f"https://github.com/{REPO}/{'pull' if self.kind == 'pr' else 'issues'}/{self.number}"

    def describe(self) -> str:
        """``closed on 2026-04-01, read 2026-12-04``, ``open since 2026-06-03, read 2026-12-04`` or ``closed as of
        2026-12-04``: never a read date as the date a state began."""
        if self.closed_at and self.state != "open":
            return f"{self.state} on {self.closed_at}, read {self.as_of}"
        if self.since and self.state == "open":
            return f"open since {self.since}, read {self.as_of}"
        return f"{self.state} as of {self.as_of}"


def stored(bugs) -> dict[int, ThreadState]:
    """Every thread the bug modules cite, by number, in the newest state any of them records."""
    known: dict[int, ThreadState] = {}
    for bug in bugs:
        for thread in bug.threads:
            state = known.get(thread.number)
            if state is None or thread.as_of > state.as_of:
                cited = state.cited_by if state else []
                state = ThreadState(
                    thread.number, thread.kind, thread.title, thread.state, thread.as_of, STORED, None, cited, thread.since
                )
                known[thread.number] = state
            if bug.id not in state.cited_by:
                state.cited_by.append(bug.id)
    return dict(sorted(known.items()))


def from_api(number: int, payload: dict, read_on: str) -> dict:
    """What the cache keeps of one GitHub issue/PR answer."""
    pull = payload.get("pull_request")
    if payload.get("state") == "open":
        state = "open"
    elif pull is not None:
        state = "merged" if pull.get("merged_at") else "closed unmerged"
    else:
        state = "closed"
    closed = payload.get("closed_at") or None
    return {"number": number, "state": state, "as_of": read_on, "closed_at": closed[:10] if closed else None}


def freshest(known: dict[int, ThreadState], cached: dict[int, dict]) -> dict[int, ThreadState]:
    """``known`` with each thread's state replaced by the cached one where that was read later."""
    fresh: dict[int, ThreadState] = {}
    for number, state in known.items():
        entry = cached.get(number)
        if entry and str(entry.get("as_of", "")) >= state.as_of and entry.get("state"):
            since = state.since if entry["state"] == state.state else ""
            state = ThreadState(
                number,
                state.kind,
                state.title,
                entry["state"],
                entry["as_of"],
                READ,
                entry.get("closed_at"),
                state.cited_by,
                since,
            )
        fresh[number] = state
    return fresh


def fetch(url: str, token: str | None) -> dict:
    """GET one GitHub API URL as JSON; any failure is ``Offline`` (one line)."""
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "lfmdoctor"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise Offline(f"GitHub answered {exc.code} {exc.reason} for {url}; set GITHUB_TOKEN if it is a rate limit") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Offline(f"cannot reach GitHub ({reason}); the stored states are shown without --online") from None
    except ValueError as exc:
        raise Offline(f"GitHub's answer for {url} is not JSON ({exc}); retry later") from None


def refresh(numbers, fetch: Callable[[str, str | None], dict] = fetch, today: str | None = None) -> dict[int, dict]:
    """The current state of each thread, read from GitHub now (``Offline`` if it cannot be read)."""
    read_on = today or date.today().isoformat()
    token = os.environ.get("GITHUB_TOKEN") or None
    return {number: from_api(number, fetch(API.format(number=number), token), read_on) for number in numbers}


def cache_path() -> Path:
    from lfmdoctor.cache import cache_root

    return cache_root() / CACHE_FILE


def load() -> dict[int, dict]:
    """The cached states; nothing where the cache is missing, unusable or unreadable (the stored ones stand)."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        return {int(number): entry for number, entry in data.items() if isinstance(entry, dict)}
    except (LfmdoctorError, OSError, ValueError, AttributeError):
        return {}


def save(states: dict[int, dict]) -> None:
    """Add ``states`` to the cache (atomically)."""
    from lfmdoctor.files import write_all

    merged = {**load(), **states}
    write_all({cache_path(): json.dumps({str(n): merged[n] for n in sorted(merged)}, indent=2) + "\n"})


def known(bugs, online: bool = False, fetch: Callable[[str, str | None], dict] = fetch) -> dict[int, ThreadState]:
    """The freshest state of every cited thread; ``online``: read from GitHub first and cache what was read."""
    cited = stored(bugs)
    if online:
        save(refresh(cited, fetch))
    return freshest(cited, load())
