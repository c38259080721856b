"""The registry lists exactly the bug modules on disk, each declares every part, and owns its id."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from lfmdoctor import bugs
from lfmdoctor.bugs._spec import RELEASES, Bug, Case, Edit, Wrap

ROOT = Path(__file__).resolve().parents[2]
BUGS_DIR = ROOT / "bugs"
SOURCE_DIRS = ("lfmdoctor", "bugs", "diagnose", "repro", "patches", "report", "bench", "matrix")


def module_names_on_disk() -> set[str]:
    return {path.stem for path in BUGS_DIR.glob("*.py") if not path.stem.startswith("_")}


def test_registry_matches_the_modules_on_disk():
    assert {module.__name__.rsplit(".", 1)[-1] for module in bugs.MODULES} == module_names_on_disk()
    assert len(bugs.BUG_IDS) == len(set(bugs.BUG_IDS)) == len(bugs.MODULES)


def test_bugs_are_listed_by_their_declared_order_and_after_what_they_build_on():
    ranks = [(bug.order, bug.id) for bug in bugs.BUGS]
    assert ranks == sorted(ranks)
    assert len({bug.order for bug in bugs.BUGS}) == len(bugs.BUGS), "two bugs declare the same order"
    for bug in bugs.BUGS:
        for other in bug.after:
            assert bugs.BUG_IDS.index(other) < bugs.BUG_IDS.index(bug.id), f"{bug.id} must come after {other}"


def test_every_declared_call_site_helper_is_exported_by_name():
    from lfmdoctor import patches

    declared = {helper.__name__: helper for bug in bugs.BUGS for helper in bug.callsite.helpers}
    assert declared
    for name, helper in declared.items():
        assert getattr(patches, name) is helper
        assert name in patches.__all__


@pytest.mark.parametrize("module", bugs.MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_module_declares_every_part(module):
    bug = module.BUG
    assert isinstance(bug, Bug)
    assert module.__name__.rsplit(".", 1)[-1] == bug.id.replace("-", "_")
    for text in (bug.title, bug.trigger, bug.symptom, bug.root_cause, bug.expected, bug.workaround, bug.fix, bug.changes):
        assert text.strip(), bug.id
    assert (BUGS_DIR.parent / "src" / "liquid_audio" / bug.module).as_posix().endswith(bug.upstream_path)
    assert callable(bug.detect)
    assert bug.cases and all(isinstance(case, Case) and case.bug == bug.id for case in bug.cases)
    assert bug.runtime or bug.source_only, f"{bug.id} has no runtime fix and does not say why it cannot have one"
    assert all(isinstance(wrap, Wrap) and wrap.module.startswith("liquid_audio") for wrap in bug.runtime)
    assert bug.edits and all(isinstance(edit, Edit) and set(edit.releases) <= set(RELEASES) for edit in bug.edits)
    assert "def test_" in bug.regression_test
    ast.parse(bug.regression_test)
    assert set(bug.after) <= set(bugs.BUG_IDS) - {bug.id}
    callsite = bug.callsite
    assert (
        callsite.helpers
        or any(
            getattr(callsite, hook) is not None
            for hook in (
                "source",
                "processor_device",
                "model_device",
                "load_processor",
                "processor_loaded",
                "model_guard",
                "model_loaded",
            )
        )
        or any(case.callsite_trigger or case.callsite_setup for case in bug.cases)
        or bug.source_only
    ), f"{bug.id} has no call-site workaround and does not say why it cannot have one"


def test_case_ids_are_unique_and_name_their_bug():
    assert len(bugs.CASE_IDS) == len(set(bugs.CASE_IDS))
    for case in bugs.CASES:
        assert case.id.split(":", 1)[0] == case.bug


def _literals(path: Path) -> set[str]:
    """Every str constant in the file, and every quoted word in its text (docstrings included)."""
    text = path.read_text()
    found = {
        node.value for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    return found | set(re.findall(r"""["'`]([a-z0-9-]+)["'`]""", text))


def test_each_bug_id_is_written_in_its_own_module_only():
    files = [path for folder in SOURCE_DIRS for path in (ROOT / folder).rglob("*.py")]
    assert len(files) > 40
    for bug in bugs.BUGS:
        writers = sorted(str(path.relative_to(ROOT)) for path in files if bug.id in _literals(path))
        assert writers == [f"bugs/{bug.id.replace('-', '_')}.py"], bug.id


def test_select_takes_bug_and_case_ids_and_names_unknown_ones():
    first = bugs.BUGS[0]
    assert bugs.select([first.id]) == list(first.cases)
    assert bugs.select([bugs.CASES[-1].id]) == [bugs.CASES[-1]]
    assert bugs.select(None) == list(bugs.CASES)
    with pytest.raises(KeyError, match="unknown bug 'nope'"):
        bugs.select(["nope"])


@pytest.mark.parametrize("path", sorted(BUGS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_bug_modules_import_only_the_standard_library_at_import_time(path):
    """The runtime and call-site fixes load these modules by path in the user's interpreter, which may lack
    lfmdoctor's dependencies: anything else is imported inside the function that needs it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    outside = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            outside += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            outside.append(node.module or "")
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    assert [name for name in outside if name.split(".")[0] not in allowed] == []


def test_every_issue_title_and_commit_subject_fits_72_characters_and_is_distinct():
    from lfmdoctor.patches.series import subject

    titles = [bug.issue_title or bug.title for bug in bugs.BUGS]
    subjects = [subject(bug) for bug in bugs.BUGS]
    assert max(map(len, titles + subjects)) <= 72, [t for t in titles + subjects if len(t) > 72]
    assert len(set(titles)) == len(titles) and len(set(subjects)) == len(subjects)


@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda bug: bug.id)
def test_texts_for_upstream_name_no_tool(bug):
    for text in (bug.title, bug.issue_title, bug.trigger, bug.symptom, bug.root_cause, bug.expected, bug.workaround):
        assert "lfmdoctor" not in text.lower(), (bug.id, text)
    for text in (bug.fix, bug.changes, bug.affects, bug.differs, bug.position):
        assert "lfmdoctor" not in text.lower(), (bug.id, text)
