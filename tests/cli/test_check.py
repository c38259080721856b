"""`lfmdoctor check` against the real installed liquid-audio (and copies of it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lfmdoctor.bugs import BUG_IDS

CORE_BUGS = ("processor-device", "model-device", "audio-format", "local-path", "train-mode")


def _check_json(cli, env=None):
    done = cli("check", "--json", env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done, json.loads(done.stdout)


def test_check_finds_core_bugs_with_evidence(cli, liquid_audio_dir):
    done, data = _check_json(cli)
    assert done.returncode == 1
    assert set(data) >= {"environment", "bugs"}
    bugs = {b["id"]: b for b in data["bugs"]}
    assert tuple(bugs) == BUG_IDS
    for bug in bugs.values():
        assert set(bug) >= {"id", "title", "present", "evidence"}
    for bug_id in CORE_BUGS:
        assert bugs[bug_id]["present"] is True
        path, line = bugs[bug_id]["evidence"].rsplit(":", 1)
        assert Path(path).is_relative_to(liquid_audio_dir)
        assert int(line) > 0
    env = data["environment"]
    assert env["python_executable"] == sys.executable
    assert env["liquid_audio"]["location"] == str(liquid_audio_dir)
    assert env["torch"]["version"] and env["torchaudio"]["imports"] is True


def test_check_reports_a_fixed_copy_as_absent(cli, liquid_audio_copy):
    liquid_audio_copy.edit("processor.py", 'device: torch.device | str = "cuda"', "device: torch.device | str | None = None")
    _, data = _check_json(cli, env={"PYTHONPATH": str(liquid_audio_copy)})
    bugs = {b["id"]: b for b in data["bugs"]}
    assert data["environment"]["liquid_audio"]["location"] == str(liquid_audio_copy.package)
    assert data["environment"]["liquid_audio"]["version"] == "1.3.0"  # same version string, fixed code
    assert bugs["processor-device"]["present"] is False
    assert bugs["model-device"]["present"] is True


def test_broken_torch_stack_is_a_finding_not_a_traceback(cli, tmp_path):
    # The mismatch a plain `pip install liquid-audio` produces today, laid over the real install.
    fake = tmp_path / "torchaudio"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        'raise RuntimeError("Detected that PyTorch and TorchAudio were compiled with different CUDA versions. '
        'PyTorch has CUDA version 13.2 whereas TorchAudio has CUDA version 13.0.")\n'
    )
    done, data = _check_json(cli, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert data["environment"]["torchaudio"]["imports"] is False
    assert "different CUDA versions" in data["environment"]["torchaudio"]["import_error"]
    item = next(i for i in data["items"] if i["name"] == "torchaudio")
    assert item["status"] == "error" and "torchaudio==2.11" in item["hint"]


def test_torch_that_fails_to_import(cli, tmp_path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('libtorch_cuda.so: cannot open shared object')\n")
    done = cli("check", env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "torch does not import" in done.stdout


def test_check_on_a_missing_interpreter_exits_2(cli):
    done = cli("check", "--python", "/nonexistent/python")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "/nonexistent/python" in lines[0] and "--python" in lines[0]


def test_check_on_an_interpreter_without_liquid_audio(cli, tmp_path):
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = cli("check", "--json", "--python", str(venv / "bin" / "python"))
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["environment"]["liquid_audio"]["location"] is None
    assert data["environment"]["torch"]["import_error"]
    assert [b["id"] for b in data["bugs"]] == list(BUG_IDS)
    assert all(b["present"] is None for b in data["bugs"])


def test_check_perf_adds_the_answer_to_the_items_and_the_json(capsys, monkeypatch):
    """The probe itself is tested on a scaled-down copy (tests/bench/test_fullsize.py): here a canned answer."""
    import pytest

    from lfmdoctor.cli import main
    from lfmdoctor.diagnose import perf

    answer = perf.PerfAnswer(
        model="LiquidAI/LFM2.5-Audio-1.5B", device="cpu", dtype="bfloat16", needed_gb=4.0, available_gb=1.0, fits=False,
        measured=False, answer="LFM2.5-Audio-1.5B needs ~4.0 GB in bfloat16; this CPU has 1.0 GB available: it will not fit",
    )  # fmt: skip
    monkeypatch.setattr(perf, "probe", lambda python, env: answer)
    with pytest.raises(SystemExit) as done:
        main(["check", "--perf", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert done.value.code == 1 and data["exit_code"] == 1
    assert data["perf"]["fits"] is False and data["perf"]["answer"] == answer.answer
    [item] = [item for item in data["items"] if item["name"] == perf.ITEM]
    assert item["status"] == "error" and item["summary"] == answer.answer


def test_without_liquid_audio_one_line_says_so_and_how_to_install(cli, tmp_path):
    """Issue 21 item 17: not eleven 'None is not a usable package directory' lines."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    done = cli("check", "--python", str(venv / "bin" / "python"), env={"COLUMNS": "200"})
    text = done.stdout
    assert "usable package directory" not in text and "NoneType" not in text
    assert text.count("liquid-audio is not installed") == 2  # its own item, and the one line for every known bug
    assert "pip install liquid-audio" in text


def test_without_torch_device_bugs_cannot_be_checked(cli, tmp_path):
    """Issue 21 item 18: a machine where torch does not import; no device bug 'does not bite'."""
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('No module named torch')\n")
    _, data = _check_json(cli, env={"PYTHONPATH": str(tmp_path)})
    items = {item["name"]: item for item in data["items"]}
    for bug_id in ("processor-device", "model-device", "detokenizer-device"):  # they bite only where CUDA is unusable
        summary = items[bug_id]["summary"]
        assert "does not bite" not in summary, summary
        assert summary.startswith("present; cannot be checked without torch"), summary


def test_a_liquid_audio_that_does_not_import_is_an_error_with_the_fix(cli, liquid_audio_copy, tmp_path):
    """Issue 21 item 14: liquid-audio 1.1.0 with transformers 5 (its import fails on a class transformers 5 removed)."""
    liquid_audio_copy.edit(
        "__init__.py",
        "from liquid_audio.detokenizer",
        "from transformers.models.lfm2.modeling_lfm2 import Lfm2HybridConvCache  # 1.1.0\nfrom liquid_audio.detokenizer",
    )
    _, data = _check_json(cli, env={"PYTHONPATH": str(liquid_audio_copy), "LFMDOCTOR_CACHE": str(tmp_path / "c")})
    item = next(i for i in data["items"] if i["name"] == "liquid-audio")
    assert item["status"] == "error", item
    assert "does not import" in item["summary"] and "Lfm2HybridConvCache" in item["summary"]
    assert "transformers<5" in item["hint"]
    assert data["environment"]["liquid_audio"]["import_error"].startswith("ImportError")
