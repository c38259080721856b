"""The steered tiny checkpoint: unmodified liquid-audio generates the builder's script from the files alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lfmdoctor.repro import fixture_builder
from lfmdoctor.repro.fixture import ensure_fixture

# Run in a child with nothing but liquid-audio imported while it generates: plain from_pretrained, the real
# samplers (greedy and sampled), both generation modes, a text and an audio prompt. Then decode the frames.
CHILD = """
import json, sys
from pathlib import Path

import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

folder, dtype = Path(sys.argv[1]), getattr(torch, sys.argv[2])
processor = LFM2AudioProcessor.from_pretrained(folder, device="cpu")
model = LFM2AudioModel.from_pretrained(folder, device="cpu", dtype=dtype).eval()


def chat(system, user):
    chat = ChatState(processor, dtype=dtype)
    chat.new_turn("system")
    chat.add_text(system)
    chat.end_turn()
    chat.new_turn("user")
    chat.add_text(user) if isinstance(user, str) else chat.add_audio(user, 16_000)
    chat.end_turn()
    chat.new_turn("assistant")
    return chat


runs = {
    "sequential": model.generate_sequential(**chat("Perform TTS.", "What is this?"), max_new_tokens=64),
    "sequential-sampled": model.generate_sequential(
        **chat("Perform ASR.", 0.1 * torch.randn(1, 16_000)), max_new_tokens=64, text_temperature=1.0,
        text_top_k=50, audio_temperature=0.8, audio_top_k=64,
    ),
    "interleaved": model.generate_interleaved(
        **chat("Respond with interleaved text and audio.", "Hello"), max_new_tokens=64, audio_temperature=1.0, audio_top_k=4
    ),
}
result = {name: [t.tolist() for t in run] for name, run in runs.items()}
result["text"] = processor.text.encode(sys.argv[3], add_special_tokens=False)
result["liquid_audio_only"] = not any(name.startswith("lfmdoctor") for name in sys.modules)

from lfmdoctor.patches import load_detokenizer  # the real one hard-codes .cuda(); this builds it on the CPU

load_detokenizer(processor)
codes = torch.tensor([t for t in result["sequential"] if len(t) > 1][:-1]).T.unsqueeze(0)  # as the README does
result["detokenizer_samples"] = processor.decode(codes).shape[-1]
with torch.no_grad():
    result["mimi_samples"] = processor.mimi.decode(codes).shape[-1]
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def steered_checkpoint():
    return ensure_fixture(steered=True, detokenizer=True, mimi=True)


def generate(folder, dtype: str) -> dict:
    argv = [sys.executable, "-c", CHILD, str(folder), dtype, fixture_builder.SCRIPT_TEXT]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def script(text: list[int], *, im_end: bool) -> list[list[int]]:
    frames = [fixture_builder.frame_codes(frame) for frame in range(fixture_builder.SCRIPT_FRAMES)]
    end = [[fixture_builder.END_OF_AUDIO] * 8]
    if not im_end:  # interleaved: <|text_end|> switches to audio and <|im_end|> stops without being yielded
        return [[t] for t in text] + [[fixture_builder.TEXT_END]] + frames + end
    special = [[fixture_builder.TEXT_END], [fixture_builder.AUDIO_START]]
    return [[t] for t in text] + special + frames + end + [[fixture_builder.IM_END]]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_unmodified_liquid_audio_follows_the_script_and_decodes_it(steered_checkpoint, dtype):
    result = generate(steered_checkpoint, dtype)
    assert result["liquid_audio_only"]
    assert len(result["text"]) == len(fixture_builder.SCRIPT_TEXT)
    assert result["sequential"] == result["sequential-sampled"] == script(result["text"], im_end=True)
    assert result["interleaved"] == script(result["text"], im_end=False)
    samples = 1920 * fixture_builder.SCRIPT_FRAMES  # 24 kHz audio, 12.5 frames a second
    assert result["detokenizer_samples"] == result["mimi_samples"] == samples


def test_only_the_weights_differ_from_the_random_checkpoint(steered_checkpoint, tiny_checkpoint):
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "audio_detokenizer/model.safetensors"):
        assert (steered_checkpoint / name).read_bytes() == (tiny_checkpoint / name).read_bytes(), name
    assert (steered_checkpoint / "model.safetensors").read_bytes() != (tiny_checkpoint / "model.safetensors").read_bytes()
