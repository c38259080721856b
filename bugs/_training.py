"""Fine-tuning steps the training bugs' cases share: a tiny chat dataset and liquid-audio's own Trainer.

Python source for the repro worker (names: ``processor``, ``MODEL_DIR``, ``torch``, ``np``, ``Path``), written
verbatim into reproducers. Standard library only here.
"""

from __future__ import annotations

from ._anatomy import MAPPER_CLASS, PREPROCESS_FUNCTION, TRAINER_CLASS

IMPORTS = ("datasets",)  # what the cases import besides liquid-audio (``Case.imports``)

# Two text-only chats preprocessed with liquid-audio's mapper into a saved dataset (no Mimi needed).
DATASET = f"""\
import tempfile
from pathlib import Path
import datasets
from liquid_audio.data.dataloader import LFM2DataLoader
from liquid_audio.data.mapper import {MAPPER_CLASS}
from liquid_audio.data.preprocess import {PREPROCESS_FUNCTION}
from liquid_audio.data.types import ChatMessage, TextSegment
from liquid_audio.trainer import {TRAINER_CLASS}
work = Path(tempfile.mkdtemp())
datasets.config.HF_DATASETS_CACHE = work / "datasets-cache"  # a private datasets cache for this run
chats = [
    [ChatMessage(role="user", content=[TextSegment(text="say hi")]),
     ChatMessage(role="assistant", content=[TextSegment(text=f"hi there {{i}}")])]
    for i in range(2)
]
{PREPROCESS_FUNCTION}(chats, work / "data", {MAPPER_CLASS}(processor))
data = LFM2DataLoader(str(work / "data"), context_length=64)"""

# liquid-audio's Trainer with its default learning rate (3e-05 at trainer.py:26), for three steps:
# the first is warm-up at lr * 1e-8, the others at the learning rate.
TRAINER = f"""\
trainer = {TRAINER_CLASS}(
    model_id=MODEL_DIR, train_data=data, max_steps=3, warmup_steps=1, batch_size=1, output_dir=str(work / "out")
)"""


def regression_test(body: str, *, torch: bool = False, model: bool = False) -> str:
    """An upstream regression test module: ``body`` (its test functions) after the imports it asks for, a skip
    where ``datasets`` cannot be imported, and ``tiny_trainer``, liquid-audio's Trainer on one preprocessed chat."""
    classes = "LFM2AudioModel, LFM2AudioProcessor" if model else "LFM2AudioProcessor"
    return (
        "import importlib.metadata\nfrom pathlib import Path\n\nimport pytest\n"
        + ("import torch\n" if torch else "")
        + f"from packaging.version import Version\n\nfrom liquid_audio import {classes}\n\n"
        + REGRESSION_TRAINER
        + body
    )


# A regression test's skip where ``datasets`` cannot be imported (names: importlib.metadata, pytest, Version).
DATASETS_GUARD = """\
# datasets 5 needs huggingface_hub 1.31 or later: an environment that pins an older hub cannot import it
datasets_version, hub_version = (Version(importlib.metadata.version(name)) for name in ("datasets", "huggingface_hub"))
pytestmark = pytest.mark.skipif(
    datasets_version >= Version("5") and hub_version < Version("1.31"),
    reason="datasets 5 cannot be imported with huggingface_hub < 1.31",
)
"""
REGRESSION_TRAINER = (
    DATASETS_GUARD
    + f'''

def tiny_trainer(tiny_checkpoint, tmp_path, max_steps):
    """liquid-audio's Trainer on one preprocessed chat: step 1 warms up at lr * 1e-8, later steps run at 3e-05."""
    from liquid_audio.data.dataloader import LFM2DataLoader
    from liquid_audio.data.mapper import {MAPPER_CLASS}
    from liquid_audio.data.preprocess import {PREPROCESS_FUNCTION}
    from liquid_audio.data.types import ChatMessage, TextSegment
    from liquid_audio.trainer import {TRAINER_CLASS}

    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    chats = [
        [
            ChatMessage(role="user", content=[TextSegment(text="say hi")]),
            ChatMessage(role="assistant", content=[TextSegment(text="hi there")]),
        ]
    ]
    {PREPROCESS_FUNCTION}(chats, tmp_path / "data", {MAPPER_CLASS}(processor))
    data = LFM2DataLoader(str(tmp_path / "data"), context_length=64)
    return {TRAINER_CLASS}(
        model_id=Path(tiny_checkpoint),
        train_data=data,
        max_steps=max_steps,
        warmup_steps=1,
        batch_size=1,
        output_dir=str(tmp_path / "out"),
    )


'''
)
