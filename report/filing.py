"""Filing a run folder upstream with ``git`` and ``gh`` (I/O): ``lfmdoctor report file``.

The plan (``plan.json``, written by ``run``) says what to file, in order. Each call files at most ``batch``
items that are not filed yet and records each one in ``filed.json`` as soon as it is done, so a second call
goes on where the first stopped. A pull request's branch is made from the base branch, holds exactly its
item's one commit (``git am``), is pushed to the user's fork, and the checkout goes back to the base branch
whatever happens. The PR is opened with ``--repo``, ``--base`` and ``--head <fork owner>:<branch>``, and says
``Fixes #N`` for the issue filed just before it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_atomic
from lfmdoctor.report.handoff import REPO
from lfmdoctor.report.plan import HARNESS, PLAN_FILE, Item, describe

FILED_FILE = "filed.json"
BATCH = 3  # a two-person maintainer team reads a few at a time
NUMBER = re.compile(r"/(?:issues|pull)/(\d+)\s*$")
REMOTE_OWNER = re.compile(r"github\.com[:/](?P<owner>[^/]+)/[^/]+?(?:\.git)?/?$")


class FilingError(LfmdoctorError):
    """Filing cannot go on: the run folder, the checkout, git or gh said no (one line, what to do)."""


@dataclass
class Filing:
    """Where and how to file: the run folder, the fork's checkout, and upstream's repository and base branch."""

    run: Path
    checkout: Path = field(default_factory=Path.cwd)
    repo: str = REPO
    base: str = "main"
    remote: str = "origin"
    fork_owner: str | None = None
    batch: int = BATCH


@dataclass
class Step:
    """What one item did (or, in a dry run, would do)."""

    key: str
    what: str
    done: dict[str, str | int] = field(default_factory=dict)


Runner = Callable[[list[str], Path, str | None], str]


def run_command(argv: list[str], cwd: Path, stdin: str | None = None) -> str:
    """Run git or gh; one FilingError line with the tool's last words when it fails."""
    try:
        done = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise FilingError(f"{argv[0]} is not installed; install it (gh: https://cli.github.com) and run again") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise FilingError(f"{' '.join(argv[:3])} failed: {said}")
    return done.stdout


def load_plan(run: Path) -> list[Item]:
    try:
        rows = json.loads((run / PLAN_FILE).read_text(encoding="utf-8"))
        return [Item(**row) for row in rows]
    except FileNotFoundError:
        raise FilingError(f"{run} has no {PLAN_FILE}; pass the folder 'lfmdoctor run --out' wrote") from None
    except (ValueError, TypeError) as exc:
        raise FilingError(f"{run / PLAN_FILE} is not a plan lfmdoctor wrote ({exc}); run 'lfmdoctor run' again") from None


