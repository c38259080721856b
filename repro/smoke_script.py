"""Load a checkpoint with the real liquid-audio code on CPU and generate a few ASR tokens.

Standalone (runs in the target interpreter): python smoke_script.py CHECKPOINT_DIR
Prints one JSON line with timings.
"""

import json
import sys
import time
from pathlib import Path

import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


def main(path):
    torch.manual_seed(0)
    start = time.perf_counter()
    processor = LFM2AudioProcessor.from_pretrained(Path(path), device="cpu")
    model = LFM2AudioModel.from_pretrained(Path(path), device="cpu", dtype=torch.float32).eval()
    loaded = time.perf_counter()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("system")
    chat.add_text("Perform ASR.")
    chat.end_turn()
    chat.new_turn("user")
    chat.add_audio(0.1 * torch.randn(1, 16_000), 16_000)
    chat.end_turn()
    chat.new_turn("assistant")
    tokens = list(model.generate_sequential(**chat, max_new_tokens=32))
    done = time.perf_counter()
    print(json.dumps({"load_s": loaded - start, "generate_s": done - loaded, "tokens": len(tokens), "device": "cpu"}))


if __name__ == "__main__":
    main(sys.argv[1])
