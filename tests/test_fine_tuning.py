"""Fine-tuning as a checkable surface: liquid-audio's own data mapper, preprocess_dataset and Trainer, run for a few
steps on the tiny checkpoint with a synthetic dataset (sine audio and text), with every runtime fix applied.

Each run is a child process, so that its peak memory (``ru_maxrss``) is its own: one with the fixes (it also
fine-tunes and reloads), one on liquid-audio as released (it only maps the long chat). No bug is named here: the
fixes are whatever the registry's runtime fixes are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

MIB = 2**20
LONG_AUDIO_S = 12  # the assistant audio of the chat whose mapping is measured

CHILD = """\
import io, json, resource, sys
from pathlib import Path

import numpy as np, soundfile, torch

fixed = sys.argv[3] == "fixed"
if fixed:
    import lfmdoctor.patches

    lfmdoctor.patches.apply()
from liquid_audio import LFM2AudioModel, LFM2AudioProcessor
from liquid_audio.data.mapper import LFM2AudioChatMapper
from liquid_audio.data.types import AudioSegment, ChatMessage, TextSegment

torch.set_num_threads(1)
MODEL, work, long_s = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[4])


def wav(seconds, rate):
    data = io.BytesIO()
    soundfile.write(data, 0.1 * np.sin(np.arange(int(seconds * rate), dtype=np.float32) / 8), rate, format="WAV")
    return data.getvalue()


def chat(i, seconds):
    return [ChatMessage(role="user", content=[AudioSegment(audio=wav(1, 16_000))]),
            ChatMessage(role="assistant", content=[TextSegment(text=f"tone {i}"), AudioSegment(audio=wav(seconds, 24_000))])]


def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


processor = LFM2AudioProcessor.from_pretrained(MODEL, device="cpu")
mapper = LFM2AudioChatMapper(processor)
processor.mimi
loaded = peak()
mapper(chat(0, long_s))
result = {"loaded": loaded, "mapped": peak()}
if fixed:
    from liquid_audio.data.dataloader import LFM2DataLoader
    from liquid_audio.data.preprocess import preprocess_dataset
    from liquid_audio.trainer import Trainer

    preprocess_dataset((chat(i, 1) for i in range(2)), work / "data", mapper)  # a generator, as a user writes one
    data = LFM2DataLoader(str(work / "data"), context_length=128)
    trainer = Trainer(model_id=MODEL, train_data=data, max_steps=3, warmup_steps=1, batch_size=1, output_dir=str(work / "out"))
    before = {name: weight.detach().clone() for name, weight in trainer.model.named_parameters()}
    trainer.train()
    moved = total = 0
    for name, weight in trainer.model.named_parameters():
        if weight.grad is not None:
            stepped = weight.grad != 0
            total += int(stepped.sum())
            moved += int((weight.detach() != before[name])[stepped].sum())
    reloaded = LFM2AudioModel.from_pretrained(work / "out" / "final", device="cpu", dtype=torch.float32).state_dict()
    trained = trainer.model.state_dict()
    result.update(
        moved=moved,
        total=total,
        dtype=str(trainer.model.lfm.embed_tokens.weight.dtype),
        reloads_trained=all(torch.equal(reloaded[key], value) for key, value in trained.items()),
        peak=peak(),
    )
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """{"fixed" | "release": what its child measured}; both children run at once."""
    from lfmdoctor.repro.fixture import ensure_fixture

    checkpoint = ensure_fixture(detokenizer=True, mimi=True)
    children = {}
    for mode in ("fixed", "release"):
        work = tmp_path_factory.mktemp(mode)
        argv = [sys.executable, "-c", CHILD, str(checkpoint), str(work), mode, str(LONG_AUDIO_S)]
        env = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(work / "datasets-cache"), "CUDA_VISIBLE_DEVICES": ""}
        children[mode] = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
        )
    results = {}
    for mode, child in children.items():
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-3000:]
        results[mode] = json.loads(out.strip().splitlines()[-1])
    return results


def test_the_fine_tuned_model_reloads_with_the_weights_it_trained(runs):
    assert runs["fixed"]["reloads_trained"]


def test_every_weight_with_a_gradient_moves(runs):
    fixed = runs["fixed"]
    print(f"{fixed['moved']} of {fixed['total']} weights with a gradient moved ({fixed['dtype']} weights)")
    assert fixed["dtype"] == "torch.float32"
    assert fixed["total"] > 0 and fixed["moved"] >= 0.99 * fixed["total"], fixed


def test_fine_tuning_peaks_under_2_gib(runs):
    print(f"peak RSS of the fine-tuning child: {runs['fixed']['peak'] / MIB:.0f} MiB")
    assert runs["fixed"]["peak"] < 2 * 2**30, runs["fixed"]["peak"] / MIB


def test_encoding_without_autograd_lowers_the_mappers_peak(runs, record_property):
    rise = {mode: (run["mapped"] - run["loaded"]) / MIB for mode, run in runs.items()}
    record_property("mapper_peak_rise_mib", rise)
    print(f"mapper peak rise over the loaded processor, {LONG_AUDIO_S} s of audio: {rise}")
    assert rise["release"] > 2 * rise["fixed"] + 100, rise
