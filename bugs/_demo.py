"""What the demo bugs share: the set-up their cases run, the one their upstream tests run, and a source finder.

``liquid_audio/demo/model.py`` loads ``LiquidAI/LFM2.5-Audio-1.5B`` from the hub at import, on CUDA, and warms
Mimi up on CUDA. The cases (through the ``demo`` resource, ``_spec.DEMO``) and the upstream tests put the same
three objects (processor, model, Mimi), loaded from the tiny checkpoint on the CPU, in its place, then import the
real ``demo/chat.py``: its Blocks app, its ``chat_response`` and its generation thread run as shipped. fastrtc's
``ReplyOnPause`` downloads a voice-activity model when the app is built; nothing here streams audio through it,
so its loader is stubbed.
"""

from __future__ import annotations

import ast

from . import _ast
from ._spec import CannotTell, Case, Expect

REQUIRES = ("demo_extra",)  # gradio and fastrtc: the demo extra
CHECKPOINT = ("mimi", "steer")  # Mimi decodes the reply's audio; the steered weights reply with text and audio

# After the demo resource (``_spec.DEMO``: the real demo/chat.py on the fixture's processor, model and Mimi):
# one second of speech-level sine, as fastrtc hands it over: (rate, int16 of shape (1, n))
SETUP = "audio = (24_000, (3_000 * np.sin(np.arange(24_000) / 8)).astype(np.int16)[None])"

# The upstream tests' helper: the same set-up with pytest's monkeypatch, Mimi with random weights (the tiny
# checkpoint has none) and the steered checkpoint, so that the reply holds text and audio.
_REGRESSION_HELPER = '''\
{stdlib}

import numpy as np
import pytest
import torch

from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

pytest.importorskip("gradio")  # the demo extra
pytest.importorskip("fastrtc")

AUDIO = (24_000, (3_000 * np.sin(np.arange(24_000) / 8)).astype(np.int16)[None])


def load_demo(checkpoint, monkeypatch):
    """demo/chat.py, imported with the objects demo/model.py loads from the hub replaced by the checkpoint's on
    the CPU (Mimi with random weights), and without fastrtc's voice-activity model download."""
    import fastrtc.reply_on_pause
    from liquid_audio.moshi.models import loaders

    processor = LFM2AudioProcessor.from_pretrained(checkpoint, device="cpu").eval()
    model = LFM2AudioModel.from_pretrained(checkpoint, device="cpu", dtype=torch.float32).eval()
    demo_model = types.ModuleType("liquid_audio.demo.model")
    demo_model.proc, demo_model.lfm2_audio, demo_model.mimi = processor, model, loaders.get_mimi(None, device="cpu")
    monkeypatch.setitem(sys.modules, "liquid_audio.demo.model", demo_model)
    monkeypatch.delitem(sys.modules, "liquid_audio.demo.chat", raising=False)
    monkeypatch.setattr(fastrtc.reply_on_pause, "get_silero_model", lambda: None)
    return importlib.import_module("liquid_audio.demo.chat"), processor  # imported afresh, with these objects
'''


def regression_helper(*stdlib: str) -> str:
    """The upstream test's imports (``stdlib``: the standard-library modules it needs besides the helper's) and
    the helper."""
    modules = sorted({"importlib", "sys", "types", *stdlib})
    return _REGRESSION_HELPER.replace("{stdlib}", "\n".join(f"import {name}" for name in modules))


def function(source: _ast.Source, name: str) -> _ast.Function:
    """A module-level function of the demo file, or CannotTell naming what the file lacks."""
    for node in source.tree.body:
        if isinstance(node, _ast.Function) and node.name == name:
            return node
    raise CannotTell(f"{source.path.name} defines no function {name}, so this does not look like the demo.")


def sibling(source: _ast.Source, name: str) -> _ast.Source | None:
    """Another file of the demo folder, parsed (None where it is missing or unreadable)."""
    try:
        return _ast.parse(source.path.with_name(name))
    except CannotTell:
        return None


def cuda_devices(tree: ast.AST) -> list[ast.keyword]:
    """Every ``device=<a CUDA constant>`` keyword argument in ``tree``, in source order."""
    found = [
        keyword
        for call in _ast.calls(tree)
        for keyword in call.keywords
        if keyword.arg == "device" and _ast.names_cuda(keyword.value)
    ]
    return _ast.in_order(found)


def case(trigger: str, expect: Expect, summary: str, requires: tuple[str, ...] = ()) -> Case:
    """A demo case: the real demo/chat.py on the fixture's processor, model and Mimi (the ``demo`` resource), the
    audio of one turn (``SETUP``), then ``trigger``."""
    return Case(
        needs=("processor", "model", "mimi", "demo"),
        requires=(*requires, *REQUIRES),
        checkpoint=CHECKPOINT,
        imports=("gradio", "fastrtc.reply_on_pause"),
        setup=SETUP,
        trigger=trigger,
        expect=expect,
        summary=summary,
    )
