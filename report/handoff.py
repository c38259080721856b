"""How the user files the report upstream: a prefilled URL when short enough, else a gh command.

lfmdoctor never opens the URL or runs gh itself: it prints them.
"""

from __future__ import annotations

import shlex
from urllib.parse import quote

REPO = "Liquid4All/liquid-audio"
# GitHub rejects new-issue URLs above about 8 KB.
MAX_URL = 8000


def new_issue_url(title: str, body: str, repo: str = REPO) -> str:
    return f"https://github.com/{repo}/issues/new?title={quote(title)}&body={quote(body)}"


def handoff(title: str, body: str, body_file: str | None, repo: str = REPO) -> str:
    """One line for the user: the URL if it fits, else the gh command (needs the body in a file)."""
    url = new_issue_url(title, body, repo)
    if len(url) <= MAX_URL:
        return f"open this prefilled issue: {url}"
    target = shlex.quote(body_file) if body_file else "BODY.md"
    hint = "" if body_file else " (write the body there first with --out)"
    return (
        f"the report is too long for a prefilled URL ({len(url)} characters); file it with: "
        f"gh issue create --repo {repo} --title {shlex.quote(title)} --body-file {target}{hint}"
    )
