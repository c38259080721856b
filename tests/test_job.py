"""lfmdoctor.job: the steps, the one typed result (Findings) and the run folder, on the real install."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

import pytest

from lfmdoctor import job
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
    job.write_folder(found, tmp_path, patches={})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["README.md", "issues", "prs", "results.json"]
    ids = sorted(section.id for section in found.report.bugs)
    assert ids and sorted(p.stem for p in (tmp_path / "issues").iterdir()) == ids
    assert sorted(p.stem for p in (tmp_path / "prs").iterdir()) == ids
    assert (tmp_path / "README.md").read_text().startswith("# liquid-audio ")
    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results) == ["check", "repro", "verify", "bench", "report", "steps"]
    assert results["verify"] is None and results["bench"] == {"before": None, "after": None}
    assert [r["id"] for r in results["repro"]["results"]] == [o.id for o in found.repro]
    assert results["steps"] == [s.to_json() for s in found.steps]


def test_a_bad_interpreter_is_a_job_error():
    with pytest.raises(job.JobError, match="/nonexistent/python.*--python"):
        job.run_check("/nonexistent/python")


def test_out_that_is_a_file_or_foreign_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(job.JobError, match="is a file"):
        job.run(sys.executable, tmp_path / "file")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "keep.txt").write_text("")
    with pytest.raises(job.JobError, match="did not write"):
        job.run(sys.executable, tmp_path / "theirs")


def test_swap_in_replaces_a_folder_run_wrote(tmp_path):
    out = tmp_path / "out"
    first = job._prepare_out(out)
    (first / "a").write_text("1")
    job._swap_in(first, out)
    second = job._prepare_out(out)  # out holds run's marker: allowed
    (second / "b").write_text("2")
    job._swap_in(second, out)
    assert sorted(p.name for p in out.iterdir()) == [job.MARKER, "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or old folder left


def test_a_failing_step_leaves_no_staging_folder(tmp_path, monkeypatch):
    def broken(python, **kwargs):
        raise job.JobError("stop")

    monkeypatch.setattr(job, "fetch_release_wheels", lambda python: "not fetched in tests")
    monkeypatch.setattr(job, "run_check", broken)
    with pytest.raises(job.JobError):
        job.run(sys.executable, tmp_path / "out", with_bench=False)
    assert list(tmp_path.iterdir()) == []


def test_run_check_takes_the_cli_options(monkeypatch):
    from lfmdoctor.diagnose import environment

    seen = {}

    def collect(python, timeout, cache_dir, fresh):
        seen.update(python=python, timeout=timeout, fresh=fresh)
        raise environment.TargetUnusable("basics probe exited 1")

    monkeypatch.setattr(environment, "collect", collect)
    with pytest.raises(job.JobError, match=r"cannot inspect /x/python: basics probe exited 1; pass --python"):
        job.run_check("/x/python", timeout=5.0, fresh=True)
    assert seen == {"python": "/x/python", "timeout": 5.0, "fresh": True}
