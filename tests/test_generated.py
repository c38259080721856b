"""Generated files: the reference pages, their index and the README's table come from the bug modules, and
none is stale (``./dev generate`` refreshes them; ``--check`` says what is stale)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from lfmdoctor import generate
from lfmdoctor.bugs import BUGS
from lfmdoctor.report import reference

ROOT = Path(__file__).resolve().parents[1]


def test_no_page_and_no_readme_table_is_stale():
    outdated, orphans = generate.stale(generate.reference_files())
    assert [str(path.relative_to(ROOT)) for path in [*outdated, *orphans]] == [], "stale; run ./dev generate"


@pytest.mark.parametrize("bug", BUGS, ids=lambda bug: bug.id)
def test_a_page_carries_the_bugs_title_threads_workaround_and_releases(bug):
    text = reference.page(bug)
    assert text.startswith(f"# `{bug.id}`: {bug.title}\n")
    assert reference._md(bug.workaround) in text and bug.upstream_path in text and reference.releases(bug) in text
    for thread in bug.threads:
        assert f"[#{thread.number}]" in text and thread.state in text and thread.as_of in text


def test_text_keeps_what_markdown_would_hide():
    assert reference._md("ChatState(processor, dtype=<the model's dtype>) and `x<y`") == (
        "ChatState(processor, dtype=&lt;the model's dtype>) and `x<y`"
    )
    assert reference._cell("a | b") == "a \\| b"


def test_releases_are_written_as_ranges():
    def bug(*sets: tuple[str, ...]) -> SimpleNamespace:
        return SimpleNamespace(edits=[SimpleNamespace(releases=releases) for releases in sets])

    assert reference.releases(bug(("0.0.0a1", "1.0.0"), ("1.1.0",))) == "0.0.0a1–1.1.0"
    assert reference.releases(bug(("0.0.0a1",), ("1.2.0", "1.3.0"))) == "0.0.0a1, 1.2.0–1.3.0"
    assert all(reference.releases(b) for b in BUGS)


def test_the_readme_table_lists_every_bug_and_the_count():
    block = reference.readme_block(BUGS)
    assert f"knows {len(BUGS)} liquid-audio bugs" in block
    assert all(f"[`{bug.id}`](docs/bugs/{bug.id}.md)" in block for bug in BUGS)
    with pytest.raises(ValueError, match="no <!-- bugs:begin"):
        reference.with_block("# no markers\n", block)


def test_check_names_an_edited_page_and_generate_restores_it(tmp_path, monkeypatch):
    """On a copy of the generated files: a hand edit is stale for --check (exit 1), and a run puts it back."""
    copy = tmp_path / "root"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "README.md", copy / "README.md")
    (copy / "pyproject.toml").write_text("")
    page = copy / reference.PAGES / f"{BUGS[0].id}.md"
    page.write_text(page.read_text() + "a hand edit\n")
    (copy / reference.PAGES / "gone-bug.md").write_text("a bug that was removed\n")
    monkeypatch.setattr(generate, "ROOT", copy)
    monkeypatch.setattr(generate, "expected_files", generate.reference_files)  # the stored diffs have their own test
    assert generate.main(["--check"]) == 1
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    assert not (copy / reference.PAGES / "gone-bug.md").exists()
    assert page.read_text() == reference.page(BUGS[0])


@pytest.mark.parametrize(
    ("args", "readme", "words"),
    [
        (["--bogus"], "<!-- bugs:begin -->\n<!-- bugs:end -->\n", "unknown argument '--bogus'"),
        ([], "no markers\n", "no <!-- bugs:begin"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, args, readme, words):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "README.md").write_text(readme)
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "expected_files", generate.reference_files)
    assert generate.main(args) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("generate: error: ") and words in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "pyproject.toml"]  # nothing written
