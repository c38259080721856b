"""``lfmdoctor run``: what it refuses (the whole job end to end: tests/report; its steps: tests/test_job.py)."""

from __future__ import annotations


def one_line(done) -> str:
    """The error line: exactly one, the last thing on stderr (after the lines of the steps that finished)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("lfmdoctor: error: ")]
    assert errors == lines[-1:], done.stderr
    assert all(line.startswith("✓ ") for line in lines[:-1]), done.stderr
    return lines[-1]


def test_out_that_is_a_file_is_refused(cli, tmp_path):
    (tmp_path / "out").write_text("keep me")
    line = one_line(cli("run", "--out", str(tmp_path / "out")))
    assert "is a file; pass a folder" in line
    assert (tmp_path / "out").read_text() == "keep me"


def test_a_folder_it_did_not_write_is_refused(cli, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    line = one_line(cli("run", "--out", str(tmp_path)))
    assert "holds files lfmdoctor did not write" in line
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_out_where_nothing_can_be_written_is_one_line(cli):
    line = one_line(cli("run", "--out", "/proc/lfmdoctor-run"))
    assert line.startswith("lfmdoctor: error: cannot write --out /proc/lfmdoctor-run")


def test_a_missing_interpreter_is_refused_before_anything_runs(cli, tmp_path):
    line = one_line(cli("run", "--out", str(tmp_path / "out"), "--python", "/nonexistent/python"))
    assert "/nonexistent/python" in line
    assert not (tmp_path / "out").exists()


def test_a_missing_model_leaves_no_folder(cli, tmp_path):
    line = one_line(cli("run", "--out", str(tmp_path / "out"), "--model", str(tmp_path / "no-model"), "--no-bench"))
    assert str(tmp_path / "no-model") in line
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling
