"""Bad environments: every command meets them with one line naming the problem and the fix, exit 2."""

from __future__ import annotations

import pytest

CACHE_COMMANDS = [
    ("fixture", "path"),
    ("repro", "--bug", "local-path"),
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
