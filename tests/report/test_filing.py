"""Filing a run folder upstream, offline, the way a maintainer receives it: a local bare "upstream" at the release,
a bare fork cloned from it, the user's checkout of the fork, and a fake ``gh`` on PATH that records its arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.patches.series import checkout, installed_source, write_series
from lfmdoctor.report.plan import HARNESS, PLAN_FILE, plan

FAKE_GH = """\
#!{python}
import json, os, sys
from pathlib import Path
log = Path(os.environ["FAKE_GH_LOG"])
count = Path(os.environ["FAKE_GH_LOG"] + ".n")
n = int(count.read_text()) + 1 if count.exists() else 100
count.write_text(str(n))
args = sys.argv[1:]
body = ""
if "--body-file" in args:
    body = Path(args[args.index("--body-file") + 1]).read_text()
with log.open("a") as f:
    f.write(json.dumps({{"args": args, "body": body, "n": n}}) + "\\n")
kind = {{"issue": "issues", "pr": "pull"}}[args[0]]
if args[:2] == ["pr", "comment"]:
    print(f"https://github.com/Liquid4All/liquid-audio/pull/{{args[2]}}#issuecomment-{{n}}")
else:
    print(f"https://github.com/Liquid4All/liquid-audio/{{kind}}/{{n}}")
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def series_of_release(tmp_path_factory):
    pytest.importorskip("liquid_audio")
    source, release = installed_source(sys.executable)
    out = tmp_path_factory.mktemp("series")
    return source, release, write_series(out / "series", source, release, author=("A Contributor", "a@example.org"))


