"""The bug whose id is ``demo_system_prompt.BUG.id``: the demo adds its system prompt on every turn."""

from __future__ import annotations

from lfmdoctor.bugs import demo_system_prompt
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = demo_system_prompt.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="if len(chat.text) == 1:")


def test_detector_reads_a_token_count_as_absent(bug_contract, tmp_path):
    guard = demo_system_prompt.GUARD_FIXED
    bug_contract.variant(BUG, tmp_path, demo_system_prompt.GUARD, guard, present=False, evidence="if chat.text.shape[1] == 1:")


def test_detector_cannot_tell_without_a_system_turn():
    from lfmdoctor.bugs._spec import CannotTell

    code = """\
        def chat_response(audio, _id, chat):
            chat.new_turn("user")
        """
    try:
        BUG.detect(snippet(code))
    except CannotTell as exc:
        assert str(exc).endswith(".")
    else:
        raise AssertionError("a chat_response that opens no system turn must be CannotTell")


def test_chat_text_is_a_batch_of_one_so_its_len_is_always_one(cpu_processor):
    torch = __import__("torch")
    from liquid_audio import ChatState

    chat = ChatState(cpu_processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_text("Hello there")
    chat.end_turn()
    assert chat.text.shape[0] == 1 and chat.text.shape[1] > 1
    assert len(chat.text) == 1  # what the demo's guard reads


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_the_source_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)
