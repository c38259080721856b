"""Bad environments: every command meets them with one line naming the problem and the fix, exit 2."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from lfmdoctor.bugs import CASES, local_path
from lfmdoctor.repro.emit import script_name

LOCAL_PATH = local_path.BUG.id

CACHE_COMMANDS = [
    ("fixture", "path"),
    ("repro", "--bug", LOCAL_PATH),
    ("bench",),
    ("matrix",),
    ("report",),
    ("run", "--no-bench"),
]


@pytest.mark.parametrize("args", CACHE_COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("where", ["a file", "below a file", "HOME=/proc"])
def test_a_broken_cache_location_is_one_line(cli, one_error, tmp_path, args, where):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    env = {
        "a file": {"LFMDOCTOR_CACHE": str(blocker)},
        "below a file": {"LFMDOCTOR_CACHE": str(blocker / "lfmdoctor")},
        "HOME=/proc": {"LFMDOCTOR_CACHE": "", "XDG_CACHE_HOME": "", "HOME": "/proc"},
    }[where]
    out = ["--out", str(tmp_path / "run")] if args[0] == "run" else []
    line = one_error(cli(*args, *out, env=env))
    assert "the lfmdoctor cache" in line and "set LFMDOCTOR_CACHE" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # no run folder, no staging folder


def test_check_needs_no_cache(cli, tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    done = cli("check", "--json", env={"LFMDOCTOR_CACHE": str(blocker)})
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


# --- full disks: a small tmpfs where the suite may mount one ------------------------------------------------


def test_emit_on_a_full_disk_writes_nothing(cli, one_error, small_disk, tiny_checkpoint):
    del tiny_checkpoint
    disk = small_disk(32)
    line = one_error(cli("repro", "--emit", str(disk / "scripts")))
    assert "--emit" in line and "No space left" in line
    assert list(disk.iterdir()) == []


@pytest.mark.slow
def test_report_on_a_full_disk_writes_neither_file(cli, one_error, small_disk, tmp_path):
    one_bug = ("report", "--no-verify", "--bug", CASES[0].bug)  # an issue: r.md and r.body.md
    roomy = cli(*one_bug, "--out", str(tmp_path / "roomy" / "r.md"))
    assert roomy.returncode == 0, roomy.stderr
    sizes = sorted(p.stat().st_size for p in (tmp_path / "roomy").iterdir())
    pages = -(-sizes[-1] // 4096)
    kib = 4 * pages  # room for the largest file alone, not for all of them
    disk = small_disk(kib)
    line = one_error(cli(*one_bug, "--out", str(disk / "r.md")))
    assert "r.md" in line and "No space left" in line
    assert list(disk.iterdir()) == []


# --- user files are never overwritten ----------------------------------------------------------------------


@pytest.mark.slow
def test_emit_never_replaces_a_users_file(cli, one_error, tmp_path, tiny_checkpoint):
    del tiny_checkpoint
    folder = tmp_path / "scripts"
    folder.mkdir()
    mine = folder / script_name(CASES[0])
    mine.write_text("# my own notes\n")
    line = one_error(cli("repro", "--bug", CASES[0].id, "--emit", str(folder)))
    assert mine.name in line and "did not write" in line
    assert mine.read_text() == "# my own notes\n"
    assert [p.name for p in folder.iterdir()] == [mine.name]
    mine.unlink()
    first = cli("repro", "--bug", CASES[0].id, "--emit", str(folder))  # its own files it may write again
    again = cli("repro", "--bug", CASES[0].id, "--emit", str(folder))
    assert first.returncode in (0, 1) and again.returncode == first.returncode, again.stderr


# --- output paths checked before the work starts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["bench", "--out", "/proc/x.json"], "/proc/x.json"),
        (["bench", "--out", "{tmp}"], "is a folder"),
        (["report", "--out", "/proc/x.md"], "/proc/x.md"),
    ],
)
def test_an_unwritable_output_is_refused_before_the_work(cli, one_error, tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    started = time.monotonic()
    line = one_error(cli(*args, "--python", str(tmp_path / "never-used" / "python")))
    assert words.replace("{tmp}", str(tmp_path)) in line
    assert time.monotonic() - started < 60


# --- broken interpreters -----------------------------------------------------------------------------------


def _wrapper(tmp_path: Path, body: str) -> str:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.slow
def test_an_interpreter_that_prints_bytes_that_are_not_utf8(cli, one_error, tmp_path):
    python = _wrapper(tmp_path, f'printf "\\377\\376 junk\\n"; printf "\\377\\n" >&2; exec {sys.executable} "$@"')
    checked = cli("check", "--python", python)
    assert checked.returncode in (0, 1), checked.stderr
    assert "Traceback" not in checked.stderr
    status = cli("patch", "status", "--python", python)  # accepted as check accepts it: the junk is read around
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    reproduced = cli("repro", "--bug", LOCAL_PATH, "--python", python)  # the junk is read around, not fatal
    assert reproduced.returncode == 1 and "Traceback" not in reproduced.stderr, reproduced.stderr


def _running(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_a_hanging_interpreter_is_stopped_at_the_stated_limit(cli, one_error, tmp_path):
    marker = f"{os.getpid()}.{time.monotonic_ns() % 1000}"
    python = _wrapper(tmp_path, f"sleep 1000.{marker.replace('.', '')}")
    started = time.monotonic()
    line = one_error(cli("check", "--python", python, "--timeout", "4"))
    took = time.monotonic() - started
    assert "timed out after 4 s" in line
    assert took < 4 * 2, f"{took:.1f} s for a stated 4 s"  # one limit, not one per probe
    assert _running(f"1000.{marker.replace('.', '')}") == []  # the wrapper's children were stopped too


# --- terminals ---------------------------------------------------------------------------------------------

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}


@pytest.mark.parametrize("args", [["check"], ["patch", "status"], ["repro", "--bug", LOCAL_PATH], ["check", "--json"]])
def test_an_ascii_terminal_gets_ascii_not_a_traceback(cli, args, tiny_checkpoint):
    del tiny_checkpoint
    done = cli(*args, env=ASCII_LOCALE)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.isascii() and done.stderr.isascii()
    if args == ["check", "--json"]:
        assert json.loads(done.stdout)["exit_code"] == done.returncode
    elif args == ["check"]:
        assert "+  Python" in done.stdout


def test_latin1_output_falls_back_for_the_glyphs_only(cli):
    done = cli("check", env={"PYTHONIOENCODING": "latin-1"})
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "+  Python" in done.stdout


def test_no_color_means_no_styling(cli):
    styled = cli("repro", "--list", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in styled.stdout  # the check can fail: styling is on without NO_COLOR
    plain = cli("repro", "--list", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 0 and "\x1b[" not in plain.stdout
