"""What every bug's test file checks, computed once per session and asserted per bug.

- ``verified``: the reproduction cases run on the tiny checkpoint without a fix and with each fix
  (call site, runtime, source), as ``lfmdoctor patch verify`` runs them.
- ``regression``: the upstream regression tests as the patch series ships them, run with pytest on a checkout
  of the release (each must fail) and on the tree the series makes (each must pass), as upstream's CI would.

Both run once per session, for the bugs whose test files the session runs (``selected_bugs``): one bug's
file pays for one bug, the whole suite for all of them at once.
- ``bug_contract``: the assertions, so that each test file states only what is particular to its bug.
- helpers the bug test files share: ``snippet`` (a detector's input from a few lines), ``installed``
  and ``installed_with_edits`` (the liquid-audio of this interpreter), ``cuda_usable``, and the
  ``cpu_processor`` fixture (a processor on the tiny checkpoint).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import RELEASES, Bug, Verdict
from lfmdoctor.results import BugFinding, Outcome
from tests.patches.test_series import git

STRATEGIES = ("callsite", "runtime", "source")


def test_file_name(bug: Bug) -> str:
    return f"test_{bug.id.replace('-', '_')}.py"


def snippet(code: str) -> Source:
    """A detector's input: ``code`` (dedented) parsed as if it were a liquid-audio file."""
    return Source(Path("x.py"), ast.parse(textwrap.dedent(code)))


def installed(relative: str) -> Path:
    """A file of the liquid_audio package installed in this interpreter."""
    spec = importlib.util.find_spec("liquid_audio")
    assert spec is not None, "liquid-audio must be installed in the test interpreter"
    return Path(spec.submodule_search_locations[0], relative)


def installed_with_edits(bug: Bug, release: str = RELEASES[-1]) -> tuple[str, Verdict]:
    """The installed copy of the bug's file with the bug's own edits for ``release`` applied (each must
    match exactly once), and the detector's verdict on it."""
    path = installed(bug.module)
    text = path.read_text()
    for edit in bug.edits:
        if edit.applies(release):
            assert edit.path == bug.module, edit.path
            assert text.count(edit.old) == edit.count, f"{edit.old!r} is not in the installed {edit.path} {edit.count} time(s)"
            text = text.replace(edit.old, edit.new)
    return text, bug.detect(Source(path, ast.parse(text)))


def cuda_usable() -> bool:
    """Whether torch can use CUDA here (skips where torch is not installed)."""
    return pytest.importorskip("torch").cuda.is_available()


@pytest.fixture
def cpu_processor(tiny_checkpoint):
    """A fresh ``LFM2AudioProcessor`` on the CPU from the tiny checkpoint, as liquid-audio alone loads it."""
    la = pytest.importorskip("liquid_audio")
    return la.LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")


def selected_bugs(session: pytest.Session) -> list[Bug]:
    """The bugs whose test files this session runs: the costly fixtures below run only their cases."""
    from lfmdoctor.bugs import BUGS

    files = {Path(str(item.path)).name for item in session.items}
    return [bug for bug in BUGS if test_file_name(bug) in files]


@pytest.fixture(scope="session")
def verified(request: pytest.FixtureRequest) -> dict:
    """{(strategy or None, case id): ReproOutcome} for every case of the selected bugs, without a fix and with each."""
    pytest.importorskip("liquid_audio")
    from lfmdoctor.bugs._spec import SIMULATIONS
    from lfmdoctor.patches.verify import run_with_strategies
    from lfmdoctor.repro.models import resolve_model

    cases = [case for bug in selected_bugs(request.session) for case in bug.cases]
    # the simulations that touch only their own cases (the flash_attn stub, CUDA said available) make their
    # conditions hold on this machine
    per_case = tuple(name for name, condition in SIMULATIONS.items() if condition.simulate.per_case)
    runs = run_with_strategies(sys.executable, cases, resolve_model("fixture"), (None, *STRATEGIES), simulate=per_case)
    return {(strategy, outcome.id): outcome for strategy, outcomes in runs.items() for outcome in outcomes}


def _junit(report: Path) -> dict[str, str]:
    """{test file stem: "passed" | "failed" | "skipped"} (the worst of its tests) from a junit XML report."""
    results: dict[str, str] = {}
    rank = {"passed": 0, "skipped": 1, "failed": 2}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        stem = case.get("classname", "").rsplit(".", 1)[-1]
        state = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        state = "skipped" if case.find("skipped") is not None else state
        if rank[state] >= rank.get(results.get(stem, "passed"), 0):
            results[stem] = state
    return results


