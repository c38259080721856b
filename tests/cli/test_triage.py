"""``lfmdoctor triage`` and ``exec``'s triage of its program's failure, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.triage.source import LIMIT

KNOWN = """Traceback (most recent call last):
  File "/home/ana/app.py", line 3, in <module>
    model = LFM2AudioModel.from_pretrained("LiquidAI/LFM2.5-Audio-1.5B")
  File "/home/ana/.venv/lib/python3.12/site-packages/liquid_audio/model/lfm2_audio.py", line 160, in from_pretrained
    model = cls(conf)
  File "/home/ana/.venv/lib/python3.12/site-packages/torch/cuda/__init__.py", line 478, in _lazy_init
    torch._C._cuda_init()
RuntimeError: Found no NVIDIA driver on your system.
"""
UNKNOWN = "Traceback (most recent call last):\n  File \"/home/ana/app.py\", line 1, in <module>\nKeyError: 'ana_secret_key'\n"


def stdin_run(data: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lfmdoctor", "triage", *args, "-"], input=data, capture_output=True)


@pytest.fixture
def error_file(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "error.txt"
        path.write_text(text)
        return path

    return write


def test_a_known_bug_is_named_with_its_fix_and_thread_and_exits_1(cli, error_file):
    done = cli("triage", str(error_file(KNOWN)))
    assert done.returncode == 1, done.stderr
    out = " ".join(done.stdout.split())
    assert "model-device" in out and "type + message + frames" in out
    assert "device='cpu'" in out and "lfmdoctor exec -- python" in out and "lfmdoctor patch apply" in out
    assert "#30" in out and "open since 2026-06-03, read 2026-12-04" in out


def test_json_gives_the_match_its_parts_and_the_exit_code(error_file, cli):
    data = json.loads(cli("triage", "--json", str(error_file(KNOWN))).stdout)
    (hit,) = data["matches"]
    assert (data["matched"], data["exit_code"], hit["bug"], hit["matched"]) == (
        True,
        1,
        "model-device",
        ["type", "message", "frames"],
    )
    assert hit["frame"] == "model/lfm2_audio.py:160 in from_pretrained"
    assert {t["number"] for t in hit["threads"]} == {4, 12, 30} and all(t["as_of"] for t in hit["threads"])


def test_no_match_says_so_exits_0_and_drafts_a_redacted_issue():
    done = stdin_run(UNKNOWN.encode(), "--json")
    data = json.loads(done.stdout)
    assert (done.returncode, data["matched"], data["matches"]) == (0, False, [])
    assert "lfmdoctor check" in data["draft"] and "- [ ]" in data["draft"]
    assert "/home/ana" not in data["draft"] and "~/app.py" in data["draft"]  # report's redaction
    plain = stdin_run(UNKNOWN.encode())
    assert plain.stdout.decode().startswith("No known liquid-audio bug matches this text")


@pytest.mark.parametrize(
    ("data", "words"),
    [(b"\x7fELF\x02\x01\x00\x00binary", "is binary, not text"), (b"  \n\n", "is empty")],
)
def test_binary_or_empty_input_is_one_line_exit_2(data, words):
    done = stdin_run(data)
    assert done.returncode == 2 and done.stdout == b""
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith("lfmdoctor: error: stdin ") and words in line


@pytest.mark.parametrize("name", ["missing.txt", "."])
def test_an_unreadable_path_is_one_line_exit_2(cli, one_error, tmp_path, name):
    assert str(tmp_path / name).rstrip(".") in one_error(cli("triage", str(tmp_path / name)))


def test_a_huge_input_is_cut_to_its_end_with_a_note():
    data = (b"INFO step ok\n" * (LIMIT // 13 + 50_000)) + KNOWN.encode()
    result = json.loads(stdin_run(data, "--json").stdout)
    assert result["matches"][0]["bug"] == "model-device"
    assert result["note"].startswith(f"the input is {len(data) / 2**20:.1f} MB; only its last 4.0 MB")


def test_triage_imports_neither_torch_nor_liquid_audio(error_file):
    code = (
        "import sys\nfrom lfmdoctor.cli import main\n"
        "try:\n    main(['triage', '--json', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'liquid_audio'))))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(error_file(KNOWN))], capture_output=True, text=True)
    assert json.loads(done.stdout)["matched"] and done.stderr == "[]"


def test_exec_names_the_known_bug_a_failing_program_hit_and_keeps_its_exit_code(cli, error_file):
    script = f"import sys\nsys.stderr.write(open({str(error_file(KNOWN))!r}).read())\nsys.exit(3)\n"
    done = cli("exec", "--", sys.executable, "-c", script)
    assert done.returncode == 3
    assert done.stderr.startswith(KNOWN)  # the program's own stderr first, as it came
    assert "lfmdoctor: this failure is a known liquid-audio bug, model-device" in done.stderr


def test_exec_says_an_unknown_failure_may_be_new_and_how_to_report_it(cli):
    done = cli("exec", "--", sys.executable, "-c", "raise KeyError('x')")
    assert done.returncode == 1
    assert "matches no known liquid-audio bug" in done.stderr and "lfmdoctor triage FILE" in done.stderr


def test_exec_adds_nothing_when_the_program_succeeds_or_prints_no_error(cli):
    assert cli("exec", "--", sys.executable, "-c", "import sys; sys.stderr.write('progress\\n')").stderr == "progress\n"
    quiet = cli("exec", "--", sys.executable, "-c", "import sys; sys.stderr.write('bye\\n'); sys.exit(4)")
    assert (quiet.returncode, quiet.stderr) == (4, "bye\n")


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_exec_reports_a_program_killed_by_a_signal_as_a_shell_does(cli):
    done = cli("exec", "--", sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert done.returncode == 128 + 15
