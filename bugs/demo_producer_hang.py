"""When the demo's generation thread raises, ``chat_response`` waits for ever on its queue."""

from __future__ import annotations

import ast
import functools
import textwrap
from typing import Any

from . import _ast, _demo
from ._anatomy import DEMO_CHAT_FILE, DEMO_CHAT_MODULE, DEMO_PRODUCER, DEMO_RESPONSE, DEMO_SURFACE
from ._spec import Bug, CannotTell, Edit, Expect, Verdict, Wrap

_HEADER = '    print(f"Starting generation with state {chat}.")\n'
_GENERATE = """\
    with torch.no_grad(), mimi.streaming(1):
        for t in lfm2_audio.generate_interleaved(
            **chat,
            max_new_tokens=1024,
            audio_temperature=temp,
            audio_top_k=topk,
        ):
            q.put(t)

            if t.numel() > 1:
                if (t == 2048).any():
                    continue

                wav_chunk = mimi.decode(t[None, :, None])[0]
                q.put(wav_chunk)
"""
PRODUCER = _HEADER + _GENERATE + "\n    q.put(None)\n"
PRODUCER_FIXED = (
    _HEADER
    + "    try:\n"
    + textwrap.indent(_GENERATE, "    ")
    + "    except Exception as exc:\n        q.put(exc)  # chat_response raises it\n    finally:\n        q.put(None)\n"
)
CONSUMER = """\
        if t is None:
            break
        elif t.numel() == 1:  # text
"""
CONSUMER_FIXED = """\
        if t is None:
            break
        elif isinstance(t, Exception):
            raise RuntimeError("generation failed") from t
        elif t.numel() == 1:  # text
"""


def _puts_none(node: ast.AST) -> bool:
    return any(
        _ast.call_name(call) == "put"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and call.args[0].value is None
        for call in _ast.calls(node)
    )


def detect(source: _ast.Source) -> Verdict:
    producer = _demo.function(source, DEMO_PRODUCER)
    guarded = [
        node
        for node in _ast.in_order(ast.walk(producer))
        if isinstance(node, ast.Try) and (any(_puts_none(s) for s in node.finalbody) or any(map(_puts_none, node.handlers)))
    ]
    if guarded:
        return Verdict(False, guarded[0], f"{DEMO_PRODUCER} ends the queue with None even when generation raises.")
    ends = [node for node in _ast.in_order(ast.walk(producer)) if isinstance(node, ast.Expr) and _puts_none(node)]
    if not ends:
        raise CannotTell(f"{DEMO_PRODUCER} never puts None on its queue, so how {DEMO_RESPONSE} stops is unclear.")
    return Verdict(
        True,
        ends[0],
        f"{DEMO_PRODUCER} puts the None that ends {DEMO_RESPONSE}'s loop only after generation returns: when generation "
        f"raises, the thread dies and {DEMO_RESPONSE} waits on q.get() for ever.",
    )


def _ends_the_queue(producer: Any, module: Any) -> Any:
    @functools.wraps(producer)
    def chat_producer(q: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return producer(q, *args, **kwargs)
        except BaseException:
            q.put(None)  # chat_response stops waiting (the thread's error is still printed)
            raise

    return chat_producer


_CHECK = _ast.source_check(
    f"{DEMO_CHAT_MODULE}.{DEMO_PRODUCER}",
    "                q.put(wav_chunk)\n\n    q.put(None)",
    ("finally:\n        q.put(None)",),
    "it ends the queue even when generation raises",
)

BUG = Bug(
    id="demo-producer-hang",
    order=210,
    title="The demo hangs for ever when its generation thread raises",
    module=DEMO_CHAT_FILE,
    surface=DEMO_SURFACE,
    trigger="any error during a reply in liquid-audio-demo: running out of memory, a device error, a bad sampling value",
    symptom="no error in the browser: the reply never ends; the thread's traceback goes to the server's stderr and "
    f"{DEMO_RESPONSE} waits on its queue for ever, holding the session",
    root_cause=f"{DEMO_PRODUCER} ({DEMO_CHAT_FILE}:14-37) runs generation in a thread and puts the None that ends "
    f"{DEMO_RESPONSE}'s `q.get()` loop only after generation returns (:37); an exception skips it",
    expected=f"{DEMO_RESPONSE} ends, raising the generation thread's error",
    workaround=f"edit {DEMO_CHAT_FILE}: put {DEMO_PRODUCER}'s final q.put(None) in a finally block; without that, restart "
    "the demo after a reply that never ends",
    fix=f"put the exception, then None, on the queue in a finally block, and have {DEMO_RESPONSE} raise it",
    subject="End the demo's reply when its generation thread raises",
    changes=(
        f"When generation raises inside the demo's `{DEMO_PRODUCER}` thread, the exception is passed through the queue "
        f"and `{DEMO_RESPONSE}` raises it (from a RuntimeError), instead of waiting for ever; replies that succeed "
        "are unchanged."
    ),
    severity="crash",
    explicit=True,
    affects="Only liquid-audio-demo.",
    detect=detect,
    cases=(
        _demo.case(
            # a NaN temperature makes torch.multinomial raise inside the generation thread
            trigger=f"""\
import threading

chat = ChatState(processor)
done, raised = threading.Event(), threading.Event()
threading.excepthook = lambda args: (raised.set(), threading.__excepthook__(args))  # a thread raised

def reply():
    try:
        for _ in demo.{DEMO_RESPONSE}(audio, "session", chat, temp=float("nan")):
            pass
    finally:
        done.set()

threading.Thread(target=reply, daemon=True).start()
assert raised.wait(10) or done.is_set(), "within 10 s neither did {DEMO_RESPONSE} end nor did a thread raise"
assert done.wait(1), "{DEMO_RESPONSE} still waits 1 s after its generation thread raised\"""",
            expect=Expect(("AssertionError",), rf"{DEMO_RESPONSE} still waits 1 s after its generation thread raised", None),
            summary="a demo turn whose generation thread raises (a NaN temperature): does chat_response end?",
        ),
    ),
    runtime=(Wrap(DEMO_CHAT_MODULE, None, DEMO_PRODUCER, _CHECK, _ends_the_queue, lazy=True),),
    edits=(Edit(DEMO_CHAT_FILE, PRODUCER, PRODUCER_FIXED), Edit(DEMO_CHAT_FILE, CONSUMER, CONSUMER_FIXED)),
    source_only="the demo calls chat_response and starts the thread itself, so a user has no call site to change",
    regression_test=f'''\
{_demo.regression_helper("threading")}

def test_a_demo_turn_whose_generation_raises_ends(steered_checkpoint, monkeypatch):
    chat_module, processor = load_demo(steered_checkpoint, monkeypatch)
    chat = ChatState(processor)
    failed = []

    def reply():
        try:
            for _ in chat_module.{DEMO_RESPONSE}(AUDIO, "session", chat, temp=float("nan")):  # the sampler raises
                pass
        except Exception as exc:
            failed.append(exc)

    thread = threading.Thread(target=reply, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "{DEMO_RESPONSE} still waits 5 s after its generation thread raised"
    assert failed
''',
)