SERIES_TEST_FILE = "test_series_tests.py"  # in this folder: it asks the fixture below for every bug of the series


@pytest.fixture(scope="session")
def regression(request: pytest.FixtureRequest, tmp_path_factory, release_package) -> dict[str, dict[str, str]]:
    """{label: {test file stem: outcome}}: the upstream regression tests as the latest release's patch series ships
    them (its tests/ and their harness, which builds its own checkpoint), run the way upstream's CI would (pytest
    on tests/, the package from src/): on the release's own src/ ("unpatched") and on the tree the series makes
    ("patched"), in this environment and in upstream's locked one ("locked-...": the pins of its uv.lock laid
    over this torch, cached after the first session). Only the selected bugs' tests run, or the whole series'
    when ``SERIES_TEST_FILE`` is in the session."""
    pytest.importorskip("liquid_audio")
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the series is laid out with git")
    from lfmdoctor.cache import cache_root
    from lfmdoctor.patches import series
    from lfmdoctor.patches.series.lock import upstream_lock_overlay

    package, root = release_package(RELEASES[-1]), tmp_path_factory.mktemp("upstream-ci")
    written = series.write_series(root / "series", package, RELEASES[-1], author=("A U Thor", "author@example.com"))
    patched = series.checkout(root / "patched", package, RELEASES[-1])
    applied = git(patched, "am", "--quiet", *map(str, written.patches))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    in_session = {Path(str(item.path)).name for item in request.session.items}
    shipped = {bug.id for commit in written.commits for bug in map(get_bug, commit.bugs)}
    wanted = {bug.id for bug in selected_bugs(request.session)} | (shipped if SERIES_TEST_FILE in in_session else set())
    for bug in map(get_bug, wanted - shipped):  # the release has no such bug: its test, beside the shipped ones
        (patched / series.test_path(bug)).write_text(series.first_party_last(bug.regression_test))
    unpatched = series.checkout(root / "unpatched", package, RELEASES[-1])
    shutil.copytree(patched / "tests", unpatched / "tests")
    files = sorted(series.test_path(get_bug(bug)) for bug in wanted)
    locked = str(upstream_lock_overlay(sys.executable, cache_root()))
    runs = (
        ("unpatched", unpatched, ""),
        ("patched", patched, ""),
        ("locked-unpatched", unpatched, locked + os.pathsep),
        ("locked-patched", patched, locked + os.pathsep),
    )

    def run(label: str, repo: Path, before_src: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env |= {"PYTHONPATH": before_src + str(repo / "src"), "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}
        report = root / f"{label}.xml"
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "--rootdir", str(repo)]
        done = subprocess.run([*argv, *files], cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert report.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
        return _junit(report)

    if not files:
        return {label: {} for label, _, _ in runs}
    with ThreadPoolExecutor(max_workers=2) as pool:  # mostly imports and waits: two at a time
        return dict(zip((label for label, _, _ in runs), pool.map(lambda run_: run(*run_), runs)))


class Contract:
    """The checks every known bug passes; each test file calls them for its own bug."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request  # the session fixtures are costly: each check asks only for what it uses

    def __getattr__(self, name: str):
        fixture = {"_package": "release_package", "_findings": "release_findings"}.get(name, name.removeprefix("_"))
        return self._request.getfixturevalue(fixture)

    def detector(self, bug: Bug, release: str, present: bool, evidence: str | None) -> BugFinding:
        """The detector on a release's real source: present or not, the line it points at (an absolute
        path into the bug's file), and a detail that is a sentence. Returns the finding."""
        finding = self._findings(release)[bug.id]
        assert finding.present is present, finding.detail
        assert finding.detail.endswith("."), finding.detail
        if evidence is None:
            assert finding.evidence is None
            return finding
        path, line = finding.evidence.rsplit(":", 1)
        assert Path(path).is_absolute()
        assert Path(path) == (self._package(release) / bug.module).resolve()
        assert evidence in Path(path).read_text().splitlines()[int(line) - 1]
        return finding

    def variant(
        self, bug: Bug, tmp_path: Path, old: str, new: str, present: bool, evidence: str | None, count: int = 1
    ) -> BugFinding:
        """The latest release with ``old`` (found ``count`` times) replaced by ``new`` in the bug's file (a fix
        or a rewording upstream might write): the detector reads ``present``, points at ``evidence``, and no
        other bug's finding changes."""
        from lfmdoctor.diagnose.detectors import detect_all

        copy = Path(shutil.copytree(self._package(RELEASES[-1]), tmp_path / "liquid_audio"))
        path = copy / bug.module
        text = path.read_text()
        assert text.count(old) == count, f"{old!r} is no longer in {bug.module} {count} time(s)"
        path.write_text(text.replace(old, new))
        findings = {finding.id: finding for finding in detect_all(copy)}
        finding = findings[bug.id]
        assert finding.present is present, finding.detail
        if evidence is None:
            assert finding.evidence is None
        else:
            where, line = finding.evidence.rsplit(":", 1)
            assert Path(where) == path.resolve()
            assert evidence in Path(where).read_text().splitlines()[int(line) - 1]
        baseline = self._findings(RELEASES[-1])
        assert {k: f.present for k, f in findings.items() if k != bug.id} == {
            k: f.present for k, f in baseline.items() if k != bug.id
        }
        return finding

    def edits(self, bug: Bug, release: str, tmp_path: Path) -> None:
        """The bug's edits (after those it builds on) each match once and leave the detector saying absent."""
        from lfmdoctor.bugs._ast import Package
        from lfmdoctor.diagnose.detectors import detect

        copy = Path(shutil.copytree(self._package(release), tmp_path / "liquid_audio"))
        for owner in [*(get_bug(other) for other in bug.after), bug]:
            for edit in owner.edits:
                if edit.applies(release):
                    path = copy / edit.path
                    text = path.read_text()
                    assert text.count(edit.old) == edit.count, (
                        f"{release}: {edit.old!r} is not in {edit.path} {edit.count} time(s)"
                    )
                    path.write_text(text.replace(edit.old, edit.new))
        finding = detect(bug, Package(copy))
        assert finding.present is False, finding.detail

    def cases(self, bug: Bug, before: Outcome) -> None:
        """Each case shows the bug here as ``before`` says, and no fix the bug has leaves it reproduced or in error
        (a bug that says why it has no call-site workaround or runtime fix is held to its source fix there)."""
        for case in bug.cases:
            seen = self._verified[None, case.id]
            assert seen.outcome == before, f"{case.id}: {seen.outcome} ({seen.reason})"
            for strategy in strategies(bug):
                after = self._verified[strategy, case.id]
                assert after.outcome not in (Outcome.REPRODUCED, Outcome.ERROR), f"{case.id} with {strategy}: {after.reason}"

    def regression_test(self, bug: Bug, fails_here: bool) -> None:
        """The upstream regression test fails on the release (where the bug shows here) and passes when fixed,
        here and in upstream's locked environment; where it skips there, only a version guard skips it."""
        stem = test_file_name(bug).removesuffix(".py")
        for prefix in ("", "locked-"):
            results = {label: self._regression[prefix + label].get(stem) for label in ("unpatched", "patched")}
            assert results["patched"] in ("passed", "skipped"), (prefix, results)
            if prefix and results["unpatched"] == "skipped" and fails_here:
                assert "Version(" in bug.regression_test and results["patched"] == "skipped", results
                continue
            got = results["unpatched"]
            assert got == "failed" if fails_here else got in ("passed", "skipped"), (prefix, results)


def strategies(bug: Bug) -> tuple[str, ...]:
    return bug.strategies


SLOW_FIXTURES = {"verified", "regression"}  # worker runs per strategy, and the upstream tests run twice
SLOW_CHECKS = {"cases", "regression_test"}  # the contract checks that ask for them


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test that uses the slow fixtures, itself or through the contract, is marked slow (``--fast`` skips it)."""
    function = getattr(item, "function", None)
    names = set(getattr(item, "fixturenames", ()))
    through_contract = "bug_contract" in names and function is not None and SLOW_CHECKS & set(function.__code__.co_names)
    if SLOW_FIXTURES & names or through_contract:
        item.add_marker(pytest.mark.slow)


@pytest.fixture
def bug_contract(request: pytest.FixtureRequest) -> Contract:
    return Contract(request)


@pytest.fixture(params=RELEASES)
def release(request) -> str:
    return request.param
