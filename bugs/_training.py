"""Fine-tuning steps the training bugs' cases share: a tiny chat dataset and liquid-audio's own Trainer.

Python source for the repro worker (names: ``processor``, ``MODEL_DIR``, ``torch``, ``np``, ``Path``), written
verbatim into reproducers. Standard library only here.
"""

from __future__ import annotations

from ._anatomy import MAPPER_CLASS, PREPROCESS_FUNCTION, TRAINER_CLASS

# Two text-only chats preprocessed with liquid-audio's mapper into a saved dataset (no Mimi needed).
DATASET = f"""\
import tempfile
from liquid_audio.data.dataloader import LFM2DataLoader
from liquid_audio.data.mapper import {MAPPER_CLASS}
from liquid_audio.data.preprocess import {PREPROCESS_FUNCTION}
from liquid_audio.data.types import ChatMessage, TextSegment
from liquid_audio.trainer import {TRAINER_CLASS}
work = Path(tempfile.mkdtemp())
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
