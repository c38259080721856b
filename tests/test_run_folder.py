"""lfmdoctor.run_folder: the folder ``lfmdoctor run`` writes is swapped in whole, and only over its own."""

from __future__ import annotations

import sys

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
        (staging.path / "a").write_text("1")
    with pytest.raises(ZeroDivisionError), run_folder.staged(out) as staging:
        (staging.path / "b").write_text("2")
        raise ZeroDivisionError
    assert sorted(p.name for p in out.iterdir()) == [run_folder.MARKER, "a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_files_added_to_out_while_the_run_goes_are_kept(tmp_path):
    """Issue 21 item 1: a file the user drops into ``--out`` during the run survives, and so does the run."""
    out = tmp_path / "out"
    with run_folder.staged(out) as first:
        (first.path / "a").write_text("1")
    with run_folder.staged(out) as second:
        (second.path / "b").write_text("2")
        (out / "notes.txt").write_text("mine")  # added while the run goes
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "a").read_text() == "1"  # the folder is left as the user has it
    assert second.out != out and (second.out / "b").read_text() == "2"  # the run went beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", second.out.name]


def test_a_file_added_between_the_check_and_the_exchange_is_kept(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with run_folder.staged(out) as first:
        (first.path / "a").write_text("1")
    real = run_folder.exchange

    def late(a, b):  # the user's file lands after the last look, just before the swap
        (out / "late.txt").write_text("mine")
        monkeypatch.setattr(run_folder, "exchange", real)
        real(a, b)

    monkeypatch.setattr(run_folder, "exchange", late)
    with run_folder.staged(out) as second:
        (second.path / "b").write_text("2")
    assert (out / "late.txt").read_text() == "mine" and (out / "a").exists()
    assert (second.out / "b").read_text() == "2"


def test_without_a_git_identity_the_series_has_a_placeholder_author_and_the_run_says_how_to_set_one(tmp_path, monkeypatch):
    pytest.importorskip("liquid_audio")
    from lfmdoctor.patches.series.git import PLACEHOLDER_AUTHOR
    from lfmdoctor.run_folder import write_series_folder

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    files, notes = write_series_folder(sys.executable, tmp_path / "series")
    name, email = PLACEHOLDER_AUTHOR
    assert all(f"From: {name} <{email}>" in (tmp_path / path).read_text() for path in set(files.values()))
    assert any("git config --global user.email" in note for note in notes), notes