def load_filed(run: Path) -> dict[str, dict]:
    try:
        return json.loads((run / FILED_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise FilingError(f"{run / FILED_FILE} is damaged ({exc}); fix or remove it, knowing what was filed") from None


def pending(items: list[Item], filed: dict[str, dict]) -> list[Item]:
    """Items not filed completely yet (an issue filed without its PR is pending)."""
    return [item for item in items if not filed.get(item.key, {}).get("done")]


def fork_owner(filing: Filing, runner: Runner) -> str:
    if filing.fork_owner:
        return filing.fork_owner
    url = runner(["git", "remote", "get-url", filing.remote], filing.checkout, None).strip()
    match = REMOTE_OWNER.search(url)
    if not match:
        raise FilingError(f"cannot tell the fork's owner from remote {filing.remote} ({url}); pass --fork-owner")
    return match["owner"]


def _read(run: Path, name: str | None) -> str:
    if not name:
        raise FilingError("the plan names no file for an item; run 'lfmdoctor run' again")
    try:
        return (run / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise FilingError(f"cannot read {run / name}: {exc.strerror or exc}; run 'lfmdoctor run' again") from None


def _text(run: Path, name: str | None) -> tuple[str, str]:
    """(title, body) of a run-folder file: the title line, a blank line, the body."""
    title, _, body = _read(run, name).partition("\n\n")
    return title.strip(), body


def _body_file(tmp: Path, name: str, body: str) -> str:
    path = tmp / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def _number(output: str) -> int:
    match = NUMBER.search(output.strip())
    if not match:
        raise FilingError(f"gh did not print the new item's address (it said {output.strip()[:80]!r})")
    return int(match[1])


def file_next(filing: Filing, *, dry_run: bool = True, runner: Runner = run_command) -> tuple[list[Step], int]:
    """File the next ``batch`` pending items (or, with ``dry_run``, say what that would do).

    Returns the steps and how many items are left after them."""
    items = load_plan(filing.run)
    filed = load_filed(filing.run)
    todo = pending(items, filed)
    batch, left = todo[: filing.batch], len(todo) - len(todo[: filing.batch])
    if dry_run:
        return [Step(item.key, describe(item)) for item in batch], left
    owner = fork_owner(filing, runner)
    steps = []
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-file-") as tmp:
        for item in batch:
            record = filed.setdefault(item.key, {})
            _file_item(filing, item, record, filed, owner, Path(tmp), runner)
            steps.append(Step(item.key, describe(item), dict(record)))
    return steps, left


def _save(filing: Filing, filed: dict[str, dict]) -> None:
    write_atomic(filing.run / FILED_FILE, json.dumps(filed, indent=2) + "\n")


def _file_item(
    filing: Filing, item: Item, record: dict, filed: dict[str, dict], owner: str, tmp: Path, runner: Runner
) -> None:
    if item.kind == "comment":
        body = _read(filing.run, item.comment)
        args = ["gh", "pr", "comment", str(item.thread), "--repo", filing.repo, "--body-file"]
        record["comment"] = runner([*args, _body_file(tmp, f"{item.key}.md", body)], filing.checkout, None).strip()
    else:
        if item.kind == "issue+pr" and "issue" not in record:
            title, body = _text(filing.run, item.issue)
            args = ["gh", "issue", "create", "--repo", filing.repo, "--title", title, "--body-file"]
            record["issue"] = _number(runner([*args, _body_file(tmp, f"{item.key}-issue.md", body)], filing.checkout, None))
            _save(filing, filed)
        title, body = _text(filing.run, item.pr)
        lines = [f"Fixes #{record['issue']}"] if "issue" in record else []
        harness = filed.get(HARNESS, {}).get("pr")
        if harness and item.key != HARNESS:
            lines.append(f"Its test needs the fixture from #{harness}.")
        body = "\n".join(lines) + ("\n\n" if lines else "") + body
        _push_branch(filing, item, runner)
        args = ["gh", "pr", "create", "--repo", filing.repo, "--base", filing.base, "--head", f"{owner}:{item.branch}"]
        args += ["--title", title, "--body-file", _body_file(tmp, f"{item.key}-pr.md", body)]
        record["pr"] = _number(runner(args, filing.checkout, None))
    record["done"] = True
    _save(filing, filed)


def _push_branch(filing: Filing, item: Item, runner: Runner) -> None:
    """The item's branch: the base branch plus its one commit, pushed to the fork; back on the base branch after."""
    if not item.patch or not item.branch:
        raise FilingError(f"the plan has no patch for {item.key}; run 'lfmdoctor run' again")
    patch = (filing.run / item.patch).resolve()
    git = ["git", "-C", str(filing.checkout)]
    runner([*git, "switch", "--quiet", filing.base], filing.checkout, None)
    runner([*git, "switch", "--quiet", "-c", item.branch], filing.checkout, None)
    try:
        try:
            runner([*git, "am", "--quiet", str(patch)], filing.checkout, None)
        except FilingError:
            runner([*git, "am", "--abort"], filing.checkout, None)
            raise
        runner([*git, "push", "--quiet", "-u", filing.remote, item.branch], filing.checkout, None)
    finally:
        runner([*git, "switch", "--quiet", filing.base], filing.checkout, None)


def environment_ok(checkout: Path) -> None:
    """The checkout is a git work tree with nothing uncommitted (git am needs a clean tree)."""
    if not (checkout / ".git").exists():
        raise FilingError(f"{checkout} is not a git checkout; run this in a clone of your fork of {REPO}")
    status = run_command(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"], checkout)
    if status.strip():
        raise FilingError(f"{checkout} has uncommitted changes; commit or stash them first")
    os.environ.setdefault("GH_PROMPT_DISABLED", "1")