@pytest.fixture
def world(tmp_path, series_of_release, monkeypatch):
    """(run folder, the user's checkout, gh's log): upstream and the fork are bare repositories at the release."""
    source, release, series = series_of_release
    for name, value in {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    seed = checkout(tmp_path / "seed", source, release)
    git(seed, "branch", "-M", "main")
    git(tmp_path, "clone", "--quiet", "--bare", str(seed), "upstream.git")
    git(tmp_path, "clone", "--quiet", "--bare", str(tmp_path / "upstream.git"), "fork.git")
    git(tmp_path, "clone", "--quiet", str(tmp_path / "fork.git"), "work")
    run = tmp_path / "run"
    (run / "series").mkdir(parents=True)
    patches = {}
    for commit, patch in zip(series.commits, series.patches):
        (run / "series" / patch.name).write_bytes(patch.read_bytes())
        for key in commit.bugs or (HARNESS,):
            patches[key] = f"series/{patch.name}"
    bug_ids = [bug for bug in patches if bug != HARNESS]
    items = plan(bug_ids, patches, {})
    for item in items:
        for name in (item.issue, item.pr, item.comment):
            if name:
                (run / name).parent.mkdir(exist_ok=True)
                (run / name).write_text(f"Title of {item.key} {Path(name).parent}\n\nBody of {name}.\n")
    (run / PLAN_FILE).write_text(json.dumps([item.to_json() for item in items]))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH.format(python=sys.executable))
    (bin_dir / "gh").chmod(0o755)
    log = tmp_path / "gh.log"
    monkeypatch.setenv("FAKE_GH_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return run, tmp_path / "work", log, items


def gh_calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_dry_run_files_nothing_and_shows_the_first_three(cli, world):
    run, work, log, items = world
    done = cli("report", "file", str(run), "--checkout", str(work))
    assert done.returncode == 0, done.stderr
    assert "1. harness" in done.stdout and "3. " in done.stdout and "4. " not in done.stdout
    assert f"{len(items) - 3} left" in done.stdout
    assert not log.exists() and not (run / "filed.json").exists()


def test_filing_in_batches_opens_one_commit_prs_from_the_fork_that_link_their_issues(cli, world):
    run, work, log, items = world
    main = git(work, "rev-parse", "main")
    rounds = 0
    while True:
        done = cli("report", "file", str(run), "--yes", "--checkout", str(work), "--fork-owner", "someone")
        assert done.returncode == 0, done.stderr
        rounds += 1
        if "nothing left to file" in done.stdout:
            break
        assert git(work, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # back on the base branch every time
    assert rounds == -(-len(items) // 3) + 1
    calls = gh_calls(log)
    issues = {c["n"]: c for c in calls if c["args"][:2] == ["issue", "create"]}
    prs = [c for c in calls if c["args"][:2] == ["pr", "create"]]
    comments = [c for c in calls if c["args"][:2] == ["pr", "comment"]]
    assert len(prs) == sum(item.kind != "comment" for item in items)
    assert len(issues) == sum(item.kind == "issue+pr" for item in items)
    assert [c["args"][2] for c in comments] == ["30"] * sum(item.kind == "comment" for item in items)
    filed = json.loads((run / "filed.json").read_text())
    harness_pr = filed[HARNESS]["pr"]
    assert prs[0]["args"][prs[0]["args"].index("--head") + 1] == "someone:test-harness"
    for pr in prs:
        args = pr["args"]
        assert args[args.index("--repo") + 1] == "Liquid4All/liquid-audio"
        assert args[args.index("--base") + 1] == "main"
        owner, branch = args[args.index("--head") + 1].split(":")
        assert owner == "someone"
        # exactly one commit on top of main, pushed to the fork: nothing stacked
        assert git(run.parent / "fork.git", "rev-list", "--count", f"main..{branch}") == "1"
        assert git(run.parent / "fork.git", "rev-parse", f"{branch}^") == main
        key = next(item.key for item in items if item.branch == branch)
        if key != HARNESS:
            assert pr["body"].startswith(f"Fixes #{filed[key]['issue']}\n"), pr["body"][:80]
            assert f"#{harness_pr}" in pr["body"]
            assert filed[key]["issue"] in issues


def test_an_item_that_fails_leaves_the_checkout_on_main_and_is_tried_again(cli, world):
    run, work, _, _ = world
    git(work, "switch", "--quiet", "-c", "test-harness")  # the harness branch exists already: git refuses
    git(work, "switch", "--quiet", "main")
    done = cli("report", "file", str(run), "--yes", "--checkout", str(work), "--fork-owner", "someone")
    assert done.returncode == 2 and "git" in done.stderr and "Traceback" not in done.stderr
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert not json.loads((run / "filed.json").read_text() if (run / "filed.json").exists() else "{}").get(HARNESS)


@pytest.mark.parametrize("release", RELEASES)
def test_each_fix_applies_alone_with_the_harness_and_all_in_order(release_package, release, tmp_path, monkeypatch):
    package = release_package(release)
    monkeypatch.setenv("GIT_COMMITTER_NAME", "A")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "a@example.org")
    series = write_series(tmp_path / "series", package, release, author=("A Contributor", "a@example.org"))
    harness, *fixes = series.patches
    assert [c.subject.split(":")[0] for c in series.commits] == ["test"] + ["fix"] * len(fixes)
    assert all(len(c.subject) <= 72 for c in series.commits)
    assert len({c.subject for c in series.commits}) == len(series.commits)
    assert all("From: A Contributor <a@example.org>" in patch.read_text() for patch in series.patches)
    for number, patch in enumerate(fixes):
        tree = checkout(tmp_path / f"alone-{number}", package, release)
        git(tree, "am", "--quiet", str(harness), str(patch))  # raises if it does not apply
        assert git(tree, "rev-list", "--count", "HEAD") == "3"
    tree = checkout(tmp_path / "all", package, release)
    git(tree, "am", "--quiet", *map(str, series.patches))
    assert git(tree, "rev-list", "--count", "HEAD") == str(1 + len(series.patches))


def test_the_order_is_the_declared_rule():
    from lfmdoctor.bugs import filing_groups, filing_rank

    ranks = [filing_rank(group[0]) for group in filing_groups()]
    assert ranks == sorted(ranks)
    assert filing_rank(get_bug("processor-device")) == 2  # a default the maintainers declined before: last
    assert filing_rank(get_bug("detokenizer-device")) == 0  # fails with device= passed
