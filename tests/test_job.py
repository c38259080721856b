"""lfmdoctor.job: the steps, the one typed result (Findings) and the run folder it fills, on the real install."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

import pytest

from lfmdoctor import job, run_folder
from lfmdoctor.diagnose import run as diagnose_run
from lfmdoctor.matrix import cached
from lfmdoctor.results import CheckReport, Outcome, ReproOutcome


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    @contextmanager
    def step(self, name: str):
        self.events.append(("start", name))
        yield
        self.events.append(("end", name))

    def done(self, step: job.StepTime) -> None:
        self.events.append(("done", step.name))


@pytest.fixture(scope="module")
def findings(tiny_checkpoint) -> tuple[job.Findings, Recorder]:
    del tiny_checkpoint
    progress = Recorder()
    return job.investigate(sys.executable, verify=False, progress=progress), progress


@pytest.mark.slow
def test_findings_are_typed_and_hold_every_step(findings):
    found, _ = findings
    assert isinstance(found.check, CheckReport)
    assert found.repro and all(isinstance(o, ReproOutcome) for o in found.repro)
    assert found.verify is None and found.bench_before is None and found.bench_after is None
    assert found.model == "fixture"
    assert [s.name for s in found.steps] == ["check", "reproduce"]
    reproduced = sum(1 for o in found.repro if o.outcome is Outcome.REPRODUCED)
    assert found.steps[1].note == f"{reproduced} of {len(found.repro)} cases reproduced"
    present = {b.id for b in found.check.bugs if b.present}
    assert {section.id for section in found.report.bugs} >= present


@pytest.mark.slow
def test_progress_hears_each_step_in_order(findings):
    _, progress = findings
    assert progress.events == [
        ("start", "check"),
        ("end", "check"),
        ("done", "check"),
        ("start", "reproduce"),
        ("end", "reproduce"),
        ("done", "reproduce"),
    ]


@pytest.mark.slow
def test_the_stored_diff_is_the_installed_releases(findings):
    found, _ = findings
    version = found.check.environment.liquid_audio.version
    assert found.patch_name == f"liquid-audio+{version}.patch"
    assert found.diff is not None and found.diff.startswith("diff --git a/src/liquid_audio/")


@pytest.mark.slow
def test_write_folder_is_the_run_folder(findings, tmp_path):
    found, _ = findings
    run_folder.write_folder(found, tmp_path, patches={})
    from lfmdoctor.report.plan import HARNESS

    names = sorted(p.name for p in tmp_path.iterdir())
    assert set(names) <= {"README.md", "comments", "issues", "plan.json", "prs", "results.json"}
    plan = json.loads((tmp_path / "plan.json").read_text())
    ids = sorted(section.id for section in found.report.bugs)
    assert ids and sorted(bug for item in plan for bug in item["bugs"]) == ids  # every bug, once
    assert HARNESS not in [item["key"] for item in plan]  # no series here: no harness PR to offer
    for item in plan:
        for name in (item["issue"], item["pr"], item["comment"]):
            assert name is None or (tmp_path / name).is_file(), name
    assert (tmp_path / "README.md").read_text().startswith("# liquid-audio ")
    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results) == ["check", "repro", "verify", "bench", "report", "steps"]
    assert results["verify"] is None and results["bench"] == {"before": None, "after": None}
    assert [r["id"] for r in results["repro"]["results"]] == [o.id for o in found.repro]
    assert results["steps"] == [s.to_json() for s in found.steps]


def test_out_that_is_a_file_or_foreign_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(run_folder.RunFolderError, match="is a file"):
        job.run(sys.executable, tmp_path / "file")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "keep.txt").write_text("")
    with pytest.raises(run_folder.RunFolderError, match="did not write"):
        job.run(sys.executable, tmp_path / "theirs")


def test_a_failing_step_leaves_no_staging_folder(tmp_path, monkeypatch):
    def broken(python, **kwargs):
        raise job.JobError("stop")

    monkeypatch.setattr(cached, "fetch_release_wheels", lambda python: "not fetched in tests")
    monkeypatch.setattr(diagnose_run, "run_check", broken)
    with pytest.raises(job.JobError):
        job.run(sys.executable, tmp_path / "out", with_bench=False)
    assert list(tmp_path.iterdir()) == []
