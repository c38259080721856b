"""lfmdoctor.run_folder: the folder ``lfmdoctor run`` writes is swapped in whole, and only over its own."""

from __future__ import annotations

import pytest

from lfmdoctor import run_folder


def test_swap_in_replaces_a_folder_run_wrote(tmp_path):
    out = tmp_path / "out"
    first = run_folder.prepare(out)
    (first / "a").write_text("1")
    run_folder.swap_in(first, out)
    second = run_folder.prepare(out)  # out holds run's marker: allowed
    (second / "b").write_text("2")
    run_folder.swap_in(second, out)
    assert sorted(p.name for p in out.iterdir()) == [run_folder.MARKER, "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or old folder left


def test_a_block_that_fails_leaves_the_earlier_run_and_no_staging(tmp_path):
    out = tmp_path / "out"
    with run_folder.staged(out) as staging:
        (staging / "a").write_text("1")
    with pytest.raises(ZeroDivisionError), run_folder.staged(out) as staging:
        (staging / "b").write_text("2")
        raise ZeroDivisionError
    assert sorted(p.name for p in out.iterdir()) == [run_folder.MARKER, "a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
