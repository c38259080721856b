"""The demo adds its system prompt again on every turn: ``len(chat.text)`` is the batch size, always 1."""

from __future__ import annotations

import ast

from . import _ast, _demo
from ._anatomy import DEMO_CHAT_FILE, DEMO_RESPONSE, DEMO_SURFACE
from ._spec import Bug, CannotTell, Edit, Expect, Verdict

GUARD = "    if len(chat.text) == 1:\n"
GUARD_FIXED = "    if chat.text.shape[1] == 1:  # only <|startoftext|>: the first turn\n"
PROMPT = "Respond with interleaved text and audio."


def _opens_system_turn(node: ast.If) -> bool:
    return any(
        _ast.call_name(call) == "new_turn" and any(isinstance(a, ast.Constant) and a.value == "system" for a in call.args)
        for statement in node.body
        for call in _ast.calls(statement)
    )


def _is_len_of_text(test: ast.expr) -> bool:
    """``len(<x>.text) == 1`` (either side)."""
    if not isinstance(test, ast.Compare):
        return False
    return any(
        isinstance(side, ast.Call)
        and _ast.call_name(side) == "len"
        and len(side.args) == 1
        and isinstance(side.args[0], ast.Attribute)
        and side.args[0].attr == "text"
        for side in (test.left, *test.comparators)
    )


def detect(source: _ast.Source) -> Verdict:
    respond = _demo.function(source, DEMO_RESPONSE)
    guards = [node for node in _ast.in_order(ast.walk(respond)) if isinstance(node, ast.If) and _opens_system_turn(node)]
    if not guards:
        raise CannotTell(f"{DEMO_RESPONSE} opens no system turn under an if, so when it adds the prompt is unclear.")
    guard = guards[0]
    if _is_len_of_text(guard.test):
        return Verdict(
            True,
            guard,
            f"{DEMO_RESPONSE} adds the system prompt when len(chat.text) == 1; chat.text is a (1, n) tensor, so its "
            "len is always 1 and the prompt is added again on every turn.",
        )
    return Verdict(
        False, guard, f"{DEMO_RESPONSE} adds the system prompt under `{ast.unparse(guard.test)}`, not len(chat.text)."
    )


BUG = Bug(
    id="demo-system-prompt",
    order=200,
    title="The demo adds its system prompt again on every turn",
    module=DEMO_CHAT_FILE,
    surface=DEMO_SURFACE,
    trigger="a second turn in liquid-audio-demo",
    symptom='no error: from the second turn on, the history gets another system turn ("Respond with interleaved text '
    'and audio.") inside the user turn the previous reply opened, so the model sees a malformed conversation',
    root_cause=f"{DEMO_CHAT_FILE}:51 tests `len(chat.text) == 1` to spot the first turn, but ChatState.text is a "
    "(1, n) tensor of token ids: len() gives its batch size, 1, whatever the history holds",
    expected="the system prompt is added once, on the first turn",
    workaround=f"edit {DEMO_CHAT_FILE}:51 to test chat.text.shape[1] == 1, or press 'Reset chat' before each turn (which "
    "loses the history)",
    fix="test the number of tokens, chat.text.shape[1] == 1, instead of len(chat.text)",
    subject="Add the demo's system prompt on the first turn only",
    changes=(
        "The demo adds its system prompt only when the history holds nothing but `<|startoftext|>` (the first turn); "
        "later turns no longer get another system turn."
    ),
    source_only="the test runs inside chat_response, which the Gradio app holds from import on, so neither a runtime "
    "fix nor a call-site change can reach it",
    severity="wrong output",
    explicit=True,
    affects="Only liquid-audio-demo.",
    detect=detect,
    cases=(
        _demo.case(
            trigger=f"""\
import threading

chat = ChatState(processor)
for turn in range(2):
    running = set(threading.enumerate())
    replies = demo.chat_response(audio, "session", chat)
    next(replies)  # chat_response has written the turn into the history before its first reply
    replies.close()
    for thread in set(threading.enumerate()) - running:  # the reply's generation thread
        thread.join(timeout=60)
prompts = processor.text.decode(chat.text[0]).count({PROMPT!r})
assert prompts == 1, f"after 2 turns the history holds the system prompt {{prompts}} times\"""",
            expect=Expect(("AssertionError",), r"after 2 turns the history holds the system prompt 2 times", None),
            summary="two turns of the demo's chat_response, each read to its first reply; count the system prompts",
        ),
    ),
    edits=(Edit(DEMO_CHAT_FILE, GUARD, GUARD_FIXED),),
    runtime=(),
    regression_test=f'''\
{_demo.regression_helper("threading")}

def test_the_demo_adds_its_system_prompt_once(steered_checkpoint, monkeypatch):
    chat_module, processor = load_demo(steered_checkpoint, monkeypatch)
    chat = ChatState(processor)
    for _ in range(2):
        running = set(threading.enumerate())
        replies = chat_module.chat_response(AUDIO, "session", chat)
        next(replies)  # the turn is in the history before the first reply
        replies.close()
        for thread in set(threading.enumerate()) - running:  # the reply's generation thread
            thread.join(timeout=60)
    assert processor.text.decode(chat.text[0]).count("{PROMPT}") == 1
''',
)
