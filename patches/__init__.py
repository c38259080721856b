"""lfmdoctor.patches: three ways around the liquid-audio bugs.

- call site (change your code): ``load_processor``, ``load_model``, ``to_chat_audio``, ``load_detokenizer``,
  ``drop_end_of_audio``, ``chat_state``, ``without_flash_attn``, ``pick_device``;
- runtime (change nothing): ``apply()``, ``revert()``, ``with patched(): ...``, or
  ``lfmdoctor exec -- python your_script.py``;
- source (fix the installed files): ``lfmdoctor patch apply`` with the diffs stored here.
"""

from lfmdoctor.patches.bootstrap import strategy_environment
from lfmdoctor.patches.callsite import (
    chat_state,
    drop_end_of_audio,
    load_detokenizer,
    load_model,
    load_processor,
    pick_device,
    to_chat_audio,
    without_flash_attn,
)
from lfmdoctor.patches.runtime import RuntimePatchWarning, apply, patched, revert

__all__ = [
    "RuntimePatchWarning",
    "apply",
    "chat_state",
    "drop_end_of_audio",
    "load_detokenizer",
    "load_model",
    "load_processor",
    "patched",
    "pick_device",
    "revert",
    "strategy_environment",
    "to_chat_audio",
    "without_flash_attn",
]
