"""The bug whose id is ``demo_producer_hang.BUG.id``: the demo waits for ever when its generation thread raises."""

from __future__ import annotations

import queue

import pytest

from lfmdoctor.bugs import demo_producer_hang
from lfmdoctor.bugs._spec import NotNeeded
from lfmdoctor.results import Outcome

BUG = demo_producer_hang.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="q.put(None)")


def test_detector_reads_a_finally_as_absent(bug_contract, tmp_path):
    fixed = demo_producer_hang.PRODUCER_FIXED
    bug_contract.variant(BUG, tmp_path, demo_producer_hang.PRODUCER, fixed, present=False, evidence="try:")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_the_runtime_and_source_fixes_clear_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_runtime_wrap_ends_the_queue_and_keeps_the_error():
    def producer(q, chat, temp, topk):
        q.put("token")
        raise RuntimeError("out of memory")

    q: queue.Queue = queue.Queue()
    wrapped = demo_producer_hang._ends_the_queue(producer, None)
    with pytest.raises(RuntimeError, match="out of memory"):
        wrapped(q, None, 1.0, 4)
    assert [q.get_nowait(), q.get_nowait()] == ["token", None]


@pytest.mark.parametrize(("body", "verdict"), [("PRODUCER", None), ("PRODUCER_FIXED", NotNeeded)])
def test_runtime_check_wraps_only_the_shipped_producer(monkeypatch, body, verdict):
    from lfmdoctor.bugs import _ast

    text = "def chat_producer(q, chat, temp, topk):\n" + getattr(demo_producer_hang, body)
    monkeypatch.setattr(_ast, "source_text", lambda function: text)
    if verdict is None:
        assert demo_producer_hang._CHECK(object(), None) is None
    else:
        with pytest.raises(verdict):
            demo_producer_hang._CHECK(object(), None)
