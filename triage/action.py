"""The GitHub Action's step: triage an opened or edited issue and comment once with the known bug it reports.

``python -m lfmdoctor.triage.action`` reads the event at ``GITHUB_EVENT_PATH`` and talks to GitHub through the
``gh`` CLI (``GH_TOKEN``). The comment carries a hidden marker, so an edited issue, or a re-run, never gets a
second one; nothing is posted when nothing matches, and that is no failure. Standard library and lfmdoctor's
pure modules only: the action installs lfmdoctor with ``--no-deps``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from lfmdoctor.bugs import BUGS
from lfmdoctor.report.redact import Context

from .engine import triage
from .result import Hit
from .threads import REPO, known

MARKER = "<!-- liquid-audio-error-triage -->"
EVENTS = ("opened", "edited", "reopened")
PARTS = {
    "type": "the exception type",
    "message": "the message",
    "frames": "the liquid-audio frame",
    "mentions": "the call named",
}


def comment(hit: Hit) -> str:
    """The comment, in upstream's words: what fails, why, the workaround in plain liquid-audio code, the threads."""
    matched = ", ".join(PARTS[part] for part in hit.matched)
    where = f" ({hit.frame})" if hit.frame else ""
    threads = "; ".join(f"{REPO}#{state.number}: {state.describe()}" for state in hit.threads)
    lines = [
        MARKER,
        f"This looks like a known liquid-audio problem: **{hit.title}**.",
        "",
        f"**Cause:** {hit.cause}.",
        "",
        f"**Workaround:** {hit.fix.callsite}.",
    ]
    if threads:
        lines += ["", f"**Upstream:** {threads}."]
    lines += ["", f"<sub>Matched automatically by lfmdoctor on {matched}{where}; it can be wrong.</sub>"]
    return "\n".join(lines) + "\n"


def issue_text(event: Mapping) -> str | None:
    """The text to triage (title and body), or None for an event this action leaves alone."""
    issue = event.get("issue") or {}
    if event.get("action") not in EVENTS or not issue or issue.get("pull_request"):
        return None
    return f"{issue.get('title') or ''}\n\n{issue.get('body') or ''}"


def gh(*args: str) -> str:
    done = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"gh {' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout


def main(env: Mapping[str, str] = os.environ) -> int:
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    text = issue_text(event)
    if text is None:
        print("not an opened or edited issue: nothing to do")
        return 0
    result = triage(text, BUGS, known(BUGS), Context())
    if not result.matches:
        print("no known liquid-audio bug matches this issue: nothing posted")
        return 0
    number, repo = str(event["issue"]["number"]), env["GITHUB_REPOSITORY"]
    try:
        comments = json.loads(gh("issue", "view", number, "--repo", repo, "--json", "comments"))["comments"]
        if any(MARKER in (c.get("body") or "") for c in comments):
            print(f"issue #{number} already has the triage comment: nothing posted")
            return 0
        with tempfile.TemporaryDirectory() as folder:
            body = Path(folder, "comment.md")
            body.write_text(comment(result.matches[0]), encoding="utf-8")
            gh("issue", "comment", number, "--repo", repo, "--body-file", str(body))
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        print(f"::error::{exc}")
        return 1
    print(f"commented on issue #{number}: {result.matches[0].bug}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
