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


def test_a_liquid_audio_that_does_not_import_gets_the_fix_not_a_detour(cli, liquid_audio_copy):
    """Issue 21 item 14: repro on liquid-audio 1.1.0 under transformers 5."""
    liquid_audio_copy.edit(
        "__init__.py",
        "from liquid_audio.detokenizer",
        "from transformers.models.lfm2.modeling_lfm2 import Lfm2HybridConvCache  # 1.1.0\nfrom liquid_audio.detokenizer",
    )
    done = cli("repro", "--bug", "local-path", env={"PYTHONPATH": str(liquid_audio_copy)})
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "does not import" in last and "pip install 'transformers<5'" in last
