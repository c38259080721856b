"""``gr.State(ChatState(proc))``: Gradio deep-copies the state, and with it the processor and Mimi, per session."""

from __future__ import annotations

import ast

from . import _ast, _demo
from ._anatomy import CHAT_STATE_CLASS, DEMO_CHAT_FILE, DEMO_SURFACE
from ._spec import Bug, CannotTell, Edit, Expect, Verdict

STATE = "    chat_state = gr.State(ChatState(proc))\n"
STATE_FIXED = "    chat_state = gr.State(lambda: ChatState(proc))  # built per session, sharing the processor\n"


def detect(source: _ast.Source) -> Verdict:
    states = [call for call in _ast.calls(source.tree, ["State"]) if call.args or call.keywords]
    if not states:
        raise CannotTell(f"{source.path.name} creates no gr.State with a value, so how the chat history is kept is unclear.")
    state = states[0]
    value = state.args[0] if state.args else next((k.value for k in state.keywords if k.arg == "value"), None)
    if isinstance(value, ast.Call) and _ast.call_name(value) == CHAT_STATE_CLASS:
        return Verdict(
            True,
            state,
            f"The demo gives gr.State a {CHAT_STATE_CLASS} instance; Gradio deep-copies that value when the app is built "
            "and again for every session, and the copy holds its own processor with Mimi.",
        )
    return Verdict(
        False, state, f"The demo gives gr.State `{ast.unparse(value) if value else '?'}`, not a {CHAT_STATE_CLASS}."
    )


BUG = Bug(
    id="demo-state-copy",
    order=220,
    title="Every demo session deep-copies the processor and Mimi",
    module=DEMO_CHAT_FILE,
    surface=DEMO_SURFACE,
    trigger="opening liquid-audio-demo in a browser (each new session)",
    symptom="no error: memory grows by a full copy of the processor, Mimi included, at start-up and for every browser "
    "session (Gradio keeps a closed session's state for an hour); each copy of the demo's state adds about 370 MiB "
    "and takes about a second on a CPU, measured with Mimi's real architecture (79.3 M parameters, 366.8 MiB of "
    "tensors in float32)",
    root_cause=f"{DEMO_CHAT_FILE}:109 passes gr.State a ChatState instance; Gradio deep-copies a State's value when it "
    "is created and for every session (gradio/components/state.py, gradio/state_holder.py), and ChatState holds the "
    "processor (tokenizer, audio front end, Mimi) as an attribute",
    expected="each session gets a fresh history that shares the one loaded processor",
    workaround=f"edit {DEMO_CHAT_FILE}:109 to gr.State(lambda: ChatState(proc)), or restart the demo when memory runs short",
    fix="give gr.State a function that builds the ChatState, so each session's history is created, not deep-copied",
    subject="Build the demo's chat state per session instead of deep-copying it",
    changes=(
        "The demo's `gr.State` is given `lambda: ChatState(proc)`: each session gets a new, empty history that shares "
        "the loaded processor and Mimi instead of a deep copy of them. The history itself is the same."
    ),
    source_only="the state is created when the demo's module is imported, and Gradio copies it from there, so "
    "neither a runtime fix nor a call-site change can reach it",
    severity="resource",
    explicit=True,
    affects="Only liquid-audio-demo.",
    detect=detect,
    cases=(
        _demo.case(
            trigger="""\
import copy

initial = demo.chat_state.value
session = initial() if callable(initial) else copy.deepcopy(initial)  # what Gradio does for each new session
assert session.proc is processor, "the session's ChatState holds its own copy of the processor and Mimi\"""",
            expect=Expect(("AssertionError",), r"holds its own copy of the processor", None),
            summary="build the demo, then a session's chat state as Gradio does; is the processor shared?",
        ),
    ),
    edits=(Edit(DEMO_CHAT_FILE, STATE, STATE_FIXED),),
    runtime=(),
    regression_test=f"""\
{_demo.regression_helper("copy")}

def test_demo_sessions_share_the_processor(steered_checkpoint, monkeypatch):
    chat_module, processor = load_demo(steered_checkpoint, monkeypatch)
    initial = chat_module.chat_state.value
    session = initial() if callable(initial) else copy.deepcopy(initial)  # what Gradio does for each new session
    assert isinstance(session, ChatState)
    assert session.proc is processor
""",
)
