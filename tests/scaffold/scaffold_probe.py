"""A throw-away bug for the scaffolding test: ``module_exists("absent.sub")`` raises instead of answering."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import UTILS_FILE, UTILS_MODULE
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap


def detect(source: _ast.Source) -> Verdict:
    fn = source.function("module_exists")
    lookups = _ast.calls(fn, ["find_spec"])
    if not lookups:
        raise CannotTell("module_exists does not call find_spec.")
    parents = _ast.parents(fn)
    node = lookups[0]
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try):
            return Verdict(False, lookups[0], "module_exists catches what find_spec raises.")
    return Verdict(True, lookups[0], "module_exists lets find_spec raise for a dotted name whose parent is missing.")


def module_present(name: str) -> bool:
    """Whether ``name`` can be imported; False, not an exception, where its parent package is missing."""
    from liquid_audio.utils import module_exists

    try:
        return module_exists(name)
    except ModuleNotFoundError:
        return False


def _wrap(original: Any, module: Any) -> Any:
    @functools.wraps(original)
    def module_exists(name: str) -> bool:
        try:
            return original(name)
        except ModuleNotFoundError:
            return False

    return module_exists


BUG = Bug(
    id="scaffold-probe",
    order=1000,
    title="module_exists raises for a dotted name whose parent is missing",
    module=UTILS_FILE,
    trigger='module_exists("absent.sub")',
    symptom="ModuleNotFoundError: No module named 'absent'",
    root_cause="module_exists calls importlib.util.find_spec, which imports the parent package",
    expected="False",
    workaround="catch ModuleNotFoundError around the call",
    fix="answer False when the parent package is missing",
    changes='`module_exists("absent.sub")` returns False instead of raising.',
    detect=detect,
    cases=(
        Case(
            setup="from liquid_audio.utils import module_exists",
            trigger='module_exists("lfmdoctor_absent.sub")',
            callsite_trigger='module_present("lfmdoctor_absent.sub")',
            expect=Expect(("ModuleNotFoundError",), "No module named", UTILS_FILE, "module_exists"),
            summary="ask whether a submodule of a missing package exists",
        ),
    ),
    callsite=Callsite(helpers=(module_present,)),
    runtime=(
        Wrap(
            UTILS_MODULE,
            None,
            "module_exists",
            _ast.source_check("module_exists", "find_spec(name)", ("except ModuleNotFoundError",), "it answers already"),
            _wrap,
        ),
    ),
    edits=(
        Edit(
            UTILS_FILE,
            "    spec = importlib.util.find_spec(name)\n",
            "    try:\n        spec = importlib.util.find_spec(name)\n    except ModuleNotFoundError:\n        return False\n",
        ),
    ),
    regression_test="""\
from liquid_audio.utils import module_exists


def test_module_exists_answers_false_for_a_missing_parent():
    assert module_exists("lfmdoctor_absent.sub") is False
""",
)
