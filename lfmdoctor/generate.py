"""``./dev generate`` (``python -m lfmdoctor.generate``): refresh every file generated from the bug modules.

They are the stored per-release diffs (``patches/liquid-audio+<release>.patch``), one reference page per bug
and their index (``docs/bugs/``), and the README's table of known bugs. Only files whose text changed are
written, all or none; a page whose bug is gone is removed. ``--check`` writes nothing, lists what is stale and
exits 1. A development tool: it needs the source checkout, git and ruff (and the release wheels, fetched once).
"""

from __future__ import annotations

import sys
from pathlib import Path

from lfmdoctor.errors import ExitCode, LfmdoctorError
from lfmdoctor.files import out_of_date, write_all

ROOT = Path(__file__).resolve().parent.parent
COMMAND = "./dev generate"


def reference_files() -> dict[Path, str]:
    """{reference page, its index, the README: the text each must hold} (no wheels, git or ruff needed)."""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.report import reference

    pages = ROOT / reference.PAGES
    files = {pages / f"{bug.id}.md": reference.page(bug) for bug in BUGS}
    files[pages / "README.md"] = reference.index(BUGS)
    readme = ROOT / "README.md"
    files[readme] = reference.with_block(readme.read_text(encoding="utf-8"), reference.readme_block(BUGS))
    return files


def expected_files() -> dict[Path, str]:
    """{generated file: the text it must hold}."""
    from lfmdoctor.patches.sourcegen import stored_diffs

    return {**stored_diffs(), **reference_files()}


def stale(files: dict[Path, str]) -> tuple[list[Path], list[Path]]:
    """(files to write, pages to remove)."""
    pages = {path for path in files if path.suffix == ".md" and path.parent.name == "bugs"}
    orphans = sorted(path for path in (ROOT / "docs" / "bugs").glob("*.md") if path not in pages)
    return out_of_date(files), orphans


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    unknown = sorted(set(args) - {"--check"})
    if unknown:
        return _fail(f"unknown argument {unknown[0]!r}; use {COMMAND} [--check]")
    if not (ROOT / "pyproject.toml").is_file():
        return _fail(f"{ROOT} is not an lfmdoctor source checkout; run it from a clone")
    from lfmdoctor.patches.sourcegen import GenerationError

    try:
        files = expected_files()
        outdated, orphans = stale(files)
    except (GenerationError, LfmdoctorError, ValueError, OSError) as exc:  # a bug's edit, no wheel, README markers
        return _fail(f"{' '.join(str(exc).split())[:300]}; fix it and run {COMMAND} again")
    names = [str(path.relative_to(ROOT)) for path in [*outdated, *orphans]]
    if "--check" in args:
        if names:
            print(f"stale: {', '.join(names)}; run {COMMAND}", file=sys.stderr)
            return ExitCode.PROBLEMS
        return ExitCode.OK
    for path in outdated:
        path.parent.mkdir(parents=True, exist_ok=True)
    write_all({path: files[path] for path in outdated})
    for path in orphans:
        path.unlink()
    for name in names:
        print(f"refreshed {name}")
    return ExitCode.OK


def _fail(message: str) -> int:
    print(f"generate: error: {message}", file=sys.stderr)
    return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
