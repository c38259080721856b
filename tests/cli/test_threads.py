"""``lfmdoctor threads``: offline it shows the stored states; an unreachable GitHub is one line, or a note."""

from __future__ import annotations

import json

from lfmdoctor.bugs import BUGS
from lfmdoctor.triage.threads import stored

UNREACHABLE = {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "GITHUB_TOKEN": ""}


def test_offline_every_cited_thread_is_shown_with_its_date(cli, tmp_path):
    done = cli("threads", env={"LFMDOCTOR_CACHE": str(tmp_path), **UNREACHABLE})
    assert done.returncode == 0, done.stderr
    assert all(f"#{number}" in done.stdout for number in stored(BUGS))
    from lfmdoctor.bugs._threads import READ

    assert READ in done.stdout


def test_the_threads_command_refreshes_offline_as_one_line_or_falls_back(cli, one_error, tmp_path):
    env = {"LFMDOCTOR_CACHE": str(tmp_path), **UNREACHABLE}
    assert "cannot reach GitHub" in one_error(cli("threads", "--online", env=env))
    done = cli("threads", "--json", env={**env, "GITHUB_TOKEN": "x" * 20})
    assert done.returncode == 0 and "showing the stored states" in done.stderr, done.stderr
    assert {entry["number"] for entry in json.loads(done.stdout)} == set(stored(BUGS))
