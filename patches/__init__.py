"""lfmdoctor.patches"""

from lfmdoctor.patches.callsite import (
    load_detokenizer,
    load_model,
    load_processor,
    pick_device,
    to_chat_audio,
)

__all__ = ["load_detokenizer", "load_model", "load_processor", "pick_device", "to_chat_audio"]
