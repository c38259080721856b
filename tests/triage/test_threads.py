"""Thread states: stored in the bug modules, refreshed from recorded GitHub API answers, cached with the date read."""

from __future__ import annotations

import json

import pytest

from lfmdoctor.bugs import BUGS
from lfmdoctor.triage import threads

# Recorded GitHub REST answers (the fields read), as /repos/Liquid4All/liquid-audio/issues/N gives them
ANSWERS = {
    4: {"state": "closed", "closed_at": "2025-10-02T09:00:00Z", "pull_request": {"merged_at": None}},
    7: {"state": "closed", "closed_at": "2026-04-01T12:00:00Z", "pull_request": {"merged_at": None}},
    12: {"state": "closed", "closed_at": "2026-04-01T12:05:00Z", "pull_request": {"merged_at": None}},
    26: {"state": "closed", "closed_at": "2026-02-10T08:00:00Z"},
    30: {"state": "closed", "closed_at": "2026-12-10T10:00:00Z", "pull_request": {"merged_at": "2026-12-10T10:00:00Z"}},
}


def recorded(url: str, token: str | None) -> dict:
    return ANSWERS[int(url.rsplit("/", 1)[1])]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LFMDOCTOR_CACHE", str(tmp_path))
    return tmp_path / threads.CACHE_FILE


def test_every_cited_thread_is_listed_once_with_the_bugs_citing_it():
    known = threads.stored(BUGS)
    assert set(known) == {t.number for bug in BUGS for t in bug.threads}
    assert {"processor-device", "model-device", "detokenizer-device", "mimi-device"} <= set(known[30].cited_by)
    assert all(state.source == threads.STORED and state.as_of for state in known.values())


@pytest.mark.parametrize(
    ("answer", "state"),
    [(ANSWERS[30], "merged"), (ANSWERS[12], "closed unmerged"), (ANSWERS[26], "closed"), ({"state": "open"}, "open")],
)
def test_an_api_answer_becomes_a_state_with_the_date_read(answer, state):
    assert threads.from_api(1, answer, "2026-12-20") == {
        "number": 1,
        "state": state,
        "as_of": "2026-12-20",
        "closed_at": (answer.get("closed_at") or "")[:10] or None,
    }


def test_online_reads_caches_and_then_the_cache_is_the_freshest(cache):
    fresh = threads.known(BUGS, online=True, fetch=recorded)
    assert fresh[30].state == "merged" and fresh[30].source == threads.READ
    assert fresh[30].describe().startswith("merged on 2026-12-10, read ")
    assert json.loads(cache.read_text())["30"]["state"] == "merged"
    assert threads.known(BUGS)[30].state == "merged"  # offline now: the cached read wins over the stored state


def test_a_stored_state_newer_than_the_cache_wins(cache):
    cache.write_text(json.dumps({"30": {"number": 30, "state": "closed", "as_of": "2000-01-01", "closed_at": None}}))
    assert threads.known(BUGS)[30].source == threads.STORED


def test_a_broken_cache_is_ignored(cache):
    cache.write_text("{not json")
    assert threads.known(BUGS)[30].source == threads.STORED


def test_a_stored_close_is_said_as_of_the_date_read_never_as_the_close_date():
    assert threads.stored(BUGS)[26].describe() == "closed as of 2026-12-04"
    assert threads.stored(BUGS)[30].describe() == "open since 2026-06-03, read 2026-12-04"
