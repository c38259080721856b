"""The corpus: every real error in every form goes to its own bug, nothing unrelated matches, and the held-out
texts (never used to write a signature) are scored on their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lfmdoctor.bugs import CASES
from lfmdoctor.repro.classify import mismatch

from .conftest import corpus
from .forms import FORMS, load, regenerate

REAL = load()
HELD_OUT = corpus("heldout")
UNRELATED = corpus("unrelated")
HELD_OUT_TARGET = 0.9


def test_the_corpus_has_each_kind_of_text():
    assert len(REAL) >= 10 and len(HELD_OUT) >= 10 and len(UNRELATED) >= 10
    assert {text["form"] for text in HELD_OUT} >= {"traceback", "one-line", "log line", "issue body", "ipython"}
    assert all(text["source"] for text in HELD_OUT + UNRELATED)


@pytest.mark.parametrize("text", REAL, ids=lambda text: text["case"])
def test_each_reproduced_error_is_what_its_case_expects(text):
    """The checked-in errors are the ones the cases raise: a case whose Expect changes fails here."""
    case = {case.id: case for case in CASES}[text["case"]]
    last = text["traceback"].rstrip("\n").splitlines()[-1]
    message = last.partition(": ")[2] if ": " in last else ""
    assert case.bug == text["bug"]
    assert mismatch(case, {"type": text["type"], "message": message}, text["frames"]) is None


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("text", REAL, ids=lambda text: text["case"])
def test_each_reproduced_error_in_each_form_goes_to_its_bug(triaged, text, form):
    found = triaged(FORMS[form](text["traceback"]))
    assert found.matches, f"{text['case']} in the {form} form matched nothing"
    assert found.matches[0].bug == text["bug"], [hit.bug for hit in found.matches]
    assert "frames" in found.matches[0].matched and found.tie is None


@pytest.mark.parametrize("text", UNRELATED, ids=lambda text: text["id"])
def test_unrelated_errors_match_nothing(triaged, text):
    found = triaged(text["body"])
    assert found.matches == [], [(hit.bug, hit.matched) for hit in found.matches]
    assert found.draft


def test_the_held_out_texts_go_to_their_bug(triaged):
    right = [text["id"] for text in HELD_OUT if [hit.bug for hit in triaged(text["body"]).matches][:1] == [text["bug"]]]
    wrong = sorted({text["id"] for text in HELD_OUT} - set(right))
    assert len(right) / len(HELD_OUT) >= HELD_OUT_TARGET, f"missed or wrong: {wrong}"


@pytest.mark.slow
def test_a_fresh_reproduction_run_gives_the_checked_in_errors(tmp_path):
    """Regenerating ``reproduced.json`` from a repro run now gives the same errors (run ``python
    tests/triage/forms.py REPRO.json`` with the new run's output where a case's error moved on purpose)."""
    pytest.importorskip("liquid_audio")
    argv = [sys.executable, "-m", "lfmdoctor", "repro", "--all", "--simulate", "no-cuda", "--simulate", "flash-attn", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, env=dict(os.environ), timeout=600)
    fresh = regenerate(json.loads(done.stdout), {case.id: case for case in CASES})["texts"]
    assert [(t["case"], t["traceback"]) for t in fresh] == [(t["case"], t["traceback"]) for t in REAL]
