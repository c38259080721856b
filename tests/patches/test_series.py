"""The upstream patch series (``lfmdoctor.patches.series``): one commit per bug, the regression tests, a CI workflow;
and each bug's standalone diff. Checked on checkouts of real releases with git, and with the ruff upstream pins."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._spec import RELEASES, Edit
from lfmdoctor.patches import series
from lfmdoctor.patches.stored import patch_for
from lfmdoctor.patches.unidiff import apply

LATEST = RELEASES[-1]
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")
# Words of lfmdoctor's own that posted text must not carry
VOCABULARY = re.compile(
    r"lfmdoctor|callsite|call-site fix|runtime fix|source fix|not_reproduced|\breproduced\b|strategy"
    r"|patches/|bugs/|repro/|sourcegen|tiny checkpoint built by"
)


def flat(text: str) -> str:
    """Wrapped text on one line."""
    return " ".join(text.split()) + " "


def originals(package: Path) -> dict[str, str]:
    return {p.relative_to(package).as_posix(): p.read_text() for p in package.rglob("*.py") if "__pycache__" not in p.parts}


def final_sources(commits: list[series.Commit], start: dict[str, str], release: str) -> dict[str, str]:
    """The files after every commit: the release with every bug's edits in the series made, and the new files."""
    bugs = [get_bug(bug) for commit in commits for bug in commit.bugs]
    edited = series.apply_edits(start, [(bug, edit) for bug in bugs for edit in bug.edits if edit.applies(release)], release)
    files = {series.PREFIX + path: text for path, text in edited.items()}
    files.update(
        {path: text for commit in commits for path, text in commit.files.items() if not path.startswith(series.PREFIX)}
    )
    return files


@pytest.fixture(scope="module")
def latest(release_package) -> Path:
    return release_package(LATEST)


@pytest.fixture(scope="module")
def latest_commits(latest) -> list[series.Commit]:
    return series.commits(LATEST, originals(latest), series.builder_text())


def test_the_harness_first_then_one_commit_per_group_in_filing_order_with_its_own_tests(latest_commits):
    from lfmdoctor.bugs import filing_groups

    groups = filing_groups([bug for bug in BUGS if any(edit.applies(LATEST) for edit in bug.edits)])
    harness, *fixes = latest_commits
    assert harness.bugs == () and harness.subject.startswith("test: ")
    assert set(harness.files) == {series.CONFTEST, series.BUILDER}
    assert [c.bugs for c in fixes] == [tuple(bug.id for bug in group) for group in groups]
    for commit, group in zip(fixes, groups):
        tests = {series.test_path(bug) for bug in group}
        assert {path for path in commit.files if not path.startswith(series.PREFIX)} == tests
        assert commit.subject.startswith("fix: ") and len(commit.subject) <= 72
    assert len({c.subject for c in latest_commits}) == len(latest_commits)


@pytest.mark.parametrize("release", RELEASES)
def test_the_series_ends_where_the_stored_patch_does(release_package, release):
    """Every release: the edits match, and the commits together change the files as the stored diff does."""
    package = release_package(release)
    start = originals(package)
    commits = series.commits(release, start, series.builder_text())
    final = final_sources(commits, start, release)
    stored = patch_for(release)
    assert stored is not None
    for path, diff in stored.diffs.items():
        assert final[series.PREFIX + path] == apply(start[path], diff), path
    changed = {path for commit in commits if commit.bug for path in commit.files if path.startswith(series.PREFIX)}
    assert changed == {series.PREFIX + path for path in stored.diffs}


def test_messages_say_what_fails_where_and_what_changes_in_upstreams_words(latest, latest_commits):
    ids = re.compile("|".join(rf"(?<![\w-]){re.escape(bug.id)}(?![\w-])" for bug in BUGS))
    for commit in latest_commits:
        text = commit.message
        assert not VOCABULARY.search(text), (commit.subject, VOCABULARY.search(text))
        assert not ids.search(commit.subject + commit.body.replace(".py", "")), (commit.subject, ids.search(text))
        assert len(commit.subject) <= 90 and "\n" not in commit.subject
        if commit.bug is None:  # the harness: new files, in upstream's words too
            assert not any(re.search(r"lfmdoctor|sourcegen|callsite", text, re.I) for text in commit.files.values())
            continue
        bug = get_bug(commit.bug)
        line = series.where(bug, (latest / bug.module).read_text())
        assert line, bug.id
        assert f"Cause ({bug.upstream_path}:{line}): " in flat(commit.body)
        assert " fails with: " in flat(commit.body) or " warns: " in flat(commit.body)
        assert series.subject(bug) == commit.subject and commit.subject.startswith("fix: ")


