"""Adding a bug is writing two files: proven on a copy of this checkout with a throw-away bug.

The copy gets ``bugs/scaffold_probe.py`` and ``tests/bugs/test_scaffold_probe.py`` (from ``tests/scaffold/``:
a made-up bug on liquid-audio's small ``utils.module_exists``, with a detector, a case, a call-site helper, a
runtime wrap, an edit and a regression test) and nothing else by hand. The generated files (stored diffs,
reference pages, the README's table) are refreshed with ``python -m lfmdoctor.generate``, then the real
commands, run from the copy's own editable install, must know the bug: this fails the day an engine lists bugs
by name again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = Path(__file__).with_name("scaffold")
BUG_ID = "scaffold-probe"
NEW_FILES = {"bugs/scaffold_probe.py": "scaffold_probe.py", "tests/bugs/test_scaffold_probe.py": "scaffold_probe_tests.py"}
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@invalid", "-c", "core.autocrlf=false"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]


def _run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode in (0, 1), f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files (tracked and not ignored) in a fresh git repository, installed editable in a venv
    that sees this environment's packages, with the two new files written."""
    pytest.importorskip("liquid_audio")
    root = tmp_path_factory.mktemp("contributor") / "lfmdoctor"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    _run([*GIT, "init", "-q"], root)
    _run([*GIT, "add", "-A"], root)
    _run([*GIT, "commit", "-q", "-m", "checkout"], root)
    venv = root / ".venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).stdout.strip())
    (site / "lfmdoctor-test-base.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(root)], root)
    for target, source in NEW_FILES.items():
        shutil.copy2(SCAFFOLD / source, root / target)
    refreshed = _run([str(python), "-m", "lfmdoctor.generate"], root).stdout
    (root.parent / "refreshed.txt").write_text(refreshed)
    return root


def lfmdoctor(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return _run([str(copy / ".venv" / "bin" / "lfmdoctor"), *args], copy)


def test_check_lists_the_new_bug(copy):
    [bug] = [bug for bug in json.loads(lfmdoctor(copy, "check", "--json").stdout)["bugs"] if bug["id"] == BUG_ID]
    assert bug["present"] is True, bug
    assert bug["evidence"].split(":")[0].endswith("liquid_audio/utils.py"), bug


def test_repro_reproduces_it_with_the_real_exception(copy):
    [result] = json.loads(lfmdoctor(copy, "repro", "--bug", BUG_ID, "--json").stdout)["results"]
    assert result["outcome"] == "reproduced", result
    assert result["exception"]["type"] == "ModuleNotFoundError"
    assert result["frames"][-1].startswith("liquid_audio/utils.py:"), result["frames"]


def test_patch_verify_turns_it_from_reproduced_to_fixed_with_each_fix(copy):
    results = json.loads(lfmdoctor(copy, "patch", "verify", "--bug", BUG_ID, "--json").stdout)["results"]
    assert {row["strategy"] for row in results} == {"callsite", "runtime", "source"}
    for row in results:
        assert (row["before"], row["after"]) == ("reproduced", "not_reproduced"), row


def test_report_and_the_series_carry_it(copy, tmp_path):
    issue = lfmdoctor(copy, "report", "--bug", BUG_ID, "--no-verify").stdout
    assert "module_exists raises for a dotted name whose parent is missing" in issue
    assert "src/liquid_audio/utils.py:" in issue
    lfmdoctor(copy, "patch", "series", "--out", str(tmp_path / "series"))
    patches = {p.name: p.read_text() for p in (tmp_path / "series").glob("*.patch")}
    subject = re.compile(r"^Subject: \[PATCH\] fix: answer False when the parent package is missing$", re.M)
    [fix] = [text for text in patches.values() if subject.search(text)]
    assert "+++ b/src/liquid_audio/utils.py" in fix and "+++ b/tests/test_scaffold_probe.py" in fix  # one commit


def test_its_own_test_file_passes_in_the_copy(copy):
    python = str(copy / ".venv" / "bin" / "python")
    test_file = "tests/bugs/test_scaffold_probe.py"
    # the cases before and after each fix are what patch verify showed above
    skip = f"--deselect={test_file}::test_cases_reproduce_here_and_every_fix_clears_them"
    done = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", skip, test_file], copy)
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-3000:]


def test_git_status_shows_the_two_new_files_and_generated_ones_only(copy):
    status = _run(["git", "status", "--porcelain", "--untracked-files=all"], copy).stdout.splitlines()
    touched = {line[3:] for line in status}
    refreshed = {line.removeprefix("refreshed ") for line in (copy.parent / "refreshed.txt").read_text().splitlines()}
    assert "docs/bugs/scaffold-probe.md" in refreshed and "README.md" in refreshed
    assert any(name.startswith("patches/liquid-audio+") for name in refreshed), refreshed
    assert sorted(touched - refreshed) == sorted(NEW_FILES)
