"""The GitHub Action's step, offline: a recorded issue event and a fake ``gh`` on PATH that records its calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.triage.action import MARKER

EVENT = Path(__file__).parent / "fixtures" / "issue_opened.json"
FAKE_GH = """\
#!{python}
import json, os, sys
from pathlib import Path

folder = Path(os.environ["FAKE_GH_DIR"])
if os.environ.get("FAKE_GH_FAIL"):
    sys.exit("HTTP 403: Resource not accessible by integration")
with (folder / "calls.jsonl").open("a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
comments = folder / "comments.json"
posted = json.loads(comments.read_text()) if comments.exists() else []
if sys.argv[1:3] == ["issue", "view"]:
    print(json.dumps({{"comments": [{{"body": body}} for body in posted]}}))
elif sys.argv[1:3] == ["issue", "comment"]:
    posted.append(Path(sys.argv[sys.argv.index("--body-file") + 1]).read_text())
    comments.write_text(json.dumps(posted))
"""


@pytest.fixture
def github(tmp_path):
    """``github(event)``: the action's step run on ``event`` with a fake gh: (exit code, stdout, gh calls, comments)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(0o755)

    def run(event: dict, **extra: str):
        path = tmp_path / "event.json"
        path.write_text(json.dumps(event))
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_GH_DIR": str(tmp_path),
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REPOSITORY": "Liquid4All/liquid-audio",
            **extra,
        }
        done = subprocess.run([sys.executable, "-m", "lfmdoctor.triage.action"], capture_output=True, text=True, env=env)
        log = tmp_path / "calls.jsonl"
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        stored = tmp_path / "comments.json"
        return done.returncode, done.stdout, calls, json.loads(stored.read_text()) if stored.exists() else []

    return run


def recorded(**changes) -> dict:
    event = json.loads(EVENT.read_text())
    event.update({k: v for k, v in changes.items() if k != "body"})
    if "body" in changes:
        event["issue"]["body"] = changes["body"]
    return event


def test_an_opened_issue_with_a_known_bug_gets_one_comment_in_upstreams_words(github):
    code, out, calls, comments = github(recorded())
    assert code == 0, out
    assert [call[:2] for call in calls] == [["issue", "view"], ["issue", "comment"]]
    assert calls[1][2:5] == ["41", "--repo", "Liquid4All/liquid-audio"]
    (body,) = comments
    assert body.startswith(MARKER)
    assert "device='cpu'" in body and "Liquid4All/liquid-audio#30" in body and "as of" in body
    assert sum("lfmdoctor" in line for line in body.splitlines()) == 1
    assert "processor-device" not in body  # lfmdoctor's ids are not upstream's words


def test_an_edit_or_a_rerun_posts_no_second_comment(github):
    github(recorded())
    code, out, calls, comments = github(recorded(action="edited"))
    assert code == 0 and len(comments) == 1, out
    assert [call[:2] for call in calls][-1] == ["issue", "view"]
    assert "already has the triage comment" in out


@pytest.mark.parametrize(
    "body",
    ["It would be nice to have streaming output.", "```\nAssertionError: Torch not compiled with CUDA enabled\n```", None],
)
def test_nothing_matches_nothing_is_posted_and_the_step_passes(github, body):
    code, out, calls, comments = github(recorded(body=body))
    assert (code, calls, comments) == (0, [], []), out
    assert "nothing posted" in out


def test_other_events_are_left_alone(github):
    code, _, calls, _ = github(recorded(action="closed"))
    assert (code, calls) == (0, [])


def test_a_gh_failure_fails_the_step_with_one_annotation(github):
    code, out, _, comments = github(recorded(), FAKE_GH_FAIL="1")
    assert (code, comments) == (1, [])
    assert out.startswith("::error::gh issue view failed: HTTP 403") and len(out.splitlines()) == 1, out
