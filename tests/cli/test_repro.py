"""``lfmdoctor repro``: the command's input checks and its output (the cases themselves: tests/repro)."""

from __future__ import annotations

import json

import pytest

from lfmdoctor.bugs import CASES
from lfmdoctor.bugs._spec import SIMULATIONS


def test_list_names_every_case_and_simulation(cli):
    done = cli("repro", "--list")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    for case in CASES:
        assert case.id in text, case.id
    for name in SIMULATIONS:
        assert f"{name}:" in text, name


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bug", "no-such-bug"], "see 'lfmdoctor repro --list'"),
        (["--all", "--bug", CASES[0].bug], "exclude each other"),
        (["--python", "/nonexistent/python"], "/nonexistent/python"),
        (["--model", "/no/such/folder"], "/no/such/folder"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, one_error, args, words):
    assert words in one_error(cli("repro", *args))


def test_emit_into_a_file_is_one_line_exit_2(cli, one_error, tmp_path, tiny_checkpoint):
    del tiny_checkpoint  # built once for the session: the model resolves before --emit is looked at
    (tmp_path / "scripts").write_text("")
    line = one_error(cli("repro", "--bug", CASES[0].id, "--emit", str(tmp_path / "scripts")))
    assert f"--emit {tmp_path / 'scripts'} is a file; pass a folder" in line


def test_one_case_as_json_with_emitted_script(cli, tmp_path, tiny_checkpoint):
    del tiny_checkpoint
    case = CASES[0]
    done = cli("repro", "--bug", case.id, "--emit", str(tmp_path / "scripts"), "--json")
    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    [result] = data["results"]
    assert result["id"] == case.id
    assert result["outcome"] in ("reproduced", "not_reproduced", "skipped", "error")
    assert done.returncode == (1 if result["outcome"] == "reproduced" else 0)
    assert list((tmp_path / "scripts").glob("*.py"))
