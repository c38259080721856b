"""``lfmdoctor patch``: the commands on a copy of the installed liquid-audio (the source patch itself, apply
and revert: tests/patches)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def on_path(liquid_audio_copy, tmp_path):
    return {"PYTHONPATH": str(liquid_audio_copy), "LFMDOCTOR_CACHE": str(tmp_path / "cache")}


def files(package):
    return {p: p.read_bytes() for p in sorted(package.rglob("*.py"))}


def test_status_names_the_release_of_the_copy(cli, liquid_audio_copy, on_path):
    done = cli("patch", "status", "--json", env=on_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["action"] == "status" and data["package_dir"] == str(liquid_audio_copy.package)
    assert data["release"] and data["patch"] == f"liquid-audio+{data['release']}.patch"
    assert data["outcome"] == "not applied" and data["present"]


def test_dry_run_writes_nothing(cli, liquid_audio_copy, on_path):
    before = files(liquid_audio_copy.package)
    done = cli("patch", "apply", "--dry-run", "--json", env=on_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "dry run"
    assert files(liquid_audio_copy.package) == before


def test_diff_is_the_stored_patch_of_the_copy(cli, on_path):
    from lfmdoctor.patches.stored import stored_patches

    done = cli("patch", "diff", env=on_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout in {p.text for p in stored_patches()}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["diff", "--release", "9.9.9"], "no stored patch for liquid-audio 9.9.9; stored: "),
        (["status", "--python", "/nonexistent/python"], "/nonexistent/python"),
        (["verify", "--bug", "no-such-bug"], "see 'lfmdoctor repro --list'"),
        (["verify", "--strategy", "magic"], "--strategy"),
        (["series"], "Missing option '--out'"),
        (["series", "--out", "/proc/version"], "/proc/version is not a new or empty folder; pass a new folder"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, one_error, args, words):
    assert words in one_error(cli("patch", *args))


def test_series_writes_the_patches_for_the_release_of_the_copy(cli, on_path, tmp_path):
    from lfmdoctor.bugs import filing_groups
    from lfmdoctor.patches.series import release_bugs

    out = tmp_path / "series"
    done = cli("patch", "series", "--out", str(out), env=on_path)
    assert done.returncode == 0, done.stderr
    patches = sorted(out.glob("*.patch"))
    release = done.stdout.split("liquid-audio ", 1)[1].split()[0]
    assert len(patches) == len(filing_groups(release_bugs(release))) + 1  # the test harness, then one per bug group
    assert done.stdout.strip().endswith(f"git am {out}/*.patch")
    assert all(str(patch) in done.stdout for patch in patches)


def test_series_into_a_folder_with_files_writes_nothing(cli, one_error, on_path, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert "is not a new or empty folder" in one_error(cli("patch", "series", "--out", str(out), env=on_path))
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_edit_made_while_the_prompt_waits_is_never_overwritten(liquid_audio_copy, on_path):
    """Issue 21 item 2: ``patch apply`` at a terminal; the target file is edited before the user answers y."""
    import os
    import pty
    import subprocess
    import sys
    import time

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "lfmdoctor", "patch", "apply"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **on_path},
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 120
    while b"Apply?" not in seen and time.monotonic() < deadline:
        seen += os.read(child.stdout.fileno(), 4096)
    processor = liquid_audio_copy.package / "processor.py"
    edited = processor.read_text() + "# the user's edit, made while the prompt waits\n"
    processor.write_text(edited)
    os.write(leader, b"y\n")
    output = child.communicate(timeout=120)[0].decode()
    os.close(leader)
    assert processor.read_text() == edited, output
    assert child.returncode == 2 and "changed since" in output and "Traceback" not in output


def test_apply_on_a_liquid_audio_that_does_not_import_says_so(cli, liquid_audio_copy, on_path):
    """Issue 21 item 14: liquid-audio 1.1.0 under transformers 5: the patch goes in, but the package is unusable."""
    liquid_audio_copy.edit(
        "__init__.py",
        "from liquid_audio.detokenizer",
        "from transformers.models.lfm2.modeling_lfm2 import Lfm2HybridConvCache  # 1.1.0\nfrom liquid_audio.detokenizer",
    )
    done = cli("patch", "apply", "--json", env=on_path)
    data = json.loads(done.stdout)
    assert data["outcome"] == "applied"
    assert "liquid_audio does not import here" in data["detail"] and "transformers<5" in data["detail"]


def test_an_interpreter_that_writes_non_utf8_on_stderr_is_accepted_as_check_accepts_it(cli, on_path, tmp_path):
    """Issue 21 item 12: Python 3.13 reads a non-UTF-8 .pth in the locale's encoding and complains on stderr in
    those bytes; check accepted such an interpreter, the patch commands refused it."""
    import sys

    wrapper = tmp_path / "python"
    complaint = b"printf 'Error processing line 1 of caf\\351.pth\\n' >&2\n"  # \351: a latin-1 byte
    wrapper.write_bytes(b"#!/bin/sh\n" + complaint + b"exec " + sys.executable.encode() + b' "$@"\n')
    wrapper.chmod(0o755)
    done = cli("patch", "status", "--json", "--python", str(wrapper), env=on_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "not applied"


def test_verify_on_a_liquid_audio_that_does_not_import_names_the_cause_and_the_fix(cli, liquid_audio_copy, on_path):
    """Issue 21 item 14: liquid-audio 1.1.0 under transformers 5: verify exited 2 with a hint unrelated to the
    cause."""
    liquid_audio_copy.edit(
        "__init__.py",
        "from liquid_audio.detokenizer",
        "from transformers.models.lfm2.modeling_lfm2 import Lfm2HybridConvCache  # 1.1.0\nfrom liquid_audio.detokenizer",
    )
    done = cli("patch", "verify", "--bug", "local-path", env=on_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert "does not import" in last and "pip install 'transformers<5'" in last, done.stderr
    assert "Traceback" not in done.stderr