def test_a_fix_that_builds_on_another_is_one_commit_with_it_and_says_what_it_uses(latest_commits):
    by_bug = {bug: c for c in latest_commits for bug in c.bugs}
    dependent = [bug for bug in BUGS if bug.id in by_bug and bug.after]
    assert dependent
    for bug in dependent:
        for name in bug.after:
            assert by_bug[name] is by_bug[bug.id]
    model = next(bug for bug in dependent if any(edit.shared for name in bug.after for edit in get_bug(name).edits))
    assert "It uses default_device(), which this commit adds to src/liquid_audio/utils.py" in flat(by_bug[model.id].body)


def test_standalone_diff_carries_the_shared_helper_of_the_fix_it_builds_on(latest):
    for bug in BUGS:
        diff = series.standalone_diff(bug, latest, LATEST)
        assert bool(diff) == any(edit.applies(LATEST) for edit in bug.edits)
        shared = [edit for name in bug.after for edit in get_bug(name).edits if edit.shared and edit.applies(LATEST)]
        for edit in shared:
            assert "+def default_device() -> str:" in diff and f"+++ b/src/liquid_audio/{edit.path}" in diff
        if not shared and not any(edit.shared for edit in bug.edits):
            assert "def default_device" not in diff, bug.id


def test_standalone_diff_without_the_helper_bug_keeps_only_its_own_hunks(latest):
    """A bug with no ``after`` gets exactly its own edits: nothing from another bug."""
    local = next(bug for bug in BUGS if not bug.after and {e.path for e in bug.edits} == {"utils.py"})
    diff = series.standalone_diff(local.id, latest, LATEST)
    changed = sorted(line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    assert changed == sorted([*(f"-{e.old.rstrip()}" for e in local.edits), *(f"+{e.new.rstrip()}" for e in local.edits)])


def test_standalone_diff_reads_a_wheel_and_names_its_release(release_package, tmp_path):
    import zipfile

    package = release_package(LATEST)
    wheel = tmp_path / f"liquid_audio-{LATEST}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, "liquid_audio/" + path.relative_to(package).as_posix())
    bug = BUGS[1]
    assert series.standalone_diff(bug, wheel) == series.standalone_diff(bug, package, LATEST)
    assert series.release_of(wheel) == LATEST


def test_imports_follow_upstreams_first_party_layout():
    text = "import os\n\nimport torch\nfrom liquid_audio import X\n\n\ndef f():\n"
    assert series.first_party_last(text + "    from liquid_audio import y\n    import np\n") == (
        text.replace("\nfrom liquid", "\n\nfrom liquid") + "    import np\n\n    from liquid_audio import y\n"
    )
    done = "import torch\n\nfrom liquid_audio import X\n"
    assert series.first_party_last(done) == done


def test_the_shipped_builder_is_the_built_in_one_without_our_name():
    shipped = series.builder_source(series.builder_text())
    assert "lfmdoctor" not in shipped.lower() and "tests/tiny_checkpoint.py OUT_DIR" in shipped
    assert "def build(out, seed=0, detokenizer=False, mimi=False, steered=False):" in shipped
    compile(shipped, "tiny_checkpoint.py", "exec")


def test_edits_that_do_not_match_are_one_line_errors(latest):
    from lfmdoctor.bugs import filing_order

    bug = filing_order()[0]
    broken = {path: "nothing here\n" for path in originals(latest)}
    with pytest.raises(series.SeriesError, match=rf"a {bug.id} edit matches 0 time\(s\), not 1"):
        series.commits(LATEST, broken, series.builder_text())
    with pytest.raises(series.SeriesError, match="has no"):
        series.apply_edits({}, [(bug, Edit("nowhere.py", "a", "b"))], LATEST)


def test_a_release_that_needs_nothing_has_no_series():
    assert series.commits("0.0.0", {}, "") == []


def test_unknown_sources_are_one_line_errors(tmp_path):
    with pytest.raises(series.SeriesError, match="not a liquid_audio package folder"):
        series.read_package(tmp_path)
    (tmp_path / "x.whl").write_text("not a zip")
    with pytest.raises(series.SeriesError, match="is not a wheel"):
        series.read_package(tmp_path / "x.whl")
    package = tmp_path / "liquid_audio"
    package.mkdir()
    (package / "__init__.py").write_text("")
    with pytest.raises(series.SeriesError, match="no known liquid-audio release"):
        series.release_of(package)


# --- on a checkout, with git ----------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com")
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def applied_on(release_package, tmp_path_factory):
    """``applied_on(release)``: a checkout of the release with its whole series applied by ``git am``, and the series."""
    if GIT is None:
        pytest.skip("git is not installed")
    made: dict[str, tuple[Path, series.Series]] = {}

    def get(release: str) -> tuple[Path, series.Series]:
        if release not in made:
            package, root = release_package(release), tmp_path_factory.mktemp(f"series-{release}")
            written = series.write_series(root / "series", package, release, author=("A U Thor", "author@example.com"))
            repo = series.checkout(root / "checkout", package, release)
            done = git(repo, "am", *map(str, written.patches))
            assert done.returncode == 0, done.stdout + done.stderr
            made[release] = repo, written
        return made[release]

    return get


@pytest.fixture(scope="module")
def applied(applied_on) -> tuple[Path, series.Series]:
    return applied_on(LATEST)


@needs_git
@pytest.mark.parametrize("release", RELEASES)
def test_git_am_applies_the_whole_series_on_a_checkout(applied_on, release_package, release):
    repo, written = applied_on(release)
    commits = written.commits
    assert [p.name[:5] for p in written.patches] == [f"{i:04}-" for i in range(1, len(commits) + 1)]
    log = git(repo, "log", "--format=%s", f"HEAD~{len(commits)}..HEAD").stdout.splitlines()
    assert log[::-1] == [c.subject for c in commits]
    first = written.patches[0].read_text()
    assert first.startswith(f"From {'0' * 40} ") and "From: A U Thor <author@example.com>" in first
    touched = git(repo, "diff", "--name-status", f"HEAD~{len(commits)}", "HEAD").stdout.splitlines()
    for line in touched:
        status, path = line.split("\t")
        assert path.startswith(series.PREFIX) if status == "M" else status == "A", line
    final = final_sources(commits, originals(release_package(release)), release)
    touched_files = {path for commit in commits for path in commit.files}
    assert all((repo / path).read_text() == final[path] for path in touched_files)


@pytest.fixture(scope="module")
def ruff() -> Path:
    try:
        return series.upstream_ruff()
    except series.SeriesError as exc:
        pytest.skip(f"upstream's ruff {series.RUFF_VERSION} is not available: {exc}")


@needs_git
@pytest.mark.parametrize("release", RELEASES)
def test_upstreams_ruff_passes_after_the_series(applied_on, ruff, release):
    repo, written = applied_on(release)
    changed = sorted({path for commit in written.commits for path in commit.files})
    assert series.ruff_findings(ruff, repo, changed) == []
    assert series.ruff_findings(ruff, repo, ["."]) == []  # the whole repository, as upstream's CI runs it


@needs_git
@pytest.mark.parametrize("release", RELEASES)
def test_each_standalone_diff_applies_alone_and_passes_upstreams_ruff(release_package, ruff, release, tmp_path):
    package = release_package(release)
    repo = series.checkout(tmp_path / "checkout", package, release)
    for bug in BUGS:
        diff = series.standalone_diff(bug, package, release)
        if not diff:
            continue
        short = series.standalone_diff(bug, package, release, short=True)  # what an issue shows
        done = subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=short, capture_output=True, text=True)
        assert done.returncode == 0, f"{bug.id} as an issue shows it: {done.stderr}"
        if shutil.which("patch"):
            done = subprocess.run(["patch", "-p1", "--dry-run"], cwd=repo, input=short, capture_output=True, text=True)
            assert done.returncode == 0, f"{bug.id} as an issue shows it, with patch -p1: {done.stdout}{done.stderr}"
        done = subprocess.run(["git", "apply", "-"], cwd=repo, input=diff, capture_output=True, text=True)
        assert done.returncode == 0, f"{bug.id}: {done.stderr}"
        paths = sorted(set(re.findall(r"^\+\+\+ b/(\S+)", diff, re.MULTILINE)))
        assert series.ruff_findings(ruff, repo, paths) == [], bug.id
        assert git(repo, "checkout", "--quiet", "--", ".").returncode == 0


@needs_git
def test_write_series_refuses_a_folder_with_files(latest, tmp_path):
    (tmp_path / "old.patch").write_text("x")
    with pytest.raises(series.SeriesError, match="not a new or empty folder"):
        series.write_series(tmp_path, latest, LATEST)
