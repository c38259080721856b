"""The built-in tiny checkpoint loads and generates with the real liquid-audio code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.repro.fixture import ensure_fixture

# Run in a child: load the checkpoint with the real liquid-audio code on CPU, generate 32 ASR tokens.
SMOKE = """
import json, sys
from pathlib import Path

import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

torch.manual_seed(0)
processor = LFM2AudioProcessor.from_pretrained(Path(sys.argv[1]), device="cpu")
model = LFM2AudioModel.from_pretrained(Path(sys.argv[1]), device="cpu", dtype=torch.float32).eval()
chat = ChatState(processor, dtype=torch.float32)
chat.new_turn("system")
chat.add_text("Perform ASR.")
chat.end_turn()
chat.new_turn("user")
chat.add_audio(0.1 * torch.randn(1, 16_000), 16_000)
chat.end_turn()
chat.new_turn("assistant")
print(json.dumps({"tokens": len(list(model.generate_sequential(**chat, max_new_tokens=32)))}))
"""


def test_core_checkpoint_has_the_real_layout_and_is_small(tiny_checkpoint):
    names = {p.name for p in tiny_checkpoint.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "audio_detokenizer"} <= names
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    assert set(config) >= {
        "architectures",
        "codebooks",
        "tie_audio_embeddings",
        "semantic_codebook_factor",
        "codebook_weight",
        "interleaved_n_text",
        "interleaved_n_audio",
        "preprocessor",
        "encoder",
        "lfm",
        "depthformer",
    }
    core = sum(p.stat().st_size for p in tiny_checkpoint.iterdir() if p.is_file())
    assert core < 5 * 1024 * 1024


def test_it_loads_and_generates_with_liquid_audio(tiny_checkpoint):
    done = subprocess.run([sys.executable, "-c", SMOKE, str(tiny_checkpoint)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["tokens"] == 32


def test_it_is_built_once_and_reused(tiny_checkpoint):
    weights = tiny_checkpoint / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert ensure_fixture(detokenizer=True) == tiny_checkpoint
    assert weights.stat().st_mtime_ns == before


@pytest.mark.slow
def test_same_seed_same_weights(tmp_path, cli, tiny_checkpoint):
    done = cli("fixture", "build", str(tmp_path / "a"))
    assert done.returncode == 0, done.stderr
    core = ensure_fixture()
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (core / "model.safetensors").read_bytes()


def test_build_into_a_non_empty_folder_is_refused(tmp_path, cli):
    (tmp_path / "keep.txt").write_text("x")
    done = cli("fixture", "build", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert [p.name for p in Path(tmp_path).iterdir()] == ["keep.txt"]
