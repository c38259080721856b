"""``lfmdoctor report``: input checks, and the issue written to --out with its body file (the document
itself, golden files and redaction: tests/report)."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bug", "nope"], "unknown bug 'nope'; known: "),
        (["--format", "pdf"], "--format"),
        (["--python", "/nonexistent/python"], "/nonexistent/python"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, one_error, args, words):
    assert words in one_error(cli("report", *args))


def test_out_that_is_a_folder_is_refused(cli, one_error, tmp_path):
    line = one_error(cli("report", "--out", str(tmp_path)))
    assert f"--out {tmp_path} is a folder; pass a file name such as {tmp_path / 'issue.md'}" in line


@pytest.fixture(scope="module")
def written(tmp_path_factory, tiny_checkpoint):
    """``lfmdoctor report --no-verify --out issue.md``, once for the tests below."""
    from tests.conftest import run_cli

    del tiny_checkpoint
    out = tmp_path_factory.mktemp("report") / "deep" / "issue.md"  # its folder does not exist yet
    return run_cli("report", "--no-verify", "--out", str(out)), out


@pytest.mark.slow
def test_the_overview_is_written_with_its_title_line(written):
    done, out = written
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == ""
    text = out.read_text()
    body = out.with_suffix(".body.md").read_text()
    title, blank, rest = text.split("\n", 2)
    assert title.startswith("liquid-audio ") and blank == ""
    assert body.strip() and body == rest
    assert "lfmdoctor report file RUN_FOLDER" in body  # the overview says what to file, and how
    assert f"wrote {out}" in done.stderr


@pytest.mark.slow
def test_json_format_to_stdout(cli, written):
    del written  # the checkpoint and the torch probe are warm
    done = cli("report", "--no-verify", "--bug", "processor-device", "--format", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(done.stdout)
    assert data["bugs"] and data["environment"]["liquid_audio"]["version"]


@pytest.mark.parametrize("existing", ["issue.md", "issue.body.md"])
def test_an_existing_out_or_body_file_is_refused_unless_forced(cli, one_error, tmp_path, existing):
    """Issue 21 item 4: ``report --out FILE`` also writes FILE.body.md; neither is replaced without --force."""
    out = tmp_path / "issue.md"
    (tmp_path / existing).write_text("the user's own text")
    line = one_error(cli("report", "--no-verify", "--out", str(out), timeout=120))
    assert f"{tmp_path / existing} exists" in line and "--force" in line
    assert (tmp_path / existing).read_text() == "the user's own text"
